#pragma once

#include <chrono>
#include <vector>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

enum class ExportResult : std::uint8_t { success, failure };

// Sends finished spans somewhere. Implementations must be thread-safe: the simple processor
// calls export_spans from the threads that end spans, concurrently, and without holding a lock.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  virtual ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept {
    (void)timeout;
    return true;
  }
  // After shutdown, export_spans returns failure. Idempotent.
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
};

}  // namespace honeyhive
