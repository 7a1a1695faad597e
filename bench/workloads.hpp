#pragma once

// The span workloads shared by the Google Benchmark binary and the callgrind driver, so both
// measure exactly the same code.
#include <memory>
#include <string>
#include <vector>

#include <honeyhive/honeyhive.hpp>
#include <honeyhive/processing/batch_span_processor.hpp>
#include <honeyhive/tracer/honeyhive_tracer.hpp>

namespace honeyhive::bench {

// Accepts and discards every batch: measures the SDK, not an exporter.
class DiscardExporter final : public SpanExporter {
 public:
  ExportResult export_spans(const std::vector<SpanDataPtr>&) noexcept override { return ExportResult::success; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

// Keeps every span it is given, so that no span record is recycled while it lives: each span then
// runs on a record made new (the cost a burst of spans pays before records come back).
class KeepingExporter final : public SpanExporter {
 public:
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override {
    try {
      kept_.insert(kept_.end(), spans.begin(), spans.end());
      return ExportResult::success;
    } catch (...) {
      return ExportResult::failure;
    }
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

 private:
  std::vector<SpanDataPtr> kept_;
};

inline std::shared_ptr<Provider> make_discarding_provider() {
  ProviderOptions options;
  options.resource = Resource::create({{"service.name", std::string("bench")}});
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::make_unique<DiscardExporter>()));
  return Provider::create(std::move(options));
}

// The reference set-up: batch processor with default options into a discarding exporter.
inline std::shared_ptr<Provider> make_batch_discarding_provider() {
  ProviderOptions options;
  options.resource = Resource::create({{"service.name", std::string("bench")}});
  options.sampler = make_always_on_sampler();
  options.processors.push_back(
      std::make_unique<BatchSpanProcessor>(std::make_unique<DiscardExporter>(), BatchSpanProcessorOptions{}));
  return Provider::create(std::move(options));
}

// (a) start + end, no attributes.
inline void start_end(Tracer& tracer) { auto span = tracer.start_span("operation"); }

// (b) start + end with 8 attributes (4 strings of ~20 chars, 2 ints, 1 double, 1 bool) and 1 event.
inline void start_end_8_attributes_1_event(Tracer& tracer) {
  auto span = tracer.start_span("operation");
  span.set_attribute("http.request.method", "POST-application/json");
  span.set_attribute("url.full", "https://example.test/api");
  span.set_attribute("server.address", "api.example.test.local");
  span.set_attribute("user_agent.original", "honeyhive-bench/0.1.0");
  span.set_attribute("http.response.status_code", 200);
  span.set_attribute("http.request.body.size", 4096);
  span.set_attribute("gen_ai.request.temperature", 0.7);
  span.set_attribute("cache.hit", true);
  span.add_event("retry");
}

// (c) three nested spans (per call: 3 spans), each activated as the parent of the next.
inline void nested_3(Tracer& tracer) {
  auto outer = tracer.start_span("outer");
  auto outer_scope = outer.activate();
  auto middle = tracer.start_span("middle");
  auto middle_scope = middle.activate();
  auto inner = tracer.start_span("inner");
}

// `count` finished spans of workload (b), for the encoder benchmarks.
inline std::vector<SpanDataPtr> make_spans_8_attributes_1_event(int count) {
  auto exporter = std::make_unique<InMemoryExporter>();
  auto* memory = exporter.get();
  ProviderOptions options;
  options.resource = Resource::create({{"service.name", std::string("bench")}});
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
  auto provider = Provider::create(std::move(options));
  auto tracer = provider->get_tracer("bench");
  for (int i = 0; i < count; ++i) start_end_8_attributes_1_event(*tracer);
  return memory->spans();
}

// (d) a remote parent only; and with a 3-member tracestate and 5 baggage entries.
inline Context make_traceparent_only_context() {
  return Context().with_span_context(SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                                                 *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{1}, true));
}

inline Context make_propagation_context() {
  auto state = std::make_shared<const TraceState>(
      std::vector<TraceState::Member>{{"congo", "t61rcWkgMzE"}, {"rojo", "00f067aa0ba902b7"}, {"hh@honeyhive", "s1"}});
  Context context = Context().with_span_context(SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                                                            *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{3}, true,
                                                            std::move(state)));
  context = context.with_baggage("session_id", "6f1b7c2e-8d1a-4c55-9d8e-2f0c1a3b4c5d");
  context = context.with_baggage("source", "production");
  context = context.with_baggage("user.id", "alice@example.test");
  context = context.with_baggage("tenant", "acme corp");
  context = context.with_baggage("feature", "checkout-v2", "ttl=60");
  return context;
}

// The typed-span case: a 10-key JSON object (strings, numbers, a bool, an array, a nested object),
// as an LLM call's inputs, outputs and metadata typically look.
inline nlohmann::json make_json_10_keys() {
  return nlohmann::json{{"prompt", "What is the capital of France?"},
                        {"system", "You are a helpful assistant."},
                        {"model", "sim-gpt-small"},
                        {"temperature", 0.2},
                        {"top_k", 3},
                        {"stream", false},
                        {"tags", {"geo", "faq"}},
                        {"user", {{"id", 123}, {"tier", "pro"}}},
                        {"locale", "en-GB"},
                        {"retries", 2}};
}

// A HoneyHive tracer (its default pipeline: enrichment + batch processor) exporting into a
// discarding exporter, no session span, diagnostics off.
// With `batch` false, the simple processor: each span is exported (discarded) and its record
// recycled as it ends, so every span after the first runs on the same record.
// `exporter`, when given, is used instead of the discarding one.
inline std::shared_ptr<HoneyHiveTracer> make_discarding_honeyhive_tracer(
    bool batch = true, std::unique_ptr<SpanExporter> exporter = nullptr) {
  TracerConfig config;
  config.project = std::string("bench");
  config.start_session = false;
  config.disable_batch = !batch;
  TracerOptions options;
  options.exporter = exporter ? std::move(exporter) : std::make_unique<DiscardExporter>();
  options.diagnostics = DiagnosticSink::off();
  return HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
}

// (typed) a model span with inputs, outputs and metadata, each a 10-key JSON object.
inline void typed_model_span(HoneyHiveTracer& tracer, const nlohmann::json& value) {
  auto span = tracer.start_span("generate_answer", EventType::model);
  span.set_inputs(value);
  span.set_outputs(value);
  span.set_metadata(value);
}

}  // namespace honeyhive::bench
