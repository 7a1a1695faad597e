#include "honeyhive/core/span_limits.hpp"

#include <string>

#include "core/env.hpp"
#include "honeyhive/core/diagnostics.hpp"

namespace honeyhive {
namespace {

// Reads the first of `names` that is set; an invalid value is reported and ignored.
void read_limit(std::size_t& field, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const auto raw = detail::get_env(name);
    if (!raw) continue;
    const auto parsed = detail::parse_unsigned(*raw);
    if (!parsed || *parsed > SpanLimits::kUnlimited) {
      report_diagnostic(DiagnosticLevel::warning,
                        std::string(name) + "='" + *raw + "' is not a non-negative integer; using the default");
      return;
    }
    field = static_cast<std::size_t>(*parsed);
    return;
  }
}

}  // namespace

SpanLimits SpanLimits::from_env() noexcept {
  SpanLimits limits;
  try {
    read_limit(limits.attribute_count, {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"});
    read_limit(limits.attribute_value_length,
               {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"});
    read_limit(limits.event_count, {"OTEL_SPAN_EVENT_COUNT_LIMIT"});
    read_limit(limits.link_count, {"OTEL_SPAN_LINK_COUNT_LIMIT"});
    read_limit(limits.event_attribute_count, {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"});
    read_limit(limits.link_attribute_count, {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"});
  } catch (...) {
    return SpanLimits{};
  }
  return limits;
}

}  // namespace honeyhive
