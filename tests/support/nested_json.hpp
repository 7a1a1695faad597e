#pragma once

// Test support: JSON values nested deeper than a stack could recurse into.
#include <cstddef>
#include <utility>

#include <nlohmann/json.hpp>

namespace honeyhive::test {

// `depth` objects nested under key "a", built without recursion; the innermost holds a = 1.
inline nlohmann::json nested_objects(std::size_t depth) {
  nlohmann::json value = 1;
  for (std::size_t i = 0; i < depth; ++i) {
    nlohmann::json outer = nlohmann::json::object();
    outer["a"] = std::move(value);
    value = std::move(outer);
  }
  return value;
}

}  // namespace honeyhive::test
