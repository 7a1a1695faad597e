// The span record pool's shared array and its lock (src/core/span_record_pool.hpp,
// src/core/try_lock.hpp): a try never waits for a holder, a fork child whose parent had the lock held
// still records every span (the shared array off there), and the pool's misses are counted.
#include "core/span_record_pool.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/try_lock.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/span_data.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/in_memory_provider.hpp"

namespace honeyhive {
namespace {

bool try_on_other_thread(detail::TryLock& lock) {
  bool taken = false;
  std::thread([&] { taken = lock.try_lock(); }).join();
  return taken;
}

TEST(TryLockTest, ATryOnAHeldLockGivesUpAndTheHolderKeepsIt) {
  detail::TryLock lock;
  ASSERT_TRUE(lock.try_lock());
  EXPECT_FALSE(try_on_other_thread(lock));  // gives up after a few looks: never waits for the holder
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
  EXPECT_TRUE(try_on_other_thread(lock));  // that thread took it and ended without releasing it
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

// A pause that releases the lock at its `release_at`-th call, as a holder finishing its few stores
// while another thread pauses between looks would.
struct ReleasingPause {
  static inline detail::BasicTryLock<ReleasingPause>* lock = nullptr;
  static inline int pauses = 0;
  static inline int release_at = 0;
  static void pause() noexcept {
    if (++pauses == release_at) lock->unlock();
  }
};

TEST(TryLockTest, ATryTakesALockReleasedWhileItPausesBetweenLooks) {
  detail::BasicTryLock<ReleasingPause> lock;
  ReleasingPause::lock = &lock;
  ASSERT_TRUE(lock.try_lock());
  ReleasingPause::pauses = 0;
  ReleasingPause::release_at = 3;
  EXPECT_TRUE(lock.try_lock());  // released during its third pause: taken at the next look
  EXPECT_EQ(ReleasingPause::pauses, 3);

  // Never released: the try gives up after its looks.
  ReleasingPause::pauses = 0;
  ReleasingPause::release_at = 0;
  EXPECT_FALSE(lock.try_lock());
  EXPECT_EQ(ReleasingPause::pauses, detail::BasicTryLock<ReleasingPause>::kLooks);

  // A dead lock: the try gives up without pausing at all.
  lock.mark_dead_if_held();
  ASSERT_TRUE(lock.dead());
  ReleasingPause::pauses = 0;
  EXPECT_FALSE(lock.try_lock());
  EXPECT_EQ(ReleasingPause::pauses, 0);
  ReleasingPause::lock = nullptr;
}

TEST(TryLockTest, OnlyALockHeldAtTheForkIsMarkedDeadAndADeadLockRefusesEveryTry) {
  detail::TryLock free_lock;
  free_lock.mark_dead_if_held();
  EXPECT_FALSE(free_lock.dead());
  EXPECT_TRUE(free_lock.try_lock());
  free_lock.unlock();

  detail::TryLock held;
  ASSERT_TRUE(held.try_lock());
  held.mark_dead_if_held();
  EXPECT_TRUE(held.dead());
  EXPECT_FALSE(held.try_lock());
  EXPECT_FALSE(try_on_other_thread(held));
  EXPECT_TRUE(held.dead());  // a refused try leaves it dead
}

// What the child reports through its exit status.
enum ChildResult : int {
  kChildOk = 0,
  kLockNotDead = 1,
  kSpansMissing = 2,
  kRecordsNotDeleted = 3,
};

int trace_in_child() {
  if (!detail::shared_span_records_lock().dead()) return kLockNotDead;
  const std::uint64_t deleted = detail::deleted_span_records();
  {
    auto traced = test::make_in_memory_provider();
    for (int i = 0; i < 50; ++i) {
      Span span = traced.tracer->start_span("child_span");
      span.set_attribute("index", std::int64_t{i});
    }
    const auto spans = traced.exporter->spans();
    if (spans.size() != 50) return kSpansMissing;
    for (std::size_t i = 0; i < spans.size(); ++i) {
      const AttributeValue* index = spans[i]->find_attribute("index");
      if (index == nullptr || *index != AttributeValue{static_cast<std::int64_t>(i)}) return kSpansMissing;
    }
  }  // the spans are released here: their records cannot go onto the shared array
  if (detail::kSpanRecordsRecycled && detail::deleted_span_records() - deleted < 50) return kRecordsNotDeleted;
  return kChildOk;
}

TEST(SpanRecordPoolForkTest, AChildForkedWhileTheSharedArraysLockWasHeldStillRecordsEverySpan) {
  detail::TryLock& lock = detail::shared_span_records_lock();
  ASSERT_TRUE(lock.try_lock());  // as a thread in the middle of a refill would hold it at the fork
  const pid_t child = ::fork();
  if (child == 0) std::_Exit(trace_in_child());
  lock.unlock();
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kChildOk);

  // The parent's lock was not touched by the child's handler.
  EXPECT_FALSE(lock.dead());
  ASSERT_TRUE(lock.try_lock());
  lock.unlock();
}

TEST(SpanRecordPoolTest, RecordsMadeNewAndDeletedAreCounted) {
  const std::size_t taken = detail::kSharedRecords + detail::kLocalRecords + 16;
  const std::uint64_t made = detail::made_span_records();
  const std::uint64_t deleted = detail::deleted_span_records();
  std::vector<detail::SpanRecord*> records;
  for (std::size_t i = 0; i < taken; ++i) records.push_back(detail::take_span_record());
  const std::uint64_t made_now = detail::made_span_records() - made;
  for (auto* record : records) detail::give_span_record(record);
  const std::uint64_t deleted_now = detail::deleted_span_records() - deleted;
  if (detail::kSpanRecordsRecycled) {
    // The pool held at most this thread's list and the shared array's records; the shared array
    // takes back at most kSharedRecords.
    EXPECT_GE(made_now, 16u);
    EXPECT_GE(deleted_now, taken - detail::kSharedRecords);
  } else {
    // Every record made new and deleted (at least: other threads of the process may make some too).
    EXPECT_GE(made_now, taken);
    EXPECT_GE(deleted_now, taken);
  }
}

}  // namespace
}  // namespace honeyhive
