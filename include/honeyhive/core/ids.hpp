#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace honeyhive {
namespace detail {

// Whether any of `bytes` (whole 64-bit words) is non-zero, a word at a time.
template <std::size_t N>
bool any_nonzero(const std::array<std::uint8_t, N>& bytes) noexcept {
  static_assert(N % 8 == 0, "ids are whole 64-bit words");
  std::uint64_t words[N / 8];
  std::memcpy(words, bytes.data(), N);
  std::uint64_t any = 0;
  for (const std::uint64_t word : words) any |= word;
  return any != 0;
}

}  // namespace detail

// A 16-byte W3C trace id. All-zero is the invalid id.
class TraceId {
 public:
  static constexpr std::size_t kSize = 16;

  constexpr TraceId() noexcept = default;
  explicit constexpr TraceId(const std::array<std::uint8_t, kSize>& bytes) noexcept : bytes_(bytes) {}

  // A random, never all-zero id from this thread's generator (lock-free, fork-aware).
  static TraceId random() noexcept;
  // Parses exactly 32 lowercase hex characters. Uppercase is rejected, as W3C Trace Context requires.
  // The all-zero id parses (it is well-formed) but is not valid().
  static std::optional<TraceId> from_hex(std::string_view hex) noexcept;

  bool is_valid() const noexcept { return detail::any_nonzero(bytes_); }
  const std::array<std::uint8_t, kSize>& bytes() const noexcept { return bytes_; }
  std::string to_hex() const;
  // Writes 32 lowercase hex characters to out (no terminator).
  void to_hex(char* out) const noexcept;

  friend bool operator==(const TraceId& a, const TraceId& b) noexcept { return a.bytes_ == b.bytes_; }
  friend bool operator!=(const TraceId& a, const TraceId& b) noexcept { return !(a == b); }

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

// An 8-byte W3C span (parent) id. All-zero is the invalid id.
class SpanId {
 public:
  static constexpr std::size_t kSize = 8;

  constexpr SpanId() noexcept = default;
  explicit constexpr SpanId(const std::array<std::uint8_t, kSize>& bytes) noexcept : bytes_(bytes) {}

  static SpanId random() noexcept;
  // Parses exactly 16 lowercase hex characters.
  static std::optional<SpanId> from_hex(std::string_view hex) noexcept;

  bool is_valid() const noexcept { return detail::any_nonzero(bytes_); }
  const std::array<std::uint8_t, kSize>& bytes() const noexcept { return bytes_; }
  std::string to_hex() const;
  void to_hex(char* out) const noexcept;

  friend bool operator==(const SpanId& a, const SpanId& b) noexcept { return a.bytes_ == b.bytes_; }
  friend bool operator!=(const SpanId& a, const SpanId& b) noexcept { return !(a == b); }

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

// Lowercase hex of arbitrary bytes (2 chars per byte) into out.
void hex_encode(const std::uint8_t* bytes, std::size_t size, char* out) noexcept;
// Decodes 2*size lowercase hex chars; false on any other character.
bool hex_decode_lower(std::string_view hex, std::uint8_t* out, std::size_t size) noexcept;

}  // namespace honeyhive
