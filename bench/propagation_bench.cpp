#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "workloads.hpp"

namespace {

using namespace honeyhive;

// Injects `context` into a std::map carrier and extracts it again, once per iteration.
template <class Propagator>
void inject_extract(benchmark::State& state, const Propagator& propagator, const Context& context) {
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

void BM_InjectExtract_TraceparentTracestate3Baggage5(benchmark::State& state) {
  inject_extract(state, *make_default_propagator(), bench::make_propagation_context());
}
BENCHMARK(BM_InjectExtract_TraceparentTracestate3Baggage5);

void BM_InjectExtract_TraceparentOnly(benchmark::State& state) {
  inject_extract(state, TraceContextPropagator(), bench::make_traceparent_only_context());
}
BENCHMARK(BM_InjectExtract_TraceparentOnly);

// Issue 11 case (d) exactly as `span_ops inject_extract` counts it: the default propagator
// (tracecontext + baggage), a context with a remote parent only.
void BM_InjectExtract_TraceparentOnly_DefaultPropagator(benchmark::State& state) {
  inject_extract(state, *make_default_propagator(), bench::make_traceparent_only_context());
}
BENCHMARK(BM_InjectExtract_TraceparentOnly_DefaultPropagator);

}  // namespace
