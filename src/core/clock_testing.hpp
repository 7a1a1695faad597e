#pragma once

#include "honeyhive/core/clock.hpp"

namespace honeyhive::detail {

// Replaces the wall clock (null restores it). For tests of clock steps only: not thread-safe
// against spans being started concurrently with the swap itself.
using WallClock = UnixNanos (*)() noexcept;
void set_wall_clock_for_testing(WallClock clock) noexcept;

}  // namespace honeyhive::detail
