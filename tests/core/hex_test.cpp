// The lowercase hex kernels behind the ids and traceparent (core/hex.hpp): each one, whichever the
// build uses, against a one-character-at-a-time reference, for every byte value at every position.
#include "core/hex.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "honeyhive/core/ids.hpp"

namespace honeyhive {
namespace {

bool is_lower_hex(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int value_of(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

std::string reference_hex(const std::uint8_t* bytes, std::size_t size) {
  std::string out;
  char pair[3];
  for (std::size_t i = 0; i < size; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", bytes[i]);
    out += pair;
  }
  return out;
}

// Runs `decode` (N characters into N / 2 bytes) on a valid text with every byte value placed at
// every position: it must succeed exactly when that byte is lowercase hex, with the right bytes.
template <std::size_t N, class Decode>
void expect_decodes_exactly_lowercase_hex(Decode decode) {
  const std::string valid = std::string("0123456789abcdeffedcba9876543210").substr(0, N);
  for (std::size_t position = 0; position < N; ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string text = valid;
      text[position] = static_cast<char>(byte);
      std::array<std::uint8_t, N / 2> out{};
      const bool decoded = decode(text.data(), out.data());
      ASSERT_EQ(decoded, is_lower_hex(byte)) << "byte " << byte << " at " << position;
      if (!decoded) continue;
      for (std::size_t i = 0; i < N / 2; ++i) {
        ASSERT_EQ(out[i], value_of(text[2 * i]) * 16 + value_of(text[2 * i + 1]))
            << "byte " << byte << " at " << position;
      }
    }
  }
}

// Runs `encode` (N bytes into 2N characters) with every byte value at every position.
template <std::size_t N, class Encode>
void expect_encodes_every_byte(Encode encode) {
  for (std::size_t position = 0; position < N; ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      std::array<std::uint8_t, N> bytes{};
      for (std::size_t i = 0; i < N; ++i) bytes[i] = static_cast<std::uint8_t>(0x1F * i + 0x0B);
      bytes[position] = static_cast<std::uint8_t>(byte);
      std::string out(2 * N, '?');
      encode(bytes.data(), out.data());
      ASSERT_EQ(out, reference_hex(bytes.data(), N)) << "byte " << byte << " at " << position;
    }
  }
}

TEST(HexKernelTest, SwarDecoderAcceptsExactlyLowercaseHex) {
  expect_decodes_exactly_lowercase_hex<8>(detail::decode_lower_hex_8_swar);
}

TEST(HexKernelTest, SixteenCharacterDecoderAcceptsExactlyLowercaseHex) {
  expect_decodes_exactly_lowercase_hex<16>(detail::decode_lower_hex_16);
}

TEST(HexKernelTest, SwarEncoderWritesLowercaseHexOfEveryByte) {
  expect_encodes_every_byte<4>(detail::encode_lower_hex_4_swar);
}

TEST(HexKernelTest, EightByteEncoderWritesLowercaseHexOfEveryByte) {
  expect_encodes_every_byte<8>(detail::encode_lower_hex_8);
}

#if defined(__SSE2__)
TEST(HexKernelTest, Sse2DecoderAcceptsExactlyLowercaseHex) {
  expect_decodes_exactly_lowercase_hex<16>(detail::decode_lower_hex_16_sse2);
}

TEST(HexKernelTest, Sse2EncoderWritesLowercaseHexOfEveryByte) {
  expect_encodes_every_byte<8>(detail::encode_lower_hex_8_sse2);
}
#endif

TEST(HexTest, EncodesAndDecodesEverySizeUpTo40Bytes) {
  // Sizes that are and are not multiples of the kernels' widths, so every tail is taken.
  for (std::size_t size = 0; size <= 40; ++size) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(0x9D * i + 0x31);
    std::string text(2 * size, '?');
    hex_encode(bytes.data(), size, text.data());
    ASSERT_EQ(text, reference_hex(bytes.data(), size)) << size;
    std::vector<std::uint8_t> decoded(size, 0);
    ASSERT_TRUE(hex_decode_lower(text, decoded.data(), size)) << size;
    ASSERT_EQ(decoded, bytes) << size;
  }
}

TEST(HexTest, DecodeRejectsANonHexCharacterAtAnyPositionOfAnySize) {
  for (std::size_t size = 1; size <= 20; ++size) {
    for (std::size_t position = 0; position < 2 * size; ++position) {
      for (const char bad : {'A', 'F', 'g', '/', ':', '`', ' ', '\0', '\x80', '\xff'}) {
        std::string text(2 * size, 'a');
        text[position] = bad;
        std::vector<std::uint8_t> out(size);
        ASSERT_FALSE(hex_decode_lower(text, out.data(), size)) << size << " " << position << " " << int(bad);
      }
    }
  }
}

TEST(HexTest, DecodeRejectsWrongLength) {
  std::uint8_t out[8];
  EXPECT_FALSE(hex_decode_lower("0123456789abcde", out, 8));
  EXPECT_FALSE(hex_decode_lower("0123456789abcdef0", out, 8));
}

// Every byte value at every position of `hex`: Id::from_hex accepts exactly the lowercase hex
// digits, and what it accepts prints back unchanged.
template <class Id>
void expect_every_byte_checked(const std::string& hex) {
  for (std::size_t position = 0; position < hex.size(); ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string text = hex;
      text[position] = static_cast<char>(byte);
      const auto id = Id::from_hex(text);
      ASSERT_EQ(id.has_value(), is_lower_hex(byte)) << "byte " << byte << " at " << position;
      if (id) {
        ASSERT_EQ(id->to_hex(), text);
      }
    }
  }
}

TEST(HexTest, IdsParseEveryByteValueAtEveryPosition) {
  // TraceId / SpanId use the kernels directly: the same property through the public API.
  expect_every_byte_checked<TraceId>("4bf92f3577b34da6a3ce929d0e0e4736");
  expect_every_byte_checked<SpanId>("00f067aa0ba902b7");
}

}  // namespace
}  // namespace honeyhive
