#include <benchmark/benchmark.h>

#include <honeyhive/export/otlp_proto.hpp>

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
  const nlohmann::json inputs = {{"question", "How long do refunds take?"},
                                 {"user", {{"id", 123}, {"plan", "pro"}}},
                                 {"top_k", 3},
                                 {"temperature", 0.2},
                                 {"stream", false},
                                 {"tags", {"a", "b"}},
                                 {"model", "sim-gpt-small"},
                                 {"locale", "en-GB"},
                                 {"retries", 2}};
  for (auto _ : state) {
    auto span = tracer->start_span("model");
    span.set_structured("honeyhive_inputs", inputs);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetStructured_10Keys);

void BM_OtlpJsonEncode_512(benchmark::State& state) {
  const auto spans = bench::make_spans_8_attributes_1_event(512);
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_otlp_json(spans, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OtlpJsonEncode_512);

// As OtlpHttpExporter encodes: into one string reused across batches.
void BM_OtlpProtoEncode_512(benchmark::State& state) {
  const auto spans = bench::make_spans_8_attributes_1_event(512);
  std::string out;
  for (auto _ : state) {
    if (!encode_otlp_proto_reusing(spans, out)) state.SkipWithError("out of memory");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OtlpProtoEncode_512);

// Appending to a cleared string: the bytes are zero-filled again on every batch.
void BM_OtlpProtoEncode_512_Append(benchmark::State& state) {
  const auto spans = bench::make_spans_8_attributes_1_event(512);
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_otlp_proto(spans, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OtlpProtoEncode_512_Append);

// on_end cost into the batch processor with 1, 2 and 8 producer threads (b-shaped spans).
void BM_BatchProcessor_8Attributes_1Event(benchmark::State& state) {
  static std::shared_ptr<Provider> provider;
  if (state.thread_index() == 0) provider = bench::make_batch_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  for (auto _ : state) bench::start_end_8_attributes_1_event(*tracer);
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Drops are part of the score: a tracer that is fast because it discards spans is not fast.
    provider->force_flush(std::chrono::milliseconds(10000));
    for (const auto& processor : provider->processors()) {
      if (const auto* batch = dynamic_cast<const BatchSpanProcessor*>(processor.get())) {
        const auto stats = batch->stats();
        state.counters["drop_pct"] =
            stats.enqueued == 0 ? 0.0
                                : 100.0 * static_cast<double>(stats.dropped) / static_cast<double>(stats.enqueued);
      }
    }
  }
}
BENCHMARK(BM_BatchProcessor_8Attributes_1Event)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
