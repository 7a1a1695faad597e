// The time cases (a)-(d) through opentelemetry-cpp, as bench/span_bench.cpp runs them through
// honeyhive-cpp: no flush inside the timed loop, drops reported as a counter.
#include <benchmark/benchmark.h>

#include "otel_workloads.hpp"

namespace {

void run_spans(benchmark::State& state, void (*workload)(otelref::api::Tracer&), int spans_per_call) {
  auto exported = std::make_shared<std::atomic<std::uint64_t>>(0);
  auto provider = otelref::make_batch_discarding_provider(exported);
  auto tracer = provider->GetTracer("bench");
  for (auto _ : state) workload(*tracer);
  const auto ended = static_cast<double>(state.iterations() * spans_per_call);
  state.SetItemsProcessed(state.iterations() * spans_per_call);
  provider->ForceFlush();
  provider->Shutdown();
  // Drops are part of the score, as in bench/span_bench.cpp: the spans ended and never exported.
  state.counters["drop_pct"] = ended > 0 ? 100.0 * (ended - static_cast<double>(exported->load())) / ended : 0.0;
}

void BM_Otel_Bsp_StartEnd_NoAttributes(benchmark::State& state) { run_spans(state, otelref::start_end, 1); }
BENCHMARK(BM_Otel_Bsp_StartEnd_NoAttributes);
void BM_Otel_BatchProcessor_8Attributes_1Event(benchmark::State& state) {
  run_spans(state, otelref::start_end_8_attributes_1_event, 1);
}
BENCHMARK(BM_Otel_BatchProcessor_8Attributes_1Event)->UseRealTime();
void BM_Otel_Bsp_Nested3_PerSpan(benchmark::State& state) { run_spans(state, otelref::nested_3, 3); }
BENCHMARK(BM_Otel_Bsp_Nested3_PerSpan);
void BM_Otel_InjectExtract_Traceparent(benchmark::State& state) {
  otelref::api::propagation::HttpTraceContext propagator;
  const auto context = otelref::make_traceparent_only_context();
  std::map<std::string, std::string> headers;
  for (auto _ : state) {
    auto extracted = otelref::inject_extract(propagator, context, headers, true);
    benchmark::DoNotOptimize(extracted);
  }
  state.SetItemsProcessed(state.iterations());
  if (!otelref::has_valid_span(otelref::inject_extract(propagator, context, headers, true))) {
    state.SkipWithError("the extracted context has no valid span context");
  }
}
BENCHMARK(BM_Otel_InjectExtract_Traceparent);

}  // namespace

BENCHMARK_MAIN();
