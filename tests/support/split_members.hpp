#pragma once

// Test support: the members of a comma-separated header (tracestate, baggage).
#include <cstddef>
#include <string>
#include <vector>

namespace honeyhive::test {

// Splits `header` at every comma, keeping empty members and surrounding whitespace as they are.
inline std::vector<std::string> split_members(const std::string& header) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string::npos) comma = header.size();
    out.push_back(header.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace honeyhive::test
