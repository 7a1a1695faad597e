#include "honeyhive/lifecycle/lifecycle.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/deadline.hpp"
#include "core/env.hpp"
#include "core/random.hpp"
#include "core/thread_count.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"
#include "lifecycle/strategy_names.hpp"

namespace honeyhive {
namespace {

using Clock = std::chrono::steady_clock;

constexpr unsigned kManyHardwareThreads = 32;
constexpr std::size_t kManyTracingThreads = 64;

struct ExitEntry {
  std::weak_ptr<void> owner;
  std::chrono::milliseconds budget;
  ExitAction action;
};

struct ExitRegistry {
  std::mutex mutex;  // guards entries and ran
  std::vector<ExitEntry> entries;
  bool ran = false;
};

// Leaked: the hook runs during exit, after or before any static destructor.
ExitRegistry& exit_registry() {
  static auto* instance = new ExitRegistry();  // NOLINT(cppcoreguidelines-owning-memory)
  return *instance;
}

extern "C" void honeyhive_exit_hook() { run_exit_hook(); }

std::string lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The kind a lowercase name forces, or nullopt ("auto", "" and names of nothing).
std::optional<LifecycleStrategyKind> forced_kind(const std::string& name) noexcept {
  static constexpr std::pair<const char*, LifecycleStrategyKind> kNames[] = {
      {"lambda", LifecycleStrategyKind::lambda},     {"kubernetes", LifecycleStrategyKind::kubernetes},
      {"k8s", LifecycleStrategyKind::kubernetes},    {"high_concurrency", LifecycleStrategyKind::high_concurrency},
      {"standard", LifecycleStrategyKind::standard}, {"default", LifecycleStrategyKind::standard}};
  for (const auto& [known, kind] : kNames) {
    if (name == known) return kind;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(LifecycleStrategyKind kind) noexcept {
  switch (kind) {
    case LifecycleStrategyKind::standard: return "standard";
    case LifecycleStrategyKind::lambda: return "lambda";
    case LifecycleStrategyKind::kubernetes: return "kubernetes";
    case LifecycleStrategyKind::high_concurrency: return "high_concurrency";
  }
  return "standard";
}

LifecycleStrategy LifecycleStrategy::of(LifecycleStrategyKind kind, std::string reason) {
  using std::chrono::milliseconds;
  LifecycleStrategy strategy;
  strategy.kind = kind;
  strategy.reason = std::move(reason);
  switch (kind) {
    case LifecycleStrategyKind::lambda:
      strategy.lifecycle_timeout = milliseconds(500);
      strategy.operation_timeout = milliseconds(100);
      break;
    case LifecycleStrategyKind::kubernetes:
      strategy.lifecycle_timeout = milliseconds(2000);
      strategy.operation_timeout = milliseconds(500);
      break;
    case LifecycleStrategyKind::high_concurrency:
      strategy.lifecycle_timeout = milliseconds(5000);
      strategy.operation_timeout = milliseconds(1000);
      break;
    case LifecycleStrategyKind::standard:
      strategy.lifecycle_timeout = milliseconds(3000);
      strategy.operation_timeout = milliseconds(1000);
      break;
  }
  return strategy;
}

namespace detail {

bool is_lifecycle_strategy_name(const std::string& name) noexcept {
  try {
    const std::string lower = lowercase(name);
    return lower.empty() || lower == "auto" || forced_kind(lower).has_value();
  } catch (...) {
    return false;
  }
}

std::string unknown_lifecycle_strategy(const std::string& from, const std::string& name) {
  return from + "='" + name +
         "' is not a lifecycle strategy (auto, lambda, kubernetes, high_concurrency, standard); detecting it instead";
}

}  // namespace detail

LifecycleStrategy detect_lifecycle_strategy(const std::string& forced, const std::string& forced_from) noexcept {
  try {
    std::string name = forced;
    std::string from = forced_from;
    if (name.empty()) {
      if (auto env = detail::get_env("HH_LIFECYCLE_STRATEGY")) {
        name = *env;
        from = "HH_LIFECYCLE_STRATEGY";
      }
    }
    name = lowercase(name);
    if (!name.empty() && name != "auto") {
      if (const auto kind = forced_kind(name)) return LifecycleStrategy::of(*kind, "forced by " + from);
      report_diagnostic(DiagnosticLevel::warning, detail::unknown_lifecycle_strategy(from, name));
    }
    if (detail::get_env("AWS_LAMBDA_FUNCTION_NAME")) {
      return LifecycleStrategy::of(LifecycleStrategyKind::lambda, "AWS_LAMBDA_FUNCTION_NAME is set");
    }
    if (auto env = detail::get_env("AWS_EXECUTION_ENV"); env && env->rfind("AWS_Lambda", 0) == 0) {
      return LifecycleStrategy::of(LifecycleStrategyKind::lambda, "AWS_EXECUTION_ENV=" + *env);
    }
    if (detail::get_env("KUBERNETES_SERVICE_HOST")) {
      return LifecycleStrategy::of(LifecycleStrategyKind::kubernetes, "KUBERNETES_SERVICE_HOST is set");
    }
    const unsigned hardware = std::thread::hardware_concurrency();
    if (hardware >= kManyHardwareThreads) {
      return LifecycleStrategy::of(LifecycleStrategyKind::high_concurrency,
                                   std::to_string(hardware) + " hardware threads");
    }
    const std::size_t tracing = detail::live_context_threads();
    if (tracing >= kManyTracingThreads) {
      return LifecycleStrategy::of(LifecycleStrategyKind::high_concurrency,
                                   std::to_string(tracing) + " threads using the tracer");
    }
    return LifecycleStrategy::of(LifecycleStrategyKind::standard,
                                 "no serverless, container or high-concurrency signal");
  } catch (...) {
    return LifecycleStrategy{};
  }
}

bool process_exiting() noexcept { return detail::process_is_exiting(); }

std::uint64_t fork_generation() noexcept { return detail::fork_generation(); }

void register_for_exit(std::weak_ptr<void> owner, std::chrono::milliseconds budget, ExitAction action) noexcept {
  try {
    static const bool fork_safe =
        pthread_atfork([] { exit_registry().mutex.lock(); }, [] { exit_registry().mutex.unlock(); },
                       [] { exit_registry().mutex.unlock(); }) == 0;
    (void)fork_safe;
    static const bool installed = std::atexit(&honeyhive_exit_hook) == 0;
    if (!installed) {
      report_diagnostic(DiagnosticLevel::warning, "could not install the exit hook; call shutdown() before exit");
    }
    ExitRegistry& registry = exit_registry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.entries.erase(std::remove_if(registry.entries.begin(), registry.entries.end(),
                                          [](const ExitEntry& entry) { return entry.owner.expired(); }),
                           registry.entries.end());
    registry.entries.push_back(ExitEntry{std::move(owner), budget, std::move(action)});
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "could not register a tracer with the exit hook");
  }
}

void run_exit_hook() noexcept {
  try {
    detail::mark_process_exiting();
    std::vector<std::pair<std::shared_ptr<void>, ExitEntry>> alive;
    {
      ExitRegistry& registry = exit_registry();
      std::lock_guard<std::mutex> lock(registry.mutex);
      if (registry.ran) return;
      registry.ran = true;
      for (auto& entry : registry.entries) {
        if (auto owner = entry.owner.lock()) alive.emplace_back(std::move(owner), std::move(entry));
      }
      registry.entries.clear();
    }
    std::chrono::milliseconds budget{0};
    for (const auto& [owner, entry] : alive) budget = std::max(budget, entry.budget);
    const auto deadline = detail::deadline_after(budget);
    const auto run = [deadline](const std::shared_ptr<void>& owner, const ExitEntry& entry) noexcept {
      try {
        if (entry.action) entry.action(owner, deadline);
      } catch (...) {
      }
    };
    // Each tracer shuts down on its own thread, all against the same deadline: a dead backend of
    // one cannot use up the time of the others. Inline when there is one, or when exit() was called
    // from an export thread (a tracer must then see its own export thread as the caller).
    const bool inline_only =
        alive.size() <= 1 || BatchSpanProcessor::on_export_thread() || SimpleSpanProcessor::on_export_call();
    std::vector<std::thread> threads;
    for (const auto& [owner, entry] : alive) {
      if (!inline_only) {
        try {
          threads.emplace_back(run, owner, std::cref(entry));
          continue;
        } catch (...) {
          // No thread: run it here.
        }
      }
      run(owner, entry);
    }
    for (auto& thread : threads) thread.join();  // each shutdown is bounded by the deadline
    // The owners may be released here: a tracer whose last reference was ours is destroyed now,
    // already shut down.
  } catch (...) {
  }
}

}  // namespace honeyhive
