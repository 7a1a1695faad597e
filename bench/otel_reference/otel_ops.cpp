// otel_ops WORKLOAD N: runs one of the performance issue's cases N times through opentelemetry-cpp,
// with bench/span_ops's workload names, so that bench/instructions.sh counts it by the same method
// (SPAN_OPS=<this binary> CASES="a b c d"): callgrind, (count at N - count at 0) / N, the batch
// cases flushed every 1000 spans.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "opentelemetry/baggage/propagation/baggage_propagator.h"
#include "opentelemetry/context/propagation/composite_propagator.h"
#include "otel_workloads.hpp"

namespace {

constexpr long kFlushEverySpans = 1000;

// Workloads (a)-(c) through the batch processor; one warm-up call outside the count, so that both
// runs pay the same one-time costs.
int run_spans(void (*workload)(otelref::api::Tracer&), long n, long spans_per_call) {
  auto provider = otelref::make_batch_discarding_provider();
  auto tracer = provider->GetTracer("bench");
  workload(*tracer);
  long since_flush = 0;
  for (long i = 0; i < n; ++i) {
    workload(*tracer);
    since_flush += spans_per_call;
    if (since_flush >= kFlushEverySpans) {
      provider->ForceFlush();
      since_flush = 0;
    }
  }
  provider->Shutdown();
  return 0;
}

// (d): a std::map carrier cleared each round (`clear`, as bench/span_ops does: the 5,460
// instructions are this; reused, the header's node and value are written over), through the W3C
// trace context propagator, or with the W3C baggage propagator too (`with_baggage`: three headers
// read, as honeyhive-cpp's default propagator reads).
int run_inject_extract(long n, bool clear, bool with_baggage) {
  otelref::api::propagation::HttpTraceContext trace_context;
  std::vector<std::unique_ptr<opentelemetry::context::propagation::TextMapPropagator>> both;
  both.emplace_back(new otelref::api::propagation::HttpTraceContext());
  both.emplace_back(new opentelemetry::baggage::propagation::BaggagePropagator());
  opentelemetry::context::propagation::CompositePropagator composite(std::move(both));
  auto& propagator =
      with_baggage ? static_cast<opentelemetry::context::propagation::TextMapPropagator&>(composite) : trace_context;
  const auto context = otelref::make_traceparent_only_context();
  std::map<std::string, std::string> headers;
  // The last context extracted is checked once, after the loop: checking each one would add the
  // reference's GetSpan (a shared_ptr copy, ~250 instructions) to every operation counted.
  for (long i = 0; i < n; ++i) {
    const auto extracted = otelref::inject_extract(propagator, context, headers, clear);
    if (i == n - 1 && !otelref::has_valid_span(extracted)) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: otel_ops bsp_start_end|bsp_attrs8_event|bsp_nested3|inject_extract|"
                 "inject_extract_trace_context|inject_extract_trace_context_reused N\n");
    return 2;
  }
  const std::string workload = argv[1];
  const long n = std::strtol(argv[2], nullptr, 10);
  if (workload == "bsp_start_end") return run_spans(otelref::start_end, n, 1);
  if (workload == "bsp_attrs8_event") return run_spans(otelref::start_end_8_attributes_1_event, n, 1);
  if (workload == "bsp_nested3") return run_spans(otelref::nested_3, n, 3);
  // As bench/span_ops: inject_extract through trace context and baggage, inject_extract_trace_context
  // through trace context alone (the figure for (d)).
  if (workload == "inject_extract") return run_inject_extract(n, true, true);
  if (workload == "inject_extract_trace_context") return run_inject_extract(n, true, false);
  if (workload == "inject_extract_trace_context_reused") return run_inject_extract(n, false, false);
  std::fprintf(stderr, "unknown workload %s\n", workload.c_str());
  return 2;
}
