#include <charconv>
#include <cmath>
#include <limits>
#include <new>
#include <utility>

#include "export/otlp_decode_common.hpp"
#include "honeyhive/export/otlp_decode.hpp"

namespace honeyhive {
namespace {

using detail::DecodeBudget;
using detail::DecodeStep;
using json = nlohmann::json;

// JSON levels above the first AnyValue (request > resourceSpans > [] > {} > scopeSpans > [] > {} > spans >
// [] > {} > attributes > [] > {} > value), and the three levels (value object, arrayValue/kvlistValue
// object, values array) each further AnyValue adds.
constexpr std::size_t kFixedJsonDepth = 16;
constexpr std::size_t kJsonDepthPerValue = 3;
// A parsed document costs tens of bytes per JSON value: the count is bounded (by this many per element
// of the request's element budget) before the document is built. A JSON text of n bytes holds at most
// (n + 1) / 2 values, so a well-formed request is refused for it only past max_elements_absolute.
constexpr std::size_t kJsonValuesPerElement = 4;

// First pass: checks nesting and the number of values without building anything.
class JsonShapeCheck {
 public:
  JsonShapeCheck(std::size_t max_depth, std::size_t max_values) : max_depth_(max_depth), max_values_(max_values) {}

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const json::string_t&) { return value(); }
  bool string(json::string_t&) { return value(); }
  bool binary(json::binary_t&) { return value(); }
  bool start_object(std::size_t) { return open(); }
  bool key(json::string_t&) { return true; }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    error_ = std::string("invalid JSON: ") + error.what();
    return false;
  }

  const std::string& error() const { return error_; }
  // True when the check stopped at a limit (values or nesting), not at invalid JSON.
  bool limit_exceeded() const { return limit_exceeded_; }

 private:
  bool value() {
    if (++values_ <= max_values_) return true;
    error_ = "more than " + std::to_string(max_values_) + " JSON values in one request";
    limit_exceeded_ = true;
    return false;
  }
  bool open() {
    if (!value()) return false;
    if (++depth_ <= max_depth_) return true;
    error_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
    limit_exceeded_ = true;
    return false;
  }
  bool close() {
    --depth_;
    return true;
  }

  std::size_t max_depth_;
  std::size_t max_values_;
  std::size_t depth_ = 0;
  std::size_t values_ = 0;
  std::string error_;
  bool limit_exceeded_ = false;
};

// A member by its lowerCamelCase name or its original proto name (the JSON mapping accepts both).
const json* member(const json& object, const char* camel, const char* snake = nullptr) {
  auto it = object.find(camel);
  if (it == object.end() && snake != nullptr) it = object.find(snake);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

class JsonDecoder {
 public:
  JsonDecoder(const OtlpDecodeLimits& limits, std::size_t input_bytes) : budget_(limits, input_bytes) {}

  bool request(const json& document, std::vector<SpanDataPtr>& spans) {
    if (!document.is_object()) return budget_.fail("the request is not a JSON object");
    const json* resource_spans = array_member(document, "resourceSpans", "resource_spans");
    if (resource_spans == nullptr) return !budget_.failed();
    for (std::size_t i = 0; i < resource_spans->size(); ++i) {
      DecodeStep step(budget_, "resourceSpans", i);
      if (!read_resource_spans((*resource_spans)[i], spans)) return false;
    }
    return true;
  }

  const std::string& error() const { return budget_.error(); }
  bool limit_exceeded() const { return budget_.limit_exceeded(); }

 private:
  const json* array_member(const json& object, const char* camel, const char* snake) {
    const json* value = member(object, camel, snake);
    if (value != nullptr && !value->is_array()) {
      budget_.fail(std::string(camel) + " is not an array");
      return nullptr;
    }
    return value;
  }

  bool object(const json& value, const char* what) {
    if (value.is_object()) return true;
    return budget_.fail(std::string(what) + " is not an object");
  }

  bool string_member(const json& object, const char* camel, const char* snake, std::string& out) {
    const json* value = member(object, camel, snake);
    if (value == nullptr) return true;
    if (!value->is_string()) return budget_.fail(std::string(camel) + " is not a string");
    out = detail::valid_utf8(value->get_ref<const std::string&>());
    return true;
  }

  // An integer given as a JSON number or a decimal string (the mapping of 64-bit fields).
  template <class T>
  bool integer(const json& value, const char* what, T& out) {
    if (value.is_number_unsigned()) {
      const auto v = value.get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        return budget_.fail(std::string(what) + " is out of range");
      out = static_cast<T>(v);
      return true;
    }
    if (value.is_number_integer()) {
      const auto v = value.get<std::int64_t>();
      if constexpr (std::is_unsigned_v<T>) {
        if (v < 0) return budget_.fail(std::string(what) + " is negative");
        if (static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max())
          return budget_.fail(std::string(what) + " is out of range");
      }
      out = static_cast<T>(v);
      return true;
    }
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      const char* end = text.data() + text.size();
      const auto result = std::from_chars(text.data(), end, out);
      if (result.ec == std::errc() && result.ptr == end && !text.empty()) return true;
    }
    return budget_.fail(std::string(what) + " is not an integer");
  }

  template <class T>
  bool integer_member(const json& object, const char* camel, const char* snake, T& out) {
    const json* value = member(object, camel, snake);
    return value == nullptr || integer(*value, camel, out);
  }

  // An enum as its number or its name (SPAN_KIND_SERVER, STATUS_CODE_ERROR).
  bool enum_member(const json& object, const char* camel, const char* const* names, std::size_t count,
                   std::uint64_t& out) {
    const json* value = member(object, camel);
    if (value == nullptr) return true;
    if (value->is_string()) {
      for (std::size_t i = 0; i < count; ++i) {
        if (value->get_ref<const std::string&>() == names[i]) {
          out = i;
          return true;
        }
      }
      out = 0;  // an unknown name: unspecified / unset
      return true;
    }
    return integer(*value, camel, out);
  }

  template <std::size_t N>
  bool hex_id(const json& object, const char* camel, const char* snake, std::array<std::uint8_t, N>& out) {
    const json* value = member(object, camel, snake);
    if (value == nullptr) return true;
    if (!value->is_string()) return budget_.fail(std::string(camel) + " is not a string");
    std::string hex = value->get<std::string>();
    if (hex.empty()) return true;
    for (char& c : hex) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    if (hex.size() != 2 * N || !hex_decode_lower(hex, out.data(), N)) {
      return budget_.fail(std::string(camel) + " is not " + std::to_string(2 * N) + " hex digits");
    }
    return true;
  }

  bool read_resource_spans(const json& value, std::vector<SpanDataPtr>& spans) {
    if (!object(value, "resourceSpans item") || !budget_.add_element()) return false;
    Attributes resource_attributes;
    if (const json* resource = member(value, "resource")) {
      if (!object(*resource, "resource") || !attributes(*resource, "resource.attributes", resource_attributes)) {
        return false;
      }
    }
    const auto resource = std::make_shared<const Resource>(std::move(resource_attributes));
    const json* scope_spans = array_member(value, "scopeSpans", "scope_spans");
    if (scope_spans == nullptr) return !budget_.failed();
    for (std::size_t i = 0; i < scope_spans->size(); ++i) {
      DecodeStep step(budget_, "scopeSpans", i);
      if (!read_scope_spans((*scope_spans)[i], resource, spans)) return false;
    }
    return true;
  }

  bool read_scope_spans(const json& value, const std::shared_ptr<const Resource>& resource,
                        std::vector<SpanDataPtr>& spans) {
    if (!object(value, "scopeSpans item") || !budget_.add_element()) return false;
    auto scope = std::make_shared<InstrumentationScope>();
    if (const json* scope_value = member(value, "scope")) {
      if (!object(*scope_value, "scope") || !string_member(*scope_value, "name", nullptr, scope->name) ||
          !string_member(*scope_value, "version", nullptr, scope->version)) {
        return false;
      }
    }
    const std::shared_ptr<const InstrumentationScope> shared_scope = std::move(scope);
    const json* span_values = array_member(value, "spans", nullptr);
    if (span_values == nullptr) return !budget_.failed();
    spans.reserve(spans.size() + span_values->size());
    for (std::size_t i = 0; i < span_values->size(); ++i) {
      DecodeStep step(budget_, "spans", i);
      if (!budget_.add_span()) return false;
      auto span = std::make_shared<SpanData>();
      span->resource = resource;
      span->scope = shared_scope;
      if (!read_span((*span_values)[i], *span)) return false;
      spans.push_back(std::move(span));
    }
    return true;
  }

  bool read_span(const json& value, SpanData& span) {
    if (!object(value, "span")) return false;
    std::array<std::uint8_t, TraceId::kSize> trace_id{};
    std::array<std::uint8_t, SpanId::kSize> span_id{};
    std::array<std::uint8_t, SpanId::kSize> parent_id{};
    std::string trace_state;
    std::uint32_t flags = 0;
    std::uint64_t kind = 0;
    static constexpr const char* kKinds[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
                                             "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
    if (!hex_id(value, "traceId", "trace_id", trace_id) || !hex_id(value, "spanId", "span_id", span_id) ||
        !hex_id(value, "parentSpanId", "parent_span_id", parent_id) ||
        !string_member(value, "traceState", "trace_state", trace_state) ||
        !string_member(value, "name", nullptr, span.name) || !integer_member(value, "flags", nullptr, flags) ||
        !enum_member(value, "kind", kKinds, 6, kind) ||
        !integer_member(value, "startTimeUnixNano", "start_time_unix_nano", span.start_unix_nanos) ||
        !integer_member(value, "endTimeUnixNano", "end_time_unix_nano", span.end_unix_nanos) ||
        !attributes(value, "attributes", span.attributes) ||
        !integer_member(value, "droppedAttributesCount", "dropped_attributes_count", span.dropped_attributes_count) ||
        !integer_member(value, "droppedEventsCount", "dropped_events_count", span.dropped_events_count) ||
        !integer_member(value, "droppedLinksCount", "dropped_links_count", span.dropped_links_count)) {
      return false;
    }
    span.kind = kind <= 5 ? static_cast<SpanKind>(kind) : static_cast<SpanKind>(0);
    if (const json* events = array_member(value, "events", nullptr)) {
      for (std::size_t i = 0; i < events->size(); ++i) {
        DecodeStep step(budget_, "events", i);
        if (!read_event((*events)[i], span.events)) return false;
      }
    }
    if (const json* links = array_member(value, "links", nullptr)) {
      for (std::size_t i = 0; i < links->size(); ++i) {
        DecodeStep step(budget_, "links", i);
        if (!read_link((*links)[i], span.links)) return false;
      }
    }
    if (budget_.failed()) return false;
    if (const json* status = member(value, "status")) {
      static constexpr const char* kCodes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};
      std::uint64_t code = 0;
      if (!object(*status, "status") || !string_member(*status, "message", nullptr, span.status.description) ||
          !enum_member(*status, "code", kCodes, 3, code)) {
        return false;
      }
      span.status.code = code <= 2 ? static_cast<StatusCode>(code) : StatusCode::unset;
    }
    span.context = SpanContext(TraceId(trace_id), SpanId(span_id), TraceFlags{static_cast<std::uint8_t>(flags & 0xFFU)},
                               false, detail::parse_trace_state(trace_state));
    span.parent_span_id = SpanId(parent_id);
    span.parent_is_remote = (flags & 0x300U) == 0x300U;
    return true;
  }

  bool read_event(const json& value, std::vector<SpanEvent>& events) {
    if (!object(value, "event") || !budget_.add_element()) return false;
    SpanEvent event;
    if (!integer_member(value, "timeUnixNano", "time_unix_nano", event.time_unix_nanos) ||
        !string_member(value, "name", nullptr, event.name) || !attributes(value, "attributes", event.attributes) ||
        !integer_member(value, "droppedAttributesCount", "dropped_attributes_count", event.dropped_attributes_count)) {
      return false;
    }
    events.push_back(std::move(event));
    return true;
  }

  bool read_link(const json& value, std::vector<SpanLink>& links) {
    if (!object(value, "link") || !budget_.add_element()) return false;
    SpanLink link;
    std::array<std::uint8_t, TraceId::kSize> trace_id{};
    std::array<std::uint8_t, SpanId::kSize> span_id{};
    std::string trace_state;
    std::uint32_t flags = 0;
    if (!hex_id(value, "traceId", "trace_id", trace_id) || !hex_id(value, "spanId", "span_id", span_id) ||
        !string_member(value, "traceState", "trace_state", trace_state) ||
        !attributes(value, "attributes", link.attributes) ||
        !integer_member(value, "droppedAttributesCount", "dropped_attributes_count", link.dropped_attributes_count) ||
        !integer_member(value, "flags", nullptr, flags)) {
      return false;
    }
    link.context = SpanContext(TraceId(trace_id), SpanId(span_id), TraceFlags{static_cast<std::uint8_t>(flags & 0xFFU)},
                               (flags & 0x300U) == 0x300U, detail::parse_trace_state(trace_state));
    links.push_back(std::move(link));
    return true;
  }

  bool attributes(const json& owner, const char* name, Attributes& out) {
    const json* list = array_member(owner, "attributes", nullptr);
    if (list == nullptr) return !budget_.failed();
    out.reserve(out.size() + list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      DecodeStep step(budget_, name, i);
      const json& item = (*list)[i];
      if (!object(item, "attribute") || !budget_.add_element()) return false;
      Attribute attribute;
      std::string key;
      if (!string_member(item, "key", nullptr, key)) return false;
      attribute.key = key;
      json value;
      if (const json* any = member(item, "value")) {
        if (!any_value(*any, 1, value)) return false;
      }
      attribute.value = detail::attribute_from_json(value);
      out.push_back(std::move(attribute));
    }
    return true;
  }

  // An AnyValue object at `depth` as JSON (null when no kind is set), with the same mapping as the
  // protobuf decoder: int64 as integers, bytes as their base64 text.
  bool any_value(const json& value, std::size_t depth, json& out) {
    out = nullptr;
    if (!object(value, "value") || !budget_.check_depth(depth)) return false;
    if (const json* v = member(value, "stringValue", "string_value")) {
      if (!v->is_string()) return budget_.fail("stringValue is not a string");
      out = detail::valid_utf8(v->get_ref<const std::string&>());
    } else if (const json* b = member(value, "boolValue", "bool_value")) {
      if (!b->is_boolean()) return budget_.fail("boolValue is not a boolean");
      out = b->get<bool>();
    } else if (const json* i = member(value, "intValue", "int_value")) {
      std::int64_t number = 0;
      if (!integer(*i, "intValue", number)) return false;
      out = number;
    } else if (const json* d = member(value, "doubleValue", "double_value")) {
      double number = 0;
      if (!to_double(*d, number)) return false;
      out = number;
    } else if (const json* bytes = member(value, "bytesValue", "bytes_value")) {
      if (!bytes->is_string()) return budget_.fail("bytesValue is not a string");
      out = *bytes;
    } else if (const json* array = member(value, "arrayValue", "array_value")) {
      out = json::array();
      if (!object(*array, "arrayValue")) return false;
      const json* values = array_member(*array, "values", nullptr);
      if (values == nullptr) return !budget_.failed();
      for (const json& item : *values) {
        if (!budget_.add_element()) return false;
        json element;
        if (!any_value(item, depth + 1, element)) return false;
        out.push_back(std::move(element));
      }
    } else if (const json* list = member(value, "kvlistValue", "kvlist_value")) {
      out = json::object();
      if (!object(*list, "kvlistValue")) return false;
      const json* values = array_member(*list, "values", nullptr);
      if (values == nullptr) return !budget_.failed();
      for (const json& item : *values) {
        if (!object(item, "kvlistValue item") || !budget_.add_element()) return false;
        std::string key;
        json element;
        if (!string_member(item, "key", nullptr, key)) return false;
        if (const json* any = member(item, "value")) {
          if (!any_value(*any, depth + 1, element)) return false;
        }
        out[key] = std::move(element);
      }
    }
    return true;
  }

  bool to_double(const json& value, double& out) {
    if (value.is_number()) {
      out = value.get<double>();
      return true;
    }
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (text == "NaN") {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
      }
      if (text == "Infinity" || text == "-Infinity") {
        out = text[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        return true;
      }
      const char* end = text.data() + text.size();
      const auto result = std::from_chars(text.data(), end, out);
      if (result.ec == std::errc() && result.ptr == end && !text.empty()) return true;
    }
    return budget_.fail("doubleValue is not a number");
  }

  DecodeBudget budget_;
};

}  // namespace

OtlpDecodeResult decode_otlp_json_request(std::string_view text, const OtlpDecodeLimits& limits) noexcept {
  OtlpDecodeResult result;
  try {
    const std::size_t elements = limits.element_budget(text.size());
    const std::size_t max_values = elements > std::numeric_limits<std::size_t>::max() / kJsonValuesPerElement
                                       ? std::numeric_limits<std::size_t>::max()
                                       : kJsonValuesPerElement * elements;
    JsonShapeCheck check(kFixedJsonDepth + kJsonDepthPerValue * limits.max_depth, max_values);
    if (!json::sax_parse(text, &check, json::input_format_t::json, true)) {
      result.error = check.error().empty() ? "invalid JSON" : check.error();
      result.limit_exceeded = check.limit_exceeded();
      return result;
    }
    const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
    JsonDecoder decoder(limits, text.size());
    if (document.is_discarded()) {
      result.error = "invalid JSON";
    } else if (!decoder.request(document, result.spans)) {
      result.spans.clear();
      result.error = decoder.error();
      result.limit_exceeded = decoder.limit_exceeded();
    }
  } catch (const std::bad_alloc&) {
    result.spans.clear();
    result.error = "out of memory while decoding the request";
  } catch (const std::exception& error) {
    result.spans.clear();
    result.error = std::string("the request could not be decoded: ") + error.what();
  }
  return result;
}

}  // namespace honeyhive
