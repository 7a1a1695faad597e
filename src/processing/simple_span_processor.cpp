#include "honeyhive/processing/simple_span_processor.hpp"

#include <pthread.h>

#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "core/deadline.hpp"

namespace honeyhive {
namespace {

// The processors whose exporter this thread is inside of, as a list through the stack frames of the
// calls (a callback may end spans of another tracer, which nests): one thread-local pointer.
struct ExportCall {
  explicit ExportCall(const SimpleSpanProcessor* processor_in) noexcept : processor(processor_in), outer(top()) {
    top() = this;
  }
  ~ExportCall() { top() = outer; }
  ExportCall(const ExportCall&) = delete;
  ExportCall& operator=(const ExportCall&) = delete;

  static ExportCall*& top() noexcept {
    thread_local ExportCall* innermost = nullptr;
    return innermost;
  }

  const SimpleSpanProcessor* processor;
  ExportCall* outer;
};

bool exporting(const SimpleSpanProcessor* processor) noexcept {
  for (const ExportCall* call = ExportCall::top(); call != nullptr; call = call->outer) {
    if (call->processor == processor) return true;
  }
  return false;
}

// Every live simple processor, so that a fork() child can reset its exporter. Leaked: processors
// may be destroyed during exit.
struct SimpleProcessorForkRegistry {
  std::mutex mutex;
  std::vector<SimpleSpanProcessor*> processors;
};
SimpleProcessorForkRegistry& simple_processor_fork_registry() {
  static auto* instance = new SimpleProcessorForkRegistry();  // NOLINT(cppcoreguidelines-owning-memory)
  return *instance;
}

const std::shared_ptr<DiagnosticSink> kNoSink;  // routes nothing

// Each thread's one-span batch, kept between spans so that handing a span to the exporter allocates
// nothing. In use exactly while this thread is inside an export (an ExportCall is on its stack): an
// exporter that ends a span on this thread re-enters on_end, which then uses a batch of its own.
// Freed by a thread-specific key's destructor: glibc runs those after the thread's C++ destructors,
// and runs them again for a value set meanwhile, so a batch first made by a span ended from a
// destructor at thread exit is freed too. (A thread_local object made that late would never be
// destroyed.)
using Batch = std::vector<SpanDataPtr>;
thread_local Batch* t_batch = nullptr;  // trivially destructible: readable at any time

void free_thread_batch(void* batch) noexcept {
  delete static_cast<Batch*>(batch);
  t_batch = nullptr;  // (runs on the thread that is exiting)
}

// The key whose destructor frees each thread's batch. False when none could be made: every export
// then uses a batch of its own.
bool batch_key(pthread_key_t& key) noexcept {
  static pthread_key_t made;
  static const bool ok = pthread_key_create(&made, free_thread_batch) == 0;
  key = made;
  return ok;
}

// This thread's batch, made on its first use; null when it cannot be.
Batch* thread_batch() noexcept {
  if (t_batch != nullptr) return t_batch;
  pthread_key_t key;
  if (!batch_key(key)) return nullptr;
  auto* batch = new (std::nothrow) Batch();
  if (batch == nullptr) return nullptr;
  if (pthread_setspecific(key, batch) != 0) {
    delete batch;
    return nullptr;
  }
  t_batch = batch;
  return batch;
}

// The batch one export uses: this thread's when the thread is inside no export, else its own. Holds
// `span` until the export is over. (Made before the export's ExportCall, released after it.)
class OneSpanBatch {
 public:
  explicit OneSpanBatch(const SpanDataPtr& span) {
    if (ExportCall::top() == nullptr) shared_ = thread_batch();
    try {
      spans().push_back(span);
    } catch (...) {
      release();
      throw;
    }
  }
  ~OneSpanBatch() { release(); }
  OneSpanBatch(const OneSpanBatch&) = delete;
  OneSpanBatch& operator=(const OneSpanBatch&) = delete;

  Batch& spans() noexcept { return shared_ != nullptr ? *shared_ : own_; }

 private:
  void release() noexcept {
    if (shared_ != nullptr) shared_->clear();  // keeps its room for the next span
    shared_ = nullptr;
  }

  Batch* shared_ = nullptr;
  Batch own_;
};

}  // namespace

void SimpleSpanProcessor::reset_exporter_in_fork_child() noexcept {
  if (exporter_) exporter_->reset_after_fork();
}

SimpleSpanProcessor::SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter) noexcept
    : exporter_(std::move(exporter)), diagnostics_(current_diagnostic_sink_shared()) {
  static const bool installed = pthread_atfork([] { simple_processor_fork_registry().mutex.lock(); },
                                               [] { simple_processor_fork_registry().mutex.unlock(); },
                                               [] {
                                                 // Only this thread exists in the child.
                                                 for (auto* processor : simple_processor_fork_registry().processors)
                                                   processor->reset_exporter_in_fork_child();
                                                 simple_processor_fork_registry().mutex.unlock();
                                               }) == 0;
  if (!installed || !exporter_) return;
  try {
    std::lock_guard<std::mutex> lock(simple_processor_fork_registry().mutex);
    simple_processor_fork_registry().processors.push_back(this);
  } catch (...) {
  }
}

SimpleSpanProcessor::~SimpleSpanProcessor() {
  std::lock_guard<std::mutex> lock(simple_processor_fork_registry().mutex);
  auto& all = simple_processor_fork_registry().processors;
  for (auto it = all.begin(); it != all.end(); ++it) {
    if (*it == this) {
      all.erase(it);
      break;
    }
  }
}

bool SimpleSpanProcessor::on_export_call() noexcept { return ExportCall::top() != nullptr; }

void SimpleSpanProcessor::on_start(SpanRef&, const Context&) noexcept {}

void SimpleSpanProcessor::on_end(const SpanDataPtr& span) noexcept {
  if (!span->context.is_sampled()) return;
  if (!exporter_ || shut_down_.load(std::memory_order_acquire)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Routing costs two thread-local writes per span: only for a tracer with its own sink.
  ScopedDiagnosticSink route(diagnostics_ != DiagnosticSink::process() ? diagnostics_ : kNoSink);
  try {
    OneSpanBatch batch(span);
    ExportCall call(this);
    const ExportCounts counts =
        exporter_->export_spans_counted(batch.spans(), std::chrono::steady_clock::time_point::max());
    if (counts.exported > 0) {
      exported_.fetch_add(1, std::memory_order_relaxed);
    } else if (counts.rejected == 0) {
      failed_.fetch_add(1, std::memory_order_relaxed);
    }  // else the exporter rejected it without sending it, and counts it
  } catch (const std::exception& error) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    report_diagnostic(DiagnosticLevel::error, {"exporter threw (", error.what(), "); the span is counted as failed"});
  } catch (...) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    report_diagnostic(DiagnosticLevel::error, "exporter threw; the span is counted as failed");
  }
  if (!exporting(this) && deferred_shutdown_.exchange(false, std::memory_order_acq_rel)) {
    bool ok = false;
    try {
      ok = exporter_->shutdown(std::chrono::milliseconds(1000));
    } catch (...) {
    }
    finish_deferred_shutdown(ok);
  }
}

bool SimpleSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  if (!exporter_ || exporting(this)) return exporter_ == nullptr;
  try {
    return exporter_->force_flush(timeout);
  } catch (...) {
    return false;
  }
}

void SimpleSpanProcessor::finish_deferred_shutdown(bool ok) noexcept {
  {
    std::lock_guard<std::mutex> lock(deferred_mutex_);
    deferred_pending_ = false;
    shutdown_ok_ = ok;
  }
  deferred_done_.notify_all();
}

bool SimpleSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  // Whether this is the first shutdown, decided under the lock that later ones wait on, so none of
  // them can look before the first has marked itself in progress.
  bool first = false;
  try {
    std::lock_guard<std::mutex> lock(deferred_mutex_);
    first = !shut_down_.exchange(true, std::memory_order_acq_rel);
    if (first && exporter_) deferred_pending_ = true;
  } catch (...) {
    first = !shut_down_.exchange(true, std::memory_order_acq_rel);  // (the lock failed: no waiting)
  }
  if (!first) {
    // Shut down already, or being shut down (on another thread, or deferred to the end of an export
    // from an exporter callback): waited for, within `timeout`, unless this thread is inside that
    // export, and its result returned.
    if (exporting(this)) return true;
    try {
      std::unique_lock<std::mutex> lock(deferred_mutex_);
      return deferred_done_.wait_until(lock, detail::deadline_after(timeout), [&] { return !deferred_pending_; }) &&
             shutdown_ok_;
    } catch (...) {
      return false;
    }
  }
  if (!exporter_) return true;
  if (exporting(this)) {
    // Inside this processor's export on this thread: the exporter is shut down when that export
    // returns (finish_deferred_shutdown).
    deferred_shutdown_.store(true, std::memory_order_release);
    return true;
  }
  bool ok = false;
  try {
    ok = exporter_->shutdown(timeout);
  } catch (...) {
  }
  finish_deferred_shutdown(ok);
  return ok;
}

}  // namespace honeyhive
