#include "core/printable.hpp"

#include <cstddef>
#include <cstdint>

#include "core/utf8.hpp"

namespace honeyhive::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Whether append_printable escapes the code point `code` (see core/printable.hpp).
bool is_hidden_or_reordering(std::uint32_t code) noexcept {
  return (code >= 0x80 && code <= 0x9f) ||      // C1 controls: NEL, CSI, ...
         code == 0x00ad || code == 0x034f ||    // soft hyphen, combining grapheme joiner
         code == 0x115f || code == 0x1160 ||    // Hangul choseong and jungseong fillers (blank)
         code == 0x17b4 || code == 0x17b5 ||    // Khmer inherent vowels (blank)
         code == 0x200b ||                      // zero width space
         code == 0x3164 || code == 0xffa0 ||    // Hangul filler, halfwidth Hangul filler (blank)
         code == 0x061c || code == 0x180e ||    // Arabic letter mark, Mongolian vowel separator
         code == 0x200e || code == 0x200f ||    // left-to-right and right-to-left marks
         (code >= 0x2028 && code <= 0x202e) ||  // line and paragraph separators, embeddings, overrides
         (code >= 0x2060 && code <= 0x2064) ||  // word joiner, invisible operators
         (code >= 0x2066 && code <= 0x206f) ||  // isolates, deprecated format characters
         code == 0xfeff ||                      // zero width no-break space (byte order mark)
         (code >= 0xfff9 && code <= 0xfffb) ||  // interlinear annotation
         code == 0xe0001 || (code >= 0xe0020 && code <= 0xe007f);  // tags: invisible ASCII
}

// The code point of the UTF-8 sequence at text[at] and its length in bytes. `text` is valid UTF-8
// (repaired before); a byte that does not begin a whole sequence counts as one byte of U+FFFD, which
// is not escaped.
std::uint32_t decode_at(std::string_view text, std::size_t at, std::size_t& length) noexcept {
  const auto lead = static_cast<unsigned char>(text[at]);
  length = lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
  if (length == 0 || at + length > text.size()) {
    length = 1;
    return 0xfffd;
  }
  std::uint32_t code = length == 1 ? lead : lead & (0x7fU >> length);
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xc0) != 0x80) {
      length = 1;
      return 0xfffd;
    }
    code = (code << 6) | (next & 0x3fU);
  }
  return code;
}

void append_escaped_code_point(std::string& out, std::uint32_t code) {
  const int digits = code <= 0xffff ? 4 : 8;
  out += '\\';
  out += digits == 4 ? 'u' : 'U';
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0x0f];
}

}  // namespace

void append_printable(std::string& line, std::string_view text, Backslash backslash) {
  // Built apart and appended at the end, so that an exception leaves `line` as it was.
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f && c != '\\') {
      out += c;
      continue;
    }
    switch (c) {
      case '\\': out += backslash == Backslash::doubled ? "\\\\" : "\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        const char escaped[4] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 0x0f]};
        out.append(escaped, sizeof(escaped));
      }
    }
  }
  make_valid_utf8(out);
  if (all_ascii(out)) {
    line += out;
    return;
  }
  std::string shown;
  shown.reserve(out.size() + 16);
  for (std::size_t at = 0; at < out.size();) {
    std::size_t length = 1;
    const std::uint32_t code = decode_at(out, at, length);
    if (is_hidden_or_reordering(code)) {
      append_escaped_code_point(shown, code);
    } else {
      shown.append(out, at, length);
    }
    at += length;
  }
  line += shown;
}

}  // namespace honeyhive::detail
