#pragma once

// A lock for short critical sections that nearly always find it free (internal, in a public header
// because classes of the public API hold one).
#include <atomic>

namespace honeyhive::detail {

// In nearly every program one thread at a time takes it, for well under a microsecond (a span's
// setter, a copy of a shared snapshot), where std::mutex's lock + unlock pair costs about 60-110
// instructions and this one about 10. When it is held, the waiter spins briefly, then yields, then
// sleeps, so a holder that was preempted (even by a higher-priority waiter) still gets to run and
// release it. Not recursive; meets the Lockable requirements (std::lock_guard, std::unique_lock).
class SpinMutex {
 public:
  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lock_contended();
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  void lock_contended() noexcept;
  std::atomic<bool> locked_{false};
};

}  // namespace honeyhive::detail
