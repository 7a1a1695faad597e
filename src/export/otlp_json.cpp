#include "honeyhive/export/otlp_json.hpp"

#include <type_traits>

#include "export/json_writer.hpp"
#include "export/span_groups.hpp"

namespace honeyhive {
namespace {

using detail::append_decimal;
using detail::append_json_double;
using detail::append_json_string;

void append_scalar(std::string& out, bool value) { out += value ? "{\"boolValue\":true}" : "{\"boolValue\":false}"; }
void append_scalar(std::string& out, std::int64_t value) {
  out += "{\"intValue\":\"";
  append_decimal(out, value);
  out += "\"}";
}
void append_scalar(std::string& out, double value) {
  out += "{\"doubleValue\":";
  append_json_double(out, value);
  out += '}';
}
void append_scalar(std::string& out, const std::string& value) {
  out += "{\"stringValue\":";
  append_json_string(out, value);
  out += '}';
}

template <class T>
void append_array(std::string& out, const std::vector<T>& items) {
  out += "{\"arrayValue\":{\"values\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    if constexpr (std::is_same_v<T, bool>) {
      append_scalar(out, static_cast<bool>(items[i]));  // std::vector<bool> hands out proxies
    } else {
      append_scalar(out, items[i]);
    }
  }
  out += "]}}";
}

void append_any_value(std::string& out, const AttributeValue& value) {
  switch (value.index()) {
    case 0: append_scalar(out, std::get<bool>(value)); break;
    case 1: append_scalar(out, std::get<std::int64_t>(value)); break;
    case 2: append_scalar(out, std::get<double>(value)); break;
    case 3: append_scalar(out, std::get<std::string>(value)); break;
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
  append_count(out, "flags", detail::otlp_span_flags(span.context.flags(), span.parent_is_remote));
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
    append_count(out, "flags", detail::otlp_span_flags(link.context.flags(), link.context.is_remote()));
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
  const std::vector<detail::ResourceGroup> groups = detail::group_spans(spans);
  out += "{\"resourceSpans\":[";
  for (std::size_t r = 0; r < groups.size(); ++r) {
    if (r > 0) out += ',';
    out += "{\"resource\":{";
    append_attributes(out, groups[r].resource ? groups[r].resource->attributes() : Attributes{});
    out += "},\"scopeSpans\":[";
    for (std::size_t s = 0; s < groups[r].scopes.size(); ++s) {
      const detail::ScopeGroup& group = groups[r].scopes[s];
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
