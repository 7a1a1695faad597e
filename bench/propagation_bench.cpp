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

// Issue 11 case (d) as `span_ops inject_extract_trace_context` counts it: the W3C trace context
// propagator alone (what opentelemetry-cpp's figure for (d) is of, see bench/otel_reference), called
// through the propagator interface, a context with a remote parent only.
void BM_InjectExtract_TraceparentOnly(benchmark::State& state) {
  const TraceContextPropagator propagator;
  inject_extract(state, static_cast<const TextMapPropagator&>(propagator), bench::make_traceparent_only_context());
}
BENCHMARK(BM_InjectExtract_TraceparentOnly);

// The same through the default propagator (trace context + baggage), as `span_ops inject_extract`.
void BM_InjectExtract_TraceparentOnly_DefaultPropagator(benchmark::State& state) {
  inject_extract(state, *make_default_propagator(), bench::make_traceparent_only_context());
}
BENCHMARK(BM_InjectExtract_TraceparentOnly_DefaultPropagator);

}  // namespace
