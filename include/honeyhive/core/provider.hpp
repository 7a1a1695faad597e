#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/core/resource.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/span_limits.hpp"
#include "honeyhive/processing/span_processor.hpp"

namespace honeyhive {

class Tracer;

// What may be recorded of user content (inputs, outputs, metadata).
struct ContentPolicy {
  // Called with the field ("inputs", "outputs", "metadata") and the value before it is flattened;
  // returns what to record (e.g. with secrets masked). A callback that throws records "[masking failed]".
  std::function<nlohmann::json(std::string_view field, const nlohmann::json& value)> mask;
  // When false (HH_TRACE_CONTENT=false), inputs and outputs record only their size in bytes
  // (<prefix>._size_bytes), never the content.
  bool record_content = true;
};

// What one provider is made of. Move-only (it owns the processors).
struct ProviderOptions {
  Resource resource = Resource::create();
  std::shared_ptr<Sampler> sampler;  // null: from OTEL_TRACES_SAMPLER (default parentbased_always_on)
  SpanLimits limits = SpanLimits::from_env();
  std::vector<std::unique_ptr<SpanProcessor>> processors;
  ContentPolicy content;
};

// Owns the resource, sampler, limits and processors of ONE tracer (OTel "TracerProvider").
// There is no process-global provider: create as many as you need. Thread-safe. The processors
// are fixed at creation, so starting and ending spans takes no lock here.
class Provider : public std::enable_shared_from_this<Provider> {
 public:
  // Null only when memory is exhausted.
  static std::shared_ptr<Provider> create(ProviderOptions options = {}) noexcept;
  ~Provider();

  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  // The tracer for one instrumentation scope (library name and version): the same tracer for the
  // same scope, so its spans share one OTLP ScopeSpans. Null only when memory is exhausted.
  std::shared_ptr<Tracer> get_tracer(std::string scope_name = "honeyhive", std::string scope_version = "") noexcept;

  // Flushes every processor, within `timeout` overall. True when all finished in time.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) noexcept;
  // Shuts every processor down (idempotent). Spans started afterwards are no-ops.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) noexcept;
  bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }

  const std::shared_ptr<const Resource>& resource() const noexcept { return resource_; }
  const Sampler& sampler() const noexcept { return *sampler_; }
  const SpanLimits& limits() const noexcept { return limits_; }
  // Shared with the spans of this provider that need it (null when everything is recorded as is).
  const std::shared_ptr<const ContentPolicy>& content_policy() const noexcept { return content_; }
  const std::vector<std::unique_ptr<SpanProcessor>>& processors() const noexcept { return processors_; }

 private:
  explicit Provider(ProviderOptions options);

  std::shared_ptr<const Resource> resource_;
  std::shared_ptr<Sampler> sampler_;
  SpanLimits limits_;
  std::vector<std::unique_ptr<SpanProcessor>> processors_;
  std::shared_ptr<const ContentPolicy> content_;
  std::atomic<bool> shut_down_{false};
  std::mutex tracers_mutex_;                    // guards tracers_
  std::vector<std::weak_ptr<Tracer>> tracers_;  // weak: tracers own the provider
};

}  // namespace honeyhive
