#include "honeyhive/core/ids.hpp"

#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace honeyhive {
namespace {

constexpr int kDraws = 10000;

TEST(TraceIdTest, RandomIsNeverAllZero) {
  for (int i = 0; i < kDraws; ++i) {
    ASSERT_TRUE(TraceId::random().is_valid());
  }
}

TEST(TraceIdTest, RandomIdsAreDistinct) {
  std::set<std::array<std::uint8_t, TraceId::kSize>> seen;
  for (int i = 0; i < kDraws; ++i) seen.insert(TraceId::random().bytes());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kDraws));
}

// Every bit of a trace id is as likely set as not: a backend that samples on the id's low bytes
// (W3C Trace Context Level 2 "random" flag, which our root spans set) relies on it. Over 20,000
// ids a fair bit is set 10,000 +- 71 times (one standard deviation); 45-55% is 14 of them.
TEST(TraceIdTest, EveryBitOfARandomIdIsSetAboutHalfTheTime) {
  constexpr int kIds = 20000;
  std::array<int, 8 * TraceId::kSize> set_count{};
  for (int i = 0; i < kIds; ++i) {
    const auto bytes = TraceId::random().bytes();
    for (std::size_t bit = 0; bit < set_count.size(); ++bit) set_count[bit] += (bytes[bit / 8] >> (bit % 8)) & 1;
  }
  for (std::size_t bit = 0; bit < set_count.size(); ++bit) {
    EXPECT_GT(set_count[bit], kIds * 45 / 100) << "bit " << bit;
    EXPECT_LT(set_count[bit], kIds * 55 / 100) << "bit " << bit;
  }
}

// Each thread has its own generator, seeded apart: ids drawn on several threads at once never meet.
TEST(TraceIdTest, IdsDrawnOnSeveralThreadsAreAllDistinct) {
  constexpr int kThreads = 4;
  std::vector<std::vector<std::array<std::uint8_t, TraceId::kSize>>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&drawn, t] {
      for (int i = 0; i < kDraws; ++i) drawn[static_cast<std::size_t>(t)].push_back(TraceId::random().bytes());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::array<std::uint8_t, TraceId::kSize>> seen;
  for (const auto& ids : drawn) seen.insert(ids.begin(), ids.end());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kDraws));
}

TEST(TraceIdTest, DefaultIsInvalid) { EXPECT_FALSE(TraceId().is_valid()); }

TEST(TraceIdTest, ToHexIsLowercaseBigEndian) {
  const TraceId id({0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36});
  EXPECT_EQ(id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TraceIdTest, ToHexIntoBufferWritesExactly32Characters) {
  const TraceId id({0xAB, 0xCD, 0xEF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  char buffer[33];
  std::memset(buffer, 'X', sizeof buffer);
  id.to_hex(buffer);
  EXPECT_EQ(std::string(buffer, 32), "abcdef00000000000000000000000001");
  EXPECT_EQ(buffer[32], 'X');
}

TEST(TraceIdTest, HexRoundTrips) {
  for (int i = 0; i < 100; ++i) {
    const TraceId id = TraceId::random();
    const auto parsed = TraceId::from_hex(id.to_hex());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, id);
  }
}

TEST(TraceIdTest, FromHexRejectsUppercase) {
  EXPECT_FALSE(TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736").has_value());
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473A").has_value());
}

TEST(TraceIdTest, FromHexRejectsWrongLength) {
  EXPECT_FALSE(TraceId::from_hex("").has_value());
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473").has_value());
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e47360").has_value());
  EXPECT_FALSE(TraceId::from_hex("00f067aa0ba902b7").has_value());
}

TEST(TraceIdTest, FromHexRejectsNonHexCharacters) {
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473g").has_value());
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6-3ce929d0e0e4736").has_value());
  EXPECT_FALSE(TraceId::from_hex(" bf92f3577b34da6a3ce929d0e0e4736").has_value());
  EXPECT_FALSE(TraceId::from_hex(std::string("4bf92f3577b34da6\0a3ce929d0e0e473", 32)).has_value());
}

TEST(TraceIdTest, AllZeroParsesButIsInvalid) {
  const auto parsed = TraceId::from_hex("00000000000000000000000000000000");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->is_valid());
  EXPECT_EQ(*parsed, TraceId());
}

TEST(TraceIdTest, OneNonZeroByteMakesItValid) {
  const auto parsed = TraceId::from_hex("00000000000000000000000000000001");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_valid());
}

TEST(SpanIdTest, RandomIsNeverAllZero) {
  for (int i = 0; i < kDraws; ++i) {
    ASSERT_TRUE(SpanId::random().is_valid());
  }
}

TEST(SpanIdTest, RandomIdsAreDistinct) {
  std::set<std::array<std::uint8_t, SpanId::kSize>> seen;
  for (int i = 0; i < kDraws; ++i) seen.insert(SpanId::random().bytes());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kDraws));
}

TEST(SpanIdTest, ToHexIsLowercaseBigEndian) {
  const SpanId id({0x00, 0xF0, 0x67, 0xAA, 0x0B, 0xA9, 0x02, 0xB7});
  EXPECT_EQ(id.to_hex(), "00f067aa0ba902b7");
}

TEST(SpanIdTest, HexRoundTrips) {
  for (int i = 0; i < 100; ++i) {
    const SpanId id = SpanId::random();
    const auto parsed = SpanId::from_hex(id.to_hex());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, id);
  }
}

TEST(SpanIdTest, FromHexRejectsUppercase) { EXPECT_FALSE(SpanId::from_hex("00F067AA0BA902B7").has_value()); }

TEST(SpanIdTest, FromHexRejectsWrongLength) {
  EXPECT_FALSE(SpanId::from_hex("").has_value());
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902b").has_value());
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902b70").has_value());
  EXPECT_FALSE(SpanId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").has_value());
}

TEST(SpanIdTest, FromHexRejectsNonHexCharacters) {
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902bz").has_value());
  EXPECT_FALSE(SpanId::from_hex("00f067aa-ba902b7").has_value());
}

TEST(SpanIdTest, AllZeroParsesButIsInvalid) {
  const auto parsed = SpanId::from_hex("0000000000000000");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->is_valid());
}

TEST(HexTest, DecodeLowerRejectsUppercaseAndAcceptsLowercase) {
  std::uint8_t out[2] = {0, 0};
  EXPECT_FALSE(hex_decode_lower("aB01", out, 2));
  ASSERT_TRUE(hex_decode_lower("ab01", out, 2));
  EXPECT_EQ(out[0], 0xab);
  EXPECT_EQ(out[1], 0x01);
}

bool read_exactly(int fd, std::uint8_t* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

TEST(IdForkTest, ChildReseedsAndDoesNotRepeatTheParentsSequence) {
  // Seed this thread's generator before forking, so the child inherits a used state.
  (void)TraceId::random();
  (void)SpanId::random();

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    const TraceId trace_id = TraceId::random();
    const SpanId span_id = SpanId::random();
    std::uint8_t buffer[TraceId::kSize + SpanId::kSize];
    std::memcpy(buffer, trace_id.bytes().data(), TraceId::kSize);
    std::memcpy(buffer + TraceId::kSize, span_id.bytes().data(), SpanId::kSize);
    const ssize_t written = ::write(fds[1], buffer, sizeof buffer);
    ::_exit(written == static_cast<ssize_t>(sizeof buffer) ? 0 : 1);
  }
  ::close(fds[1]);
  const TraceId parent_trace_id = TraceId::random();
  const SpanId parent_span_id = SpanId::random();

  std::uint8_t buffer[TraceId::kSize + SpanId::kSize];
  const bool got = read_exactly(fds[0], buffer, sizeof buffer);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(got);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  std::array<std::uint8_t, TraceId::kSize> child_trace{};
  std::array<std::uint8_t, SpanId::kSize> child_span{};
  std::memcpy(child_trace.data(), buffer, TraceId::kSize);
  std::memcpy(child_span.data(), buffer + TraceId::kSize, SpanId::kSize);
  const TraceId child_trace_id(child_trace);
  const SpanId child_span_id(child_span);

  EXPECT_TRUE(child_trace_id.is_valid());
  EXPECT_TRUE(child_span_id.is_valid());
  // Without a reseed the child's first ids would equal the parent's next ones.
  EXPECT_NE(child_trace_id, parent_trace_id);
  EXPECT_NE(child_span_id, parent_span_id);
}

}  // namespace
}  // namespace honeyhive
