#include "honeyhive/export/otlp_proto.hpp"

#include <array>
#include <cstring>
#include <variant>

#include "core/utf8.hpp"
#include "export/otlp_fields.hpp"
#include "export/proto_writer.hpp"
#include "export/span_groups.hpp"

namespace honeyhive {
namespace {

namespace field = detail::otlp_field;

using detail::key_byte;
using detail::kFixed32;
using detail::kFixed64;
using detail::kLengthDelimited;
using detail::kVarint;
using detail::put_bytes;
using detail::put_fixed32;
using detail::put_fixed64;
using detail::put_text;
using detail::put_varint;
using detail::varint_size;

// Span.flags is field 16: its key takes two varint bytes.
constexpr std::uint32_t kSpanFlagsKey = (field::kSpanFlags << 3U) | kFixed32;
static_assert(kSpanFlagsKey >= 0x80 && kSpanFlagsKey < 0x4000);

// Guesses for the length varints of messages written before their size is known (see
// ProtoWriter): a span of 128 B to 16 KiB, an event or link under 128 B, a resource's or scope's
// spans under 2 MiB (512 spans of 4 KiB). A miss costs one memmove of that message.
constexpr std::size_t kSpanLengthGuess = 2;
constexpr std::size_t kSmallLengthGuess = 1;
constexpr std::size_t kBatchLengthGuess = 3;

// Largest key + length prefix of a length-delimited field: a one-byte key and a 64-bit varint.
constexpr std::size_t kMaxPrefix = 1 + 10;

std::uint64_t double_bits(double value) noexcept {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

// The OTLP traversal over a ProtoWriter, in field-number order (as protobuf libraries write).
class OtlpProtoEncoder {
 public:
  OtlpProtoEncoder(std::string& out, std::size_t start) : writer_(out, start) {}

  // Cuts the output after the request.
  void finish() { writer_.finish(); }

  void request(const std::vector<detail::ResourceGroup>& groups) {
    for (const auto& resource_group : groups) {
      const std::size_t resource_spans =
          writer_.open(key_byte(field::kRequestResourceSpans, kLengthDelimited), kBatchLengthGuess);
      const std::size_t resource =
          writer_.open(key_byte(field::kResourceSpansResource, kLengthDelimited), kSmallLengthGuess);
      if (resource_group.resource != nullptr) {
        attributes(key_byte(field::kResourceAttributes, kLengthDelimited), resource_group.resource->attributes());
      }
      writer_.close(resource, kSmallLengthGuess);
      for (const auto& scope_group : resource_group.scopes) {
        const std::size_t scope_spans =
            writer_.open(key_byte(field::kResourceSpansScopeSpans, kLengthDelimited), kBatchLengthGuess);
        const std::size_t scope = writer_.open(key_byte(field::kScopeSpansScope, kLengthDelimited), kSmallLengthGuess);
        if (scope_group.scope != nullptr) {
          string_field(key_byte(field::kScopeName, kLengthDelimited), scope_group.scope->name);
          string_field(key_byte(field::kScopeVersion, kLengthDelimited), scope_group.scope->version);
        }
        writer_.close(scope, kSmallLengthGuess);
        for (const SpanData* one : scope_group.spans) span(*one);
        writer_.close(scope_spans, kBatchLengthGuess);
      }
      writer_.close(resource_spans, kBatchLengthGuess);
    }
  }

 private:
  void span(const SpanData& span) {
    const std::size_t length_at = writer_.open(key_byte(field::kScopeSpansSpans, kLengthDelimited), kSpanLengthGuess);
    // Ids, kind and times: at most 18 + 10 + 10 + 2 + 9 + 9 bytes.
    char* p = writer_.reserve(64);
    p = id_field(p, key_byte(field::kSpanTraceId, kLengthDelimited), span.context.trace_id().bytes());
    p = id_field(p, key_byte(field::kSpanSpanId, kLengthDelimited), span.context.span_id().bytes());
    writer_.commit(p);
    trace_state_field(key_byte(field::kSpanTraceState, kLengthDelimited), span.context);
    p = writer_.reserve(40);
    const auto& parent = span.parent_span_id.bytes();
    if (!all_zero(parent)) p = id_field(p, key_byte(field::kSpanParentSpanId, kLengthDelimited), parent);
    writer_.commit(p);
    string_field(key_byte(field::kSpanName, kLengthDelimited), span.name);
    p = writer_.reserve(32);
    *p++ = static_cast<char>(key_byte(field::kSpanKind, kVarint));
    p = put_varint(p, static_cast<std::uint64_t>(span.kind));
    *p++ = static_cast<char>(key_byte(field::kSpanStart, kFixed64));
    p = put_fixed64(p, span.start_unix_nanos);
    *p++ = static_cast<char>(key_byte(field::kSpanEnd, kFixed64));
    p = put_fixed64(p, span.end_unix_nanos);
    writer_.commit(p);
    attributes(key_byte(field::kSpanAttributes, kLengthDelimited), span.attributes);
    uint_field_if_set(key_byte(field::kSpanDroppedAttributes, kVarint), span.dropped_attributes_count);
    for (const SpanEvent& event : span.events) {
      const std::size_t event_at = writer_.open(key_byte(field::kSpanEvents, kLengthDelimited), kSmallLengthGuess);
      p = writer_.reserve(9);
      *p++ = static_cast<char>(key_byte(field::kEventTime, kFixed64));
      writer_.commit(put_fixed64(p, event.time_unix_nanos));
      string_field(key_byte(field::kEventName, kLengthDelimited), event.name);
      attributes(key_byte(field::kEventAttributes, kLengthDelimited), event.attributes);
      uint_field_if_set(key_byte(field::kEventDroppedAttributes, kVarint), event.dropped_attributes_count);
      writer_.close(event_at, kSmallLengthGuess);
    }
    uint_field_if_set(key_byte(field::kSpanDroppedEvents, kVarint), span.dropped_events_count);
    for (const SpanLink& link : span.links) {
      const std::size_t link_at = writer_.open(key_byte(field::kSpanLinks, kLengthDelimited), kSmallLengthGuess);
      p = writer_.reserve(28);
      p = id_field(p, key_byte(field::kLinkTraceId, kLengthDelimited), link.context.trace_id().bytes());
      p = id_field(p, key_byte(field::kLinkSpanId, kLengthDelimited), link.context.span_id().bytes());
      writer_.commit(p);
      trace_state_field(key_byte(field::kLinkTraceState, kLengthDelimited), link.context);
      attributes(key_byte(field::kLinkAttributes, kLengthDelimited), link.attributes);
      uint_field_if_set(key_byte(field::kLinkDroppedAttributes, kVarint), link.dropped_attributes_count);
      p = writer_.reserve(5);
      *p++ = static_cast<char>(key_byte(field::kLinkFlags, kFixed32));
      writer_.commit(put_fixed32(p, detail::otlp_span_flags(link.context.flags(), link.context.is_remote())));
      writer_.close(link_at, kSmallLengthGuess);
    }
    uint_field_if_set(key_byte(field::kSpanDroppedLinks, kVarint), span.dropped_links_count);
    if (span.status.code != StatusCode::unset) status(span.status);
    p = writer_.reserve(6);
    p = put_varint(p, kSpanFlagsKey);
    writer_.commit(put_fixed32(p, detail::otlp_span_flags(span.context.flags(), span.parent_is_remote)));
    writer_.close(length_at, kSpanLengthGuess);
  }

  void status(const Status& status) {
    const std::string_view message = valid_utf8(status.description, scratch_value_);
    const std::size_t message_size = message.empty() ? 0 : 1 + varint_size(message.size()) + message.size();
    const std::size_t size = message_size + 1 + varint_size(static_cast<std::uint64_t>(status.code));
    char* p = writer_.reserve(kMaxPrefix + size);
    *p++ = static_cast<char>(key_byte(field::kSpanStatus, kLengthDelimited));
    p = put_varint(p, size);
    if (!message.empty()) {
      *p++ = static_cast<char>(key_byte(field::kStatusMessage, kLengthDelimited));
      p = put_varint(p, message.size());
      p = put_bytes(p, message);
    }
    *p++ = static_cast<char>(key_byte(field::kStatusCode, kVarint));
    writer_.commit(put_varint(p, static_cast<std::uint64_t>(status.code)));
  }

  // The attributes as repeated KeyValue fields with key `key`. A scalar KeyValue's size is known
  // before it is written, so it is written in one go; an array's goes through open/close.
  void attributes(std::uint8_t key, const Attributes& attributes) {
    for (const Attribute& attribute : attributes) {
      const AttributeValue& value = attribute.value;
      if (value.index() > 3) {
        array_attribute(key, valid_utf8(attribute.key, scratch_key_), value);
        continue;
      }
      const std::string* text = std::get_if<std::string>(&value);
      const std::string_view text_view = text != nullptr ? std::string_view(*text) : std::string_view();
      const std::size_t start = writer_.position();
      // Strings are copied first and checked after: only a non-ASCII one needs the full UTF-8 check,
      // and only an invalid one a second, repaired write.
      if (scalar_key_value(key, attribute.key, value, text_view) &&
          !(detail::is_valid_utf8(attribute.key) && detail::is_valid_utf8(text_view))) {
        rewrite_repaired(start, key, attribute.key, value, text_view);
      }
    }
  }

  // Writes the KeyValue at `start` again, with its invalid UTF-8 repaired.
  [[gnu::cold]] [[gnu::noinline]] void rewrite_repaired(std::size_t start, std::uint8_t key, std::string_view name,
                                                        const AttributeValue& value, std::string_view text) {
    writer_.rewind(start);
    scalar_key_value(key, valid_utf8(name, scratch_key_), value, valid_utf8(text, scratch_value_));
  }

  // One KeyValue holding a bool, int, double or string (`text`, the string's bytes). True when a
  // byte of `name` or `text` is not ASCII.
  // Always inlined: the call costs a fifth of a KeyValue's instructions (callgrind, encode_proto_512).
  [[gnu::always_inline]] bool scalar_key_value(std::uint8_t key, std::string_view name, const AttributeValue& value,
                                               std::string_view text) {
    std::size_t value_size = 0;  // of the AnyValue message
    switch (value.index()) {
      case 0: value_size = 2; break;
      case 1: value_size = 1 + varint_size(static_cast<std::uint64_t>(*std::get_if<std::int64_t>(&value))); break;
      case 2: value_size = 9; break;
      default: value_size = 1 + varint_size(text.size()) + text.size(); break;
    }
    const std::size_t size = 1 + varint_size(name.size()) + name.size() + 1 + varint_size(value_size) + value_size;
    char* p = writer_.reserve(kMaxPrefix + size);
    std::uint64_t bits = 0;
    *p++ = static_cast<char>(key);
    p = put_varint(p, size);
    *p++ = static_cast<char>(key_byte(field::kKeyValueKey, kLengthDelimited));
    p = put_varint(p, name.size());
    p = put_text(p, name, bits);
    *p++ = static_cast<char>(key_byte(field::kKeyValueValue, kLengthDelimited));
    p = put_varint(p, value_size);
    // AnyValue is a oneof: the chosen member is written even when it holds its default value.
    switch (value.index()) {
      case 0:
        *p++ = static_cast<char>(key_byte(field::kAnyBool, kVarint));
        *p++ = *std::get_if<bool>(&value) ? 1 : 0;
        break;
      case 1:
        *p++ = static_cast<char>(key_byte(field::kAnyInt, kVarint));
        p = put_varint(p, static_cast<std::uint64_t>(*std::get_if<std::int64_t>(&value)));
        break;
      case 2:
        *p++ = static_cast<char>(key_byte(field::kAnyDouble, kFixed64));
        p = put_fixed64(p, double_bits(*std::get_if<double>(&value)));
        break;
      default:
        *p++ = static_cast<char>(key_byte(field::kAnyString, kLengthDelimited));
        p = put_varint(p, text.size());
        p = put_text(p, text, bits);
        break;
    }
    writer_.commit(p);
    return (bits & detail::kHighBits) != 0;
  }

  void array_attribute(std::uint8_t key, std::string_view name, const AttributeValue& value) {
    const std::size_t key_value = writer_.open(key, kSmallLengthGuess);
    char* p = writer_.reserve(kMaxPrefix + name.size());
    *p++ = static_cast<char>(key_byte(field::kKeyValueKey, kLengthDelimited));
    p = put_varint(p, name.size());
    writer_.commit(put_bytes(p, name));
    const std::size_t any_value = writer_.open(key_byte(field::kKeyValueValue, kLengthDelimited), kSmallLengthGuess);
    const std::size_t array = writer_.open(key_byte(field::kAnyArray, kLengthDelimited), kSmallLengthGuess);
    constexpr std::uint8_t kElement = key_byte(field::kArrayValues, kLengthDelimited);
    if (const auto* bools = std::get_if<std::vector<bool>>(&value)) {
      for (const bool item : *bools) {
        p = writer_.reserve(4);
        p[0] = static_cast<char>(kElement);
        p[1] = 2;
        p[2] = static_cast<char>(key_byte(field::kAnyBool, kVarint));
        p[3] = item ? 1 : 0;
        writer_.commit(p + 4);
      }
    } else if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&value)) {
      for (const std::int64_t item : *ints) {
        const auto bits = static_cast<std::uint64_t>(item);
        p = writer_.reserve(3 + 10);
        *p++ = static_cast<char>(kElement);
        *p++ = static_cast<char>(1 + varint_size(bits));
        *p++ = static_cast<char>(key_byte(field::kAnyInt, kVarint));
        writer_.commit(put_varint(p, bits));
      }
    } else if (const auto* doubles = std::get_if<std::vector<double>>(&value)) {
      for (const double item : *doubles) {
        p = writer_.reserve(11);
        *p++ = static_cast<char>(kElement);
        *p++ = 9;
        *p++ = static_cast<char>(key_byte(field::kAnyDouble, kFixed64));
        writer_.commit(put_fixed64(p, double_bits(item)));
      }
    } else if (const auto* strings = std::get_if<std::vector<std::string>>(&value)) {
      for (const std::string& item : *strings) {
        const std::string_view text = valid_utf8(item, scratch_value_);
        const std::size_t element_size = 1 + varint_size(text.size()) + text.size();
        p = writer_.reserve(kMaxPrefix + element_size);
        *p++ = static_cast<char>(kElement);
        p = put_varint(p, element_size);
        *p++ = static_cast<char>(key_byte(field::kAnyString, kLengthDelimited));
        p = put_varint(p, text.size());
        writer_.commit(put_bytes(p, text));
      }
    }
    writer_.close(array, kSmallLengthGuess);
    writer_.close(any_value, kSmallLengthGuess);
    writer_.close(key_value, kSmallLengthGuess);
  }

  // A proto3 string field, omitted when empty (its default).
  void string_field(std::uint8_t key, std::string_view value) {
    if (value.empty()) return;
    const std::size_t start = writer_.position();
    char* p = writer_.reserve(kMaxPrefix + value.size());
    std::uint64_t bits = 0;
    *p++ = static_cast<char>(key);
    p = put_varint(p, value.size());
    writer_.commit(put_text(p, value, bits));
    if ((bits & detail::kHighBits) == 0 || detail::is_valid_utf8(value)) return;
    writer_.rewind(start);
    const std::string repaired = detail::repair_utf8(value);
    p = writer_.reserve(kMaxPrefix + repaired.size());
    *p++ = static_cast<char>(key);
    p = put_varint(p, repaired.size());
    writer_.commit(put_bytes(p, repaired));
  }

  void trace_state_field(std::uint8_t key, const SpanContext& context) {
    const auto& state = context.trace_state_ptr();
    if (state != nullptr && !state->empty()) string_field(key, state->to_header());
  }

  void uint_field_if_set(std::uint8_t key, std::uint64_t value) {
    if (value == 0) return;
    char* p = writer_.reserve(11);
    *p++ = static_cast<char>(key);
    writer_.commit(put_varint(p, value));
  }

  template <std::size_t N>
  static char* id_field(char* p, std::uint8_t key, const std::array<std::uint8_t, N>& id) {
    static_assert(N < 0x80);
    *p++ = static_cast<char>(key);
    *p++ = static_cast<char>(N);
    std::memcpy(p, id.data(), N);
    return p + N;
  }

  template <std::size_t N>
  static bool all_zero(const std::array<std::uint8_t, N>& id) {
    static_assert(N == 8);
    std::uint64_t word;
    std::memcpy(&word, id.data(), 8);
    return word == 0;
  }

  // `text`, or its repair in `scratch` when it is not well-formed UTF-8 (protobuf parsers reject
  // such proto3 strings). The view lives until `scratch` is next used.
  static std::string_view valid_utf8(std::string_view text, std::string& scratch) {
    if (detail::is_valid_utf8(text)) return text;
    scratch = detail::repair_utf8(text);
    return scratch;
  }

  detail::ProtoWriter writer_;
  std::string scratch_key_;    // a repaired attribute key
  std::string scratch_value_;  // a repaired string value
};

// Minimal protobuf reader for the response (bounded: it never reads past `bytes`).
class ResponseReader {
 public:
  explicit ResponseReader(std::string_view bytes) : data_(bytes) {}
  bool done() const { return position_ >= data_.size(); }
  // Whether a read failed for want of bytes (the message was cut short), not for malformed ones.
  bool ran_out() const { return ran_out_; }
  bool varint(std::uint64_t& value) {
    value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (position_ >= data_.size()) return run_out();
      const auto byte = static_cast<std::uint8_t>(data_[position_++]);
      value |= std::uint64_t{byte & 0x7FU} << shift;
      if ((byte & 0x80U) == 0) return true;
    }
    return false;
  }
  bool length_delimited(std::string_view& out) {
    std::uint64_t length = 0;
    if (!varint(length)) return false;
    if (length > data_.size() - position_) return run_out();
    out = data_.substr(position_, static_cast<std::size_t>(length));
    position_ += static_cast<std::size_t>(length);
    return true;
  }
  // length_delimited, taking the bytes that are left when the field claims more (`shortened`).
  bool length_delimited_prefix(std::string_view& out, bool& shortened) {
    std::uint64_t length = 0;
    if (!varint(length)) return false;
    const std::size_t left = data_.size() - position_;
    shortened = length > left;
    const std::size_t taken = shortened ? left : static_cast<std::size_t>(length);
    out = data_.substr(position_, taken);
    position_ += taken;
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
    if (n > data_.size() - position_) return run_out();
    position_ += n;
    return true;
  }
  bool run_out() {
    ran_out_ = true;
    return false;
  }
  std::string_view data_;
  std::size_t position_ = 0;
  bool ran_out_ = false;
};

}  // namespace

void encode_otlp_proto(const std::vector<SpanDataPtr>& spans, std::string& out) {
  const std::size_t start = out.size();
  try {
    const std::vector<detail::ResourceGroup> groups = detail::group_spans(spans);
    OtlpProtoEncoder encoder(out, start);
    encoder.request(groups);
    encoder.finish();
  } catch (...) {
    out.resize(start);
    throw;
  }
}

bool encode_otlp_proto_reusing(const std::vector<SpanDataPtr>& spans, std::string& buffer) noexcept {
  try {
    const std::vector<detail::ResourceGroup> groups = detail::group_spans(spans);
    OtlpProtoEncoder encoder(buffer, 0);
    encoder.request(groups);
    encoder.finish();
    return true;
  } catch (...) {
    buffer.clear();
    return false;
  }
}

namespace {

// decode_otlp_proto_response; with `prefix`, a field cut at the end of `bytes` ends the reading
// (what came before it stands) and a partial_success longer than the bytes left is read as far as
// they go.
std::optional<OtlpPartialSuccess> decode_response(std::string_view bytes, bool prefix) {
  OtlpPartialSuccess result;
  ResponseReader response(bytes);
  // A read failed: with `prefix`, the end of the bytes ends the reading; malformed bytes never do
  // (inside partial_success, only its own end when that was where the bytes ended).
  bool partial_shortened = false;
  const auto cut = [&](const ResponseReader& reader) -> std::optional<OtlpPartialSuccess> {
    if (prefix && reader.ran_out()) return result;
    return std::nullopt;
  };
  const auto cut_inside = [&](const ResponseReader& reader) -> std::optional<OtlpPartialSuccess> {
    if (prefix && partial_shortened && reader.ran_out()) return result;
    return std::nullopt;
  };
  while (!response.done()) {
    std::uint64_t key = 0;
    if (!response.varint(key)) return cut(response);
    const auto number = static_cast<std::uint32_t>(key >> 3U);
    const auto wire_type = static_cast<std::uint32_t>(key & 7U);
    if (number != field::kResponsePartialSuccess || wire_type != kLengthDelimited) {
      if (!response.skip(wire_type)) return cut(response);
      continue;
    }
    std::string_view partial_bytes;
    if (!(prefix ? response.length_delimited_prefix(partial_bytes, partial_shortened)
                 : response.length_delimited(partial_bytes))) {
      return cut(response);
    }
    ResponseReader partial(partial_bytes);
    while (!partial.done()) {
      std::uint64_t inner_key = 0;
      if (!partial.varint(inner_key)) return cut_inside(partial);
      const auto inner_number = static_cast<std::uint32_t>(inner_key >> 3U);
      const auto inner_type = static_cast<std::uint32_t>(inner_key & 7U);
      if (inner_number == field::kPartialRejected && inner_type == kVarint) {
        std::uint64_t rejected = 0;
        if (!partial.varint(rejected)) return cut_inside(partial);
        result.rejected_spans = static_cast<std::int64_t>(rejected);
      } else if (inner_number == field::kPartialMessage && inner_type == kLengthDelimited) {
        std::string_view message;
        bool message_shortened = false;
        if (!(prefix && partial_shortened ? partial.length_delimited_prefix(message, message_shortened)
                                          : partial.length_delimited(message)))
          return cut_inside(partial);
        result.error_message.assign(message);
      } else if (!partial.skip(inner_type)) {
        return cut_inside(partial);
      }
    }
  }
  return result;
}

}  // namespace

std::optional<OtlpPartialSuccess> decode_otlp_proto_response(std::string_view bytes) {
  return decode_response(bytes, /*prefix=*/false);
}

std::optional<OtlpPartialSuccess> decode_otlp_proto_response_prefix(std::string_view bytes) {
  return decode_response(bytes, /*prefix=*/true);
}

}  // namespace honeyhive
