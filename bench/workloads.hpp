#pragma once

// The span workloads shared by the Google Benchmark binary and the callgrind driver, so both
// measure exactly the same code.
#include <honeyhive/honeyhive.hpp>

#include <memory>
#include <string>

namespace honeyhive::bench {

// Accepts and discards every batch: measures the SDK, not an exporter.
class DiscardExporter final : public SpanExporter {
 public:
  ExportResult export_spans(const std::vector<SpanDataPtr>&) noexcept override { return ExportResult::success; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

inline std::shared_ptr<Provider> make_discarding_provider() {
  ProviderOptions options;
  options.resource = Resource::create({{"service.name", std::string("bench")}});
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::make_unique<DiscardExporter>()));
  return Provider::create(std::move(options));
}

// (a) start + end, no attributes.
inline void start_end(Tracer& tracer) {
  auto span = tracer.start_span("operation");
}

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

}  // namespace honeyhive::bench
