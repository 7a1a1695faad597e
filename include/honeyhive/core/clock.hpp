#pragma once

#include <chrono>
#include <cstdint>

namespace honeyhive {

// Span timestamps are Unix-epoch nanoseconds (as OTLP carries them).
using UnixNanos = std::uint64_t;

// Wall-clock time now, in Unix-epoch nanoseconds.
UnixNanos now_unix_nanos() noexcept;
// Monotonic time now, in nanoseconds from an arbitrary origin; used for durations.
std::uint64_t now_steady_nanos() noexcept;

}  // namespace honeyhive
