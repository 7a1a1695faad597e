#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

enum class ExportResult : std::uint8_t { success, failure };

// What an exporter did on the wire, for the processors' counters. All zero for exporters that
// make no requests (file, console, in-memory).
struct ExporterStats {
  std::uint64_t requests = 0;  // HTTP requests sent, retries included
  std::uint64_t retries = 0;   // requests that were retries of an earlier attempt
  // Spans a server reported as rejected (OTLP partial_success; those are also counted as exported,
  // the request was accepted), or that an exporter refused to send (ExportCounts::rejected: the
  // HoneyHive event exporter's spans without a session id; not counted as exported or failed).
  std::uint64_t rejected_spans = 0;
};

// What became of the spans of one export call: each span is counted in exactly one field.
struct ExportCounts {
  std::uint64_t exported = 0;  // delivered
  std::uint64_t failed = 0;    // not delivered: a request carrying it failed, or the exporter gave up
  std::uint64_t rejected = 0;  // never sent: the exporter cannot send it (also in ExporterStats::rejected_spans)
};

// Sends finished spans somewhere. Implementations must be thread-safe: the simple processor
// calls export_spans from the threads that end spans, concurrently, and without holding a lock.
// The SDK's exporters never throw (their overrides are noexcept); a user exporter may: the
// processors catch it and count the spans as failed.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  virtual ExportResult export_spans(const std::vector<SpanDataPtr>& spans) = 0;
  // Like export_spans, but gives up (failure) by `deadline`, retries included. Exporters that can
  // block (network) override it; the batch processor calls it with now + its export timeout.
  virtual ExportResult export_spans_until(const std::vector<SpanDataPtr>& spans,
                                          std::chrono::steady_clock::time_point deadline) {
    (void)deadline;
    return export_spans(spans);
  }
  // Like export_spans_until (export_spans when `deadline` is time_point::max()), with the fate of
  // each span; the processors count from it. The default counts every span as exported on success
  // and as failed otherwise; exporters that deliver part of a call override it.
  virtual ExportCounts export_spans_counted(const std::vector<SpanDataPtr>& spans,
                                            std::chrono::steady_clock::time_point deadline) {
    const ExportResult result = deadline == std::chrono::steady_clock::time_point::max()
                                    ? export_spans(spans)
                                    : export_spans_until(spans, deadline);
    ExportCounts counts;
    (result == ExportResult::success ? counts.exported : counts.failed) = spans.size();
    return counts;
  }
  virtual ExporterStats stats() const { return {}; }
  virtual bool force_flush(std::chrono::milliseconds timeout) {
    (void)timeout;
    return true;
  }
  // After shutdown, export_spans returns failure. Idempotent.
  virtual bool shutdown(std::chrono::milliseconds timeout) = 0;
  // Called by the processors in a fork() child, before any other thread runs: drop locks and
  // connections inherited from the parent (a parent thread may have held them at the fork).
  virtual void reset_after_fork() noexcept {}
};

}  // namespace honeyhive
