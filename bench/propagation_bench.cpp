#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "workloads.hpp"

namespace {

using namespace honeyhive;

void BM_InjectExtract_TraceparentTracestate3Baggage5(benchmark::State& state) {
  const auto propagator = make_default_propagator();
  const Context context = bench::make_propagation_context();
  std::map<std::string, std::string> headers;
  for (auto _ : state) {
    headers.clear();
    auto carrier = make_map_carrier(headers);
    propagator->inject(context, carrier);
    Context extracted = propagator->extract(carrier, Context());
    benchmark::DoNotOptimize(extracted);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InjectExtract_TraceparentTracestate3Baggage5);

void BM_InjectExtract_TraceparentOnly(benchmark::State& state) {
  const TraceContextPropagator propagator;
  const Context context = bench::make_traceparent_only_context();
  std::map<std::string, std::string> headers;
  for (auto _ : state) {
    headers.clear();
    auto carrier = make_map_carrier(headers);
    propagator.inject(context, carrier);
    Context extracted = propagator.extract(carrier, Context());
    benchmark::DoNotOptimize(extracted);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InjectExtract_TraceparentOnly);

// Issue 11 case (d) exactly as `span_ops inject_extract` counts it: the default propagator
// (tracecontext + baggage), a context with a remote parent only.
void BM_InjectExtract_TraceparentOnly_DefaultPropagator(benchmark::State& state) {
  const auto propagator = make_default_propagator();
  const Context context = bench::make_traceparent_only_context();
  std::map<std::string, std::string> headers;
  for (auto _ : state) {
    headers.clear();
    auto carrier = make_map_carrier(headers);
    propagator->inject(context, carrier);
    Context extracted = propagator->extract(carrier, Context());
    benchmark::DoNotOptimize(extracted);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InjectExtract_TraceparentOnly_DefaultPropagator);

}  // namespace
