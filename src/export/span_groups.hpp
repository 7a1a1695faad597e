#pragma once

#include <vector>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive::detail {

// Spans of one export request grouped as OTLP nests them: by resource, then by instrumentation
// scope, in first-seen order. Identity is by pointer: one provider shares one Resource, one tracer
// one InstrumentationScope, so equal pointers mean the same group.
struct ScopeGroup {
  const InstrumentationScope* scope = nullptr;
  std::vector<const SpanData*> spans;
};
struct ResourceGroup {
  const Resource* resource = nullptr;
  std::vector<ScopeGroup> scopes;
};

std::vector<ResourceGroup> group_spans(const std::vector<SpanDataPtr>& spans);

// Span.flags / Link.flags (opentelemetry-proto trace.proto, SpanFlags): bits 0-7 W3C trace flags,
// bit 8 "has is_remote", bit 9 "is_remote" (of the parent for spans, of the target for links).
inline std::uint32_t otlp_span_flags(TraceFlags flags, bool remote) noexcept {
  return static_cast<std::uint32_t>(flags.value) | 0x100U | (remote ? 0x200U : 0U);
}

}  // namespace honeyhive::detail
