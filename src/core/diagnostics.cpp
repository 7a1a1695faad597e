#include "honeyhive/core/diagnostics.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace honeyhive {
namespace {

constexpr std::uint64_t kWindowNanos = 10'000'000'000ULL;  // 10 s
constexpr std::uint32_t kLinesPerWindow = 20;

struct Sink {
  std::mutex mutex;  // guards handler, window_start, lines_in_window, pending_suppressed
  std::shared_ptr<const DiagnosticHandler> handler;
  bool use_stderr = true;
  std::uint64_t window_start = 0;
  std::uint32_t lines_in_window = 0;
  std::uint64_t pending_suppressed = 0;
  std::atomic<int> minimum_level{static_cast<int>(DiagnosticLevel::warning)};
  std::atomic<std::uint64_t> reported{0};
  std::atomic<std::uint64_t> suppressed{0};
};

// Leaked on purpose: diagnostics must keep working during static destruction and at exit().
Sink& sink() {
  static Sink* instance = new Sink();  // NOLINT(cppcoreguidelines-owning-memory)
  return *instance;
}

std::uint64_t steady_nanos() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace

const char* to_string(DiagnosticLevel level) noexcept {
  switch (level) {
    case DiagnosticLevel::debug: return "debug";
    case DiagnosticLevel::info: return "info";
    case DiagnosticLevel::warning: return "warning";
    case DiagnosticLevel::error: return "error";
  }
  return "unknown";
}

void set_diagnostic_handler(DiagnosticHandler handler) noexcept {
  try {
    auto shared = handler ? std::make_shared<const DiagnosticHandler>(std::move(handler)) : nullptr;
    Sink& s = sink();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.use_stderr = false;
    s.handler = std::move(shared);
  } catch (...) {
    // Allocation failed: keep the previous handler.
  }
}

void set_diagnostic_level(DiagnosticLevel minimum) noexcept {
  sink().minimum_level.store(static_cast<int>(minimum), std::memory_order_relaxed);
}

void report_diagnostic(DiagnosticLevel level, std::string_view message) noexcept {
  try {
    Sink& s = sink();
    if (static_cast<int>(level) < s.minimum_level.load(std::memory_order_relaxed)) return;
    std::shared_ptr<const DiagnosticHandler> handler;
    bool use_stderr = false;
    std::uint64_t summarised = 0;
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      const std::uint64_t now = steady_nanos();
      if (now - s.window_start >= kWindowNanos) {
        s.window_start = now;
        s.lines_in_window = 0;
      }
      if (s.lines_in_window >= kLinesPerWindow) {
        ++s.pending_suppressed;
        s.suppressed.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      ++s.lines_in_window;
      summarised = s.pending_suppressed;
      s.pending_suppressed = 0;
      handler = s.handler;
      use_stderr = s.use_stderr;
    }
    s.reported.fetch_add(1, std::memory_order_relaxed);
    std::string line = "[honeyhive] ";
    line += to_string(level);
    line += ": ";
    line.append(message.data(), message.size());
    if (summarised > 0) {
      line += " (";
      line += std::to_string(summarised);
      line += " earlier diagnostics suppressed by the rate limit)";
    }
    if (handler) {
      (*handler)(level, line);
    } else if (use_stderr) {
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  } catch (...) {
    // A diagnostic must never become a failure of its own.
  }
}

std::uint64_t diagnostics_reported() noexcept { return sink().reported.load(std::memory_order_relaxed); }
std::uint64_t diagnostics_suppressed() noexcept { return sink().suppressed.load(std::memory_order_relaxed); }

}  // namespace honeyhive
