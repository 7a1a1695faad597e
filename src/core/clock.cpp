#include "honeyhive/core/clock.hpp"

#include <atomic>

#include "core/clock_testing.hpp"

namespace honeyhive {
namespace {
std::atomic<detail::WallClock> g_wall_clock_override{nullptr};
}  // namespace

void detail::set_wall_clock_for_testing(WallClock clock) noexcept {
  g_wall_clock_override.store(clock, std::memory_order_release);
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

}  // namespace honeyhive
