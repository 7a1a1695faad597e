#pragma once

// Looking up one baggage entry without copying it (internal).
#include <string_view>
#include <vector>

#include "honeyhive/core/context.hpp"

namespace honeyhive::detail {

// The value of the first entry of `baggage` named `key`, or null; valid while `baggage` is.
inline const std::string* find_baggage_value(const std::vector<BaggageEntry>& baggage, std::string_view key) noexcept {
  for (const auto& entry : baggage) {
    if (std::string_view(entry.key) == key) return &entry.value;
  }
  return nullptr;
}

}  // namespace honeyhive::detail
