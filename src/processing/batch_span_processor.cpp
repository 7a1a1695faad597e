#include "honeyhive/processing/batch_span_processor.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/env.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "processing/span_queue.hpp"

namespace honeyhive {

using Clock = std::chrono::steady_clock;

struct BatchSpanProcessor::State {
  State(std::unique_ptr<SpanExporter> exporter_in, BatchSpanProcessorOptions options_in)
      : options(options_in), exporter(std::move(exporter_in)), queue(options.max_queue_size) {}

  const BatchSpanProcessorOptions options;
  const std::unique_ptr<SpanExporter> exporter;
  detail::SpanQueue queue;

  std::atomic<std::uint64_t> enqueued{0};
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::uint64_t> export_batches{0};
  std::atomic<bool> shut_down{false};
  // on_end calls between their shut_down check and their push: shutdown waits for these to finish
  // so that no span lands in the queue after the final drain.
  std::atomic<std::uint64_t> producers_active{0};
  // Set by a producer that fills a batch; the transition false->true is the only time on_end
  // takes the mutex (to notify without a lost wake-up), i.e. once per batch, not per span.
  std::atomic<bool> batch_ready{false};

  std::mutex mutex;                  // guards the fields below and orders wake-ups
  std::condition_variable wake;      // the export thread waits here
  std::condition_variable progress;  // flushers and shutdown wait here
  std::uint64_t flush_target = 0;    // export everything claimed before this position
  std::uint64_t completed = 0;       // positions fully exported (or given up)
  bool stop = false;
  bool thread_exited = false;

  void run() noexcept;
  void export_batch(std::vector<SpanDataPtr>& batch) noexcept;
};

void BatchSpanProcessor::State::export_batch(std::vector<SpanDataPtr>& batch) noexcept {
  if (batch.empty()) return;
  const auto count = static_cast<std::uint64_t>(batch.size());
  export_batches.fetch_add(1, std::memory_order_relaxed);
  const ExportResult result = exporter->export_spans_until(batch, Clock::now() + options.export_timeout);
  (result == ExportResult::success ? exported : failed).fetch_add(count, std::memory_order_relaxed);
  in_flight.fetch_sub(count, std::memory_order_relaxed);
  batch.clear();
}

void BatchSpanProcessor::State::run() noexcept {
  std::vector<SpanDataPtr> batch;
  try {
    batch.reserve(options.max_export_batch_size);
  } catch (...) {
  }
  auto next_timer = Clock::now() + options.schedule_delay;
  for (;;) {
    bool drain_all = false;
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait_until(lock, next_timer,
                      [&] { return stop || batch_ready.load(std::memory_order_acquire) || flush_target > completed; });
      batch_ready.store(false, std::memory_order_release);
      stopping = stop;
      const bool timer_fired = Clock::now() >= next_timer;
      drain_all = stopping || timer_fired || flush_target > completed;
      if (timer_fired) next_timer = Clock::now() + options.schedule_delay;
    }
    // Export full batches; on a timer, flush or stop, also the last partial one.
    for (;;) {
      if (!drain_all && queue.size() < options.max_export_batch_size) break;
      SpanDataPtr span;
      while (batch.size() < options.max_export_batch_size && queue.try_pop(span)) {
        in_flight.fetch_add(1, std::memory_order_relaxed);
        batch.push_back(std::move(span));
      }
      const std::uint64_t position = queue.consumed();
      const bool was_empty = batch.empty();
      export_batch(batch);
      {
        std::lock_guard<std::mutex> lock(mutex);
        completed = position;
      }
      progress.notify_all();
      // A producer may have claimed a position but not yet published it; the flush target then
      // stays ahead of `completed` and the loop comes back for it.
      if (was_empty) break;
    }
    if (stopping) break;
  }
  std::lock_guard<std::mutex> lock(mutex);
  thread_exited = true;
  progress.notify_all();
}

BatchSpanProcessorOptions BatchSpanProcessorOptions::from_env() noexcept {
  BatchSpanProcessorOptions options;
  try {
    const auto read = [](const char* name, std::uint64_t minimum) -> std::optional<std::uint64_t> {
      const auto raw = detail::get_env(name);
      if (!raw) return std::nullopt;
      const auto value = detail::parse_unsigned(*raw);
      if (!value || *value < minimum) {
        report_diagnostic(DiagnosticLevel::warning,
                          std::string(name) + "='" + *raw + "' is not a valid value; using the default");
        return std::nullopt;
      }
      return value;
    };
    if (auto v = read("OTEL_BSP_MAX_QUEUE_SIZE", 1)) options.max_queue_size = static_cast<std::size_t>(*v);
    if (auto v = read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1))
      options.max_export_batch_size = static_cast<std::size_t>(*v);
    if (auto v = read("OTEL_BSP_SCHEDULE_DELAY", 0)) options.schedule_delay = std::chrono::milliseconds(*v);
    if (auto v = read("OTEL_BSP_EXPORT_TIMEOUT", 0)) options.export_timeout = std::chrono::milliseconds(*v);
    if (options.max_export_batch_size > options.max_queue_size) {
      report_diagnostic(DiagnosticLevel::warning,
                        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE exceeds the queue size; using the queue size");
      options.max_export_batch_size = options.max_queue_size;
    }
  } catch (...) {
    return BatchSpanProcessorOptions{};
  }
  return options;
}

BatchSpanProcessor::BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                                       BatchSpanProcessorOptions options) noexcept {
  if (options.max_queue_size == 0) options.max_queue_size = 1;
  if (options.max_export_batch_size == 0 || options.max_export_batch_size > options.max_queue_size) {
    options.max_export_batch_size = options.max_queue_size;
  }
  try {
    if (!exporter) throw std::invalid_argument("null exporter");
    state_ = std::make_shared<State>(std::move(exporter), options);
    // The thread owns a reference: after a shutdown timeout it may outlive this object.
    std::thread([state = state_] { state->run(); }).detach();
  } catch (...) {
    report_diagnostic(DiagnosticLevel::error, "batch span processor could not start; its spans will be dropped");
    state_.reset();
  }
}

BatchSpanProcessor::~BatchSpanProcessor() { shutdown(std::chrono::milliseconds(5000)); }

void BatchSpanProcessor::on_start(SpanRef&, const Context&) noexcept {}

void BatchSpanProcessor::on_end(const SpanDataPtr& span) noexcept {
  if (!state_) return;
  if (!span->context.is_sampled()) return;
  State& state = *state_;
  state.enqueued.fetch_add(1, std::memory_order_relaxed);
  state.producers_active.fetch_add(1, std::memory_order_seq_cst);
  const bool accepted = !state.shut_down.load(std::memory_order_seq_cst) && state.queue.try_push(span);
  state.producers_active.fetch_sub(1, std::memory_order_release);
  if (!accepted) {
    state.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (state.queue.size() >= state.options.max_export_batch_size &&
      !state.batch_ready.exchange(true, std::memory_order_acq_rel)) {
    std::lock_guard<std::mutex> lock(state.mutex);
    state.wake.notify_one();
  }
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  if (!state_) return true;
  State& state = *state_;
  const auto deadline = Clock::now() + timeout;
  bool done = false;
  try {
    std::unique_lock<std::mutex> lock(state.mutex);
    if (state.thread_exited) return state.queue.size() == 0;
    const std::uint64_t target = state.queue.claimed();
    state.flush_target = std::max(state.flush_target, target);
    state.wake.notify_one();
    done = state.progress.wait_until(lock, deadline, [&] {
      return state.completed >= target || state.thread_exited;
    }) && state.completed >= target;
  } catch (...) {
    return false;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return state.exporter->force_flush(std::max(left, std::chrono::milliseconds(0))) && done;
}

bool BatchSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (!state_) return true;
  State& state = *state_;
  if (state.shut_down.exchange(true, std::memory_order_seq_cst)) return true;
  const auto deadline = Clock::now() + timeout;
  // A producer that saw shut_down == false is about to push; let it land before the final drain.
  while (state.producers_active.load(std::memory_order_acquire) != 0 && Clock::now() < deadline) {
    std::this_thread::yield();
  }
  bool clean = false;
  try {
    std::unique_lock<std::mutex> lock(state.mutex);
    state.flush_target = std::max(state.flush_target, state.queue.claimed());
    state.stop = true;
    state.wake.notify_one();
    // Most of the budget goes to a clean drain. If the exporter is still busy (a dead backend in
    // retries) when only the grace period is left, cancel it so the drain ends in time.
    const auto grace = std::min(std::chrono::duration_cast<Clock::duration>(timeout / 10),
                                std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(100)));
    clean = state.progress.wait_until(lock, deadline - grace, [&] { return state.thread_exited; });
    if (!clean) {
      lock.unlock();
      state.exporter->shutdown(std::chrono::milliseconds(0));
      lock.lock();
      clean = state.progress.wait_until(lock, deadline, [&] { return state.thread_exited; });
    }
  } catch (...) {
  }
  const auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                             std::chrono::milliseconds(0));
  const bool exporter_clean = state.exporter->shutdown(left);
  if (!clean) {
    report_diagnostic(DiagnosticLevel::warning,
                      "batch span processor shutdown timed out; the export thread is abandoned");
    return false;
  }
  // The thread is gone: whatever it did not export is counted as failed, never lost silently.
  SpanDataPtr span;
  std::uint64_t left_behind = 0;
  while (state.queue.try_pop(span)) ++left_behind;
  if (left_behind > 0) state.failed.fetch_add(left_behind, std::memory_order_relaxed);
  return exporter_clean;
}

BatchSpanProcessorStats BatchSpanProcessor::stats() const noexcept {
  BatchSpanProcessorStats stats;
  if (!state_) return stats;
  const State& state = *state_;
  stats.enqueued = state.enqueued.load(std::memory_order_relaxed);
  stats.exported = state.exported.load(std::memory_order_relaxed);
  stats.dropped = state.dropped.load(std::memory_order_relaxed);
  stats.failed = state.failed.load(std::memory_order_relaxed);
  stats.queued = state.queue.size() + state.in_flight.load(std::memory_order_relaxed);
  stats.export_batches = state.export_batches.load(std::memory_order_relaxed);
  const ExporterStats exporter = state.exporter->stats();
  stats.export_requests = exporter.requests;
  stats.retries = exporter.retries;
  stats.rejected_spans = exporter.rejected_spans;
  return stats;
}

const BatchSpanProcessorOptions& BatchSpanProcessor::options() const noexcept {
  static const BatchSpanProcessorOptions kDefaults;
  return state_ ? state_->options : kDefaults;
}

}  // namespace honeyhive
