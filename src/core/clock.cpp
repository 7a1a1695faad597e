#include "honeyhive/core/clock.hpp"

#include <atomic>

#include "core/clock_testing.hpp"
#include "core/span_clock.hpp"

namespace honeyhive {
namespace {
std::atomic<detail::WallClock> g_wall_clock_override{nullptr};

// The wall clock minus the monotonic clock (modulo 2^64), and the monotonic time until which it
// is used (0: not at all, as before the first span or while a test clock is set). The offset is
// stored before the deadline (release) and read after it (acquire), so a reader that sees a
// deadline sees an offset at least that recent; one stored later by another thread is as valid.
std::atomic<std::uint64_t> g_wall_minus_steady{0};
std::atomic<std::uint64_t> g_offset_valid_until_steady{0};
}  // namespace

void detail::set_wall_clock_for_testing(WallClock clock) noexcept {
  g_wall_clock_override.store(clock, std::memory_order_release);
  g_offset_valid_until_steady.store(0, std::memory_order_release);  // span starts read the clock set
}

UnixNanos now_unix_nanos() noexcept {
  if (const auto clock = g_wall_clock_override.load(std::memory_order_acquire)) return clock();
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  return nanos < 0 ? 0 : static_cast<UnixNanos>(nanos);
}

std::uint64_t now_steady_nanos() noexcept {
  const auto since_origin = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(since_origin).count());
}

detail::SpanStartTime detail::span_start_time() noexcept {
  const std::uint64_t steady = now_steady_nanos();
  if (steady < g_offset_valid_until_steady.load(std::memory_order_acquire)) {
    return {steady, steady + g_wall_minus_steady.load(std::memory_order_relaxed)};
  }
  const UnixNanos unix = now_unix_nanos();
  if (g_wall_clock_override.load(std::memory_order_acquire) == nullptr) {
    g_wall_minus_steady.store(unix - steady, std::memory_order_relaxed);
    g_offset_valid_until_steady.store(steady + kWallAnchorRefreshNanos, std::memory_order_release);
  }
  return {steady, unix};
}

}  // namespace honeyhive
