#include "honeyhive/export/otlp_json.hpp"

#include "export/json_writer.hpp"

namespace honeyhive {
namespace {

using detail::append_decimal;
using detail::append_json_double;
using detail::append_json_string;

void append_any_value(std::string& out, const AttributeValue& value);

template <class T>
void append_array(std::string& out, const std::vector<T>& items) {
  out += "{\"arrayValue\":{\"values\":[";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    append_any_value(out, AttributeValue{T(item)});
  }
  out += "]}}";
}

void append_any_value(std::string& out, const AttributeValue& value) {
  switch (value.index()) {
    case 0:
      out += std::get<bool>(value) ? "{\"boolValue\":true}" : "{\"boolValue\":false}";
      break;
    case 1:
      out += "{\"intValue\":\"";
      append_decimal(out, std::get<std::int64_t>(value));
      out += "\"}";
      break;
    case 2:
      out += "{\"doubleValue\":";
      append_json_double(out, std::get<double>(value));
      out += '}';
      break;
    case 3:
      out += "{\"stringValue\":";
      append_json_string(out, std::get<std::string>(value));
      out += '}';
      break;
    case 4: append_array(out, std::get<std::vector<bool>>(value)); break;
    case 5: append_array(out, std::get<std::vector<std::int64_t>>(value)); break;
    case 6: append_array(out, std::get<std::vector<double>>(value)); break;
    case 7: append_array(out, std::get<std::vector<std::string>>(value)); break;
    default: out += "{}";
  }
}

void append_attributes(std::string& out, const Attributes& attributes) {
  out += "\"attributes\":[";
  bool first = true;
  for (const auto& attribute : attributes) {
    if (!first) out += ',';
    first = false;
    out += "{\"key\":";
    append_json_string(out, attribute.key);
    out += ",\"value\":";
    append_any_value(out, attribute.value);
    out += '}';
  }
  out += ']';
}

void append_id(std::string& out, const char* field, const std::uint8_t* bytes, std::size_t size) {
  out += '"';
  out += field;
  out += "\":\"";
  const std::size_t at = out.size();
  out.resize(at + 2 * size);
  hex_encode(bytes, size, &out[at]);
  out += '"';
}

void append_count(std::string& out, const char* field, std::uint64_t value) {
  out += ",\"";
  out += field;
  out += "\":";
  append_decimal(out, value);
}

void append_nanos(std::string& out, const char* field, UnixNanos value) {
  out += ",\"";
  out += field;
  out += "\":\"";
  append_decimal(out, value);
  out += '"';
}

// Span.flags (opentelemetry-proto trace.proto, SpanFlags): bits 0-7 W3C trace flags,
// bit 8 "has is_remote", bit 9 "is_remote" (of the parent for spans, of the target for links).
std::uint32_t span_flags(TraceFlags flags, bool remote) {
  return static_cast<std::uint32_t>(flags.value) | 0x100U | (remote ? 0x200U : 0U);
}

void append_span(std::string& out, const SpanData& span) {
  out += '{';
  append_id(out, "traceId", span.context.trace_id().bytes().data(), TraceId::kSize);
  out += ',';
  append_id(out, "spanId", span.context.span_id().bytes().data(), SpanId::kSize);
  if (!span.context.trace_state().empty()) {
    out += ",\"traceState\":";
    append_json_string(out, span.context.trace_state().to_header());
  }
  if (span.parent_span_id.is_valid()) {
    out += ',';
    append_id(out, "parentSpanId", span.parent_span_id.bytes().data(), SpanId::kSize);
  }
  append_count(out, "flags", span_flags(span.context.flags(), span.parent_is_remote));
  out += ",\"name\":";
  append_json_string(out, span.name);
  append_count(out, "kind", static_cast<std::uint64_t>(span.kind));
  append_nanos(out, "startTimeUnixNano", span.start_unix_nanos);
  append_nanos(out, "endTimeUnixNano", span.end_unix_nanos);
  out += ',';
  append_attributes(out, span.attributes);
  if (span.dropped_attributes_count > 0) append_count(out, "droppedAttributesCount", span.dropped_attributes_count);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < span.events.size(); ++i) {
    const SpanEvent& event = span.events[i];
    if (i > 0) out += ',';
    out += "{\"timeUnixNano\":\"";
    append_decimal(out, event.time_unix_nanos);
    out += "\",\"name\":";
    append_json_string(out, event.name);
    out += ',';
    append_attributes(out, event.attributes);
    if (event.dropped_attributes_count > 0) append_count(out, "droppedAttributesCount", event.dropped_attributes_count);
    out += '}';
  }
  out += ']';
  if (span.dropped_events_count > 0) append_count(out, "droppedEventsCount", span.dropped_events_count);
  out += ",\"links\":[";
  for (std::size_t i = 0; i < span.links.size(); ++i) {
    const SpanLink& link = span.links[i];
    if (i > 0) out += ',';
    out += '{';
    append_id(out, "traceId", link.context.trace_id().bytes().data(), TraceId::kSize);
    out += ',';
    append_id(out, "spanId", link.context.span_id().bytes().data(), SpanId::kSize);
    if (!link.context.trace_state().empty()) {
      out += ",\"traceState\":";
      append_json_string(out, link.context.trace_state().to_header());
    }
    out += ',';
    append_attributes(out, link.attributes);
    if (link.dropped_attributes_count > 0) append_count(out, "droppedAttributesCount", link.dropped_attributes_count);
    append_count(out, "flags", span_flags(link.context.flags(), link.context.is_remote()));
    out += '}';
  }
  out += ']';
  if (span.dropped_links_count > 0) append_count(out, "droppedLinksCount", span.dropped_links_count);
  out += ",\"status\":{";
  if (span.status.code != StatusCode::unset) {
    out += "\"code\":";
    append_decimal(out, static_cast<std::uint64_t>(span.status.code));
    if (!span.status.description.empty()) {
      out += ",\"message\":";
      append_json_string(out, span.status.description);
    }
  }
  out += "}}";
}

}  // namespace

void encode_otlp_json(const std::vector<SpanDataPtr>& spans, std::string& out) {
  // Group by resource, then by scope, keeping first-seen order (pointer identity: one provider
  // shares one Resource, one tracer one InstrumentationScope).
  struct ScopeGroup {
    const InstrumentationScope* scope;
    std::vector<const SpanData*> spans;
  };
  struct ResourceGroup {
    const Resource* resource;
    std::vector<ScopeGroup> scopes;
  };
  std::vector<ResourceGroup> groups;
  for (const auto& span : spans) {
    if (!span) continue;
    ResourceGroup* resource_group = nullptr;
    for (auto& group : groups) {
      if (group.resource == span->resource.get()) resource_group = &group;
    }
    if (resource_group == nullptr) resource_group = &groups.emplace_back(ResourceGroup{span->resource.get(), {}});
    ScopeGroup* scope_group = nullptr;
    for (auto& group : resource_group->scopes) {
      if (group.scope == span->scope.get()) scope_group = &group;
    }
    if (scope_group == nullptr) scope_group = &resource_group->scopes.emplace_back(ScopeGroup{span->scope.get(), {}});
    scope_group->spans.push_back(span.get());
  }

  out += "{\"resourceSpans\":[";
  for (std::size_t r = 0; r < groups.size(); ++r) {
    if (r > 0) out += ',';
    out += "{\"resource\":{";
    append_attributes(out, groups[r].resource ? groups[r].resource->attributes() : Attributes{});
    out += "},\"scopeSpans\":[";
    for (std::size_t s = 0; s < groups[r].scopes.size(); ++s) {
      const ScopeGroup& group = groups[r].scopes[s];
      if (s > 0) out += ',';
      out += "{\"scope\":{\"name\":";
      append_json_string(out, group.scope ? group.scope->name : std::string());
      if (group.scope && !group.scope->version.empty()) {
        out += ",\"version\":";
        append_json_string(out, group.scope->version);
      }
      out += "},\"spans\":[";
      for (std::size_t i = 0; i < group.spans.size(); ++i) {
        if (i > 0) out += ',';
        append_span(out, *group.spans[i]);
      }
      out += "]}";
    }
    out += "]}";
  }
  out += "]}";
}

}  // namespace honeyhive
