// The span clock's counter path (core/tsc_clock.hpp): ticks become monotonic nanoseconds through a
// mapping measured against CLOCK_MONOTONIC. A wrong mapping would give every span a wrong duration,
// so the mapping's arithmetic, its limits and its agreement with CLOCK_MONOTONIC are checked here.
#include "core/tsc_clock.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
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

// Points of a 2.5 GHz counter, `seconds` into a run, `extra_nanos` of counter time added.
TscPoint at(double seconds, double extra_nanos = 0) {
  const double nanos = seconds * 1e9;
  return TscPoint{kEarlier.ticks + static_cast<std::uint64_t>((nanos + extra_nanos) * 2.5),
                  kEarlier.nanos + static_cast<std::uint64_t>(nanos)};
}

class TscCalibrationTest : public ::testing::Test {
 protected:
  void SetUp() override { reset_tsc_clock_for_testing(); }
  void TearDown() override { reset_tsc_clock_for_testing(); }
  static bool published() { return published_tsc_mapping().has_value(); }
  // Feeds points `from`, `from` + 1 s, ... up to `to` seconds; true when a mapping is published after.
  static bool feed(double from, double to) {
    for (double t = from; t <= to + 1e-9; t += 1.0) refresh_tsc_mapping_at_for_testing(at(t));
    return published();
  }
};

TEST_F(TscCalibrationTest, AMappingIsPublishedOnceTwoIntervalsAgree) {
  refresh_tsc_mapping_at_for_testing(at(0));
  refresh_tsc_mapping_at_for_testing(at(1));
  EXPECT_FALSE(published()) << "one interval is not enough";
  refresh_tsc_mapping_at_for_testing(at(1.3));  // too soon after the last point: ignored
  EXPECT_FALSE(published());
  refresh_tsc_mapping_at_for_testing(at(2));
  const auto mapping = published_tsc_mapping();
  ASSERT_TRUE(mapping.has_value());
  EXPECT_EQ(mapping->base_nanos, at(2).nanos);
  EXPECT_NEAR(static_cast<double>(*tsc_nanos(*mapping, at(2.5).ticks) - at(2).nanos), 5e8, 2.0);
}

TEST_F(TscCalibrationTest, AnIntervalThroughASuspendPublishesNothing) {
  ASSERT_TRUE(feed(0, 2));
  // The counter ran 4 s more than the monotonic clock (suspended): past the mapping's life, so no
  // agreement check; the interval's rate is 5 times too slow and must not become a mapping.
  refresh_tsc_mapping_at_for_testing(at(3, 4e9));
  EXPECT_FALSE(published());
  refresh_tsc_mapping_at_for_testing(at(4, 4e9));  // a normal interval, after the odd one
  EXPECT_FALSE(published());
  refresh_tsc_mapping_at_for_testing(at(5, 4e9));  // two normal intervals agree again
  EXPECT_TRUE(published());
}

TEST_F(TscCalibrationTest, AMappingThatDisagreesIsDroppedAndMeasuredAgain) {
  ASSERT_TRUE(feed(0, 2));
  refresh_tsc_mapping_at_for_testing(at(2.6, 100'000));  // 100 us off, within the mapping's life
  EXPECT_FALSE(published());
  refresh_tsc_mapping_at_for_testing(at(3.6, 100'000));
  EXPECT_FALSE(published()) << "one interval since the disagreement";
  refresh_tsc_mapping_at_for_testing(at(4.6, 100'000));
  EXPECT_TRUE(published());
  // Within the tolerance: kept.
  refresh_tsc_mapping_at_for_testing(at(5.0, 100'000 + kTscMaxDisagreementNanos / 2));
  EXPECT_TRUE(published());
}

TEST_F(TscCalibrationTest, ThreeDisagreementsInARowAreTheEnd) {
  double t = 0;
  double drift = 0;
  for (int round = 0; round < kTscMaxDisagreements; ++round) {
    for (int i = 0; i < 3; ++i, t += 1) refresh_tsc_mapping_at_for_testing(at(t, drift));
    ASSERT_TRUE(published()) << "round " << round;
    drift += 100'000;
    refresh_tsc_mapping_at_for_testing(at(t - 0.5, drift));  // disagrees
    ASSERT_FALSE(published());
    // Calibrated again (the first point above restarts it) without any agreement check between.
    refresh_tsc_mapping_at_for_testing(at(t + 0.5, drift));
    refresh_tsc_mapping_at_for_testing(at(t + 1.5, drift));
    if (round + 1 < kTscMaxDisagreements) {
      ASSERT_TRUE(published());
      // Past the life of this mapping before the next round's points: no agreement check, so the
      // disagreements stay in a row.
    }
    t += 10;
  }
  EXPECT_FALSE(feed(t, t + 5)) << "the counter must not be used again";
}

TEST_F(TscCalibrationTest, DisagreementsWithAgreementsBetweenDoNotAddUp) {
  double t = 0;
  double drift = 0;
  for (int round = 0; round < kTscMaxDisagreements + 2; ++round) {
    for (int i = 0; i < 3; ++i, t += 1) refresh_tsc_mapping_at_for_testing(at(t, drift));
    ASSERT_TRUE(published()) << "round " << round;
    refresh_tsc_mapping_at_for_testing(at(t - 0.4, drift));  // agrees: the count starts over
    drift += 100'000;
    refresh_tsc_mapping_at_for_testing(at(t + 0.2, drift));  // disagrees
    ASSERT_FALSE(published());
    t += 10;
  }
  EXPECT_TRUE(feed(t, t + 2));
}

TEST_F(TscCalibrationTest, AnIdleGapStartsCalibrationAgain) {
  ASSERT_TRUE(feed(0, 2));
  refresh_tsc_mapping_at_for_testing(at(60));  // no span for a minute
  EXPECT_FALSE(published());
  refresh_tsc_mapping_at_for_testing(at(61));
  EXPECT_FALSE(published());
  refresh_tsc_mapping_at_for_testing(at(62));
  EXPECT_TRUE(published());
}

// Calibrates as span starts would (two intervals, each longer than the minimum), in this process.
void calibrate() {
  for (int i = 0; i < 3; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(kTscMinCalibrationNanos + 50'000'000));
    refresh_tsc_mapping();
  }
}

// Whether this machine, read independently of the code under test, keeps time with an invariant
// time-stamp counter: the kernel's clocksource is tsc and the CPU flags say constant and nonstop.
bool machine_keeps_time_with_tsc() {
  std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  if (!std::getline(source, name) || name != "tsc") return false;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) {
      return line.find(" constant_tsc") != std::string::npos && line.find(" nonstop_tsc") != std::string::npos;
    }
  }
  return false;
}

// Where the counter is used, span times agree with CLOCK_MONOTONIC: a span-clock reading falls
// between two monotonic readings taken around it (give or take the tolerance a refresh enforces).
TEST(TscClockTest, SpanClockReadingsFallBetweenMonotonicReadingsAroundThem) {
  reset_tsc_clock_for_testing();
  calibrate();
  if (!published_tsc_mapping()) {
    ASSERT_FALSE(machine_keeps_time_with_tsc()) << "the counter is not used although the kernel keeps time with it";
    GTEST_SKIP() << "this machine's kernel does not keep time with an invariant time-stamp counter";
  }
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t before = now_steady_nanos();
    const std::uint64_t span = span_steady_nanos();
    const std::uint64_t after = now_steady_nanos();
    ASSERT_GE(span + kTscMaxDisagreementNanos, before) << "reading " << i;
    ASSERT_LE(span, after + kTscMaxDisagreementNanos) << "reading " << i;
  }
  // And a 20 ms interval measured on it is 20 ms of CLOCK_MONOTONIC: each of its ends is read between
  // two monotonic readings, so a thread preempted between two reads (a loaded machine, a sanitizer
  // build) widens the bracket instead of failing the comparison.
  const std::uint64_t before_start = now_steady_nanos();
  const std::uint64_t span_start = span_steady_nanos();
  const std::uint64_t after_start = now_steady_nanos();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::uint64_t before_end = now_steady_nanos();
  const std::uint64_t span_end = span_steady_nanos();
  const std::uint64_t after_end = now_steady_nanos();
  const std::uint64_t span_elapsed = span_end - span_start;
  EXPECT_GE(span_elapsed + 2 * kTscMaxDisagreementNanos, before_end - after_start);
  EXPECT_LE(span_elapsed, after_end - before_start + 2 * kTscMaxDisagreementNanos);
}

// HONEYHIVE_SPAN_CLOCK=monotonic keeps the counter out, however long spans start.
TEST(TscClockTest, TheEnvironmentCanKeepSpanTimesOnClockMonotonic) {
  setenv("HONEYHIVE_SPAN_CLOCK", "monotonic", 1);
  reset_tsc_clock_for_testing();
  calibrate();
  const bool published = published_tsc_mapping().has_value();
  unsetenv("HONEYHIVE_SPAN_CLOCK");
  reset_tsc_clock_for_testing();
  EXPECT_FALSE(published) << "the counter was used although HONEYHIVE_SPAN_CLOCK=monotonic";
}

}  // namespace
}  // namespace honeyhive::detail
