#pragma once

#include <cstdint>

#include "honeyhive/core/clock.hpp"

namespace honeyhive::detail {

// When a span starts: on the monotonic clock (its duration and its events are measured from
// there) and on the wall clock.
struct SpanStartTime {
  std::uint64_t steady_nanos;
  UnixNanos unix_nanos;
};

// One clock read per span start. The wall time is the monotonic reading plus an offset between
// the two clocks, shared by all threads and read again from the wall clock once it is older than
// kWallAnchorRefreshNanos (the design OpenTelemetry Java calls an anchored clock). So spans on
// every thread share one timeline, and a step of the wall clock shows within that interval. NTP
// slews CLOCK_MONOTONIC (steady_clock) at the wall clock's rate, so between steps the two do not
// drift apart. A wall clock set for testing is read on every call, and never anchored.
SpanStartTime span_start_time() noexcept;

constexpr std::uint64_t kWallAnchorRefreshNanos = 1'000'000'000;

}  // namespace honeyhive::detail
