#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace honeyhive::detail {

// The value of an environment variable, trimmed; nullopt when unset or empty.
std::optional<std::string> get_env(const char* name);

// A non-negative decimal integer that fits in uint64; nullopt otherwise.
std::optional<std::uint64_t> parse_unsigned(std::string_view text) noexcept;

// `count` milliseconds, at most milliseconds::max() (a larger count would wrap to a negative
// duration): "this many milliseconds, or as good as forever".
inline std::chrono::milliseconds saturating_millis(std::uint64_t count) noexcept {
  constexpr auto kMost = static_cast<std::uint64_t>(std::chrono::milliseconds::max().count());
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(count < kMost ? count : kMost));
}

std::string_view trim(std::string_view text) noexcept;

// Decodes %XX escapes (either hex case) into `out`; false on a malformed escape.
bool percent_decode(std::string_view text, std::string& out);

// A comma-separated "key=value" list as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS
// use: keys and values trimmed, values percent-decoded. Nullopt when any item is malformed
// (no '=', empty key, bad escape); `bad_item` then holds that item's key, never its value (but an
// item without '=' is all key: a header list must not show it), and `bad_position` its position
// among the list's non-empty items, from 1.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_key_value_list(
    std::string_view text, std::string* bad_item = nullptr, std::size_t* bad_position = nullptr);

}  // namespace honeyhive::detail
