// Span start times: the monotonic clock plus an offset to the wall clock shared by all threads
// (core/span_clock.hpp). The offset is what every span started in the next second is stamped with,
// so measuring it wrong, or from a test clock, would misplace all of them.
#include "core/span_clock.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "core/clock_testing.hpp"

namespace honeyhive {
namespace {

std::atomic<int> g_interruptions{0};

void sleep_a_millisecond(int) {
  g_interruptions.fetch_add(1, std::memory_order_relaxed);
  timespec pause{0, 1'000'000};
  nanosleep(&pause, nullptr);
}

// A thread interrupted (here by a signal handler that sleeps 1 ms, as a preemption would) while it
// measures the offset must not store one that is off by the interruption: spans on every thread
// would then start up to that much in the future for the next second, and a child could start
// before its parent.
TEST(SpanClockTest, AnInterruptionWhileTheOffsetIsMeasuredShiftsNoLaterStart) {
  struct sigaction action {};
  action.sa_handler = &sleep_a_millisecond;
  struct sigaction previous {};
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> starts_ahead{0};
  std::atomic<std::int64_t> worst_ahead_nanos{0};
  std::thread measuring([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      detail::set_wall_clock_for_testing(nullptr);  // the offset expires: the next start measures it
      (void)detail::span_start_time();
      const UnixNanos start = detail::span_start_time().unix_nanos;  // what any thread would get now
      const auto ahead = static_cast<std::int64_t>(start - now_unix_nanos());
      if (ahead > 500'000) {
        starts_ahead.fetch_add(1, std::memory_order_relaxed);
        if (ahead > worst_ahead_nanos.load(std::memory_order_relaxed)) worst_ahead_nanos.store(ahead);
      }
    }
  });
  for (int i = 0; i < 200; ++i) {
    pthread_kill(measuring.native_handle(), SIGUSR1);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  stop.store(true);
  measuring.join();
  sigaction(SIGUSR1, &previous, nullptr);
  EXPECT_GT(g_interruptions.load(), 0);
  EXPECT_EQ(starts_ahead.load(), 0) << "worst: " << worst_ahead_nanos.load() << " ns ahead of the wall clock";
}

std::atomic<int> g_phase{0};

// A test clock that, on its first reading, waits until the test has removed it.
UnixNanos clock_read_during_its_removal() noexcept {
  g_phase.store(1);
  while (g_phase.load() != 2) std::this_thread::yield();
  return 1000;
}

// The test clock is removed while another thread's span start is reading it: that start may get
// the test clock's time, but no later start may.
TEST(SpanClockTest, ATestClockRemovedWhileASpanStartReadsItLeavesNoOffsetBehind) {
  detail::set_wall_clock_for_testing(&clock_read_during_its_removal);
  std::thread starting([] { (void)detail::span_start_time(); });
  while (g_phase.load() != 1) std::this_thread::yield();
  detail::set_wall_clock_for_testing(nullptr);
  g_phase.store(2);
  starting.join();
  const UnixNanos before = now_unix_nanos();
  const UnixNanos start = detail::span_start_time().unix_nanos;
  const UnixNanos after = now_unix_nanos();
  EXPECT_GE(start + 1'000'000, before);
  EXPECT_LE(start, after + 1'000'000);
}

}  // namespace
}  // namespace honeyhive
