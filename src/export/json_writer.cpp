#include "export/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/utf8.hpp"

namespace honeyhive::detail {
namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// Nonzero when one of the 8 bytes in `word` is not ASCII, or is one JSON must escape (below 0x20,
// '"', '\\'). The zero-byte tests ((x - 1) & ~x & 0x80 per byte) may also flag a clean byte next
// to a flagged one, never miss one: a false alarm only sends the string down the slow path.
std::uint64_t needs_care(std::uint64_t word) noexcept {
  const std::uint64_t quote = word ^ (kOnes * '"');
  const std::uint64_t backslash = word ^ (kOnes * '\\');
  return (((word - kOnes * 0x20) & ~word) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | word) &
         kHighBits;
}

// True when `text` is ASCII without a byte to escape: then it is copied as is, with no UTF-8
// check and no per-character loop (most keys and values; callgrind, encode_json_512).
bool is_plain_ascii(std::string_view text) noexcept {
  const char* data = text.data();
  std::size_t size = text.size();
  std::uint64_t word;
  for (; size >= 8; data += 8, size -= 8) {
    std::memcpy(&word, data, 8);
    if (needs_care(word) != 0) return false;
  }
  for (; size > 0; ++data, --size) {
    const auto c = static_cast<unsigned char>(*data);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  if (is_plain_ascii(text)) {
    out += '"';
    out.append(text.data(), text.size());
    out += '"';
    return;
  }
  if (!is_valid_utf8(text)) {
    append_json_string(out, repair_utf8(text));
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4U];
        out += kHex[c & 0x0FU];
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out += '"';
}

void append_json_double(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    return;
  }
  if (value == 0 && std::signbit(value)) {
    // std::to_chars writes "-0", which JSON readers take for the integer 0: the sign would be lost.
    out += "-0.0";
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

void append_decimal(std::string& out, std::uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

void append_decimal(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

}  // namespace honeyhive::detail
