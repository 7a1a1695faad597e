#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace honeyhive::detail {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

// Replaces every ill-formed subsequence with U+FFFD ("maximal subpart" practice, Unicode 3.9).
std::string repair_utf8(std::string_view text);

// Repairs `text` in place only when needed; returns true when it changed.
bool make_valid_utf8(std::string& text);

// Bytes in the first `max_chars` code points of `text` (it must be valid UTF-8).
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_chars) noexcept;

// Truncates `text` to at most `max_chars` code points (it must be valid UTF-8).
void truncate_utf8(std::string& text, std::size_t max_chars) noexcept;

}  // namespace honeyhive::detail
