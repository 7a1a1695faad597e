#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace honeyhive::detail {

// Appends `text` as a JSON string literal (quotes included). Control characters are escaped;
// invalid UTF-8 is replaced with U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);
// Appends a double the way proto3 JSON does: finite numbers round-trip exactly, non-finite ones are
// the strings "NaN", "Infinity", "-Infinity".
void append_json_double(std::string& out, double value);
void append_decimal(std::string& out, std::uint64_t value);
void append_decimal(std::string& out, std::int64_t value);

}  // namespace honeyhive::detail
