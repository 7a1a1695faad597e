#pragma once

// Test support: the SDK's diagnostics collected for one test.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "honeyhive/core/diagnostics.hpp"

namespace honeyhive::test {

// The lines a capture's handler delivered, shared with the handler, because an export thread may
// still be reporting while the capture goes away.
class CapturedLines {
 public:
  // A handler that adds each line here.
  static DiagnosticHandler handler(const std::shared_ptr<CapturedLines>& into) {
    return [into](DiagnosticLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(into->mutex_);
      into->lines_.emplace_back(message);
    };
  }

  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

  // How many lines contain `needle`.
  std::size_t count_containing(std::string_view needle) const {
    std::size_t found = 0;
    for (const auto& line : lines()) found += line.find(needle) != std::string::npos ? 1U : 0U;
    return found;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Collects the diagnostics at `minimum` and above while it lives, then restores the defaults
// (warning level, lines to stderr).
class DiagnosticsCapture {
 public:
  explicit DiagnosticsCapture(DiagnosticLevel minimum = DiagnosticLevel::warning)
      : reported_before_(diagnostics_reported()), suppressed_before_(diagnostics_suppressed()) {
    set_diagnostic_level(minimum);
    set_diagnostic_handler(CapturedLines::handler(captured_));
  }
  ~DiagnosticsCapture() {
    set_diagnostic_level(DiagnosticLevel::warning);
    set_diagnostic_handler([](DiagnosticLevel, std::string_view message) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
    });
  }
  DiagnosticsCapture(const DiagnosticsCapture&) = delete;
  DiagnosticsCapture& operator=(const DiagnosticsCapture&) = delete;

  // The lines delivered so far.
  std::vector<std::string> lines() const { return captured_->lines(); }

  // How many diagnostics were reported or held back by the process-wide rate limit since construction.
  std::uint64_t count() const {
    return diagnostics_reported() - reported_before_ + (diagnostics_suppressed() - suppressed_before_);
  }

  // Something was reported: a line was delivered, or the rate limit held one back.
  bool any_reported() const { return !lines().empty() || diagnostics_suppressed() > suppressed_before_; }

  // How many delivered lines contain `needle`.
  std::size_t count_containing(std::string_view needle) const { return captured_->count_containing(needle); }

  // A delivered line contains `needle`, or nothing was delivered because the rate limit swallowed the text.
  bool mentions(std::string_view needle) const {
    const auto delivered = lines();
    for (const auto& line : delivered) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return delivered.empty() && count() > 0;
  }

 private:
  std::shared_ptr<CapturedLines> captured_ = std::make_shared<CapturedLines>();
  std::uint64_t reported_before_;
  std::uint64_t suppressed_before_;
};

// Collects the diagnostics reported on this thread while it lives, through a sink of its own: its
// rate limit (20 lines per 10 s) starts afresh, so the tests run before in the same process cannot
// have used it up. For counting lines exactly; diagnostics of other threads (an export thread) go
// to their own sinks, not here.
class ThreadDiagnosticsCapture {
 public:
  explicit ThreadDiagnosticsCapture(DiagnosticLevel minimum = DiagnosticLevel::warning)
      : sink_(DiagnosticSink::make(CapturedLines::handler(captured_), minimum)), route_(sink_) {}
  ThreadDiagnosticsCapture(const ThreadDiagnosticsCapture&) = delete;
  ThreadDiagnosticsCapture& operator=(const ThreadDiagnosticsCapture&) = delete;

  // The lines delivered so far.
  std::vector<std::string> lines() const { return captured_->lines(); }

  // How many delivered lines contain `needle`.
  std::size_t count_containing(std::string_view needle) const { return captured_->count_containing(needle); }

 private:
  std::shared_ptr<CapturedLines> captured_ = std::make_shared<CapturedLines>();  // (before sink_, which uses it)
  std::shared_ptr<DiagnosticSink> sink_;
  ScopedDiagnosticSink route_;
};

}  // namespace honeyhive::test
