#pragma once

#include <memory>
#include <mutex>

#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span_data.hpp"
#include "honeyhive/core/span_limits.hpp"

namespace honeyhive::detail {

// The shared, mutable state behind Span/SpanRef handles. `data` is guarded by `mutex` until
// `ended` is set; after that it is immutable and handed to processors as a SpanDataPtr that
// aliases this object (one allocation per span, no copy at end).
struct SpanState {
  std::mutex mutex;
  SpanData data;
  std::uint64_t start_steady_nanos = 0;  // 0 when the user gave the start time
  // Held while the span is open and released when it ends: a finished span (kept by an exporter,
  // a queue or a context) must not keep its provider alive, or provider -> processor -> exporter ->
  // span -> provider would be a cycle that is never freed.
  std::shared_ptr<Provider> provider;            // null for a non-recording or ended span
  SpanLimits limits;                             // copied at start: setters never reach through the provider
  std::shared_ptr<const ContentPolicy> content;  // null: record everything as given
  bool ended = false;                            // guarded by mutex
  bool recording = false;                        // fixed at start
};

}  // namespace honeyhive::detail
