#include "transport/http_headers.hpp"

#include <cstddef>

#include "core/env.hpp"

namespace honeyhive::detail {
namespace {

bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::string_view trim_header_value(std::string_view value) noexcept { return trim(value); }

bool is_header_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool is_header_value(std::string_view value) noexcept {
  for (const char c : trim_header_value(value)) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
  }
  return true;
}

std::string header_problem(const HttpHeaders& headers) {
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    if (!is_header_name(name)) {
      return "header " + std::to_string(i + 1) + " of " + std::to_string(headers.size()) +
             " has a name that is not an HTTP token (empty, or with spaces, colons or control characters)";
    }
    if (!is_header_value(value)) {
      return "header '" + name + "' has a line break or another control character inside its value";
    }
  }
  return {};
}

}  // namespace honeyhive::detail
