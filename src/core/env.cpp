#include "core/env.hpp"

#include <cstdlib>

namespace honeyhive::detail {

std::string_view trim(std::string_view text) noexcept {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::string> get_env(const char* name) {
  const char* raw = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at configuration time only
  if (raw == nullptr) return std::nullopt;
  const std::string_view value = trim(raw);
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) noexcept {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool percent_decode(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return true;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_key_value_list(std::string_view text,
                                                                                     std::string* bad_item,
                                                                                     std::size_t* bad_position) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    const std::size_t position = out.size() + 1;
    const std::size_t equals = item.find('=');
    const std::string_view key = trim(item.substr(0, equals));
    std::string value;
    if (equals == std::string_view::npos || key.empty() || !percent_decode(trim(item.substr(equals + 1)), value)) {
      if (bad_item != nullptr) bad_item->assign(key);
      if (bad_position != nullptr) *bad_position = position;
      return std::nullopt;
    }
    out.emplace_back(std::string(key), std::move(value));
  }
  return out;
}

}  // namespace honeyhive::detail
