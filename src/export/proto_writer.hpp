#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace honeyhive::detail {

// Protobuf wire types (protobuf encoding spec, "Message Structure").
enum WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t size = 1;
  while (value >= 0x80) {
    value >>= 7U;
    ++size;
  }
  return size;
}

// The one-byte key of a field numbered 1..15.
constexpr std::uint8_t key_byte(std::uint32_t number, WireType type) noexcept {
  return static_cast<std::uint8_t>((number << 3U) | type);
}

// Writes `value` as a varint at `out`; returns the end.
inline char* put_varint(char* out, std::uint64_t value) noexcept {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7FU) | 0x80U);
    value >>= 7U;
  }
  *out++ = static_cast<char>(value);
  return out;
}

// Writes `value` little-endian at `out`; returns the end.
inline char* put_fixed64(char* out, std::uint64_t value) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(out, &value, 8);  // one store (GCC 12 does not merge the portable loop's byte stores)
#else
  for (unsigned i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8U * i)) & 0xFFU);
#endif
  return out + 8;
}
inline char* put_fixed32(char* out, std::uint32_t value) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(out, &value, 4);
#else
  for (unsigned i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8U * i)) & 0xFFU);
#endif
  return out + 4;
}

inline char* put_bytes(char* out, std::string_view bytes) noexcept {
  std::memcpy(out, bytes.data(), bytes.size());
  return out + bytes.size();
}

// A mask of the high bit of each byte: a string is ASCII when its bytes ORed together, masked, are 0.
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// Copies `text` to `out` (returns the end) and ORs its bytes into `bits`, so the caller learns
// whether it was ASCII without a second pass. Strings of up to 32 bytes (most keys and values) are
// copied with a few overlapping word loads and stores instead of a call to memcpy.
inline char* put_text(char* out, std::string_view text, std::uint64_t& bits) noexcept {
  const char* in = text.data();
  const std::size_t size = text.size();
  if (size > 32) {
    std::memcpy(out, in, size);
    std::uint64_t word;
    std::size_t i = 0;
    for (; i + 8 < size; i += 8) {
      std::memcpy(&word, in + i, 8);
      bits |= word;
    }
    std::memcpy(&word, in + size - 8, 8);
    bits |= word;
  } else if (size >= 8) {
    // Words at 0, 8, size-16 and size-8 cover the string (some overlap, none past its end).
    std::uint64_t a, b, c, d;
    std::memcpy(&a, in, 8);
    std::memcpy(&d, in + size - 8, 8);
    if (size > 16) {
      std::memcpy(&b, in + 8, 8);
      std::memcpy(&c, in + size - 16, 8);
      std::memcpy(out + 8, &b, 8);
      std::memcpy(out + size - 16, &c, 8);
      bits |= b | c;
    }
    std::memcpy(out, &a, 8);
    std::memcpy(out + size - 8, &d, 8);
    bits |= a | d;
  } else if (size >= 4) {
    std::uint32_t a, d;
    std::memcpy(&a, in, 4);
    std::memcpy(&d, in + size - 4, 4);
    std::memcpy(out, &a, 4);
    std::memcpy(out + size - 4, &d, 4);
    bits |= a | d;
  } else {
    for (std::size_t i = 0; i < size; ++i) {
      out[i] = in[i];
      bits |= static_cast<std::uint8_t>(in[i]);
    }
  }
  return out + size;
}

// The protobuf bytes of one message, written front to back in a single pass into a std::string.
//
// Writes start at `start` and overwrite whatever the string holds from there: the bytes it already
// holds are scratch space, so a string reused across batches is neither reallocated nor zero-filled
// once it has held a batch as large (std::string cannot grow without zero-filling the new part).
// finish() cuts the string to what was written.
//
// A nested message whose length is not known before its fields are written is opened with a
// guess of how many bytes its length varint takes; close() writes the length and, when the guess
// was wrong, moves the body to where the minimal varint ends. The output is therefore the
// canonical encoding (minimal varints), byte for byte what a protobuf library writes, at the cost
// of one memmove of the body when a guess misses: pick guesses that hold for typical sizes.
// (Padding the varint instead would be valid protobuf too, but not canonical.)
class ProtoWriter {
 public:
  ProtoWriter(std::string& out, std::size_t start)
      : out_(out), base_(out.data()), cursor_(base_ + start), end_(base_ + out.size()) {}
  ProtoWriter(const ProtoWriter&) = delete;
  ProtoWriter& operator=(const ProtoWriter&) = delete;

  // Room for `bytes` more bytes at the cursor; write there, then advance with commit().
  char* reserve(std::size_t bytes) {
    if (static_cast<std::size_t>(end_ - cursor_) < bytes) grow(bytes);
    return cursor_;
  }
  void commit(char* new_cursor) noexcept { cursor_ = new_cursor; }

  // Writes the key of a length-delimited field and leaves `length_guess` bytes for its length;
  // returns the position to pass to close().
  std::size_t open(std::uint8_t key, std::size_t length_guess) {
    char* p = reserve(1 + length_guess);
    *p = static_cast<char>(key);
    cursor_ = p + 1 + length_guess;
    return static_cast<std::size_t>(p + 1 - base_);
  }
  void close(std::size_t length_at, std::size_t length_guess) {
    const std::size_t body_at = length_at + length_guess;
    const std::size_t length = static_cast<std::size_t>(cursor_ - base_) - body_at;
    const std::size_t length_size = varint_size(length);
    if (length_size != length_guess) {
      if (length_size > length_guess) reserve(length_size - length_guess);
      std::memmove(base_ + length_at + length_size, base_ + body_at, length);
      cursor_ = base_ + length_at + length_size + length;
    }
    put_varint(base_ + length_at, length);
  }

  // The write position, for rewind(): forgets everything written after it.
  std::size_t position() const noexcept { return static_cast<std::size_t>(cursor_ - base_); }
  void rewind(std::size_t position) noexcept { cursor_ = base_ + position; }

  // Cuts the string after the last byte written.
  void finish() { out_.resize(position()); }

 private:
  // Grows the string by at least `bytes` and by twice the previous step: a reused string that
  // is a few bytes short zero-fills only those few (std::string zero-fills what it grows by, and
  // reserve() asks for more than most writes use), while a fresh one grows geometrically.
  void grow(std::size_t bytes) {
    const std::size_t used = position();
    const std::size_t size = std::max(used + bytes, out_.size() + step_);
    step_ *= 2;
    out_.resize(size);
    base_ = out_.data();
    cursor_ = base_ + used;
    end_ = base_ + out_.size();
  }

  std::string& out_;
  char* base_;  // out_.data(), the origin of positions
  char* cursor_;
  char* end_;
  std::size_t step_ = 256;
};

}  // namespace honeyhive::detail
