#pragma once

// The time left until a deadline, as the timeout a bounded call takes (internal).
#include <algorithm>
#include <chrono>

namespace honeyhive::detail {

// The whole milliseconds from now until `deadline`; zero once it has passed.
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) noexcept {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace honeyhive::detail
