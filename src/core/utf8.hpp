#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace honeyhive::detail {

// True when every byte of `text` is ASCII. Reads whole words, the last one overlapping the one
// before, so a short key or value costs a few loads instead of a loop over its bytes.
[[gnu::always_inline]] inline bool all_ascii(std::string_view text) noexcept {
  const char* p = text.data();
  const std::size_t n = text.size();
  if (n >= 8) {
    std::uint64_t any = 0;
    std::uint64_t word;
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&word, p + i, 8);
      any |= word;
    }
    std::memcpy(&word, p + n - 8, 8);
    any |= word;
    return (any & 0x8080808080808080ULL) == 0;
  }
  if (n >= 4) {
    std::uint32_t head;
    std::uint32_t tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    return ((head | tail) & 0x80808080U) == 0;
  }
  unsigned any = 0;
  for (std::size_t i = 0; i < n; ++i) any |= static_cast<unsigned char>(p[i]);
  return (any & 0x80U) == 0;
}

// Checks text that is not all ASCII (is_valid_utf8's slow path).
bool is_valid_utf8_beyond_ascii(std::string_view text) noexcept;

// True when `text` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
inline bool is_valid_utf8(std::string_view text) noexcept {
  return all_ascii(text) || is_valid_utf8_beyond_ascii(text);
}

// Replaces every ill-formed subsequence with U+FFFD ("maximal subpart" practice, Unicode 3.9).
std::string repair_utf8(std::string_view text);

// Repairs `text` in place only when needed; returns true when it changed.
bool make_valid_utf8(std::string& text);

// Bytes in the first `max_chars` code points of `text` (it must be valid UTF-8).
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_chars) noexcept;

// Truncates `text` to at most `max_chars` code points (it must be valid UTF-8).
void truncate_utf8(std::string& text, std::size_t max_chars) noexcept;

}  // namespace honeyhive::detail
