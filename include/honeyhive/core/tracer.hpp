#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"

namespace honeyhive {

// Options for one span start.
struct StartSpanOptions {
  SpanKind kind = SpanKind::internal;
  // The parent; when unset, the thread's current context. Pass an empty Context for a new root.
  std::optional<Context> parent;
  UnixNanos start_unix_nanos = 0;  // 0 = now
  Attributes attributes;           // visible to the sampler, then set on the span
  std::vector<SpanLink> links;
};

// Starts spans for one instrumentation scope of one provider. Thread-safe; cheap to share.
class Tracer {
 public:
  Tracer(std::shared_ptr<Provider> provider, std::shared_ptr<const InstrumentationScope> scope) noexcept;

  // Starts a span (not activated: call span.activate() to make it the parent of later spans on
  // this thread). Never throws: on any failure, or after shutdown, returns a no-op span.
  Span start_span(std::string_view name, const StartSpanOptions& options) noexcept;
  // The same with default options (a child of the thread's current context), without building them.
  Span start_span(std::string_view name) noexcept;

  const std::shared_ptr<Provider>& provider() const noexcept { return provider_; }
  const InstrumentationScope& scope() const noexcept { return *scope_; }

 private:
  // Both start_span overloads; null `options` means the defaults.
  Span start(std::string_view name, const StartSpanOptions* options) noexcept;

  std::shared_ptr<Provider> provider_;
  std::shared_ptr<const InstrumentationScope> scope_;
};

}  // namespace honeyhive
