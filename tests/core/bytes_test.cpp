// The inline copies and compares attribute keys and values go through (src/core/bytes.hpp): each
// length takes its own path (a byte or three, two halves, whole words), so every length up to past
// the word paths is checked against the standard library's answer.
#include "core/bytes.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace honeyhive::detail {
namespace {

// A text of `n` bytes, different at every position, with a non-ASCII byte at `high` (n: none).
std::string text_of(std::size_t n, std::size_t high) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text.push_back(static_cast<char>('a' + i % 26));
  if (high < n) text[high] = static_cast<char>(0xC3);
  return text;
}

TEST(BytesTest, CopiedAsciiBytesCopiesEveryByteAndSaysWhetherAllAreAscii) {
  for (std::size_t n = 0; n <= 80; ++n) {
    for (std::size_t high = 0; high <= n; ++high) {
      const std::string in = text_of(n, high);
      std::string out(n + 2, '#');  // a guard byte either side of the copy
      const bool ascii = copied_ascii_bytes(&out[1], in.data(), n);
      SCOPED_TRACE("n " + std::to_string(n) + ", non-ASCII at " + std::to_string(high));
      EXPECT_EQ(out.substr(1, n), in);
      EXPECT_EQ(out.front(), '#');
      EXPECT_EQ(out.back(), '#');
      EXPECT_EQ(ascii, high == n);
    }
  }
}

TEST(BytesTest, SameBytesAndSameShortBytesAgreeWithStringEquality) {
  for (std::size_t n = 0; n <= 80; ++n) {
    const std::string a = text_of(n, n);
    EXPECT_TRUE(same_bytes(a, a.substr()));
    EXPECT_TRUE(same_short_bytes(a, a.substr()));
    // One byte different, at each position in turn: neither may miss it.
    for (std::size_t at = 0; at < n; ++at) {
      std::string b = a;
      b[at] = '#';
      SCOPED_TRACE("n " + std::to_string(n) + ", differing at " + std::to_string(at));
      EXPECT_FALSE(same_bytes(a, b));
      EXPECT_FALSE(same_short_bytes(a, b));
    }
    // A different length with the same leading bytes.
    const std::string longer = a + "z";
    EXPECT_FALSE(same_bytes(a, longer));
    EXPECT_FALSE(same_short_bytes(longer, a));
  }
}

}  // namespace
}  // namespace honeyhive::detail
