#pragma once

// A lock that is only ever try-locked, for critical sections of a few stores (internal): the span
// record pool's shared array.
#include <atomic>
#include <cstdint>

namespace honeyhive::detail {

// try_lock() never waits for a holder: a try that finds the lock held pauses and looks again a few
// times (kLooks), then gives up. Holders keep it for a few stores, so a second look nearly always
// finds it free; giving up costs the pool a record made new or deleted. (With one look, about 6%
// of the records given back and taken in workload (a) across two cores were deleted and made new
// again, because the export thread, giving back hundreds of records in a row, holds it often.)
// In a fork child a lock that another thread held at the fork can never be released: the child
// marks it dead (mark_dead_if_held), and tries then give up at once, not after kLooks pauses.
// Constant-initialised and trivially destructible: usable at any time, static destruction included.
// `Pause` is what a try does between looks (Pause::pause(); tests substitute their own).
template <class Pause>
class BasicTryLock {
 public:
  static constexpr int kLooks = 16;

  bool try_lock() noexcept { return took_if_free() || try_lock_contended(); }
  void unlock() noexcept { state_.store(kFree, std::memory_order_release); }

  // In a fork child (one thread, the holder gone): a lock still held stays held for good.
  void mark_dead_if_held() noexcept {
    if (state_.load(std::memory_order_relaxed) != kFree) state_.store(kDead, std::memory_order_relaxed);
  }
  bool dead() const noexcept { return state_.load(std::memory_order_relaxed) == kDead; }

 private:
  static constexpr std::uint8_t kFree = 0;
  static constexpr std::uint8_t kHeld = 1;
  static constexpr std::uint8_t kDead = 2;

  [[gnu::noinline, gnu::cold]] bool try_lock_contended() noexcept {
    // (Only a fork child's handler makes a lock dead, before the child runs anything else.)
    if (state_.load(std::memory_order_relaxed) == kDead) return false;
    for (int look = 0; look < kLooks; ++look) {
      Pause::pause();
      if (took_if_free()) return true;
    }
    return false;
  }

  // One look: takes the lock when it is free (a load first, so a held lock's cache line is only
  // read, not written, by a try that finds it held).
  bool took_if_free() noexcept {
    std::uint8_t expected = kFree;
    return state_.load(std::memory_order_relaxed) == kFree &&
           state_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire, std::memory_order_relaxed);
  }

  std::atomic<std::uint8_t> state_{kFree};
};

// The processor's spin-wait hint (none on other architectures: the looks are then back to back).
struct CpuPause {
  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
};

using TryLock = BasicTryLock<CpuPause>;

}  // namespace honeyhive::detail
