#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace honeyhive {

// How much time the SDK may take at the edges of a process's life, picked from where it runs.
enum class LifecycleStrategyKind : std::uint8_t { standard, lambda, kubernetes, high_concurrency };

const char* to_string(LifecycleStrategyKind kind) noexcept;

struct LifecycleStrategy {
  LifecycleStrategyKind kind = LifecycleStrategyKind::standard;
  // Bounds a whole flush-and-shutdown (the exit hook, HoneyHiveTracer::shutdown without an
  // argument, a tracer's destructor), lock waits in the lifecycle included.
  std::chrono::milliseconds lifecycle_timeout{3000};
  // Bounds one operation inside it: one export attempt during shutdown, one flush of one processor.
  std::chrono::milliseconds operation_timeout{1000};
  std::string reason;  // why this strategy: "AWS_LAMBDA_FUNCTION_NAME is set", "forced by HH_LIFECYCLE_STRATEGY", ...

  // The budgets of each kind:
  //   lambda            0.5 s / 0.1 s  (the function is frozen right after it returns)
  //   kubernetes        2.0 s / 0.5 s  (inside the default 30 s grace period, next to the app's own work)
  //   high_concurrency  5.0 s / 1.0 s  (many producers: queues are fuller when the process stops)
  //   standard          3.0 s / 1.0 s  (a CLI or a service on a host: one retried HTTPS export fits,
  //                                     and Ctrl-C never looks like a hang)
  static LifecycleStrategy of(LifecycleStrategyKind kind, std::string reason = {});
};

// Detects the runtime. `forced` (a config value named by `forced_from`; when empty,
// HH_LIFECYCLE_STRATEGY) names a kind ("lambda", "kubernetes", "high_concurrency",
// "standard"/"default") or "auto" to detect:
// AWS_LAMBDA_FUNCTION_NAME or AWS_EXECUTION_ENV -> lambda; KUBERNETES_SERVICE_HOST -> kubernetes;
// >= 32 hardware threads or >= 64 live threads that used the tracer -> high_concurrency; else
// standard. An unknown name is reported and detection is used instead. Never throws.
LifecycleStrategy detect_lifecycle_strategy(const std::string& forced = {},
                                            const std::string& forced_from = "config") noexcept;

// True once the process is going down: the SDK's exit hook has started (return from main or
// exit()). Work that could block on other threads or print to closing streams is skipped then.
bool process_exiting() noexcept;

// What the exit hook does for one owner (a tracer): flush and shut down by `deadline`.
using ExitAction =
    std::function<void(const std::shared_ptr<void>& owner, std::chrono::steady_clock::time_point deadline)>;

// Installs, once per process, the exit hook (atexit), and adds `owner` to what it shuts down.
// The hook holds owners weakly: one destroyed before it runs is skipped. It gives all of them
// together the largest `budget` among those alive, runs once, and never waits on the calling
// thread itself (exit() from an export thread does not deadlock). HoneyHiveTracer::init calls it.
void register_for_exit(std::weak_ptr<void> owner, std::chrono::milliseconds budget, ExitAction action) noexcept;

// Runs the exit hook now (what atexit would do); later runs are no-ops. For tests and for
// programs that leave with _exit() after cleaning up themselves.
void run_exit_hook() noexcept;

// Bumped in every fork() child (pthread_atfork). Components compare it with the value they saw
// when they started their threads, and restart them lazily in the child.
std::uint64_t fork_generation() noexcept;

}  // namespace honeyhive
