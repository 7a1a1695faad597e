#include <cstring>
#include <new>
#include <utility>

#include "export/otlp_decode_common.hpp"
#include "export/otlp_fields.hpp"
#include "export/proto_writer.hpp"
#include "honeyhive/export/otlp_decode.hpp"

namespace honeyhive {
namespace {

using detail::DecodeBudget;
using detail::DecodeStep;
using json = nlohmann::json;

namespace field = detail::otlp_field;

// The wire types, as the encoder names them.
using detail::kFixed32;
using detail::kFixed64;
using detail::kLengthDelimited;
using detail::kVarint;
using detail::WireType;

const char* wire_type_name(std::uint32_t type) {
  switch (type) {
    case kVarint: return "varint";
    case kFixed64: return "fixed64";
    case kLengthDelimited: return "length-delimited";
    case kFixed32: return "fixed32";
    case 3:
    case 4: return "group";
    default: return "invalid";
  }
}

// One field as read from the wire; `bytes` views the input for length-delimited fields.
struct Field {
  std::uint32_t number = 0;
  std::uint32_t wire_type = 0;
  std::uint64_t value = 0;  // varint, fixed64 and fixed32 payloads
  std::string_view bytes;
};

// Reads the fields of one message, never past its end. Errors go to the budget.
class Reader {
 public:
  Reader(std::string_view data, DecodeBudget& budget) : data_(data), budget_(budget) {}

  // False at the end of the message or on an error (then budget.failed()).
  bool next(Field& out) {
    if (position_ >= data_.size() || budget_.failed()) return false;
    std::uint64_t key = 0;
    if (!varint(key)) return false;
    out.number = static_cast<std::uint32_t>(key >> 3U);
    out.wire_type = static_cast<std::uint32_t>(key & 7U);
    if (key >> 3U == 0 || key >> 3U > 0x1FFFFFFFU)
      return budget_.fail("invalid field number " + std::to_string(key >> 3U));
    switch (out.wire_type) {
      case kVarint: return varint(out.value);
      case kFixed64: return fixed(8, out.value);
      case kFixed32: return fixed(4, out.value);
      case kLengthDelimited: {
        std::uint64_t length = 0;
        if (!varint(length)) return false;
        if (length > data_.size() - position_) {
          return budget_.fail("field " + std::to_string(out.number) + " claims " + std::to_string(length) +
                              " bytes but only " + std::to_string(data_.size() - position_) + " remain");
        }
        out.bytes = data_.substr(position_, static_cast<std::size_t>(length));
        position_ += static_cast<std::size_t>(length);
        return true;
      }
      default:
        return budget_.fail("field " + std::to_string(out.number) + " has wire type " + std::to_string(out.wire_type) +
                            " (" + wire_type_name(out.wire_type) + "), which OTLP does not use");
    }
  }

 private:
  bool varint(std::uint64_t& value) {
    value = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      if (position_ >= data_.size()) return budget_.fail("truncated varint at the end of the message");
      const auto byte = static_cast<std::uint8_t>(data_[position_++]);
      if (shift == 63 && byte > 1) return budget_.fail("varint overflows 64 bits");
      value |= std::uint64_t{byte & 0x7FU} << shift;
      if ((byte & 0x80U) == 0) return true;
    }
    return budget_.fail("varint longer than 10 bytes");
  }
  bool fixed(std::size_t size, std::uint64_t& value) {
    if (size > data_.size() - position_) return budget_.fail("truncated fixed" + std::to_string(size * 8) + " value");
    value = 0;
    for (std::size_t i = 0; i < size; ++i) {
      value |= std::uint64_t{static_cast<std::uint8_t>(data_[position_ + i])} << (8U * i);
    }
    position_ += size;
    return true;
  }

  std::string_view data_;
  std::size_t position_ = 0;
  DecodeBudget& budget_;
};

class ProtoDecoder {
 public:
  ProtoDecoder(const OtlpDecodeLimits& limits, std::size_t input_bytes) : budget_(limits, input_bytes) {}

  bool request(std::string_view bytes, std::vector<SpanDataPtr>& spans) {
    Reader reader(bytes, budget_);
    Field f;
    std::size_t index = 0;
    while (reader.next(f)) {
      if (f.number != field::kRequestResourceSpans) continue;
      DecodeStep step(budget_, "resource_spans", index++);
      if (!want(f, kLengthDelimited, "resource_spans") || !resource_spans(f.bytes, spans)) return false;
    }
    return !budget_.failed();
  }

  const std::string& error() const { return budget_.error(); }
  bool limit_exceeded() const { return budget_.limit_exceeded(); }

 private:
  bool want(const Field& f, WireType type, const char* name) {
    if (f.wire_type == type) return true;
    return budget_.fail(std::string(name) + " (field " + std::to_string(f.number) + ") has wire type " +
                        wire_type_name(f.wire_type) + ", expected " + wire_type_name(type));
  }

  // Fields may come in any order: the resource (and a scope) are read before the spans that share them.
  bool resource_spans(std::string_view bytes, std::vector<SpanDataPtr>& spans) {
    if (!budget_.add_element()) return false;
    std::string_view resource_bytes;
    std::vector<std::string_view> scope_spans_bytes;
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      if (f.number == field::kResourceSpansResource) {
        if (!want(f, kLengthDelimited, "resource")) return false;
        resource_bytes = f.bytes;
      } else if (f.number == field::kResourceSpansScopeSpans) {
        if (!want(f, kLengthDelimited, "scope_spans") || !budget_.add_element()) return false;
        scope_spans_bytes.push_back(f.bytes);
      }
    }
    if (budget_.failed()) return false;
    Attributes resource_attributes;
    Reader resource_reader(resource_bytes, budget_);
    std::size_t index = 0;
    while (resource_reader.next(f)) {
      if (f.number != field::kResourceAttributes) continue;
      DecodeStep step(budget_, "resource.attributes", index++);
      if (!want(f, kLengthDelimited, "attributes") || !key_value(f.bytes, resource_attributes)) return false;
    }
    if (budget_.failed()) return false;
    const auto resource = std::make_shared<const Resource>(std::move(resource_attributes));
    for (std::size_t i = 0; i < scope_spans_bytes.size(); ++i) {
      DecodeStep step(budget_, "scope_spans", i);
      if (!scope_spans(scope_spans_bytes[i], resource, spans)) return false;
    }
    return true;
  }

  bool scope_spans(std::string_view bytes, const std::shared_ptr<const Resource>& resource,
                   std::vector<SpanDataPtr>& spans) {
    std::string_view scope_bytes;
    std::vector<std::string_view> span_bytes;
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      if (f.number == field::kScopeSpansScope) {
        if (!want(f, kLengthDelimited, "scope")) return false;
        scope_bytes = f.bytes;
      } else if (f.number == field::kScopeSpansSpans) {
        if (!want(f, kLengthDelimited, "spans") || !budget_.add_span()) return false;
        span_bytes.push_back(f.bytes);
      }
    }
    if (budget_.failed()) return false;
    auto scope = std::make_shared<InstrumentationScope>();
    Reader scope_reader(scope_bytes, budget_);
    while (scope_reader.next(f)) {
      if (f.number == field::kScopeName) {
        if (!want(f, kLengthDelimited, "scope.name")) return false;
        scope->name = detail::valid_utf8(f.bytes);
      } else if (f.number == field::kScopeVersion) {
        if (!want(f, kLengthDelimited, "scope.version")) return false;
        scope->version = detail::valid_utf8(f.bytes);
      }
    }
    if (budget_.failed()) return false;
    std::shared_ptr<const InstrumentationScope> shared_scope = std::move(scope);
    spans.reserve(spans.size() + span_bytes.size());
    for (std::size_t i = 0; i < span_bytes.size(); ++i) {
      DecodeStep step(budget_, "spans", i);
      auto span = std::make_shared<SpanData>();
      span->resource = resource;
      span->scope = shared_scope;
      if (!read_span(span_bytes[i], *span)) return false;
      spans.push_back(std::move(span));
    }
    return true;
  }

  template <std::size_t N>
  bool id(const Field& f, const char* name, std::array<std::uint8_t, N>& out) {
    if (!want(f, kLengthDelimited, name)) return false;
    if (f.bytes.empty()) {
      out.fill(0);
      return true;
    }
    if (f.bytes.size() != N) {
      return budget_.fail(std::string(name) + " is " + std::to_string(f.bytes.size()) + " bytes, expected " +
                          std::to_string(N));
    }
    std::memcpy(out.data(), f.bytes.data(), N);
    return true;
  }

  bool varint_field(const Field& f, const char* name, std::uint64_t& out) {
    if (!want(f, kVarint, name)) return false;
    out = f.value;
    return true;
  }

  bool read_span(std::string_view bytes, SpanData& span) {
    std::array<std::uint8_t, TraceId::kSize> trace_id{};
    std::array<std::uint8_t, SpanId::kSize> span_id{};
    std::array<std::uint8_t, SpanId::kSize> parent_id{};
    std::shared_ptr<const TraceState> trace_state;
    std::uint64_t flags = 0;
    std::uint64_t number = 0;
    std::size_t attribute_index = 0, event_index = 0, link_index = 0;
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      switch (f.number) {
        case field::kSpanTraceId:
          if (!id(f, "trace_id", trace_id)) return false;
          break;
        case field::kSpanSpanId:
          if (!id(f, "span_id", span_id)) return false;
          break;
        case field::kSpanParentSpanId:
          if (!id(f, "parent_span_id", parent_id)) return false;
          break;
        case field::kSpanTraceState:
          if (!want(f, kLengthDelimited, "trace_state")) return false;
          trace_state = detail::parse_trace_state(f.bytes);
          break;
        case field::kSpanName:
          if (!want(f, kLengthDelimited, "name")) return false;
          span.name = detail::valid_utf8(f.bytes);
          break;
        case field::kSpanKind:
          if (!varint_field(f, "kind", number)) return false;
          span.kind = number <= 5 ? static_cast<SpanKind>(number) : static_cast<SpanKind>(0);
          break;
        case field::kSpanStart:
          if (!want(f, kFixed64, "start_time_unix_nano")) return false;
          span.start_unix_nanos = f.value;
          break;
        case field::kSpanEnd:
          if (!want(f, kFixed64, "end_time_unix_nano")) return false;
          span.end_unix_nanos = f.value;
          break;
        case field::kSpanAttributes: {
          DecodeStep step(budget_, "attributes", attribute_index++);
          if (!want(f, kLengthDelimited, "attributes") || !key_value(f.bytes, span.attributes)) return false;
          break;
        }
        case field::kSpanDroppedAttributes:
          if (!varint_field(f, "dropped_attributes_count", number)) return false;
          span.dropped_attributes_count = static_cast<std::uint32_t>(number);
          break;
        case field::kSpanEvents: {
          DecodeStep step(budget_, "events", event_index++);
          if (!want(f, kLengthDelimited, "events") || !event(f.bytes, span.events)) return false;
          break;
        }
        case field::kSpanDroppedEvents:
          if (!varint_field(f, "dropped_events_count", number)) return false;
          span.dropped_events_count = static_cast<std::uint32_t>(number);
          break;
        case field::kSpanLinks: {
          DecodeStep step(budget_, "links", link_index++);
          if (!want(f, kLengthDelimited, "links") || !link(f.bytes, span.links)) return false;
          break;
        }
        case field::kSpanDroppedLinks:
          if (!varint_field(f, "dropped_links_count", number)) return false;
          span.dropped_links_count = static_cast<std::uint32_t>(number);
          break;
        case field::kSpanStatus:
          if (!want(f, kLengthDelimited, "status") || !status(f.bytes, span.status)) return false;
          break;
        case field::kSpanFlags:
          if (!want(f, kFixed32, "flags")) return false;
          flags = f.value;
          break;
        default: break;
      }
    }
    if (budget_.failed()) return false;
    span.context = SpanContext(TraceId(trace_id), SpanId(span_id), TraceFlags{static_cast<std::uint8_t>(flags & 0xFFU)},
                               false, std::move(trace_state));
    span.parent_span_id = SpanId(parent_id);
    span.parent_is_remote = (flags & 0x300U) == 0x300U;
    return true;
  }

  bool status(std::string_view bytes, Status& out) {
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      if (f.number == field::kStatusMessage) {
        if (!want(f, kLengthDelimited, "status.message")) return false;
        out.description = detail::valid_utf8(f.bytes);
      } else if (f.number == field::kStatusCode) {
        if (!want(f, kVarint, "status.code")) return false;
        out.code = f.value <= 2 ? static_cast<StatusCode>(f.value) : StatusCode::unset;
      }
    }
    return !budget_.failed();
  }

  bool event(std::string_view bytes, std::vector<SpanEvent>& events) {
    if (!budget_.add_element()) return false;
    SpanEvent out;
    std::size_t index = 0;
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      switch (f.number) {
        case field::kEventTime:
          if (!want(f, kFixed64, "time_unix_nano")) return false;
          out.time_unix_nanos = f.value;
          break;
        case field::kEventName:
          if (!want(f, kLengthDelimited, "name")) return false;
          out.name = detail::valid_utf8(f.bytes);
          break;
        case field::kEventAttributes: {
          DecodeStep step(budget_, "attributes", index++);
          if (!want(f, kLengthDelimited, "attributes") || !key_value(f.bytes, out.attributes)) return false;
          break;
        }
        case field::kEventDroppedAttributes:
          if (!want(f, kVarint, "dropped_attributes_count")) return false;
          out.dropped_attributes_count = static_cast<std::uint32_t>(f.value);
          break;
        default: break;
      }
    }
    if (budget_.failed()) return false;
    events.push_back(std::move(out));
    return true;
  }

  bool link(std::string_view bytes, std::vector<SpanLink>& links) {
    if (!budget_.add_element()) return false;
    SpanLink out;
    std::array<std::uint8_t, TraceId::kSize> trace_id{};
    std::array<std::uint8_t, SpanId::kSize> span_id{};
    std::shared_ptr<const TraceState> trace_state;
    std::uint64_t flags = 0;
    std::size_t index = 0;
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      switch (f.number) {
        case field::kLinkTraceId:
          if (!id(f, "trace_id", trace_id)) return false;
          break;
        case field::kLinkSpanId:
          if (!id(f, "span_id", span_id)) return false;
          break;
        case field::kLinkTraceState:
          if (!want(f, kLengthDelimited, "trace_state")) return false;
          trace_state = detail::parse_trace_state(f.bytes);
          break;
        case field::kLinkAttributes: {
          DecodeStep step(budget_, "attributes", index++);
          if (!want(f, kLengthDelimited, "attributes") || !key_value(f.bytes, out.attributes)) return false;
          break;
        }
        case field::kLinkDroppedAttributes:
          if (!want(f, kVarint, "dropped_attributes_count")) return false;
          out.dropped_attributes_count = static_cast<std::uint32_t>(f.value);
          break;
        case field::kLinkFlags:
          if (!want(f, kFixed32, "flags")) return false;
          flags = f.value;
          break;
        default: break;
      }
    }
    if (budget_.failed()) return false;
    out.context = SpanContext(TraceId(trace_id), SpanId(span_id), TraceFlags{static_cast<std::uint8_t>(flags & 0xFFU)},
                              (flags & 0x300U) == 0x300U, std::move(trace_state));
    links.push_back(std::move(out));
    return true;
  }

  bool key_value(std::string_view bytes, Attributes& out) {
    if (!budget_.add_element()) return false;
    Attribute attribute;
    attribute.value = std::string();
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      if (f.number == field::kKeyValueKey) {
        if (!want(f, kLengthDelimited, "key")) return false;
        attribute.key = detail::valid_utf8(f.bytes);
      } else if (f.number == field::kKeyValueValue) {
        if (!want(f, kLengthDelimited, "value") || !any_value(f.bytes, attribute.value)) return false;
      }
    }
    if (budget_.failed()) return false;
    out.push_back(std::move(attribute));
    return true;
  }

  // An attribute's own value (depth 1): scalars directly, arrays and lists through JSON.
  bool any_value(std::string_view bytes, AttributeValue& out) {
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      switch (f.number) {
        case field::kAnyString:
          if (!want(f, kLengthDelimited, "string_value")) return false;
          out = detail::valid_utf8(f.bytes);
          break;
        case field::kAnyBool:
          if (!want(f, kVarint, "bool_value")) return false;
          out = f.value != 0;
          break;
        case field::kAnyInt:
          if (!want(f, kVarint, "int_value")) return false;
          out = static_cast<std::int64_t>(f.value);
          break;
        case field::kAnyDouble: {
          if (!want(f, kFixed64, "double_value")) return false;
          double value = 0;
          std::memcpy(&value, &f.value, sizeof(value));
          out = value;
          break;
        }
        case field::kAnyBytes:
          if (!want(f, kLengthDelimited, "bytes_value")) return false;
          out = detail::base64_encode(f.bytes);
          break;
        case field::kAnyArray:
        case field::kAnyKvList: {
          if (!want(f, kLengthDelimited, f.number == field::kAnyArray ? "array_value" : "kvlist_value")) return false;
          json nested;
          if (!nested_value(f.number, f.bytes, 2, nested)) return false;
          out = detail::attribute_from_json(nested);
          break;
        }
        default: break;
      }
    }
    return !budget_.failed();
  }

  // An ArrayValue (number kAnyArray) or KeyValueList whose members sit at `depth`, as JSON.
  bool nested_value(std::uint32_t kind, std::string_view bytes, std::size_t depth, json& out) {
    if (!budget_.check_depth(depth)) return false;
    out = kind == field::kAnyArray ? json::array() : json::object();
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      if (kind == field::kAnyArray && f.number == field::kArrayValues) {
        if (!want(f, kLengthDelimited, "values") || !budget_.add_element()) return false;
        json item;
        if (!json_value(f.bytes, depth, item)) return false;
        out.push_back(std::move(item));
      } else if (kind == field::kAnyKvList && f.number == field::kKvListValues) {
        if (!want(f, kLengthDelimited, "values") || !budget_.add_element()) return false;
        std::string key;
        json item;
        Reader pair(f.bytes, budget_);
        Field g;
        while (pair.next(g)) {
          if (g.number == field::kKeyValueKey) {
            if (!want(g, kLengthDelimited, "key")) return false;
            key = detail::valid_utf8(g.bytes);
          } else if (g.number == field::kKeyValueValue) {
            if (!want(g, kLengthDelimited, "value") || !json_value(g.bytes, depth, item)) return false;
          }
        }
        if (budget_.failed()) return false;
        out[key] = std::move(item);
      }
    }
    return !budget_.failed();
  }

  // An AnyValue at `depth` as JSON (bytes as base64, no value as null).
  bool json_value(std::string_view bytes, std::size_t depth, json& out) {
    out = nullptr;
    Reader reader(bytes, budget_);
    Field f;
    while (reader.next(f)) {
      switch (f.number) {
        case field::kAnyString:
          if (!want(f, kLengthDelimited, "string_value")) return false;
          out = detail::valid_utf8(f.bytes);
          break;
        case field::kAnyBool:
          if (!want(f, kVarint, "bool_value")) return false;
          out = f.value != 0;
          break;
        case field::kAnyInt:
          if (!want(f, kVarint, "int_value")) return false;
          out = static_cast<std::int64_t>(f.value);
          break;
        case field::kAnyDouble: {
          if (!want(f, kFixed64, "double_value")) return false;
          double value = 0;
          std::memcpy(&value, &f.value, sizeof(value));
          out = value;
          break;
        }
        case field::kAnyBytes:
          if (!want(f, kLengthDelimited, "bytes_value")) return false;
          out = detail::base64_encode(f.bytes);
          break;
        case field::kAnyArray:
        case field::kAnyKvList:
          if (!want(f, kLengthDelimited, f.number == field::kAnyArray ? "array_value" : "kvlist_value") ||
              !nested_value(f.number, f.bytes, depth + 1, out)) {
            return false;
          }
          break;
        default: break;
      }
    }
    return !budget_.failed();
  }

  DecodeBudget budget_;
};

}  // namespace

OtlpDecodeResult decode_otlp_proto_request(std::string_view bytes, const OtlpDecodeLimits& limits) noexcept {
  OtlpDecodeResult result;
  try {
    ProtoDecoder decoder(limits, bytes.size());
    if (!decoder.request(bytes, result.spans)) {
      result.spans.clear();
      result.error = decoder.error();
      result.limit_exceeded = decoder.limit_exceeded();
    }
  } catch (const std::bad_alloc&) {
    result.spans.clear();
    result.error = "out of memory while decoding the request";
  } catch (...) {
    result.spans.clear();
    result.error = "the request could not be decoded";
  }
  return result;
}

}  // namespace honeyhive
