// span_ops WORKLOAD N: runs one workload N times (see bench/callgrind.sh).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <honeyhive/export/otlp_proto.hpp>
#include <honeyhive/processing/batch_span_processor.hpp>
#include <honeyhive/propagation/trace_context.hpp>

#include "core/span_record_pool.hpp"
#include "workloads.hpp"

namespace {

using namespace honeyhive;

// On stderr, after a span workload: how many span records the process made new (the pool had none
// to give: spans in flight before the export thread first returned theirs) and how many of those were
// prepared from the span before (see core/span_record_pool.hpp). Under valgrind this depends on when
// the export thread gets to run, and each such record costs a typed span ~17,400 instructions more
// than a recycled one: it is why the batch cases' counts move between runs.
void report_records() {
  std::fprintf(stderr, "records made new: %llu (prepared from the span before: %llu)\n",
               static_cast<unsigned long long>(detail::made_span_records()),
               static_cast<unsigned long long>(detail::prepared_span_records()));
}

// With the batch processor, the driver flushes every 1000 spans: valgrind runs one thread at a
// time, so without it the export thread would rarely run and the count would measure drops (the
// flush is part of the count: its cost per span is what a real export thread costs).
constexpr long kFlushEverySpans = 1000;

int run_span_workload(void (*workload)(Tracer&), long n, bool batch, long spans_per_call) {
  auto provider = batch ? bench::make_batch_discarding_provider() : bench::make_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  // One warm-up call outside the count so both runs pay the same one-time costs.
  workload(*tracer);
  long since_flush = 0;
  for (long i = 0; i < n; ++i) {
    workload(*tracer);
    since_flush += spans_per_call;
    if (batch && since_flush >= kFlushEverySpans) {
      provider->force_flush(std::chrono::seconds(10));
      since_flush = 0;
    }
  }
  provider->shutdown();
  report_records();
  return 0;
}

// The typed-span workloads: through the batch processor (`batch`); every other span's texts of
// other lengths (`varied`: prompts and answers differ from call to call, so a recycled slot's text
// is seldom of the new text's length); each a child of one chain span (`in_chain`: its parent
// context carries the tracer's baggage, as a model call within a session or a chain does); through
// the simple processor (`simple`: a steady state from the second span on, the same in every run, for
// comparing builds; the batch processor's counts move with valgrind's thread switches); every span
// on a record made new (`on_new_records`: an exporter keeps them all).
enum class Typed { batch, varied, in_chain, simple, on_new_records };

int run_typed(long n, Typed kind) {
  const bool batch = kind != Typed::simple && kind != Typed::on_new_records;
  const bool keep = kind == Typed::on_new_records;
  const bool varied = kind == Typed::varied;
  auto tracer =
      bench::make_discarding_honeyhive_tracer(batch, keep ? std::make_unique<bench::KeepingExporter>() : nullptr);
  if (!tracer) return 1;
  std::optional<Span> chain;
  if (kind == Typed::in_chain) chain.emplace(tracer->start_span("answer_question", EventType::chain));
  const nlohmann::json value = bench::make_json_10_keys();
  nlohmann::json other = value;
  other["prompt"] = "And what is the capital of Spain, please?";
  other["system"] = "Be brief.";
  other["locale"] = "fr";
  bench::typed_model_span(*tracer, value);
  for (long i = 0; i < n; ++i) {
    bench::typed_model_span(*tracer, varied && i % 2 == 1 ? other : value);
    if ((i + 1) % kFlushEverySpans == 0) tracer->flush(std::chrono::seconds(10));
  }
  chain.reset();
  tracer->shutdown();
  report_records();
  return 0;
}

enum class Encoding { json, proto_reusing, proto_append };

// proto_reusing encodes as OtlpHttpExporter does (one string reused across batches); proto_append
// clears the string and appends, which zero-fills the bytes again on every batch.
int run_encode(long n, Encoding encoding) {
  const auto spans = bench::make_spans_8_attributes_1_event(512);
  std::string out;
  for (long i = 0; i < n; ++i) {
    switch (encoding) {
      case Encoding::json:
        out.clear();
        encode_otlp_json(spans, out);
        break;
      case Encoding::proto_reusing:
        if (!encode_otlp_proto_reusing(spans, out)) return 1;
        break;
      case Encoding::proto_append:
        out.clear();
        encode_otlp_proto(spans, out);
        break;
    }
  }
  return out.empty() && n > 0 ? 1 : 0;
}

// Inject + extract through a std::map carrier cleared each round, with the default propagator (W3C
// trace context and baggage: three headers read), or the W3C trace context propagator alone
// (`trace_context_only`: two headers read, what opentelemetry-cpp's HttpTraceContext does in the
// issue's figure for (d), see bench/otel_reference).
int run_inject_extract(long n, bool with_baggage, bool trace_context_only = false) {
  const std::shared_ptr<TextMapPropagator> propagator =
      trace_context_only ? std::make_shared<TraceContextPropagator>() : make_default_propagator();
  const Context context = with_baggage ? bench::make_propagation_context() : bench::make_traceparent_only_context();
  std::map<std::string, std::string> headers;
  for (long i = 0; i < n; ++i) {
    headers.clear();
    auto carrier = make_map_carrier(headers);
    propagator->inject(context, carrier);
    Context extracted = propagator->extract(carrier, Context());
    if (!extracted.span_context().is_valid()) return 1;
  }
  return 0;
}

// What an inject + extract through the default propagator and a std::map carrier costs before
// propagation proper: clearing the map, writing one 55-character header, and the three reads
// (traceparent, tracestate, baggage). (The trace context propagator alone reads two.)
int run_map_carrier_floor(long n) {
  const std::string traceparent(trace_context::kTraceparentLength, '0');
  std::map<std::string, std::string> headers;
  std::size_t found = 0;
  for (long i = 0; i < n; ++i) {
    headers.clear();
    auto carrier = make_map_carrier(headers);
    carrier.set("traceparent", traceparent);
    std::string storage;
    for (const std::string_view key :
         {std::string_view("traceparent"), std::string_view("tracestate"), std::string_view("baggage")}) {
      const TextMapCarrier& reader = carrier;
      if (reader.get_view(key, storage).has_value()) ++found;
    }
  }
  return found == static_cast<std::size_t>(n) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: span_ops "
                 "start_end|attrs8_event|nested3|bsp_start_end|bsp_attrs8_event|bsp_nested3|typed_json10|typed_json10_"
                 "varied|typed_json10_in_chain|typed_json10_simple|typed_json10_new|"
                 "encode_proto_512|encode_proto_512_append|encode_json_512|"
                 "inject_extract|inject_extract_baggage|inject_extract_trace_context|map_carrier_floor N\n");
    return 2;
  }
  const std::string workload = argv[1];
  const long n = std::strtol(argv[2], nullptr, 10);
  if (workload == "start_end") return run_span_workload(bench::start_end, n, false, 1);
  if (workload == "attrs8_event") return run_span_workload(bench::start_end_8_attributes_1_event, n, false, 1);
  if (workload == "nested3") return run_span_workload(bench::nested_3, n, false, 3);
  if (workload == "bsp_start_end") return run_span_workload(bench::start_end, n, true, 1);
  if (workload == "bsp_attrs8_event") return run_span_workload(bench::start_end_8_attributes_1_event, n, true, 1);
  if (workload == "bsp_nested3") return run_span_workload(bench::nested_3, n, true, 3);
  if (workload == "typed_json10") return run_typed(n, Typed::batch);
  if (workload == "typed_json10_varied") return run_typed(n, Typed::varied);
  if (workload == "typed_json10_in_chain") return run_typed(n, Typed::in_chain);
  if (workload == "typed_json10_simple") return run_typed(n, Typed::simple);
  if (workload == "typed_json10_new") return run_typed(n, Typed::on_new_records);
  if (workload == "encode_proto_512") return run_encode(n, Encoding::proto_reusing);
  if (workload == "encode_proto_512_append") return run_encode(n, Encoding::proto_append);
  if (workload == "encode_json_512") return run_encode(n, Encoding::json);
  if (workload == "inject_extract") return run_inject_extract(n, false);
  if (workload == "inject_extract_baggage") return run_inject_extract(n, true);
  if (workload == "inject_extract_trace_context") return run_inject_extract(n, false, true);
  if (workload == "map_carrier_floor") return run_map_carrier_floor(n);
  return 2;
}
