// The span clock's mapping is refreshed by whichever thread's span start finds the anchor expired,
// while every other thread reads it: readers must never see a half-written mapping, and two
// refreshing threads must not both write it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

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

#if defined(__x86_64__)
// Two mappings whose fields, mixed, give readings neither gives: published in turn as fast as one
// thread can while others read. A reader must get A's reading, B's, or (during a write) the
// monotonic clock's, never a mix.
TEST(TscClockConcurrencyTest, AReaderNeverMixesTwoMappings) {
  reset_tsc_clock_for_testing();
  const std::uint64_t base = __rdtsc();
  const TscMapping a{base, 1'000'000'000'000'000, std::uint64_t{1} << 32U, std::uint64_t{1} << 60U};
  const TscMapping b{base, 4'000'000'000'000'000, std::uint64_t{3} << 32U, std::uint64_t{1} << 58U};
  std::atomic<bool> stop{false};
  std::atomic<long> mixed{0};
  std::atomic<long> reads{0};
  std::thread writer([&] {
    for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) publish_tsc_mapping_for_testing(i % 2 == 0 ? a : b);
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < 200'000; ++i) {
        const std::uint64_t mono_before = now_steady_nanos();
        const std::uint64_t first = __rdtsc() - base;
        const std::uint64_t value = span_steady_nanos();
        const std::uint64_t last = __rdtsc() - base;
        const std::uint64_t mono_after = now_steady_nanos();
        const bool from_a = value >= a.base_nanos + first && value <= a.base_nanos + last;
        const bool from_b = value >= b.base_nanos + 3 * first && value <= b.base_nanos + 3 * last;
        const bool from_monotonic = value >= mono_before && value <= mono_after;
        if (!from_a && !from_b && !from_monotonic) mixed.fetch_add(1, std::memory_order_relaxed);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& reader : readers) reader.join();
  stop.store(true);
  writer.join();
  reset_tsc_clock_for_testing();
  EXPECT_EQ(mixed.load(), 0) << "of " << reads.load() << " readings";
}
#endif

}  // namespace
}  // namespace honeyhive::detail
