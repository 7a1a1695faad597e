#pragma once

// Deadlines and the time left until them (internal).
#include <algorithm>
#include <chrono>
#include <limits>

namespace honeyhive::detail {

// The whole milliseconds from now until `deadline`; zero once it has passed.
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) noexcept {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

// `start` + `timeout`, saturating at the clock's last time point instead of overflowing: a timeout
// such as milliseconds::max() means "no limit", not a deadline in the past (the plain sum converts
// it to nanoseconds, which overflows). A timeout of zero or less is `start`.
template <class Rep, class Period>
std::chrono::steady_clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout,
                                                     std::chrono::steady_clock::time_point start) noexcept {
  using TimePoint = std::chrono::steady_clock::time_point;
  if (timeout <= std::chrono::duration<Rep, Period>::zero()) return start;
  // The room left before the last time point, in the timeout's unit, rounded down: a division,
  // which cannot overflow. A timeout below it converts to the clock's unit without overflowing.
  const auto room = std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(TimePoint::max() - start);
  if (timeout >= room) return TimePoint::max();
  return start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
}

template <class Rep, class Period>
std::chrono::steady_clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout) noexcept {
  return deadline_after(timeout, std::chrono::steady_clock::now());
}

// `timeout` * `times` (times >= 1), saturating at the largest duration instead of overflowing.
inline std::chrono::milliseconds saturating_times(std::chrono::milliseconds timeout, long long times) noexcept {
  using Rep = std::chrono::milliseconds::rep;
  if (times <= 1 || timeout.count() <= 0) return timeout;
  if (timeout.count() > std::numeric_limits<Rep>::max() / times) return std::chrono::milliseconds::max();
  return std::chrono::milliseconds(timeout.count() * times);
}

// The budget the exporters and the runs API give one request tried up to `attempts` times,
// `timeout` each: now + timeout x attempts, saturating.
inline std::chrono::steady_clock::time_point deadline_for_attempts(std::chrono::milliseconds timeout,
                                                                   long long attempts) noexcept {
  return deadline_after(saturating_times(timeout, attempts));
}

}  // namespace honeyhive::detail
