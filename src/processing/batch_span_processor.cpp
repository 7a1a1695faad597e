#include "honeyhive/processing/batch_span_processor.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "core/deadline.hpp"
#include "core/env.hpp"
#include "core/random.hpp"
#include "core/thread_count.hpp"
#include "core/usable_cpus.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "processing/span_queue.hpp"

namespace honeyhive {

using Clock = std::chrono::steady_clock;

// The longest stay_awake_below taken (longer ones are cut to it): how long a flush or shutdown may
// wait for an export thread that stays awake to notice it.
constexpr std::chrono::microseconds kMaxStayAwake{10000};

// The largest queue taken (larger ones are cut to it, with a diagnostic): its cells are allocated
// and written up front, so OTEL_BSP_MAX_QUEUE_SIZE=1000000000 would take gigabytes at start (or be
// killed for it). 1024 times the default: 64 MiB of cells.
constexpr std::size_t kMaxQueueSize = std::size_t{1} << 21;

struct BatchSpanProcessor::State {
  State(std::unique_ptr<SpanExporter> exporter_in, BatchSpanProcessorOptions options_in)
      : options(options_in),
        exporter(std::move(exporter_in)),
        queue(options.max_queue_size),
        diagnostics(current_diagnostic_sink_shared()) {}

  const BatchSpanProcessorOptions options;
  const std::unique_ptr<SpanExporter> exporter;
  detail::SpanQueue queue;
  const std::shared_ptr<DiagnosticSink> diagnostics;

  // (Spans enqueued: the queue's claimed positions plus `dropped`. A counter of its own took an
  // atomic operation per span.)
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> dropped{0};
  // Of `dropped`, those refused because the queue was full (not after shutdown), and how many of
  // them the export thread has reported (it reports the first ones; shutdown, the total).
  std::atomic<std::uint64_t> dropped_full{0};
  std::atomic<std::uint64_t> dropped_full_reported{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::uint64_t> export_batches{0};
  std::atomic<std::uint64_t> stayed_awake{0};
  // Set by force_flush once it has set flush_target: an export thread waiting awake stops waiting.
  std::atomic<bool> flush_requested{false};
  // Set by shutdown, which then closes the queue: no span lands in it after the final drain.
  std::atomic<bool> shut_down{false};
  // Set by a producer that fills a batch; the transition false->true is the only time on_end
  // takes the mutex (to notify without a lost wake-up), i.e. once per batch, not per span.
  std::atomic<bool> batch_ready{false};
  // No export thread runs yet: not started, or this is a fork child. The first use starts one.
  std::atomic<bool> needs_thread{true};

  std::mutex mutex;                  // guards the fields below and orders wake-ups
  std::condition_variable wake;      // the export thread waits here
  std::condition_variable progress;  // flushers and shutdown wait here
  std::uint64_t flush_target = 0;    // export everything claimed before this position
  std::uint64_t completed = 0;       // positions fully exported (or given up)
  // `completed`, readable without the mutex: stats() computes the backlog from it.
  std::atomic<std::uint64_t> completed_position{0};
  bool stop = false;
  bool thread_exited = true;
  bool thread_shuts_exporter = false;  // shutdown was called on the export thread itself
  // The first shutdown has done all it does (shut the exporter down, counted what it left), or
  // given up: a later shutdown waits for this, and returns shutdown_ok, that shutdown's result.
  bool shutdown_finished = false;
  bool shutdown_ok = false;
  // The thread running the first shutdown (an exporter's shutdown calling back into the processor's
  // must not wait for the call it is inside).
  std::thread::id shutdown_thread;
  // The export thread is past its last drain: it pops no more.
  bool thread_done = false;
  // The first shutdown gave up waiting for the export thread, which counts what it leaves behind
  // when it ends (thread_done was false then).
  bool thread_abandoned = false;

  void run() noexcept;
  void export_batch(std::vector<SpanDataPtr>& batch) noexcept;
  // On the export thread: says once that spans were dropped on a full queue (on_end, which drops
  // them, must not take the sink's lock or build a message).
  void report_first_full_drops() noexcept;
  // With the queue closed: waits, yielding, until `deadline` for the producers still writing into
  // positions claimed before the close (what is still unwritten then counts as failed, see below).
  void wait_for_writers(Clock::time_point deadline) noexcept;
  // With the queue closed and no export thread left to export: every span still in it counts as
  // failed, with those whose producer never wrote them (a producer stopped past the deadline
  // between its claim and its write). Returns how many.
  std::uint64_t fail_left_behind() noexcept;
  // Sets shutdown_finished with the shutdown's result and tells the shutdown calls waiting for it.
  void finish_shutdown(bool ok) noexcept;
  bool ensure_thread(const std::shared_ptr<State>& self) noexcept;
  void reset_in_fork_child() noexcept;
};

namespace {

// Export threads (of every processor) waiting awake for their next batch right now.
std::atomic<std::size_t> g_export_threads_awake{0};

// The state whose export thread this is (null on other threads).
thread_local const BatchSpanProcessor::State* t_export_state = nullptr;

// Every live processor state, for the fork handlers. Leaked: processors may die during exit.
struct ForkRegistry {
  std::mutex mutex;
  std::vector<std::weak_ptr<BatchSpanProcessor::State>> states;
};
ForkRegistry& fork_registry() {
  static auto* instance = new ForkRegistry();  // NOLINT(cppcoreguidelines-owning-memory)
  return *instance;
}

void fork_prepare() noexcept { fork_registry().mutex.lock(); }
void fork_parent() noexcept { fork_registry().mutex.unlock(); }
void fork_child() noexcept {
  g_export_threads_awake.store(0, std::memory_order_relaxed);  // no export thread runs in the child
  ForkRegistry& registry = fork_registry();
  // Only this thread exists in the child: the states can be reset without their locks.
  for (const auto& weak : registry.states) {
    if (auto state = weak.lock()) state->reset_in_fork_child();
  }
  registry.mutex.unlock();
}

void register_for_fork(const std::shared_ptr<BatchSpanProcessor::State>& state) {
  static const bool installed = [] {
    (void)detail::fork_generation();  // the id generator's handler first: children reseed
    return pthread_atfork(&fork_prepare, &fork_parent, &fork_child) == 0;
  }();
  if (!installed) return;
  ForkRegistry& registry = fork_registry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.states.erase(
      std::remove_if(registry.states.begin(), registry.states.end(), [](const auto& weak) { return weak.expired(); }),
      registry.states.end());
  registry.states.push_back(state);
}

}  // namespace

bool BatchSpanProcessor::on_export_thread() noexcept { return t_export_state != nullptr; }

void BatchSpanProcessor::State::reset_in_fork_child() noexcept {
  // A parent thread may have held these at the fork; the child gets fresh ones (the old objects
  // are abandoned, not destroyed: destroying a condition variable with waiters can block).
  new (&mutex) std::mutex();                  // NOLINT
  new (&wake) std::condition_variable();      // NOLINT
  new (&progress) std::condition_variable();  // NOLINT
  queue.reset_after_fork();
  if (shut_down.load(std::memory_order_relaxed)) queue.close();  // forked mid-shutdown: closed, too
  exporter->reset_after_fork();
  for (auto* counter : {&exported, &dropped, &dropped_full, &dropped_full_reported, &failed, &in_flight,
                        &export_batches, &stayed_awake}) {
    counter->store(0, std::memory_order_relaxed);
  }
  batch_ready.store(false, std::memory_order_relaxed);
  flush_requested.store(false, std::memory_order_relaxed);
  flush_target = 0;
  completed = 0;
  completed_position.store(0, std::memory_order_relaxed);
  stop = false;
  thread_exited = true;
  thread_shuts_exporter = false;
  thread_done = false;
  thread_abandoned = false;
  shutdown_thread = std::thread::id();
  // Shut down in the parent (or while forking): nothing more to do here, the parent's spans being
  // the parent's.
  shutdown_finished = shut_down.load(std::memory_order_relaxed);
  shutdown_ok = shutdown_finished;
  needs_thread.store(!shut_down.load(std::memory_order_relaxed), std::memory_order_release);
}

bool BatchSpanProcessor::State::ensure_thread(const std::shared_ptr<State>& self) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mutex);
    if (!needs_thread.load(std::memory_order_acquire)) return true;
    if (stop) return false;
    // The thread owns a reference: after a shutdown timeout it may outlive the processor.
    std::thread([self] { self->run(); }).detach();
    thread_exited = false;
    needs_thread.store(false, std::memory_order_release);
    return true;
  } catch (...) {
    ScopedDiagnosticSink route(diagnostics);
    report_diagnostic(DiagnosticLevel::error, "batch span processor could not start its export thread");
    return false;
  }
}

void BatchSpanProcessor::State::export_batch(std::vector<SpanDataPtr>& batch) noexcept {
  if (batch.empty()) return;
  const auto count = static_cast<std::uint64_t>(batch.size());
  export_batches.fetch_add(1, std::memory_order_relaxed);
  // An export timeout of 0 (OTEL_BSP_EXPORT_TIMEOUT=0) sets no limit of the processor's own: the
  // exporter's own timeout applies (a deadline of now would fail every export unsent).
  const bool unlimited = options.export_timeout <= std::chrono::milliseconds(0);
  const bool shutting_down = shut_down.load(std::memory_order_acquire);
  const auto timeout = shutting_down ? (unlimited ? options.shutdown_export_timeout
                                                  : std::min(options.export_timeout, options.shutdown_export_timeout))
                                     : options.export_timeout;
  const Clock::time_point deadline =
      unlimited && !shutting_down ? Clock::time_point::max() : detail::deadline_after(timeout);
  ExportCounts counts;
  try {
    counts = exporter->export_spans_counted(batch, deadline);
  } catch (const std::exception& error) {
    counts = ExportCounts{};
    report_diagnostic(DiagnosticLevel::error, {"exporter threw (", error.what(), "); its batch is counted as failed"});
  } catch (...) {
    counts = ExportCounts{};
    report_diagnostic(DiagnosticLevel::error, "exporter threw; its batch is counted as failed");
  }
  // Spans the exporter rejected (never sent) are its to count; any it did not account for failed.
  const std::uint64_t exported_now = std::min(counts.exported, count);
  const std::uint64_t rejected_now = std::min(counts.rejected, count - exported_now);
  exported.fetch_add(exported_now, std::memory_order_relaxed);
  failed.fetch_add(count - exported_now - rejected_now, std::memory_order_relaxed);
  in_flight.fetch_sub(count, std::memory_order_relaxed);
  batch.clear();
}

void BatchSpanProcessor::State::report_first_full_drops() noexcept {
  if (dropped_full_reported.load(std::memory_order_relaxed) != 0) return;
  const std::uint64_t dropped_now = dropped_full.load(std::memory_order_relaxed);
  if (dropped_now == 0) return;
  dropped_full_reported.store(dropped_now, std::memory_order_relaxed);
  try {
    report_diagnostic(DiagnosticLevel::warning,
                      "batch span processor: its queue (max_queue_size " + std::to_string(options.max_queue_size) +
                          ") was full, " + std::to_string(dropped_now) +
                          " span(s) dropped so far: spans end faster than the exporter sends them (raise "
                          "OTEL_BSP_MAX_QUEUE_SIZE, or look at the backend's speed); the total is reported at "
                          "shutdown");
  } catch (...) {
    // Out of memory for the message: the drops stay counted (stats().dropped).
  }
}

void BatchSpanProcessor::State::wait_for_writers(Clock::time_point deadline) noexcept {
  const std::uint64_t claimed = queue.claimed();
  for (std::uint64_t from = queue.unpublished_from(queue.consumed(), claimed);
       from != claimed && Clock::now() < deadline; from = queue.unpublished_from(from, claimed)) {
    std::this_thread::yield();
  }
}

std::uint64_t BatchSpanProcessor::State::fail_left_behind() noexcept {
  SpanDataPtr span;
  std::uint64_t left = 0;
  while (queue.try_pop(span)) {
    span.reset();
    ++left;
  }
  // A position never written stops the pops: it and any written after it stay in the closed queue,
  // never to be exported (their records are freed with the queue).
  const std::uint64_t claimed = queue.claimed();
  const std::uint64_t consumed = queue.consumed();
  if (claimed > consumed) left += claimed - consumed;
  if (left > 0) failed.fetch_add(left, std::memory_order_relaxed);
  completed_position.store(claimed, std::memory_order_release);  // not queued any more
  return left;
}

void BatchSpanProcessor::State::finish_shutdown(bool ok) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mutex);
    shutdown_finished = true;
    shutdown_ok = ok;
  } catch (...) {
  }
  progress.notify_all();
}

void BatchSpanProcessor::State::run() noexcept {
  t_export_state = this;
  ScopedDiagnosticSink route(diagnostics);
  std::vector<SpanDataPtr> batch;
  try {
    batch.reserve(options.max_export_batch_size);
  } catch (...) {
  }
  auto next_timer = detail::deadline_after(options.schedule_delay);
  // Staying awake between batches (options.stay_awake_below): when the last full batch was taken,
  // and how long to wait awake for the next one after this round's exports (0: sleep at once).
  // (This thread's CPUs: its affinity is the one of the thread that started it.)
  const std::size_t cpus = detail::usable_cpus();
  const auto stay_awake_below = std::chrono::duration_cast<Clock::duration>(options.stay_awake_below);
  Clock::time_point last_full{};
  Clock::duration stay_awake{0};
  // Shut down from an exporter callback on this thread: nobody waits for this thread's last
  // drain, so it waits for the producers still writing into the closed queue, and counts what it
  // could not export as failed.
  bool shutting_down_here = false;
  for (;;) {
    bool drain_all = false;
    bool stopping = false;
    if (stay_awake.count() > 0) {
      // Only with a CPU to spare: more than the threads that trace and the export threads (of any
      // processor) already waiting awake. Yielding, so a producer on this core runs on; a flush or
      // a shutdown ends the wait.
      const std::size_t others_awake = g_export_threads_awake.fetch_add(1, std::memory_order_relaxed);
      if (cpus > detail::live_context_threads() + others_awake) {
        stayed_awake.fetch_add(1, std::memory_order_relaxed);
        const auto until = detail::deadline_after(stay_awake);
        while (queue.size() < options.max_export_batch_size && !shut_down.load(std::memory_order_relaxed) &&
               !flush_requested.load(std::memory_order_relaxed) && Clock::now() < until) {
          std::this_thread::yield();
        }
      }
      g_export_threads_awake.fetch_sub(1, std::memory_order_relaxed);
      stay_awake = Clock::duration{0};
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait_until(lock, next_timer,
                      [&] { return stop || batch_ready.load(std::memory_order_acquire) || flush_target > completed; });
      batch_ready.store(false, std::memory_order_release);
      flush_requested.store(false, std::memory_order_relaxed);  // flush_target is read below
      stopping = stop;
      shutting_down_here = thread_shuts_exporter;
      const bool timer_fired = Clock::now() >= next_timer;
      drain_all = stopping || timer_fired || flush_target > completed;
      if (timer_fired) next_timer = detail::deadline_after(options.schedule_delay);
    }
    if (shutting_down_here) wait_for_writers(detail::deadline_after(options.shutdown_export_timeout));
    // Export full batches; on a timer, flush or stop, also the last partial one.
    for (;;) {
      const bool full_batch = queue.size() >= options.max_export_batch_size;
      if (!drain_all && !full_batch) break;
      if (stay_awake_below.count() > 0 && full_batch) {
        const auto now = Clock::now();
        const auto since_last = now - last_full;
        last_full = now;
        stay_awake = since_last < stay_awake_below ? std::min(2 * since_last, stay_awake_below) : Clock::duration{0};
      }
      SpanDataPtr span;
      while (batch.size() < options.max_export_batch_size && queue.try_pop(span)) batch.push_back(std::move(span));
      in_flight.fetch_add(batch.size(), std::memory_order_relaxed);
      const std::uint64_t position = queue.consumed();
      const bool was_empty = batch.empty();
      export_batch(batch);
      report_first_full_drops();  // before the flush waiting for this batch is told it is done
      {
        std::lock_guard<std::mutex> lock(mutex);
        completed = position;
        completed_position.store(position, std::memory_order_release);
      }
      progress.notify_all();
      // A producer may have claimed a position but not yet published it; the flush target then
      // stays ahead of `completed` and the loop comes back for it.
      if (was_empty) break;
    }
    if (stopping) break;
  }
  bool shut_exporter = false;
  bool abandoned = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    shut_exporter = thread_shuts_exporter;
    abandoned = thread_abandoned;
    thread_done = true;  // a shutdown giving up from now on counts what is left itself
  }
  bool ok = true;
  if (shut_exporter) {
    try {
      ok = exporter->shutdown(options.shutdown_export_timeout);
    } catch (...) {
      ok = false;
    }
  }
  // Shut down here, or by a shutdown that gave up on this thread: nobody else counts what is left.
  if (shut_exporter || abandoned) ok = fail_left_behind() == 0 && ok;
  std::lock_guard<std::mutex> lock(mutex);
  if (shut_exporter) {
    shutdown_finished = true;
    shutdown_ok = ok;
  }
  thread_exited = true;
  t_export_state = nullptr;
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
    if (auto v = read("OTEL_BSP_SCHEDULE_DELAY", 0)) options.schedule_delay = detail::saturating_millis(*v);
    if (auto v = read("OTEL_BSP_EXPORT_TIMEOUT", 0)) options.export_timeout = detail::saturating_millis(*v);
    if (auto v = read("HONEYHIVE_BSP_STAY_AWAKE_US", 0)) {
      const auto most = static_cast<std::uint64_t>(kMaxStayAwake.count());
      if (*v > most) {
        report_diagnostic(DiagnosticLevel::warning, "HONEYHIVE_BSP_STAY_AWAKE_US=" + std::to_string(*v) +
                                                        " is above the longest allowed; using " + std::to_string(most));
      }
      options.stay_awake_below = std::chrono::microseconds(std::min(*v, most));
    }
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
  // A delay of 0 (OTEL_BSP_SCHEDULE_DELAY=0: export as spans come) or less is a timer always due:
  // the idle export thread would spin. 1 ms keeps it asleep between checks.
  if (options.schedule_delay < std::chrono::milliseconds(1)) options.schedule_delay = std::chrono::milliseconds(1);
  if (options.max_queue_size > kMaxQueueSize) {
    try {
      report_diagnostic(DiagnosticLevel::warning,
                        "batch span processor: max_queue_size " + std::to_string(options.max_queue_size) +
                            " is above the largest allowed; using " + std::to_string(kMaxQueueSize));
    } catch (...) {
      // Out of memory for the message: the queue is cut all the same.
    }
    options.max_queue_size = kMaxQueueSize;
  }
  if (options.max_export_batch_size == 0 || options.max_export_batch_size > options.max_queue_size) {
    options.max_export_batch_size = options.max_queue_size;
  }
  // A flush or shutdown may wait this long for the export thread to notice it.
  if (options.stay_awake_below > kMaxStayAwake) options.stay_awake_below = kMaxStayAwake;
  if (options.stay_awake_below.count() < 0) options.stay_awake_below = std::chrono::microseconds(0);
  try {
    if (!exporter) throw std::invalid_argument("null exporter");
    state_ = std::make_shared<State>(std::move(exporter), options);
    register_for_fork(state_);
  } catch (...) {
    report_diagnostic(DiagnosticLevel::error, "batch span processor could not start; its spans will be dropped");
    state_.reset();
  }
}

BatchSpanProcessor::~BatchSpanProcessor() {
  // Normally shut down already (by its provider); at exit, a short wait only.
  shutdown(detail::process_is_exiting() ? std::chrono::milliseconds(500) : std::chrono::milliseconds(5000));
}

void BatchSpanProcessor::on_start(SpanRef&, const Context&) noexcept {}

void BatchSpanProcessor::on_end(const SpanDataPtr& span) noexcept {
  if (!state_) return;
  if (!span->context.is_sampled()) return;
  State& state = *state_;
  // After shutdown the queue is closed: try_push fails. (The flag only spares it the attempt.)
  if (state.shut_down.load(std::memory_order_relaxed) || !state.queue.try_push(span)) {
    state.dropped.fetch_add(1, std::memory_order_relaxed);
    if (!state.shut_down.load(std::memory_order_relaxed)) state.dropped_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (state.needs_thread.load(std::memory_order_acquire)) state.ensure_thread(state_);
  const std::size_t queued = state.queue.size();
  if (queued >= state.options.max_export_batch_size && !state.batch_ready.exchange(true, std::memory_order_acq_rel)) {
    std::lock_guard<std::mutex> lock(state.mutex);
    state.wake.notify_one();
  } else if (queued >= state.options.max_queue_size - state.options.max_queue_size / 4 &&
             state.in_flight.load(std::memory_order_relaxed) == 0) {
    // Three quarters full, and the export thread, already woken, is not inside an export: it is
    // waiting for a core to run on (more busy threads than cores). Offer it this thread's time
    // slice once, rather than drop spans a moment later. Never waits: yield returns at once when
    // nothing else is ready to run. (An exporter blocked on a slow backend gets no yields: they
    // would not help it.)
    std::this_thread::yield();
  }
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  if (!state_) return true;
  State& state = *state_;
  if (t_export_state == &state) return false;  // an exporter callback cannot wait for its own thread
  const auto deadline = detail::deadline_after(timeout);
  bool done = false;
  try {
    std::unique_lock<std::mutex> lock(state.mutex);
    if (state.thread_exited) {
      // No export thread runs: none started yet, a fork child, or shut down. The queue is read once:
      // a span a producer enqueues after this read came after this call, and must not make the
      // flush fail (reading the size again here did, once in a while, with a producer racing).
      if (state.queue.size() == 0) return true;
      if (!state.needs_thread.load(std::memory_order_acquire)) return false;  // shut down: nobody will export them
      // Spans are queued before this call: start the thread (under the lock first, so a first span
      // whose producer is still on its way to starting the thread is not reported as unexportable).
      lock.unlock();
      state.ensure_thread(state_);
      lock.lock();
      if (state.thread_exited) return false;  // the thread could not be started
    }
    const std::uint64_t target = state.queue.claimed();
    state.flush_target = std::max(state.flush_target, target);
    state.flush_requested.store(true, std::memory_order_relaxed);
    state.wake.notify_one();
    done = state.progress.wait_until(lock, deadline, [&] {
      return state.completed >= target || state.thread_exited;
    }) && state.completed >= target;
  } catch (...) {
    return false;
  }
  try {
    return state.exporter->force_flush(detail::time_left(deadline)) && done;
  } catch (...) {
    return false;
  }
}

bool BatchSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (!state_) return true;
  State& state = *state_;
  if (state.shut_down.exchange(true, std::memory_order_seq_cst)) {
    // Shut down already, or being shut down. A shutdown begun on the export thread (from an
    // exporter callback) could not wait for the thread, which drains, shuts the exporter down and
    // exits after it: a later call from another thread waits for that (within `timeout`), so that
    // when it returns true the queued spans are exported and the exporter is shut down.
    // On the export thread, or inside the first shutdown (an exporter's shutdown calling back),
    // it cannot wait: it returns at once, false (not shut down yet).
    if (t_export_state == &state) return false;
    try {
      std::unique_lock<std::mutex> lock(state.mutex);
      if (state.shutdown_thread == std::this_thread::get_id() && !state.shutdown_finished) return false;
      // A first shutdown that gave up on the export thread is final: that thread is not waited for.
      return state.progress.wait_until(lock, detail::deadline_after(timeout), [&] {
        return state.shutdown_finished && (state.thread_exited || state.thread_abandoned);
      }) && state.shutdown_ok;
    } catch (...) {
      return false;
    }
  }
  if (t_export_state == &state) {
    // Called by the exporter on the export thread: it cannot wait for itself. After the current
    // batch the thread waits for the producers still writing into the queue (closed: nothing is
    // added after), drains it, shuts the exporter down, counts what is left as failed and exits.
    const std::uint64_t claimed = state.queue.close();
    try {
      std::lock_guard<std::mutex> lock(state.mutex);
      state.flush_target = std::max(state.flush_target, claimed);
      state.stop = true;
      state.thread_shuts_exporter = true;
    } catch (...) {
    }
    return true;
  }
  const auto start = Clock::now();
  const auto deadline = detail::deadline_after(timeout, start);
  const Clock::duration budget = deadline - start;  // the timeout, or less when it saturated
  // No position is claimed after this. A producer that claimed one just before may still be
  // writing its span there: let it land before the final drain, within half the budget (the drain
  // has the rest; a span still unwritten then counts as failed).
  try {
    std::lock_guard<std::mutex> lock(state.mutex);
    state.shutdown_thread = std::this_thread::get_id();
  } catch (...) {
  }
  state.queue.close();
  state.wait_for_writers(start + budget / 2);
  // Spans queued with no export thread to drain them (none started yet, or a fork child; or a first
  // span claimed just before the close, whose producer had not yet started it): start it now, or
  // they would count as failed without an export.
  if (state.needs_thread.load(std::memory_order_acquire) && state.queue.size() > 0) state.ensure_thread(state_);
  bool clean = false;
  bool count_left_here = false;
  try {
    std::unique_lock<std::mutex> lock(state.mutex);
    state.flush_target = std::max(state.flush_target, state.queue.claimed());
    state.stop = true;
    state.wake.notify_one();
    // Most of the budget goes to a clean drain. If the exporter is still busy (a dead backend in
    // retries) when only the grace period is left, cancel it so the drain ends in time.
    const auto grace =
        std::min(budget / 10, std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(100)));
    clean = state.progress.wait_until(lock, deadline - grace, [&] { return state.thread_exited; });
    if (!clean) {
      lock.unlock();
      try {
        state.exporter->shutdown(std::chrono::milliseconds(0));
      } catch (...) {
      }
      lock.lock();
      clean = state.progress.wait_until(lock, deadline, [&] { return state.thread_exited; });
    }
    // Given up on the thread: it counts what it leaves when it ends, unless it is already past its
    // last drain (then nobody pops any more, and this call counts).
    if (!clean && !state.thread_done) state.thread_abandoned = true;
    count_left_here = clean || state.thread_done;
  } catch (...) {
  }
  bool exporter_clean = false;
  try {
    exporter_clean = state.exporter->shutdown(detail::time_left(deadline));
  } catch (...) {
  }
  // Whatever was not exported is counted as failed, never lost silently, and the shutdown did not
  // export all it had to.
  const bool all_exported = count_left_here && state.fail_left_behind() == 0;
  if (!clean) {
    ScopedDiagnosticSink route(state.diagnostics);
    report_diagnostic(DiagnosticLevel::warning,
                      "batch span processor shutdown timed out; the export thread is abandoned");
  }
  if (const std::uint64_t dropped_full = state.dropped_full.load(std::memory_order_relaxed);
      dropped_full > state.dropped_full_reported.load(std::memory_order_relaxed)) {
    ScopedDiagnosticSink route(state.diagnostics);
    try {
      report_diagnostic(DiagnosticLevel::warning, "batch span processor: " + std::to_string(dropped_full) +
                                                      " span(s) dropped in all because its queue was full");
    } catch (...) {
      // Out of memory for the message: the drops stay counted (stats().dropped).
    }
  }
  const bool ok = clean && exporter_clean && all_exported;
  state.finish_shutdown(ok);
  return ok;
}

detail::SpanQueue& detail::span_queue_of(BatchSpanProcessor& processor) noexcept { return processor.state_->queue; }

BatchSpanProcessorStats BatchSpanProcessor::stats() const noexcept {
  BatchSpanProcessorStats stats;
  if (!state_) return stats;
  const State& state = *state_;
  // The claimed position is read first. Enqueued is it plus the drops (a span is claimed or
  // dropped, never both; one whose on_end runs between the two reads may be in neither).
  const std::uint64_t claimed = state.queue.claimed();
  stats.dropped = state.dropped.load(std::memory_order_relaxed);
  stats.enqueued = claimed + stats.dropped;
  stats.exported = state.exported.load(std::memory_order_relaxed);
  stats.failed = state.failed.load(std::memory_order_relaxed);
  // Positions claimed in the queue and not yet exported: the queue and the batch in the exporter.
  // With the claimed position read first, a batch completing in between can only make the figure
  // smaller, never count a span twice (queue size + in-flight, read one after the other, could:
  // a span popped between the two reads was in both).
  const std::uint64_t done = state.completed_position.load(std::memory_order_acquire);
  stats.queued = claimed > done ? claimed - done : 0;
  stats.export_batches = state.export_batches.load(std::memory_order_relaxed);
  stats.stayed_awake = state.stayed_awake.load(std::memory_order_relaxed);
  ExporterStats exporter;
  try {
    exporter = state.exporter->stats();
  } catch (...) {
  }
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
