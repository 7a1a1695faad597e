// The span clock's counter path (core/tsc_clock.hpp): ticks become monotonic nanoseconds through a
// mapping measured against CLOCK_MONOTONIC. A wrong mapping would give every span a wrong duration,
// so the mapping's arithmetic, its limits and its agreement with CLOCK_MONOTONIC are checked here.
#include "core/tsc_clock.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "honeyhive/core/clock.hpp"

namespace honeyhive::detail {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;

// A 2.5 GHz counter: 2.5 ticks per nanosecond.
constexpr TscPoint kEarlier{1'000'000'000'000, 5 * kSecond};
constexpr TscPoint kLater{1'000'000'000'000 + 2'500'000'000, 6 * kSecond};

TEST(TscClockTest, AMappingConvertsTicksAtTheMeasuredRateFromTheLaterPoint) {
  const auto mapping = tsc_mapping_between(kEarlier, kLater);
  ASSERT_TRUE(mapping.has_value());
  EXPECT_EQ(mapping->base_ticks, kLater.ticks);
  EXPECT_EQ(mapping->base_nanos, kLater.nanos);
  // 1 ms and 2 s later; the 32-bit fraction of the scale leaves at most a nanosecond per second.
  const auto millisecond = tsc_nanos(*mapping, kLater.ticks + 2'500'000);
  ASSERT_TRUE(millisecond.has_value());
  EXPECT_NEAR(static_cast<double>(*millisecond - kLater.nanos), 1'000'000.0, 1.0);
  const auto two_seconds = tsc_nanos(*mapping, kLater.ticks + 5'000'000'000);
  ASSERT_TRUE(two_seconds.has_value());
  EXPECT_NEAR(static_cast<double>(*two_seconds - kLater.nanos), 2.0 * kSecond, 3.0);
  EXPECT_EQ(tsc_nanos(*mapping, kLater.ticks), kLater.nanos);
}

TEST(TscClockTest, NoMappingFromPointsTooCloseBackwardsOrAtAnImplausibleRate) {
  EXPECT_FALSE(tsc_mapping_between(kEarlier, TscPoint{kEarlier.ticks + 1'000'000, kEarlier.nanos + 400'000}));
  EXPECT_FALSE(tsc_mapping_between(kLater, kEarlier));                                       // time went back
  EXPECT_FALSE(tsc_mapping_between(kEarlier, TscPoint{kEarlier.ticks, kLater.nanos}));       // counter stood
  EXPECT_FALSE(tsc_mapping_between(kEarlier, TscPoint{kEarlier.ticks + 10, kLater.nanos}));  // 10 Hz
  EXPECT_FALSE(tsc_mapping_between(kEarlier, TscPoint{kEarlier.ticks + 100 * kSecond, kLater.nanos}));  // 100 GHz
  EXPECT_TRUE(tsc_mapping_between(kEarlier, TscPoint{kEarlier.ticks + 1'000'000'000, kEarlier.nanos + kSecond / 2}));
}

TEST(TscClockTest, AMappingIsNotUsedBeforeItsBaseOrPastItsLife) {
  const auto mapping = tsc_mapping_between(kEarlier, kLater);
  ASSERT_TRUE(mapping.has_value());
  EXPECT_FALSE(tsc_nanos(*mapping, kLater.ticks - 1).has_value());  // another CPU's counter a little behind
  const std::uint64_t life_ticks = kTscMappingLifeNanos / 1'000'000'000 * 2'500'000'000;
  EXPECT_TRUE(tsc_nanos(*mapping, kLater.ticks + life_ticks - 1'000).has_value());
  EXPECT_FALSE(tsc_nanos(*mapping, kLater.ticks + life_ticks + 1'000).has_value());
  EXPECT_FALSE(tsc_nanos(TscMapping{0, 0, 0, 0}, 5).has_value());  // none published
}

TEST(TscClockTest, AgreementIsWithinTheToleranceEitherWay) {
  const auto mapping = tsc_mapping_between(kEarlier, kLater);
  ASSERT_TRUE(mapping.has_value());
  const std::uint64_t ticks = kLater.ticks + 2'500'000'000;  // 1 s after the base
  const std::uint64_t nanos = kLater.nanos + kSecond;
  EXPECT_TRUE(tsc_mapping_agrees(*mapping, TscPoint{ticks, nanos}));
  EXPECT_TRUE(tsc_mapping_agrees(*mapping, TscPoint{ticks, nanos + kTscMaxDisagreementNanos - 10}));
  EXPECT_TRUE(tsc_mapping_agrees(*mapping, TscPoint{ticks, nanos - kTscMaxDisagreementNanos + 10}));
  EXPECT_FALSE(tsc_mapping_agrees(*mapping, TscPoint{ticks, nanos + kTscMaxDisagreementNanos + 10}));
  EXPECT_FALSE(tsc_mapping_agrees(*mapping, TscPoint{ticks, nanos - kTscMaxDisagreementNanos - 10}));
}

// Calibrates as span starts would (two points more than the minimum apart), in this process.
void calibrate() {
  refresh_tsc_mapping();
  std::this_thread::sleep_for(std::chrono::nanoseconds(kTscMinCalibrationNanos + 100'000'000));
  refresh_tsc_mapping();
}

// Where the counter is used, span times agree with CLOCK_MONOTONIC: a span-clock reading falls
// between two monotonic readings taken around it (give or take the tolerance a refresh enforces).
TEST(TscClockTest, SpanClockReadingsFallBetweenMonotonicReadingsAroundThem) {
  calibrate();
  if (!tsc_mapping_published()) {
    GTEST_SKIP() << "this machine's kernel does not keep time with an invariant time-stamp counter";
  }
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t before = now_steady_nanos();
    const std::uint64_t span = span_steady_nanos();
    const std::uint64_t after = now_steady_nanos();
    ASSERT_GE(span + kTscMaxDisagreementNanos, before) << "reading " << i;
    ASSERT_LE(span, after + kTscMaxDisagreementNanos) << "reading " << i;
  }
  // And a 20 ms interval measured on it is 20 ms of CLOCK_MONOTONIC.
  const std::uint64_t span_start = span_steady_nanos();
  const std::uint64_t start = now_steady_nanos();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::uint64_t span_elapsed = span_steady_nanos() - span_start;
  const std::uint64_t elapsed = now_steady_nanos() - start;
  EXPECT_NEAR(static_cast<double>(span_elapsed), static_cast<double>(elapsed), 2.0 * kTscMaxDisagreementNanos);
}

// HONEYHIVE_SPAN_CLOCK=monotonic keeps the counter out, however long spans start.
TEST(TscClockTest, TheEnvironmentCanKeepSpanTimesOnClockMonotonic) {
  setenv("HONEYHIVE_SPAN_CLOCK", "monotonic", 1);
  reset_tsc_clock_for_testing();
  calibrate();
  const bool published = tsc_mapping_published();
  unsetenv("HONEYHIVE_SPAN_CLOCK");
  reset_tsc_clock_for_testing();
  EXPECT_FALSE(published) << "the counter was used although HONEYHIVE_SPAN_CLOCK=monotonic";
}

}  // namespace
}  // namespace honeyhive::detail
