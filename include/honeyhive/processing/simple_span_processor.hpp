#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/span_exporter.hpp"
#include "honeyhive/processing/span_processor.hpp"

namespace honeyhive {

// Exports each sampled span synchronously, on the thread that ends it. For tests, debugging and
// short-lived programs; use the batch processor in services. Thread-safe (the exporter must be).
// An exporter that throws fails its span (counted). shutdown() called from inside an export on
// the same thread (an exporter callback) shuts the exporter down once that export returns; a later
// shutdown() from another thread waits for that (within its timeout).
class SimpleSpanProcessor final : public SpanProcessor {
 public:
  explicit SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter) noexcept;
  ~SimpleSpanProcessor() override;
  SimpleSpanProcessor(const SimpleSpanProcessor&) = delete;
  SimpleSpanProcessor& operator=(const SimpleSpanProcessor&) = delete;

  void on_start(SpanRef& span, const Context& parent) noexcept override;
  void on_end(const SpanDataPtr& span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  // Each span handed to the exporter is exported, failed, or rejected by the exporter without being
  // sent (ExportCounts::rejected, counted in the exporter's stats().rejected_spans).
  std::uint64_t exported() const noexcept { return exported_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
  // Spans that ended after shutdown (not exported).
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  // True while this thread is inside an exporter call made by a simple processor.
  static bool on_export_call() noexcept;
  // In a fork() child (the processor's atfork handler): lets the exporter drop the parent's state.
  void reset_exporter_in_fork_child() noexcept;

 private:
  // Ends the first shutdown (run now or deferred): later shutdown calls return `ok`.
  void finish_deferred_shutdown(bool ok) noexcept;

  std::unique_ptr<SpanExporter> exporter_;
  std::atomic<bool> shut_down_{false};
  std::atomic<bool> deferred_shutdown_{false};
  // The first shutdown, in progress or deferred to the end of an export: later shutdown calls wait
  // for it here and return its result.
  std::mutex deferred_mutex_;
  std::condition_variable deferred_done_;
  bool deferred_pending_ = false;  // guarded by deferred_mutex_: started (or deferred) and not finished
  bool shutdown_ok_ = true;        // guarded by deferred_mutex_: the first shutdown's result
  std::shared_ptr<DiagnosticSink> diagnostics_;
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace honeyhive
