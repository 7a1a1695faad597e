// The batch processor's queue (src/processing/span_queue.hpp): bounded, first in first out, and
// closed for good by shutdown, after which no span can land in it.
#include "processing/span_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <utility>

#include "honeyhive/core/span_data.hpp"
#include "support/span_queue_testing.hpp"

namespace honeyhive::detail {
namespace {

SpanDataPtr span_named(const char* name) {
  auto span = std::make_shared<SpanData>();
  span->name = name;
  return span;
}

TEST(SpanQueue, PopsInTheOrderPushedAndRefusesWhenFull) {
  SpanQueue queue(2);
  EXPECT_TRUE(queue.try_push(span_named("a")));
  EXPECT_TRUE(queue.try_push(span_named("b")));
  EXPECT_FALSE(queue.try_push(span_named("c")));
  EXPECT_EQ(queue.claimed(), 2U);
  EXPECT_EQ(queue.size(), 2U);
  SpanDataPtr out;
  ASSERT_TRUE(queue.try_pop(out));
  EXPECT_EQ(out->name, "a");
  out.reset();
  ASSERT_TRUE(queue.try_pop(out));
  EXPECT_EQ(out->name, "b");
  out.reset();
  EXPECT_FALSE(queue.try_pop(out));
  EXPECT_EQ(queue.size(), 0U);
}

TEST(SpanQueue, CloseRefusesEveryLaterPushAndReturnsThePositionsClaimedBefore) {
  SpanQueue queue(8);
  ASSERT_TRUE(queue.try_push(span_named("a")));
  ASSERT_TRUE(queue.try_push(span_named("b")));
  EXPECT_FALSE(SpanQueueTesting::closed(queue));
  EXPECT_EQ(queue.close(), 2U);
  EXPECT_TRUE(SpanQueueTesting::closed(queue));
  // Room enough, and still refused; the claimed count and the size do not see the closed mark.
  EXPECT_FALSE(queue.try_push(span_named("late")));
  EXPECT_EQ(queue.claimed(), 2U);
  EXPECT_EQ(queue.size(), 2U);
  EXPECT_TRUE(SpanQueueTesting::published(queue, 2));
  // What was pushed before the close is still there to drain; closing again changes nothing.
  SpanDataPtr out;
  ASSERT_TRUE(queue.try_pop(out));
  EXPECT_EQ(out->name, "a");
  EXPECT_EQ(queue.close(), 2U);
  ASSERT_TRUE(queue.try_pop(out));
  EXPECT_EQ(out->name, "b");
  EXPECT_FALSE(queue.try_pop(out));
  EXPECT_TRUE(SpanQueueTesting::published(queue, 2));
}

// What shutdown waits for after closing: a span claimed before the close but still being written
// is neither poppable nor published until its producer writes it.
TEST(SpanQueue, PublishedWaitsForAProducerStillWritingAPositionClaimedBeforeTheClose) {
  SpanQueue queue(8);
  ASSERT_TRUE(queue.try_push(span_named("a")));
  const std::uint64_t slow = SpanQueueTesting::claim(queue);
  ASSERT_TRUE(queue.try_push(span_named("c")));
  const std::uint64_t claimed = queue.close();
  EXPECT_EQ(claimed, 3U);
  EXPECT_TRUE(SpanQueueTesting::published(queue, 1));
  EXPECT_FALSE(SpanQueueTesting::published(queue, claimed));
  SpanDataPtr out;
  ASSERT_TRUE(queue.try_pop(out));
  EXPECT_EQ(out->name, "a");
  EXPECT_FALSE(queue.try_pop(out));  // in order: the unwritten position holds the later ones back
  EXPECT_FALSE(SpanQueueTesting::published(queue, claimed));

  SpanQueueTesting::write(queue, slow, span_named("b"));
  EXPECT_TRUE(SpanQueueTesting::published(queue, claimed));
  ASSERT_TRUE(queue.try_pop(out));
  EXPECT_EQ(out->name, "b");
  ASSERT_TRUE(queue.try_pop(out));
  EXPECT_EQ(out->name, "c");
  EXPECT_TRUE(SpanQueueTesting::published(queue, claimed));  // consumed counts as published
}

// (reset_after_fork abandons the spans in the queue, as a fork child must: these are popped first,
// so that they are released.)
TEST(SpanQueue, AClosedQueueStaysClosedInAForkChild) {
  SpanQueue queue(4);
  ASSERT_TRUE(queue.try_push(span_named("a")));
  queue.close();
  SpanDataPtr out;
  ASSERT_TRUE(queue.try_pop(out));
  queue.reset_after_fork();
  EXPECT_TRUE(SpanQueueTesting::closed(queue));
  EXPECT_EQ(queue.size(), 0U);
  EXPECT_FALSE(queue.try_push(span_named("b")));

  SpanQueue open(4);
  ASSERT_TRUE(open.try_push(span_named("a")));
  ASSERT_TRUE(open.try_pop(out));
  open.reset_after_fork();
  EXPECT_FALSE(SpanQueueTesting::closed(open));
  EXPECT_EQ(open.claimed(), 0U);
  EXPECT_TRUE(open.try_push(span_named("b")));
}

}  // namespace
}  // namespace honeyhive::detail
