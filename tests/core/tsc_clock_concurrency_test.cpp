// The span clock's mapping is refreshed by whichever thread's span start finds the anchor expired,
// while every other thread reads it: readers must never see a half-written mapping (a reading far
// from CLOCK_MONOTONIC), and two refreshing threads must not both write it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/tsc_clock.hpp"
#include "honeyhive/core/clock.hpp"

namespace honeyhive::detail {
namespace {

TEST(TscClockConcurrencyTest, ReadersSeeWholeMappingsWhileThreadsRefresh) {
  reset_tsc_clock_for_testing();
  std::atomic<bool> stop{false};
  std::atomic<int> far_off{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) {
        if (t < 2) refresh_tsc_mapping();  // two refreshing threads, racing
        const std::uint64_t before = now_steady_nanos();
        const std::uint64_t span = span_steady_nanos();
        const std::uint64_t after = now_steady_nanos();
        if (span + kTscMaxDisagreementNanos < before || span > after + kTscMaxDisagreementNanos) {
          far_off.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  // Long enough for two calibration points, so a mapping is published and read (where allowed).
  std::this_thread::sleep_for(std::chrono::nanoseconds(3 * kTscMinCalibrationNanos));
  stop.store(true);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(far_off.load(), 0);
}

}  // namespace
}  // namespace honeyhive::detail
