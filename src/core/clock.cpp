#include "honeyhive/core/clock.hpp"

#include <atomic>

#include "core/clock_testing.hpp"
#include "core/span_clock.hpp"
#include "core/tsc_clock.hpp"

namespace honeyhive {
namespace {
std::atomic<detail::WallClock> g_wall_clock_override{nullptr};

// The wall clock minus the monotonic clock (modulo 2^64), and the monotonic time until which it
// is used. The offset is stored before the deadline (release) and read after it (acquire), so a
// reader that sees a deadline sees an offset at least that recent; one stored later by another
// thread is as valid. A deadline below kSwapTokens is no deadline (the monotonic clock is far past
// it): 0 before the first span, and a token that each swap of the test clock sets, different each
// time, so an anchoring that began before a swap cannot store its deadline after it.
std::atomic<std::uint64_t> g_wall_minus_steady{0};
std::atomic<std::uint64_t> g_offset_valid_until_steady{0};
std::atomic<std::uint64_t> g_clock_swaps{0};
constexpr std::uint64_t kSwapTokens = std::uint64_t{1} << 32U;

// The offset is measured from a wall reading between two monotonic ones at most this far apart
// (clock reads take tens of nanoseconds; more means the thread was preempted or interrupted in
// between, and the offset would shift every span start for a second by that much).
constexpr std::uint64_t kMaxAnchorReadNanos = 20'000;
constexpr int kAnchorAttempts = 3;

UnixNanos system_wall_nanos() noexcept {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  return nanos < 0 ? 0 : static_cast<UnixNanos>(nanos);
}

// span_start_time's slow path: the offset expired (or never was), or a test clock is set.
// `seen_deadline` is the deadline span_start_time read, already passed.
[[gnu::noinline]] detail::SpanStartTime anchor_and_start(std::uint64_t steady, std::uint64_t seen_deadline) noexcept {
  if (const auto clock = g_wall_clock_override.load(std::memory_order_acquire)) return {steady, clock()};
  for (int attempt = 0; attempt < kAnchorAttempts; ++attempt) {
    const std::uint64_t before = now_steady_nanos();
    const UnixNanos wall = system_wall_nanos();
    const std::uint64_t after = now_steady_nanos();
    if (after - before > kMaxAnchorReadNanos) continue;
    const std::uint64_t at = before + (after - before) / 2;
    const std::uint64_t offset = wall - at;
    g_wall_minus_steady.store(offset, std::memory_order_relaxed);
    // Only over the deadline this call saw: a test clock swapped meanwhile changed it, and wins.
    std::uint64_t expected = seen_deadline;
    g_offset_valid_until_steady.compare_exchange_strong(expected, at + detail::kWallAnchorRefreshNanos,
                                                        std::memory_order_release, std::memory_order_relaxed);
    // Once a second too: the span clock's calibration point. The refresh may have found the
    // counter off (after a resume from suspend, say), so this span reads the span clock again.
    detail::refresh_tsc_mapping();
    const std::uint64_t start = detail::span_steady_nanos();
    return {start, start + offset};
  }
  return {steady, system_wall_nanos()};  // no steady reading this time: this span alone reads the wall
}

}  // namespace

void detail::set_wall_clock_for_testing(WallClock clock) noexcept {
  g_wall_clock_override.store(clock, std::memory_order_release);
  // A new token (never 0, never a real deadline): span starts read the clock set from now on.
  const std::uint64_t token = 1 + g_clock_swaps.fetch_add(1, std::memory_order_relaxed) % (kSwapTokens - 1);
  g_offset_valid_until_steady.store(token, std::memory_order_release);
}

UnixNanos now_unix_nanos() noexcept {
  if (const auto clock = g_wall_clock_override.load(std::memory_order_acquire)) return clock();
  return system_wall_nanos();
}

std::uint64_t now_steady_nanos() noexcept {
  const auto since_origin = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(since_origin).count());
}

detail::SpanStartTime detail::span_start_time() noexcept {
  const std::uint64_t steady = detail::span_steady_nanos();
  const std::uint64_t valid_until = g_offset_valid_until_steady.load(std::memory_order_acquire);
  if (steady < valid_until) return {steady, steady + g_wall_minus_steady.load(std::memory_order_relaxed)};
  return anchor_and_start(steady, valid_until);
}

}  // namespace honeyhive
