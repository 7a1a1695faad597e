#include "honeyhive/core/diagnostics.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/printable.hpp"

namespace honeyhive {
namespace {

constexpr std::uint64_t kWindowNanos = 10'000'000'000ULL;  // 10 s
constexpr std::uint32_t kLinesPerWindow = 20;

std::uint64_t steady_nanos() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// The sink a ScopedDiagnosticSink installed on this thread (null: the process sink).
thread_local DiagnosticSink* t_current_sink = nullptr;

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

std::shared_ptr<DiagnosticSink> DiagnosticSink::make(DiagnosticHandler handler, DiagnosticLevel minimum) noexcept {
  try {
    auto sink = std::make_shared<DiagnosticSink>();
    if (handler) {
      sink->handler_ = std::make_shared<const DiagnosticHandler>(std::move(handler));
      sink->use_stderr_ = false;
    }
    sink->set_level(minimum);
    return sink;
  } catch (...) {
    return nullptr;
  }
}

std::shared_ptr<DiagnosticSink> DiagnosticSink::forward_to_process(DiagnosticLevel minimum) noexcept {
  try {
    auto sink = std::make_shared<DiagnosticSink>();
    sink->forward_ = true;
    sink->use_stderr_ = false;
    sink->set_level(minimum);
    return sink;
  } catch (...) {
    return nullptr;
  }
}

std::shared_ptr<DiagnosticSink> DiagnosticSink::off() noexcept {
  try {
    auto sink = std::make_shared<DiagnosticSink>();
    sink->use_stderr_ = false;
    return sink;
  } catch (...) {
    return nullptr;
  }
}

const std::shared_ptr<DiagnosticSink>& DiagnosticSink::process() noexcept {
  // Leaked on purpose: diagnostics must keep working during static destruction and at exit().
  static const auto* instance = new std::shared_ptr<DiagnosticSink>(std::make_shared<DiagnosticSink>());  // NOLINT
  return *instance;
}

namespace {
// Created while the library loads, so that the first diagnostic never allocates (it may be about
// an allocation that just failed).
[[maybe_unused]] const bool g_process_sink_ready = DiagnosticSink::process() != nullptr;
}  // namespace

void DiagnosticSink::set_level(DiagnosticLevel minimum) noexcept {
  minimum_level_.store(static_cast<int>(minimum), std::memory_order_relaxed);
}

void DiagnosticSink::set_handler(DiagnosticHandler handler) noexcept {
  try {
    auto shared = handler ? std::make_shared<const DiagnosticHandler>(std::move(handler)) : nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    use_stderr_ = false;
    forward_ = false;
    handler_ = std::move(shared);
  } catch (...) {
    // Allocation failed: keep the previous handler.
  }
}

void DiagnosticSink::report(DiagnosticLevel level, std::string_view message) noexcept {
  try {
    if (static_cast<int>(level) < minimum_level_.load(std::memory_order_relaxed)) return;
    std::uint64_t summarised = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const std::uint64_t now = steady_nanos();
      if (now - window_start_ >= kWindowNanos) {
        window_start_ = now;
        lines_in_window_ = 0;
      }
      if (lines_in_window_ >= kLinesPerWindow) {
        ++pending_suppressed_;
        suppressed_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      ++lines_in_window_;
      summarised = pending_suppressed_;
      pending_suppressed_ = 0;
    }
    reported_.fetch_add(1, std::memory_order_relaxed);
    std::string line = "[honeyhive] ";
    line += to_string(level);
    line += ": ";
    detail::append_printable(line, message);
    if (summarised > 0) {
      line += " (";
      line += std::to_string(summarised);
      line += " earlier diagnostics suppressed by the rate limit)";
    }
    emit(level, line);
  } catch (...) {
    // A diagnostic must never become a failure of its own; one that could not be built is counted.
    suppressed_.fetch_add(1, std::memory_order_relaxed);
  }
}

void DiagnosticSink::emit(DiagnosticLevel level, const std::string& line) noexcept {
  try {
    std::shared_ptr<const DiagnosticHandler> handler;
    bool use_stderr = false;
    bool forward = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      handler = handler_;
      use_stderr = use_stderr_;
      forward = forward_;
    }
    if (forward) {
      DiagnosticSink& target = *process();
      if (&target != this) target.emit(level, line);
    } else if (handler) {
      (*handler)(level, line);
    } else if (use_stderr) {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fputc('\n', stderr);
    }
  } catch (...) {
  }
}

DiagnosticSink& current_diagnostic_sink() noexcept {
  DiagnosticSink* local = t_current_sink;
  return local != nullptr ? *local : *DiagnosticSink::process();
}

std::shared_ptr<DiagnosticSink> current_diagnostic_sink_shared() noexcept {
  if (t_current_sink != nullptr) {
    if (auto shared = t_current_sink->weak_from_this().lock()) return shared;
  }
  return DiagnosticSink::process();
}

ScopedDiagnosticSink::ScopedDiagnosticSink(const std::shared_ptr<DiagnosticSink>& sink) noexcept {
  if (!sink) return;
  previous_ = t_current_sink;
  t_current_sink = sink.get();
  active_ = true;
}

ScopedDiagnosticSink::~ScopedDiagnosticSink() {
  if (active_) t_current_sink = previous_;
}

void set_diagnostic_handler(DiagnosticHandler handler) noexcept {
  DiagnosticSink::process()->set_handler(std::move(handler));
}

void set_diagnostic_level(DiagnosticLevel minimum) noexcept { DiagnosticSink::process()->set_level(minimum); }

void report_diagnostic(DiagnosticLevel level, std::string_view message) noexcept {
  current_diagnostic_sink().report(level, message);
}

bool diagnostic_accepted(DiagnosticLevel level) noexcept { return current_diagnostic_sink().accepts(level); }

void report_diagnostic(DiagnosticLevel level, std::initializer_list<std::string_view> parts) noexcept {
  try {
    std::string message;
    for (const auto part : parts) message.append(part.data(), part.size());
    current_diagnostic_sink().report(level, message);
  } catch (...) {
    if (parts.size() > 0) current_diagnostic_sink().report(level, *parts.begin());
  }
}

std::uint64_t diagnostics_reported() noexcept { return DiagnosticSink::process()->reported(); }
std::uint64_t diagnostics_suppressed() noexcept { return DiagnosticSink::process()->suppressed(); }

}  // namespace honeyhive
