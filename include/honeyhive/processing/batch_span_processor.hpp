#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "honeyhive/export/span_exporter.hpp"
#include "honeyhive/processing/span_processor.hpp"

namespace honeyhive {

struct BatchSpanProcessorOptions {
  std::size_t max_queue_size = 2048;                // OTEL_BSP_MAX_QUEUE_SIZE; at most 2,097,152
  std::size_t max_export_batch_size = 512;          // OTEL_BSP_MAX_EXPORT_BATCH_SIZE (<= queue size)
  std::chrono::milliseconds schedule_delay{5000};   // OTEL_BSP_SCHEDULE_DELAY; at least 1 ms is used
  std::chrono::milliseconds export_timeout{30000};  // OTEL_BSP_EXPORT_TIMEOUT; 0: the exporter's own limit
  // Bounds each export once shutdown has begun (the tracer sets its lifecycle strategy's
  // operation timeout), so a dead backend cannot hold a shutdown for the full export_timeout.
  std::chrono::milliseconds shutdown_export_timeout{1000};
  // When full batches come less than this far apart (one producer ending some 500,000 spans a
  // second or more, with the default batch of 512), the export thread stays awake after an export,
  // yielding its core, until the next batch is full (at most twice the last interval between
  // batches, and never longer than this; a flush or shutdown ends it), instead of sleeping until a
  // producer wakes it. Only while the process has a CPU to spare for it: more usable CPUs (the
  // affinity mask, the CPU quotas of its cgroup and of those above it) than threads that have used
  // a Context plus export threads (of any processor) already waiting awake. A thread woken on an
  // idle virtual CPU may start a millisecond or more late, and one producer fills the default
  // queue in about that long: the spans then drop.
  // 0 turns it off; at most 10 ms (a flush or shutdown may wait that long to be noticed).
  // HONEYHIVE_BSP_STAY_AWAKE_US.
  std::chrono::microseconds stay_awake_below{1000};

  // The defaults overridden by the OTEL_BSP_* variables (and HONEYHIVE_BSP_STAY_AWAKE_US) that are
  // set and valid; invalid values (not a non-negative integer, or a zero queue/batch size) are
  // reported and ignored.
  static BatchSpanProcessorOptions from_env() noexcept;
};

// Counters of one batch processor. At any quiescent point (no on_end running, no export in
// flight): enqueued == exported + dropped + failed + queued + the spans the exporter rejected
// without sending them (ExportCounts::rejected).
struct BatchSpanProcessorStats {
  std::uint64_t enqueued = 0;         // sampled spans handed to on_end
  std::uint64_t exported = 0;         // spans in batches the exporter accepted
  std::uint64_t dropped = 0;          // spans refused because the queue was full or after shutdown
  std::uint64_t failed = 0;           // spans in batches the exporter gave up on, or left at shutdown
  std::uint64_t queued = 0;           // spans waiting in the queue or in the batch being exported
  std::uint64_t export_batches = 0;   // calls to the exporter
  std::uint64_t export_requests = 0;  // wire requests the exporter made (retries included)
  std::uint64_t retries = 0;          // of which retries
  std::uint64_t rejected_spans = 0;   // spans the backend reported rejected (partial success)
  std::uint64_t stayed_awake = 0;     // times the export thread waited awake for a batch (stay_awake_below)
};

// Batches finished spans on a bounded lock-free queue and exports them from one background thread
// (OTel "BatchSpanProcessor"). on_end never blocks and takes no lock on its fast path: when the
// queue is full the span is dropped and counted (the export thread reports the first such drops
// after its current export, shutdown the total). When the queue is three quarters full while the
// export thread is woken but not inside an export (waiting for a core: more busy threads than
// cores), on_end yields the calling thread's time slice once (std::this_thread::yield, which
// returns at once when nothing else is ready) so the export thread can drain the queue before spans
// drop; with a slow or dead backend (an export in progress) it does not. force_flush and shutdown are bounded by their
// timeouts even when the exporter hangs (a stuck export thread is abandoned, not joined).
// Thread-safe. The export thread starts with the first span; in a fork() child the processor is
// empty (the parent's queued spans stay the parent's to export) and starts its own thread on first
// use. An exporter that throws fails its batch (counted), never the thread. Called from the export
// thread itself (an exporter callback), force_flush returns false at once and shutdown stops the
// thread after its current batch without waiting for it. Diagnostics go to the sink that was
// current when the processor was created (the tracer's).
class BatchSpanProcessor;
namespace detail {
class SpanQueue;
// The processor's queue, for the tests (they hold a producer between its claim and its write).
SpanQueue& span_queue_of(BatchSpanProcessor& processor) noexcept;
}  // namespace detail

class BatchSpanProcessor final : public SpanProcessor {
 public:
  explicit BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                              BatchSpanProcessorOptions options = BatchSpanProcessorOptions::from_env()) noexcept;
  ~BatchSpanProcessor() override;

  void on_start(SpanRef& span, const Context& parent) noexcept override;
  void on_end(const SpanDataPtr& span) noexcept override;
  // Exports every span enqueued before the call; true when done within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  // Flushes, then stops the export thread and shuts the exporter down, all within `timeout`; false
  // when time ran out or spans were left in the queue (those count as failed: a producer that had
  // claimed a place but not written its span within half the budget leaves it and any behind it).
  // Spans whose export failed are counted as failed, not in the result. Idempotent: a later call
  // waits (within its own timeout) for the first to finish and returns its result; called inside
  // the first (from the exporter's shutdown) or on the export thread, it returns false at once.
  // Later spans are dropped and counted.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  BatchSpanProcessorStats stats() const noexcept;
  const BatchSpanProcessorOptions& options() const noexcept;

  struct State;  // shared with the export thread, which may outlive this object after a timeout
  // True on a thread that runs exports for a batch processor.
  static bool on_export_thread() noexcept;

 private:
  friend detail::SpanQueue& detail::span_queue_of(BatchSpanProcessor& processor) noexcept;
  std::shared_ptr<State> state_;
};

}  // namespace honeyhive
