#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace honeyhive::detail {

// The value of an environment variable, trimmed; nullopt when unset or empty.
std::optional<std::string> get_env(const char* name);

// A non-negative decimal integer that fits in uint64; nullopt otherwise.
std::optional<std::uint64_t> parse_unsigned(std::string_view text) noexcept;

std::string_view trim(std::string_view text) noexcept;

}  // namespace honeyhive::detail
