#pragma once

// The performance issue's cases (a)-(d) written against opentelemetry-cpp's API, as
// bench/workloads.hpp writes them against honeyhive-cpp's: same span names, same attributes, same
// processor settings (batch processor with default options into an exporter that discards).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "opentelemetry/context/context.h"
#include "opentelemetry/sdk/resource/resource.h"
#include "opentelemetry/sdk/trace/batch_span_processor.h"
#include "opentelemetry/sdk/trace/batch_span_processor_options.h"
#include "opentelemetry/sdk/trace/exporter.h"
#include "opentelemetry/sdk/trace/samplers/always_on.h"
#include "opentelemetry/sdk/trace/span_data.h"
#include "opentelemetry/sdk/trace/tracer_provider.h"
#include "opentelemetry/trace/context.h"
#include "opentelemetry/trace/default_span.h"
#include "opentelemetry/trace/propagation/http_trace_context.h"
#include "opentelemetry/trace/span_context.h"
#include "opentelemetry/trace/tracer.h"

namespace otelref {

namespace nostd = opentelemetry::nostd;
namespace sdktrace = opentelemetry::sdk::trace;
namespace api = opentelemetry::trace;
namespace ctx = opentelemetry::context;

// Accepts and discards every batch, counting the spans it was given (spans ended and never
// exported were dropped by the processor). Its recordable is the SDK's SpanData (what the SDK's own
// in-memory exporter records into).
class DiscardExporter final : public sdktrace::SpanExporter {
 public:
  explicit DiscardExporter(std::shared_ptr<std::atomic<std::uint64_t>> exported) : exported_(std::move(exported)) {}
  std::unique_ptr<sdktrace::Recordable> MakeRecordable() noexcept override {
    return std::unique_ptr<sdktrace::Recordable>(new sdktrace::SpanData());
  }
  opentelemetry::sdk::common::ExportResult Export(
      const nostd::span<std::unique_ptr<sdktrace::Recordable>>& spans) noexcept override {
    exported_->fetch_add(spans.size(), std::memory_order_relaxed);
    return opentelemetry::sdk::common::ExportResult::kSuccess;
  }
  bool ForceFlush(std::chrono::microseconds) noexcept override { return true; }
  bool Shutdown(std::chrono::microseconds) noexcept override { return true; }

 private:
  std::shared_ptr<std::atomic<std::uint64_t>> exported_;
};

// Batch span processor with default options (queue 2048, batch 512) into DiscardExporter, which
// adds the spans it exports to `exported` (may be null).
inline std::shared_ptr<sdktrace::TracerProvider> make_batch_discarding_provider(
    std::shared_ptr<std::atomic<std::uint64_t>> exported = nullptr) {
  if (!exported) exported = std::make_shared<std::atomic<std::uint64_t>>(0);
  auto processor = std::unique_ptr<sdktrace::SpanProcessor>(new sdktrace::BatchSpanProcessor(
      std::unique_ptr<sdktrace::SpanExporter>(new DiscardExporter(std::move(exported))),
      sdktrace::BatchSpanProcessorOptions{}));
  auto resource = opentelemetry::sdk::resource::Resource::Create({{"service.name", "bench"}});
  return std::make_shared<sdktrace::TracerProvider>(
      std::move(processor), resource, std::unique_ptr<sdktrace::Sampler>(new sdktrace::AlwaysOnSampler()));
}

// (a) start + end, no attributes.
inline void start_end(api::Tracer& tracer) { tracer.StartSpan("operation")->End(); }

// (b) start + end with 8 attributes (4 strings of ~20 chars, 2 ints, 1 double, 1 bool) and 1 event.
inline void start_end_8_attributes_1_event(api::Tracer& tracer) {
  auto span = tracer.StartSpan("operation");
  span->SetAttribute("http.request.method", "POST-application/json");
  span->SetAttribute("url.full", "https://example.test/api");
  span->SetAttribute("server.address", "api.example.test.local");
  span->SetAttribute("user_agent.original", "honeyhive-bench/0.1.0");
  span->SetAttribute("http.response.status_code", 200);
  span->SetAttribute("http.request.body.size", 4096);
  span->SetAttribute("gen_ai.request.temperature", 0.7);
  span->SetAttribute("cache.hit", true);
  span->AddEvent("retry");
  span->End();
}

// (c) three nested spans (per call: 3 spans), each made active as the parent of the next.
inline void nested_3(api::Tracer& tracer) {
  auto outer = tracer.StartSpan("outer");
  {
    auto outer_scope = tracer.WithActiveSpan(outer);
    auto middle = tracer.StartSpan("middle");
    {
      auto middle_scope = tracer.WithActiveSpan(middle);
      tracer.StartSpan("inner")->End();
    }
    middle->End();
  }
  outer->End();
}

// (d) the carrier: a std::map<std::string, std::string>, as honeyhive-cpp's make_map_carrier.
class MapCarrier final : public ctx::propagation::TextMapCarrier {
 public:
  explicit MapCarrier(std::map<std::string, std::string>& headers) : headers_(headers) {}
  // A scan comparing views, as honeyhive-cpp's carrier reads a small map: no key string is built.
  nostd::string_view Get(nostd::string_view key) const noexcept override {
    const std::string_view wanted(key.data(), key.size());
    for (const auto& header : headers_) {
      if (header.first == wanted) return nostd::string_view(header.second.data(), header.second.size());
    }
    return "";
  }
  void Set(nostd::string_view key, nostd::string_view value) noexcept override {
    headers_[std::string(key.data(), key.size())] = std::string(value.data(), value.size());
  }

 private:
  std::map<std::string, std::string>& headers_;
};

// (d) a context whose span is a remote parent (traceparent only), as bench::make_traceparent_only_context.
inline ctx::Context make_traceparent_only_context() {
  const std::uint8_t trace_id[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                     0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  const std::uint8_t span_id[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  const api::SpanContext span_context(api::TraceId(trace_id), api::SpanId(span_id), api::TraceFlags(1), true);
  ctx::Context empty;
  return api::SetSpan(empty, nostd::shared_ptr<api::Span>(new api::DefaultSpan(span_context)));
}

// One inject + extract through `headers` (cleared first with `clear`); returns the extracted context.
inline ctx::Context inject_extract(ctx::propagation::TextMapPropagator& propagator, const ctx::Context& context,
                                   std::map<std::string, std::string>& headers, bool clear) {
  if (clear) headers.clear();
  MapCarrier carrier(headers);
  propagator.Inject(carrier, context);
  ctx::Context fresh;
  return propagator.Extract(carrier, fresh);
}

// Whether `context` carries a valid span context (a remote parent extracted).
inline bool has_valid_span(const ctx::Context& context) { return api::GetSpan(context)->GetContext().IsValid(); }

}  // namespace otelref
