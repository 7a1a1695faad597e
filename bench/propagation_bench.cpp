#include <benchmark/benchmark.h>

#include <honeyhive/honeyhive.hpp>

#include <map>
#include <string>

namespace {

using namespace honeyhive;

// A context with a remote parent, a 3-member tracestate and 5 baggage entries.
Context make_context() {
  auto state = std::make_shared<const TraceState>(std::vector<TraceState::Member>{
      {"congo", "t61rcWkgMzE"}, {"rojo", "00f067aa0ba902b7"}, {"hh@honeyhive", "s1"}});
  Context context = Context().with_span_context(SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                                                            *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{3},
                                                            true, std::move(state)));
  context = context.with_baggage("session_id", "6f1b7c2e-8d1a-4c55-9d8e-2f0c1a3b4c5d");
  context = context.with_baggage("source", "production");
  context = context.with_baggage("user.id", "alice@example.test");
  context = context.with_baggage("tenant", "acme corp");
  context = context.with_baggage("feature", "checkout-v2", "ttl=60");
  return context;
}

void BM_InjectExtract_TraceparentTracestate3Baggage5(benchmark::State& state) {
  const auto propagator = make_default_propagator();
  const Context context = make_context();
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
  const Context context = Context().with_span_context(SpanContext(
      *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"), *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{1}, true));
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

}  // namespace
