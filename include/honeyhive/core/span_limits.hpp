#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace honeyhive {

// Per-span limits from the OpenTelemetry specification ("Span Limits").
// A span that hits a limit drops the excess and counts it, as OTLP carries the counts.
struct SpanLimits {
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

  std::size_t attribute_count = 128;  // OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (or OTEL_ATTRIBUTE_COUNT_LIMIT)
  std::size_t attribute_value_length =
      kUnlimited;  // OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT (or OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT), in characters
  std::size_t event_count = 128;            // OTEL_SPAN_EVENT_COUNT_LIMIT
  std::size_t link_count = 128;             // OTEL_SPAN_LINK_COUNT_LIMIT
  std::size_t event_attribute_count = 128;  // OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
  std::size_t link_attribute_count = 128;   // OTEL_LINK_ATTRIBUTE_COUNT_LIMIT
  std::size_t structured_max_depth = 16;    // nesting depth flattened from structured values (at most 256)

  // The defaults above overridden by the OTEL_* variables that are set and valid. An invalid
  // value (not a non-negative integer) is reported through the diagnostics sink and ignored.
  static SpanLimits from_env() noexcept;
};

}  // namespace honeyhive
