#include "core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace honeyhive::detail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the well-formed sequence starting at text[i], or 0 when ill-formed there.
// The ranges are Table 3-7 of the Unicode Standard ("Well-Formed UTF-8 Byte Sequences").
std::size_t sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t b0 = byte(i);
  const std::size_t left = text.size() - i;
  if (b0 < 0x80) return 1;
  auto in = [](std::uint8_t b, std::uint8_t lo, std::uint8_t hi) { return b >= lo && b <= hi; };
  if (in(b0, 0xC2, 0xDF)) return left >= 2 && in(byte(i + 1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    if (left < 3) return 0;
    const std::uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const std::uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    if (left < 4) return 0;
    const std::uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    const std::uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) && in(byte(i + 3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// How many bytes of an ill-formed sequence at i form its "maximal subpart" (>= 1).
std::size_t maximal_subpart(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t b0 = byte(i);
  auto in = [](std::uint8_t b, std::uint8_t lo, std::uint8_t hi) { return b >= lo && b <= hi; };
  std::size_t needed = 0;
  std::uint8_t lo = 0x80;
  std::uint8_t hi = 0xBF;
  if (in(b0, 0xC2, 0xDF)) {
    needed = 1;
  } else if (in(b0, 0xE0, 0xEF)) {
    needed = 2;
    lo = b0 == 0xE0 ? 0xA0 : 0x80;
    hi = b0 == 0xED ? 0x9F : 0xBF;
  } else if (in(b0, 0xF0, 0xF4)) {
    needed = 3;
    lo = b0 == 0xF0 ? 0x90 : 0x80;
    hi = b0 == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 1;
  }
  std::size_t length = 1;
  for (std::size_t k = 0; k < needed && i + length < text.size(); ++k) {
    const std::uint8_t b = byte(i + length);
    if (k == 0 ? !in(b, lo, hi) : !in(b, 0x80, 0xBF)) break;
    ++length;
  }
  return length;
}

std::size_t first_invalid(std::string_view text) noexcept {
  // Most attribute keys and values are ASCII.
  if (all_ascii(text)) return text.size();
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<std::uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return text.size();
}

}  // namespace

bool is_valid_utf8_beyond_ascii(std::string_view text) noexcept { return first_invalid(text) == text.size(); }

std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = sequence_length(text, i);
    if (length == 0) {
      out.append(kReplacement);
      i += maximal_subpart(text, i);
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

bool make_valid_utf8(std::string& text) {
  if (first_invalid(text) == text.size()) return false;
  text = repair_utf8(text);
  return true;
}

std::size_t utf8_prefix_length(std::string_view text, std::size_t max_chars) noexcept {
  if (text.size() <= max_chars) return text.size();  // bytes >= code points
  std::size_t chars = 0;
  std::size_t i = 0;
  while (i < text.size() && chars < max_chars) {
    const std::uint8_t b = static_cast<std::uint8_t>(text[i]);
    i += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    ++chars;
  }
  return i < text.size() ? i : text.size();
}

void truncate_utf8(std::string& text, std::size_t max_chars) noexcept {
  const std::size_t length = utf8_prefix_length(text, max_chars);
  if (length < text.size()) text.resize(length);
}

}  // namespace honeyhive::detail
