#pragma once

#include <chrono>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

// Hooks called as spans start and end (OTel "SpanProcessor"). Must be thread-safe; must not throw.
class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  // On the thread that starts a recording span, before start_span returns; may record on `span`.
  virtual void on_start(SpanRef& span, const Context& parent) noexcept = 0;
  // On the thread that ends a recording span; the data is immutable from here on.
  virtual void on_end(const SpanDataPtr& span) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
};

}  // namespace honeyhive
