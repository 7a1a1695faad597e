#include "core/deadline.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

#include "core/env.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A timeout given as "as long as it takes" (milliseconds::max(), hours::max()) is a deadline that
// never comes: the plain sum converts it to nanoseconds, overflows, and lands in the past.
TEST(DeadlineAfter, AHugeTimeoutSaturatesAtTheLastTimePointInsteadOfOverflowing) {
  const TimePoint start = std::chrono::steady_clock::now();
  EXPECT_EQ(detail::deadline_after(milliseconds::max(), start), TimePoint::max());
  EXPECT_EQ(detail::deadline_after(std::chrono::hours::max(), start), TimePoint::max());
  EXPECT_EQ(detail::deadline_after(std::chrono::nanoseconds::max(), start), TimePoint::max());
  EXPECT_EQ(detail::deadline_after(milliseconds::max()), TimePoint::max());
  EXPECT_GT(detail::deadline_after(milliseconds::max() / 2, start), start);
}

TEST(DeadlineAfter, AnOrdinaryTimeoutIsAddedExactly) {
  const TimePoint start = std::chrono::steady_clock::now();
  EXPECT_EQ(detail::deadline_after(milliseconds(1500), start), start + milliseconds(1500));
  EXPECT_EQ(detail::deadline_after(std::chrono::microseconds(7), start), start + std::chrono::microseconds(7));
  EXPECT_EQ(detail::deadline_after(milliseconds(0), start), start);
  EXPECT_EQ(detail::deadline_after(milliseconds(-5), start), start);
  EXPECT_EQ(detail::deadline_after(milliseconds::min(), start), start);
}

TEST(SaturatingTimes, MultipliesOrSaturates) {
  EXPECT_EQ(detail::saturating_times(milliseconds(10), 4), milliseconds(40));
  EXPECT_EQ(detail::saturating_times(milliseconds(10), 1), milliseconds(10));
  EXPECT_EQ(detail::saturating_times(milliseconds::max(), 4), milliseconds::max());
  EXPECT_EQ(detail::saturating_times(milliseconds::max() / 3, 4), milliseconds::max());
  EXPECT_EQ(detail::saturating_times(milliseconds(0), 4), milliseconds(0));
}

// An environment value of milliseconds past what the type holds is "forever", never negative.
TEST(SaturatingMillis, ACountPastTheLargestDurationIsTheLargestDuration) {
  EXPECT_EQ(detail::saturating_millis(250), milliseconds(250));
  EXPECT_EQ(detail::saturating_millis(std::numeric_limits<std::uint64_t>::max()), milliseconds::max());
  EXPECT_EQ(detail::saturating_millis(static_cast<std::uint64_t>(milliseconds::max().count()) + 1),
            milliseconds::max());
}

}  // namespace
}  // namespace honeyhive
