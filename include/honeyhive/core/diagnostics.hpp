#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string_view>

namespace honeyhive {

enum class DiagnosticLevel : std::uint8_t { debug = 0, info = 1, warning = 2, error = 3 };

const char* to_string(DiagnosticLevel level) noexcept;

// Receives the SDK's diagnostics, one line per event. Called without any SDK lock held,
// possibly from the export thread; must not throw (an exception is swallowed and counted).
using DiagnosticHandler = std::function<void(DiagnosticLevel, std::string_view message)>;

// Where diagnostics go: a level filter, a rate limit (at most 20 lines per 10 s window; the excess
// is counted and summarised in the next line that gets through) and an output (stderr, a callback,
// another sink, or nothing). Thread-safe; report() never throws and calls the output without
// holding the sink's lock.
class DiagnosticSink : public std::enable_shared_from_this<DiagnosticSink> {
 public:
  // Lines go to `handler`, or to stderr when it is empty.
  static std::shared_ptr<DiagnosticSink> make(DiagnosticHandler handler,
                                              DiagnosticLevel minimum = DiagnosticLevel::warning) noexcept;
  // Filters and rate-limits on its own, then hands the lines to the process sink's output (what
  // set_diagnostic_handler chose), bypassing that sink's level: a tracer with verbose on.
  static std::shared_ptr<DiagnosticSink> forward_to_process(DiagnosticLevel minimum) noexcept;
  // Prints nothing (the lines are still counted as reported).
  static std::shared_ptr<DiagnosticSink> off() noexcept;
  // The process-wide sink (set_diagnostic_handler / set_diagnostic_level configure it). Never null.
  static const std::shared_ptr<DiagnosticSink>& process() noexcept;

  void report(DiagnosticLevel level, std::string_view message) noexcept;
  // Whether report() would take a line at `level` (its level filter; the rate limit aside).
  bool accepts(DiagnosticLevel level) const noexcept {
    return static_cast<int>(level) >= minimum_level_.load(std::memory_order_relaxed);
  }
  void set_level(DiagnosticLevel minimum) noexcept;
  void set_handler(DiagnosticHandler handler) noexcept;  // empty handler: silence
  std::uint64_t reported() const noexcept { return reported_.load(std::memory_order_relaxed); }
  std::uint64_t suppressed() const noexcept { return suppressed_.load(std::memory_order_relaxed); }

  // For pthread_atfork handlers only: held across fork() so the child never inherits it locked.
  void lock_for_fork() noexcept { mutex_.lock(); }
  void unlock_after_fork() noexcept { mutex_.unlock(); }

  DiagnosticSink() = default;  // use the factories

 private:
  void emit(DiagnosticLevel level, const std::string& line) noexcept;

  std::mutex mutex_;  // guards the fields below
  std::shared_ptr<const DiagnosticHandler> handler_;
  bool use_stderr_ = true;
  bool forward_ = false;
  std::uint64_t window_start_ = 0;
  std::uint32_t lines_in_window_ = 0;
  std::uint64_t pending_suppressed_ = 0;
  std::atomic<int> minimum_level_{static_cast<int>(DiagnosticLevel::warning)};
  std::atomic<std::uint64_t> reported_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

// The sink report_diagnostic uses on this thread: the one a ScopedDiagnosticSink installed (a
// tracer's, inside its calls and on its export thread), else the process sink.
DiagnosticSink& current_diagnostic_sink() noexcept;
std::shared_ptr<DiagnosticSink> current_diagnostic_sink_shared() noexcept;

// Routes this thread's diagnostics to `sink` until destroyed (null keeps the current routing).
// Cheap (two thread-local writes, no reference counting): the caller keeps `sink` alive for the
// scope's lifetime.
class ScopedDiagnosticSink {
 public:
  explicit ScopedDiagnosticSink(const std::shared_ptr<DiagnosticSink>& sink) noexcept;
  ~ScopedDiagnosticSink();
  ScopedDiagnosticSink(const ScopedDiagnosticSink&) = delete;
  ScopedDiagnosticSink& operator=(const ScopedDiagnosticSink&) = delete;

 private:
  DiagnosticSink* previous_ = nullptr;
  bool active_ = false;
};

// The process sink. Default: stderr, lines at `warning` and above. Pass nullptr to silence the SDK.
void set_diagnostic_handler(DiagnosticHandler handler) noexcept;
void set_diagnostic_level(DiagnosticLevel minimum) noexcept;

// Emits one diagnostic through this thread's current sink, subject to its level and rate limit.
void report_diagnostic(DiagnosticLevel level, std::string_view message) noexcept;
// Whether this thread's current sink takes lines at `level`: a message that costs something to
// build (per request, say) is built only then.
bool diagnostic_accepted(DiagnosticLevel level) noexcept;
// The same for a message in parts, joined without allocating outside the no-throw boundary: when
// memory is short, the first part alone is reported.
void report_diagnostic(DiagnosticLevel level, std::initializer_list<std::string_view> parts) noexcept;

// How many diagnostics the process sink reported / suppressed since start.
std::uint64_t diagnostics_reported() noexcept;
std::uint64_t diagnostics_suppressed() noexcept;

}  // namespace honeyhive
