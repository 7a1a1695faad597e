#include "honeyhive/export/otlp_proto.hpp"

#include <cstring>
#include <type_traits>

#include "core/utf8.hpp"
#include "export/span_groups.hpp"

namespace honeyhive {
namespace {

// Field numbers from opentelemetry-proto (collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto).
namespace field {
constexpr std::uint32_t kRequestResourceSpans = 1;
constexpr std::uint32_t kResourceSpansResource = 1, kResourceSpansScopeSpans = 2;
constexpr std::uint32_t kResourceAttributes = 1;  // dropped_attributes_count (2): a Resource drops nothing
constexpr std::uint32_t kScopeSpansScope = 1, kScopeSpansSpans = 2;
constexpr std::uint32_t kScopeName = 1, kScopeVersion = 2;
constexpr std::uint32_t kSpanTraceId = 1, kSpanSpanId = 2, kSpanTraceState = 3, kSpanParentSpanId = 4, kSpanName = 5,
                        kSpanKind = 6, kSpanStart = 7, kSpanEnd = 8, kSpanAttributes = 9, kSpanDroppedAttributes = 10,
                        kSpanEvents = 11, kSpanDroppedEvents = 12, kSpanLinks = 13, kSpanDroppedLinks = 14,
                        kSpanStatus = 15, kSpanFlags = 16;
constexpr std::uint32_t kEventTime = 1, kEventName = 2, kEventAttributes = 3, kEventDroppedAttributes = 4;
constexpr std::uint32_t kLinkTraceId = 1, kLinkSpanId = 2, kLinkTraceState = 3, kLinkAttributes = 4,
                        kLinkDroppedAttributes = 5, kLinkFlags = 6;
constexpr std::uint32_t kStatusMessage = 2, kStatusCode = 3;
constexpr std::uint32_t kKeyValueKey = 1, kKeyValueValue = 2;
constexpr std::uint32_t kAnyString = 1, kAnyBool = 2, kAnyInt = 3, kAnyDouble = 4, kAnyArray = 5;
constexpr std::uint32_t kArrayValues = 1;
constexpr std::uint32_t kResponsePartialSuccess = 1, kPartialRejected = 1, kPartialMessage = 2;
}  // namespace field

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t size = 1;
  while (value >= 0x80) {
    value >>= 7U;
    ++size;
  }
  return size;
}

constexpr std::size_t tag_size(std::uint32_t number) noexcept { return varint_size(std::uint64_t{number} << 3U); }

// Pass 1 of the encoder: computes every nested message's size, in visit order.
class Measurer {
 public:
  explicit Measurer(std::vector<std::uint32_t>& sizes) : sizes_(sizes) { stack_.push_back({0, 0}); }

  void begin(std::uint32_t) {
    stack_.push_back({sizes_.size(), 0});
    sizes_.push_back(0);
  }
  void end(std::uint32_t number) {
    const Frame frame = stack_.back();
    stack_.pop_back();
    sizes_[frame.index] = static_cast<std::uint32_t>(frame.bytes);
    stack_.back().bytes += tag_size(number) + varint_size(frame.bytes) + frame.bytes;
  }
  void varint(std::uint32_t number, std::uint64_t value) { add(tag_size(number) + varint_size(value)); }
  void fixed64(std::uint32_t number, std::uint64_t) { add(tag_size(number) + 8); }
  void fixed32(std::uint32_t number, std::uint32_t) { add(tag_size(number) + 4); }
  void bytes(std::uint32_t number, const void*, std::size_t size) { add(tag_size(number) + varint_size(size) + size); }
  void string(std::uint32_t number, std::string_view text) {
    if (!detail::is_valid_utf8(text)) {
      any_repaired_ = true;
      const std::string repaired = detail::repair_utf8(text);
      bytes(number, repaired.data(), repaired.size());
      return;
    }
    bytes(number, text.data(), text.size());
  }
  std::size_t total() const { return stack_.front().bytes; }
  // Whether any string was invalid UTF-8: only then does the writer check strings again.
  bool any_repaired() const { return any_repaired_; }

 private:
  struct Frame {
    std::size_t index;
    std::size_t bytes;
  };
  void add(std::size_t n) { stack_.back().bytes += n; }
  std::vector<std::uint32_t>& sizes_;
  std::vector<Frame> stack_;
  bool any_repaired_ = false;
};

// Pass 2: writes the bytes into a buffer pre-sized from pass 1, taking each nested message's size
// from pass 1 (no per-field string appends: this is the encoder's hot loop).
class Writer {
 public:
  Writer(const std::vector<std::uint32_t>& sizes, char* out, bool check_utf8)
      : sizes_(sizes), cursor_(out), check_utf8_(check_utf8) {}

  void begin(std::uint32_t number) {
    tag(number, kLengthDelimited);
    raw_varint(sizes_[next_++]);
  }
  void end(std::uint32_t) {}
  void varint(std::uint32_t number, std::uint64_t value) {
    tag(number, kVarint);
    raw_varint(value);
  }
  void fixed64(std::uint32_t number, std::uint64_t value) {
    tag(number, kFixed64);
    for (unsigned i = 0; i < 8; ++i) *cursor_++ = static_cast<char>((value >> (8U * i)) & 0xFFU);
  }
  void fixed32(std::uint32_t number, std::uint32_t value) {
    tag(number, kFixed32);
    for (unsigned i = 0; i < 4; ++i) *cursor_++ = static_cast<char>((value >> (8U * i)) & 0xFFU);
  }
  void bytes(std::uint32_t number, const void* data, std::size_t size) {
    tag(number, kLengthDelimited);
    raw_varint(size);
    std::memcpy(cursor_, data, size);
    cursor_ += size;
  }
  void string(std::uint32_t number, std::string_view text) {
    if (check_utf8_ && !detail::is_valid_utf8(text)) {
      const std::string repaired = detail::repair_utf8(text);
      bytes(number, repaired.data(), repaired.size());
    } else {
      bytes(number, text.data(), text.size());
    }
  }
  const char* cursor() const { return cursor_; }

 private:
  void tag(std::uint32_t number, WireType type) { raw_varint((std::uint64_t{number} << 3U) | type); }
  void raw_varint(std::uint64_t value) {
    while (value >= 0x80) {
      *cursor_++ = static_cast<char>((value & 0x7FU) | 0x80U);
      value >>= 7U;
    }
    *cursor_++ = static_cast<char>(value);
  }
  const std::vector<std::uint32_t>& sizes_;
  std::size_t next_ = 0;
  char* cursor_;
  const bool check_utf8_;
};

// The traversal, shared by both passes so they can never disagree on order.
template <class Sink>
void visit_scalar(Sink& sink, const bool& value) {
  sink.varint(field::kAnyBool, value ? 1 : 0);
}
template <class Sink>
void visit_scalar(Sink& sink, const std::int64_t& value) {
  sink.varint(field::kAnyInt, static_cast<std::uint64_t>(value));
}
template <class Sink>
void visit_scalar(Sink& sink, const double& value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  sink.fixed64(field::kAnyDouble, bits);
}
template <class Sink>
void visit_scalar(Sink& sink, const std::string& value) {
  sink.string(field::kAnyString, value);
}

template <class Sink, class T>
void visit_array(Sink& sink, const std::vector<T>& items) {
  sink.begin(field::kAnyArray);
  for (std::size_t i = 0; i < items.size(); ++i) {
    sink.begin(field::kArrayValues);
    if constexpr (std::is_same_v<T, bool>) {
      visit_scalar(sink, static_cast<bool>(items[i]));  // std::vector<bool> hands out proxies
    } else {
      visit_scalar(sink, items[i]);
    }
    sink.end(field::kArrayValues);
  }
  sink.end(field::kAnyArray);
}

template <class Sink>
void visit_any_value(Sink& sink, const AttributeValue& value) {
  // AnyValue is a oneof: the chosen member is written even when it holds its default value.
  switch (value.index()) {
    case 0: visit_scalar(sink, std::get<bool>(value)); break;
    case 1: visit_scalar(sink, std::get<std::int64_t>(value)); break;
    case 2: visit_scalar(sink, std::get<double>(value)); break;
    case 3: visit_scalar(sink, std::get<std::string>(value)); break;
    case 4: visit_array(sink, std::get<std::vector<bool>>(value)); break;
    case 5: visit_array(sink, std::get<std::vector<std::int64_t>>(value)); break;
    case 6: visit_array(sink, std::get<std::vector<double>>(value)); break;
    case 7: visit_array(sink, std::get<std::vector<std::string>>(value)); break;
    default: break;
  }
}

template <class Sink>
void visit_attributes(Sink& sink, std::uint32_t number, const Attributes& attributes) {
  for (const auto& attribute : attributes) {
    sink.begin(number);
    sink.string(field::kKeyValueKey, attribute.key);
    sink.begin(field::kKeyValueValue);
    visit_any_value(sink, attribute.value);
    sink.end(field::kKeyValueValue);
    sink.end(number);
  }
}

template <class Sink>
void visit_uint_if_set(Sink& sink, std::uint32_t number, std::uint64_t value) {
  if (value != 0) sink.varint(number, value);
}

template <class Sink>
void visit_span(Sink& sink, const SpanData& span) {
  sink.begin(field::kScopeSpansSpans);
  sink.bytes(field::kSpanTraceId, span.context.trace_id().bytes().data(), TraceId::kSize);
  sink.bytes(field::kSpanSpanId, span.context.span_id().bytes().data(), SpanId::kSize);
  if (!span.context.trace_state().empty()) sink.string(field::kSpanTraceState, span.context.trace_state().to_header());
  if (span.parent_span_id.is_valid()) {
    sink.bytes(field::kSpanParentSpanId, span.parent_span_id.bytes().data(), SpanId::kSize);
  }
  if (!span.name.empty()) sink.string(field::kSpanName, span.name);
  sink.varint(field::kSpanKind, static_cast<std::uint64_t>(span.kind));
  sink.fixed64(field::kSpanStart, span.start_unix_nanos);
  sink.fixed64(field::kSpanEnd, span.end_unix_nanos);
  visit_attributes(sink, field::kSpanAttributes, span.attributes);
  visit_uint_if_set(sink, field::kSpanDroppedAttributes, span.dropped_attributes_count);
  for (const SpanEvent& event : span.events) {
    sink.begin(field::kSpanEvents);
    sink.fixed64(field::kEventTime, event.time_unix_nanos);
    if (!event.name.empty()) sink.string(field::kEventName, event.name);
    visit_attributes(sink, field::kEventAttributes, event.attributes);
    visit_uint_if_set(sink, field::kEventDroppedAttributes, event.dropped_attributes_count);
    sink.end(field::kSpanEvents);
  }
  visit_uint_if_set(sink, field::kSpanDroppedEvents, span.dropped_events_count);
  for (const SpanLink& link : span.links) {
    sink.begin(field::kSpanLinks);
    sink.bytes(field::kLinkTraceId, link.context.trace_id().bytes().data(), TraceId::kSize);
    sink.bytes(field::kLinkSpanId, link.context.span_id().bytes().data(), SpanId::kSize);
    if (!link.context.trace_state().empty())
      sink.string(field::kLinkTraceState, link.context.trace_state().to_header());
    visit_attributes(sink, field::kLinkAttributes, link.attributes);
    visit_uint_if_set(sink, field::kLinkDroppedAttributes, link.dropped_attributes_count);
    sink.fixed32(field::kLinkFlags, detail::otlp_span_flags(link.context.flags(), link.context.is_remote()));
    sink.end(field::kSpanLinks);
  }
  visit_uint_if_set(sink, field::kSpanDroppedLinks, span.dropped_links_count);
  if (span.status.code != StatusCode::unset) {
    sink.begin(field::kSpanStatus);
    if (!span.status.description.empty()) sink.string(field::kStatusMessage, span.status.description);
    sink.varint(field::kStatusCode, static_cast<std::uint64_t>(span.status.code));
    sink.end(field::kSpanStatus);
  }
  sink.fixed32(field::kSpanFlags, detail::otlp_span_flags(span.context.flags(), span.parent_is_remote));
  sink.end(field::kScopeSpansSpans);
}

template <class Sink>
void visit_request(Sink& sink, const std::vector<detail::ResourceGroup>& groups) {
  for (const auto& resource_group : groups) {
    sink.begin(field::kRequestResourceSpans);
    sink.begin(field::kResourceSpansResource);
    if (resource_group.resource != nullptr) {
      visit_attributes(sink, field::kResourceAttributes, resource_group.resource->attributes());
    }
    sink.end(field::kResourceSpansResource);
    for (const auto& scope_group : resource_group.scopes) {
      sink.begin(field::kResourceSpansScopeSpans);
      sink.begin(field::kScopeSpansScope);
      if (scope_group.scope != nullptr) {
        if (!scope_group.scope->name.empty()) sink.string(field::kScopeName, scope_group.scope->name);
        if (!scope_group.scope->version.empty()) sink.string(field::kScopeVersion, scope_group.scope->version);
      }
      sink.end(field::kScopeSpansScope);
      for (const SpanData* span : scope_group.spans) visit_span(sink, *span);
      sink.end(field::kResourceSpansScopeSpans);
    }
    sink.end(field::kRequestResourceSpans);
  }
}

// Minimal protobuf reader for the response (bounded: it never reads past `bytes`).
class Reader {
 public:
  explicit Reader(std::string_view bytes) : data_(bytes) {}
  bool done() const { return position_ >= data_.size(); }
  bool varint(std::uint64_t& value) {
    value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (position_ >= data_.size()) return false;
      const auto byte = static_cast<std::uint8_t>(data_[position_++]);
      value |= std::uint64_t{byte & 0x7FU} << shift;
      if ((byte & 0x80U) == 0) return true;
    }
    return false;
  }
  bool length_delimited(std::string_view& out) {
    std::uint64_t length = 0;
    if (!varint(length) || length > data_.size() - position_) return false;
    out = data_.substr(position_, static_cast<std::size_t>(length));
    position_ += static_cast<std::size_t>(length);
    return true;
  }
  bool skip(std::uint32_t wire_type) {
    std::uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case kVarint: return varint(ignored);
      case kFixed64: return advance(8);
      case kLengthDelimited: return length_delimited(ignored_bytes);
      case kFixed32: return advance(4);
      default: return false;
    }
  }

 private:
  bool advance(std::size_t n) {
    if (n > data_.size() - position_) return false;
    position_ += n;
    return true;
  }
  std::string_view data_;
  std::size_t position_ = 0;
};

}  // namespace

void encode_otlp_proto(const std::vector<SpanDataPtr>& spans, std::string& out) {
  const std::vector<detail::ResourceGroup> groups = detail::group_spans(spans);
  std::vector<std::uint32_t> sizes;
  sizes.reserve(spans.size() * 24);
  Measurer measurer(sizes);
  visit_request(measurer, groups);
  const std::size_t start = out.size();
  out.resize(start + measurer.total());
  Writer writer(sizes, out.data() + start, measurer.any_repaired());
  visit_request(writer, groups);
}

std::optional<OtlpPartialSuccess> decode_otlp_proto_response(std::string_view bytes) {
  OtlpPartialSuccess result;
  Reader response(bytes);
  while (!response.done()) {
    std::uint64_t key = 0;
    if (!response.varint(key)) return std::nullopt;
    const auto number = static_cast<std::uint32_t>(key >> 3U);
    const auto wire_type = static_cast<std::uint32_t>(key & 7U);
    if (number != field::kResponsePartialSuccess || wire_type != kLengthDelimited) {
      if (!response.skip(wire_type)) return std::nullopt;
      continue;
    }
    std::string_view partial_bytes;
    if (!response.length_delimited(partial_bytes)) return std::nullopt;
    Reader partial(partial_bytes);
    while (!partial.done()) {
      std::uint64_t inner_key = 0;
      if (!partial.varint(inner_key)) return std::nullopt;
      const auto inner_number = static_cast<std::uint32_t>(inner_key >> 3U);
      const auto inner_type = static_cast<std::uint32_t>(inner_key & 7U);
      if (inner_number == field::kPartialRejected && inner_type == kVarint) {
        std::uint64_t rejected = 0;
        if (!partial.varint(rejected)) return std::nullopt;
        result.rejected_spans = static_cast<std::int64_t>(rejected);
      } else if (inner_number == field::kPartialMessage && inner_type == kLengthDelimited) {
        std::string_view message;
        if (!partial.length_delimited(message)) return std::nullopt;
        result.error_message.assign(message);
      } else if (!partial.skip(inner_type)) {
        return std::nullopt;
      }
    }
  }
  return result;
}

}  // namespace honeyhive
