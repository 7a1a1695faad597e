#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace honeyhive::detail {

// The kernels behind hex_decode_lower and hex_encode (ids.hpp), here so that the tests can check
// each one whichever the build uses. Formatting and parsing the ids was most of the cost of a
// traceparent inject + extract at one step per character; these do 8 or 16 characters at once.
// The decoders accept lowercase hex (0-9, a-f) only and return false, with `out` unspecified,
// when any character is anything else.

inline constexpr bool kBigEndian =
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    true;
#else
    false;
#endif

// 2 characters into the byte they spell, or -1.
inline int decode_lower_hex_2(const char* hex) noexcept {
  const auto value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int high = value(hex[0]);
  const int low = value(hex[1]);
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

// 8 characters into 4 bytes in 64-bit arithmetic (SWAR): portable.
inline bool decode_lower_hex_8_swar(const char* hex, std::uint8_t* out) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighBits = 0x80 * kOnes;
  std::uint64_t word;  // byte i is hex[i]
  std::memcpy(&word, hex, 8);
  if constexpr (kBigEndian) word = __builtin_bswap64(word);
  // For a byte below 0x80, adding (0x80 - lo) sets its high bit exactly when byte >= lo, and
  // adding (0x7F - hi) exactly when byte > hi; neither carries into the next byte. A byte of
  // 0x80 or more may carry, but it fails on its own (the `~word` term), so the word is rejected.
  const std::uint64_t at_least_0 = word + (0x80 - '0') * kOnes;
  const std::uint64_t above_9 = word + (0x7F - '9') * kOnes;
  const std::uint64_t at_least_a = word + (0x80 - 'a') * kOnes;
  const std::uint64_t above_f = word + (0x7F - 'f') * kOnes;
  const std::uint64_t valid = ((at_least_0 & ~above_9) | (at_least_a & ~above_f)) & ~word & kHighBits;
  if (valid != kHighBits) return false;
  // '0'-'9' are 0x30-0x39 and 'a'-'f' 0x61-0x66: the low nibble, plus 9 for letters (bit 6 set).
  const std::uint64_t nibbles = (word & (0x0F * kOnes)) + ((word >> 6) & kOnes) * 9;
  // Byte 2k becomes (nibble 2k << 4) | nibble 2k+1; then the four even bytes are packed together.
  std::uint64_t bytes = ((nibbles << 4) | (nibbles >> 8)) & 0x00FF00FF00FF00FFULL;
  bytes = (bytes | (bytes >> 8)) & 0x0000FFFF0000FFFFULL;
  auto packed = static_cast<std::uint32_t>(bytes | (bytes >> 16));
  if constexpr (kBigEndian) packed = __builtin_bswap32(packed);
  std::memcpy(out, &packed, 4);
  return true;
}

// 4 bytes into 8 lowercase hex characters in 64-bit arithmetic (SWAR): portable.
inline void encode_lower_hex_4_swar(const std::uint8_t* bytes, char* out) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  std::uint32_t packed;  // byte i is bytes[i]
  std::memcpy(&packed, bytes, 4);
  if constexpr (kBigEndian) packed = __builtin_bswap32(packed);
  // Byte k moves to byte 2k; then byte 2k holds its high nibble and byte 2k+1 its low nibble.
  std::uint64_t spread = packed;
  spread = (spread | (spread << 16)) & 0x0000FFFF0000FFFFULL;
  spread = (spread | (spread << 8)) & 0x00FF00FF00FF00FFULL;
  const std::uint64_t nibbles = ((spread >> 4) & (0x0F * kOnes)) | ((spread & (0x0F * kOnes)) << 8);
  // '0' + n below 10, 'a' + (n - 10) = '0' + n + 39 from 10: n + 6 reaches bit 4 exactly then.
  const std::uint64_t letters = ((nibbles + 0x06 * kOnes) >> 4) & kOnes;
  std::uint64_t text = nibbles + '0' * kOnes + letters * ('a' - '0' - 10);
  if constexpr (kBigEndian) text = __builtin_bswap64(text);
  std::memcpy(out, &text, 8);
}

#if defined(__SSE2__)
// SSE2 is part of every x86-64 CPU.

// 16 characters into 8 bytes.
inline bool decode_lower_hex_16_sse2(const char* hex, std::uint8_t* out) noexcept {
  const __m128i text = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hex));
  // Signed byte compares: bytes of 0x80 and above are negative, so below '0' and rejected.
  const __m128i digit =
      _mm_and_si128(_mm_cmpgt_epi8(text, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(text, _mm_set1_epi8('9' + 1)));
  const __m128i letter =
      _mm_and_si128(_mm_cmpgt_epi8(text, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(text, _mm_set1_epi8('f' + 1)));
  if (_mm_movemask_epi8(_mm_or_si128(digit, letter)) != 0xFFFF) return false;
  const __m128i offset =
      _mm_or_si128(_mm_and_si128(digit, _mm_set1_epi8('0')), _mm_and_si128(letter, _mm_set1_epi8('a' - 10)));
  const __m128i nibbles = _mm_sub_epi8(text, offset);
  // Each 16-bit lane holds a character pair: (first << 4) | second in its low byte, then the
  // eight low bytes are packed together.
  const __m128i pairs =
      _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nibbles, 4), _mm_srli_epi16(nibbles, 8)), _mm_set1_epi16(0x00FF));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(pairs, pairs));
  return true;
}

// 8 bytes into 16 lowercase hex characters.
inline void encode_lower_hex_8_sse2(const std::uint8_t* bytes, char* out) noexcept {
  const __m128i input = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes));
  const __m128i low_nibbles = _mm_set1_epi8(0x0F);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(input, 4), low_nibbles);
  const __m128i low = _mm_and_si128(input, low_nibbles);
  const __m128i nibbles = _mm_unpacklo_epi8(high, low);  // high, low of byte 0, then of byte 1, ...
  // '0' + n, plus ('a' - '0' - 10) for n above 9.
  const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
  const __m128i text = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), text);
}
#endif

// What the ids use: 16 characters into 8 bytes, 8 bytes into 16 characters, with the best kernel
// the target has.
inline bool decode_lower_hex_16(const char* hex, std::uint8_t* out) noexcept {
#if defined(__SSE2__)
  return decode_lower_hex_16_sse2(hex, out);
#else
  return decode_lower_hex_8_swar(hex, out) && decode_lower_hex_8_swar(hex + 8, out + 4);
#endif
}

inline void encode_lower_hex_8(const std::uint8_t* bytes, char* out) noexcept {
#if defined(__SSE2__)
  encode_lower_hex_8_sse2(bytes, out);
#else
  encode_lower_hex_4_swar(bytes, out);
  encode_lower_hex_4_swar(bytes + 4, out + 8);
#endif
}

}  // namespace honeyhive::detail
