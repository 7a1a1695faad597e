#include <benchmark/benchmark.h>

#include "workloads.hpp"

namespace {

using namespace honeyhive;

void BM_StartEnd_NoAttributes(benchmark::State& state) {
  auto provider = bench::make_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  for (auto _ : state) bench::start_end(*tracer);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StartEnd_NoAttributes);

void BM_StartEnd_8Attributes_1Event(benchmark::State& state) {
  auto provider = bench::make_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  for (auto _ : state) bench::start_end_8_attributes_1_event(*tracer);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StartEnd_8Attributes_1Event);

void BM_Nested3_PerSpan(benchmark::State& state) {
  auto provider = bench::make_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  for (auto _ : state) bench::nested_3(*tracer);
  state.SetItemsProcessed(state.iterations() * 3);
}
BENCHMARK(BM_Nested3_PerSpan);

void BM_SetStructured_10Keys(benchmark::State& state) {
  auto provider = bench::make_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  const nlohmann::json inputs = {{"question", "How long do refunds take?"}, {"user", {{"id", 123}, {"plan", "pro"}}},
                                 {"top_k", 3}, {"temperature", 0.2}, {"stream", false}, {"tags", {"a", "b"}},
                                 {"model", "sim-gpt-small"}, {"locale", "en-GB"}, {"retries", 2}};
  for (auto _ : state) {
    auto span = tracer->start_span("model");
    span.set_structured("honeyhive_inputs", inputs);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetStructured_10Keys);

void BM_OtlpJsonEncode_512(benchmark::State& state) {
  auto exporter = std::make_unique<InMemoryExporter>();
  auto* memory = exporter.get();
  ProviderOptions options;
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
  auto provider = Provider::create(std::move(options));
  auto tracer = provider->get_tracer("bench");
  for (int i = 0; i < 512; ++i) bench::start_end_8_attributes_1_event(*tracer);
  const auto spans = memory->spans();
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_otlp_json(spans, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OtlpJsonEncode_512);

}  // namespace

BENCHMARK_MAIN();
