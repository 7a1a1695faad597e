#pragma once

#include <cstddef>

#include "honeyhive/core/trace_state.hpp"

namespace honeyhive::trace_context::detail {

// format_tracestate(state, max_length) written into `out`, which holds at least `max_length`
// characters (no terminator); returns the length written. Allocates nothing.
std::size_t write_tracestate(const TraceState& state, std::size_t max_length, char* out) noexcept;

}  // namespace honeyhive::trace_context::detail
