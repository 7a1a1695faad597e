#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "honeyhive/core/span_context.hpp"
#include "honeyhive/core/trace_state.hpp"

namespace honeyhive {

// W3C Trace Context Level 2 (https://www.w3.org/TR/trace-context-2/).
namespace trace_context {

// "00-" + 32 + "-" + 16 + "-" + 2: a version 00 traceparent.
inline constexpr std::size_t kTraceparentLength = 55;
inline constexpr std::size_t kMaxTraceStateMembers = 32;
// Section 3.3.1.5: a propagated tracestate SHOULD stay within 512 characters.
inline constexpr std::size_t kMaxTraceStateLength = 512;
// Members longer than this are the first removed when truncating (section 3.3.1.5).
inline constexpr std::size_t kLongMemberLength = 128;

// Parses a traceparent value: version 00 is exactly 55 characters; a higher version may be
// longer when the character after the flags is '-'. Rejects version ff, uppercase hex, all-zero
// ids and any other deviation. Leading/trailing spaces and tabs (HTTP OWS) are ignored.
// The result is a remote SpanContext without trace state; nullopt when invalid.
std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept;

// Parses a tracestate value (list-members per Level 2 section 3.3.1.3: keys of lowercase letters,
// digits, _ - * / @ starting with a letter or digit, which covers simple and tenant@system keys;
// OWS around members, empty members tolerated). A repeated key keeps its first (leftmost) member
// and drops the others, as Level 2 allows and the W3C harness expects. Nullopt when the header is
// invalid as a whole: a malformed member, or more than 32 members.
std::optional<TraceState> parse_tracestate(std::string_view value);

bool is_valid_key(std::string_view key) noexcept;
bool is_valid_value(std::string_view value) noexcept;

// "00-<trace-id>-<span-id>-<flags>", or "" for an invalid context.
std::string format_traceparent(const SpanContext& context);
// The same into `out` (kTraceparentLength characters, no terminator); false, and nothing written,
// for an invalid context.
bool format_traceparent(const SpanContext& context, char* out) noexcept;
// Serialises members in order, truncating past `max_length` characters: members over 128
// characters are removed first (from the end), then members from the end (section 3.3.1.5).
std::string format_tracestate(const TraceState& state, std::size_t max_length = kMaxTraceStateLength);

}  // namespace trace_context
}  // namespace honeyhive
