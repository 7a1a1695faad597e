// AttributeKey's shared text across threads (include/honeyhive/core/attribute_key.hpp): copies made,
// written over and destroyed on several threads at once, as span records and exporters do. Run under
// ThreadSanitizer by the test command (label "concurrency").
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "honeyhive/core/attribute_key.hpp"

namespace honeyhive {
namespace {

TEST(AttributeKeyConcurrencyTest, CopiesOfOneKeyAreMadeAndDroppedOnManyThreadsAtOnce) {
  const std::string text(48, 'k');
  std::vector<AttributeKey> originals;
  for (int i = 0; i < 16; ++i) originals.emplace_back(text + std::to_string(i));
  constexpr int kCopyingThreads = 4;
  constexpr int kCopyingRounds = 2000;
  std::vector<std::thread> threads;
  std::vector<std::size_t> mismatches(kCopyingThreads, 0);
  for (int t = 0; t < kCopyingThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kCopyingRounds; ++round) {
        std::vector<AttributeKey> copies(originals.begin(), originals.end());
        // A copy written over: in place only when its block is its own, which it never is here.
        copies[static_cast<std::size_t>(round) % copies.size()].assign(text.data(), text.size());
        for (std::size_t i = 0; i < copies.size(); ++i) {
          const bool expected =
              i == static_cast<std::size_t>(round) % copies.size() ? copies[i] == text : copies[i] == originals[i];
          if (!expected) ++mismatches[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < originals.size(); ++i) EXPECT_EQ(originals[i], text + std::to_string(i));
  for (const std::size_t count : mismatches) EXPECT_EQ(count, 0U);
}

TEST(AttributeKeyConcurrencyTest, TheLastCopyDroppedOnAnotherThreadFreesTheTextAfterEveryRead) {
  // A key handed to another thread, which reads it and drops it, while this thread drops its own
  // copy and writes a new text over the key: the block's last owner frees it, whichever thread.
  for (int round = 0; round < 200; ++round) {
    AttributeKey key(std::string(32, static_cast<char>('a' + round % 26)));
    AttributeKey handed = key;
    std::size_t read = 0;
    std::thread reader([&read, copy = std::move(handed)]() mutable {
      for (const char c : copy) {
        if (c == copy[0]) ++read;
      }
      copy = AttributeKey();
    });
    key.assign("honeyhive_outputs.answer.long", 29);
    reader.join();
    EXPECT_EQ(read, 32U);
    EXPECT_EQ(key, "honeyhive_outputs.answer.long");
  }
}

}  // namespace
}  // namespace honeyhive
