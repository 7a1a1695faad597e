#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace honeyhive {

enum class DiagnosticLevel : std::uint8_t { debug = 0, info = 1, warning = 2, error = 3 };

const char* to_string(DiagnosticLevel level) noexcept;

// Receives the SDK's diagnostics, one line per event. Called without any SDK lock held,
// possibly from the export thread; must not throw (an exception is swallowed and counted).
using DiagnosticHandler = std::function<void(DiagnosticLevel, std::string_view message)>;

// Process-wide sink (per-tracer sinks arrive with the lifecycle issue). Default: stderr, lines
// at `warning` and above, at most 20 lines per 10 s window; the excess is counted and
// summarised in the next line that gets through. Pass nullptr to silence the SDK.
void set_diagnostic_handler(DiagnosticHandler handler) noexcept;
void set_diagnostic_level(DiagnosticLevel minimum) noexcept;

// Emits one diagnostic through the sink, subject to the level and the rate limit.
void report_diagnostic(DiagnosticLevel level, std::string_view message) noexcept;

// How many diagnostics were reported / suppressed by the rate limit since start.
std::uint64_t diagnostics_reported() noexcept;
std::uint64_t diagnostics_suppressed() noexcept;

}  // namespace honeyhive
