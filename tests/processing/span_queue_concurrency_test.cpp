// Closing the batch processor's queue while producers push (src/processing/span_queue.hpp): every
// span pushed is either refused or lands at a position claimed before the close, and is there to
// drain once SpanQueueTesting::published says so. Shutdown relies on this instead of counting its
// producers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "honeyhive/core/span_data.hpp"
#include "processing/span_queue.hpp"
#include "support/span_queue_testing.hpp"

namespace honeyhive::detail {
namespace {

TEST(SpanQueueConcurrency, NoSpanLandsAfterTheCloseAndEveryAcceptedOneIsThereToDrain) {
  constexpr int kProducers = 4;
  constexpr int kRounds = 50;
  const SpanDataPtr span = std::make_shared<SpanData>();
  for (int round = 0; round < kRounds; ++round) {
    SpanQueue queue(8192);
    std::atomic<bool> go{false};
    std::atomic<std::uint64_t> accepted{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&] {
        while (!go.load(std::memory_order_acquire)) {
        }
        std::uint64_t mine = 0;
        for (int i = 0; i < 2000; ++i) {
          if (queue.try_push(span)) ++mine;
        }
        accepted.fetch_add(mine);
      });
    }
    go.store(true, std::memory_order_release);
    // Closed while the producers are in full flow: some of them then between claiming a position
    // and writing their span into it.
    // (Each wait is bounded: a regression fails the test instead of hanging it.)
    const auto patience = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (queue.claimed() < 1000 && std::chrono::steady_clock::now() < patience) {
    }
    const std::uint64_t claimed = queue.close();
    while (!SpanQueueTesting::published(queue, claimed) && std::chrono::steady_clock::now() < patience)
      std::this_thread::yield();
    EXPECT_TRUE(SpanQueueTesting::published(queue, claimed));
    // Every position claimed before the close is readable now, and no producer adds one after.
    SpanDataPtr out;
    std::uint64_t drained = 0;
    while (queue.try_pop(out)) {
      ++drained;
      out.reset();
    }
    EXPECT_EQ(drained, claimed);
    for (auto& producer : producers) producer.join();
    EXPECT_EQ(accepted.load(), claimed);
    EXPECT_FALSE(queue.try_pop(out));
    EXPECT_EQ(queue.claimed(), claimed);
  }
}

}  // namespace
}  // namespace honeyhive::detail
