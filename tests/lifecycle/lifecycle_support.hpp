#pragma once

// Test support for the lifecycle tests: a watchdog that turns a hang into a clear failure, and
// exporters that misbehave or record which process exported what.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "honeyhive/export/span_exporter.hpp"

namespace honeyhive::test {

// Runs `fn`; if it has not returned after `limit`, prints `what` and ends the process with exit
// code 3 (a hang must fail the test, not stall the suite). The limit detects hangs; it is not a
// timing assertion: it is many times the budget of what it guards.
inline void with_watchdog(const char* what, std::chrono::seconds limit, const std::function<void()>& fn) {
  std::promise<void> done;
  auto finished = done.get_future();
  std::thread watchdog([&finished, what, limit] {
    if (finished.wait_for(limit) != std::future_status::ready) {
      std::fprintf(stderr, "WATCHDOG: '%s' did not finish within %lld s: hang\n", what,
                   static_cast<long long>(limit.count()));
      std::fflush(stderr);
      std::_Exit(3);
    }
  });
  fn();
  done.set_value();
  watchdog.join();
}

// An exporter that throws from every call.
class ThrowingExporter final : public SpanExporter {
 public:
  ExportResult export_spans(const std::vector<SpanDataPtr>&) override {
    calls_.fetch_add(1);
    throw std::runtime_error("backend exploded");
  }
  bool force_flush(std::chrono::milliseconds) override { throw std::runtime_error("flush exploded"); }
  bool shutdown(std::chrono::milliseconds) override { throw std::runtime_error("shutdown exploded"); }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

// Calls `callback` from inside export_spans (the first time only), then records the spans.
class CallbackExporter final : public SpanExporter {
 public:
  explicit CallbackExporter(std::function<void()> callback) : callback_(std::move(callback)) {}
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) override {
    if (!called_.exchange(true) && callback_) callback_();
    exported_.fetch_add(spans.size());
    return ExportResult::success;
  }
  bool shutdown(std::chrono::milliseconds) override {
    shutdowns_.fetch_add(1);
    return true;
  }
  std::size_t exported() const { return exported_.load(); }
  int shutdowns() const { return shutdowns_.load(); }

 private:
  std::function<void()> callback_;
  std::atomic<bool> called_{false};
  std::atomic<std::size_t> exported_{0};
  std::atomic<int> shutdowns_{0};
};

// Appends "<pid> <span name> <span id>" per exported span to a file, flushed at once, so spans
// exported by a fork child and its parent can be told apart afterwards.
class PidFileExporter final : public SpanExporter {
 public:
  explicit PidFileExporter(std::string path) : path_(std::move(path)) {}
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::FILE* file = std::fopen(path_.c_str(), "a");
    if (file == nullptr) return ExportResult::failure;
    for (const auto& span : spans) {
      std::fprintf(file, "%d %s %s\n", static_cast<int>(::getpid()), span->name.c_str(),
                   span->context.span_id().to_hex().c_str());
    }
    std::fclose(file);
    return ExportResult::success;
  }
  bool shutdown(std::chrono::milliseconds) override { return true; }
  // The parent's export thread may hold the lock at the fork (mid-export): the child, where that
  // thread does not exist, gets a fresh one, as the SDK's exporters do. Without this a fork child
  // waited on the abandoned lock until its flush and shutdown timed out (ForkTest, ~20 s).
  void reset_after_fork() noexcept override { new (&mutex_) std::mutex(); }  // NOLINT

 private:
  std::mutex mutex_;
  std::string path_;
};

struct ExportedLine {
  int pid;
  std::string name;
  std::string span_id;
};

inline std::vector<ExportedLine> read_pid_file(const std::string& path) {
  std::vector<ExportedLine> lines;
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return lines;
  int pid = 0;
  char name[256];
  char id[64];
  while (std::fscanf(file, "%d %255s %63s", &pid, name, id) == 3) lines.push_back({pid, name, id});
  std::fclose(file);
  return lines;
}

inline std::string temp_path(const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + stem + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace honeyhive::test
