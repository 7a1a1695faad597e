// The span record pool (src/core/block_pool.hpp): blocks made on some threads and freed on others
// are recycled, and a block is never owned by two holders at once. Run under ThreadSanitizer by the
// test command (label "concurrency").
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/block_pool.hpp"

namespace honeyhive::detail {
namespace {

constexpr std::size_t kWords = kPoolBlockSize / sizeof(std::uint64_t);

void fill(void* block, std::uint64_t stamp) {
  auto* words = static_cast<std::uint64_t*>(block);
  for (std::size_t i = 0; i < kWords; ++i) words[i] = stamp + i;
}

bool intact(const void* block, std::uint64_t stamp) {
  const auto* words = static_cast<const std::uint64_t*>(block);
  for (std::size_t i = 0; i < kWords; ++i) {
    if (words[i] != stamp + i) return false;
  }
  return true;
}

struct Handoff {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::pair<void*, std::uint64_t>> blocks;
  bool done = false;
};

// Producers take blocks and stamp every byte; consumers on other threads check the stamp and give
// the blocks back, as the batch processor's export thread frees the spans producers made. A block
// handed out twice at once would have its stamp overwritten by the other owner.
TEST(BlockPoolConcurrency, BlocksFreedOnOtherThreadsAreReusedWithoutSharing) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 2;
  constexpr std::uint64_t kBlocksPerProducer = 20000;
  Handoff handoff;
  std::atomic<std::uint64_t> corrupted{0};
  std::atomic<std::uint64_t> checked{0};

  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      for (;;) {
        std::unique_lock<std::mutex> lock(handoff.mutex);
        handoff.ready.wait(lock, [&] { return handoff.done || !handoff.blocks.empty(); });
        if (handoff.blocks.empty()) return;
        const auto [block, stamp] = handoff.blocks.front();
        handoff.blocks.pop_front();
        lock.unlock();
        if (!intact(block, stamp)) corrupted.fetch_add(1);
        checked.fetch_add(1);
        give_pool_block(block);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::vector<std::pair<void*, std::uint64_t>> own;  // some blocks freed on this thread too
      for (std::uint64_t i = 0; i < kBlocksPerProducer; ++i) {
        void* block = take_pool_block();
        const std::uint64_t stamp = (static_cast<std::uint64_t>(p) << 40) | (i << 8);
        fill(block, stamp);
        if (i % 8 == 0) {
          own.emplace_back(block, stamp);
          continue;
        }
        std::lock_guard<std::mutex> lock(handoff.mutex);
        handoff.blocks.emplace_back(block, stamp);
        handoff.ready.notify_one();
      }
      for (const auto& [block, stamp] : own) {
        if (!intact(block, stamp)) corrupted.fetch_add(1);
        checked.fetch_add(1);
        give_pool_block(block);
      }
    });
  }
  for (auto& producer : producers) producer.join();
  {
    std::lock_guard<std::mutex> lock(handoff.mutex);
    handoff.done = true;
  }
  handoff.ready.notify_all();
  for (auto& consumer : consumers) consumer.join();

  EXPECT_EQ(checked.load(), kProducers * kBlocksPerProducer);
  EXPECT_EQ(corrupted.load(), 0U);
}

// The allocator behind span records: a control block and its object in one pooled block, usable
// as std::allocate_shared's allocator and released from another thread.
TEST(BlockPoolConcurrency, SharedObjectsAllocatedFromThePoolAreReleasedFromAnyThread) {
  struct Record {
    std::uint64_t words[32];
  };
  std::vector<std::shared_ptr<Record>> records;
  for (int i = 0; i < 1000; ++i) {
    records.push_back(std::allocate_shared<Record>(PoolAllocator<Record>()));
    std::memset(records.back()->words, i & 0xff, sizeof(Record::words));
  }
  std::thread releaser([&records] { records.clear(); });
  releaser.join();
  EXPECT_TRUE(records.empty());
  auto again = std::allocate_shared<Record>(PoolAllocator<Record>());
  again->words[0] = 7;
  EXPECT_EQ(again->words[0], 7U);
}

}  // namespace
}  // namespace honeyhive::detail
