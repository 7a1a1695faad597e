#include "honeyhive/core/span_data.hpp"

#include "honeyhive/core/span_context.hpp"

namespace honeyhive {

const AttributeValue* SpanData::find_attribute(std::string_view key) const noexcept {
  for (const auto& attribute : attributes) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

const TraceState& SpanContext::trace_state() const noexcept {
  static const TraceState kEmpty;
  return trace_state_ ? *trace_state_ : kEmpty;
}

}  // namespace honeyhive
