#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

// Bounds on what one decoded request may hold, so that hostile input cannot exhaust memory or the
// stack: decoded memory stays within the input size plus about 250 bytes per element (measured peaks:
// about 80 decoding protobuf, 200 to 230 decoding JSON, whose parsed document costs most).
//
// The element budget of a request grows with its size:
//
//   budget = min(max_elements_absolute, max(max_elements, input bytes / kMinBytesPerElement))
//
// Every element costs at least kMinBytesPerElement (2) bytes of input that no other element shares:
// in protobuf its own field key and length (one byte each at least, outside the payload that holds
// the elements nested in it); in JSON its own object's braces ("{}"; an array value that is not an
// object is refused as malformed). So a well-formed request never has more elements than its size
// over 2, and is never refused for its element count below max_elements_absolute: whatever the size
// of the request, memory stays within a constant per input byte (the caller bounds the input; hh-local
// refuses bodies over --max-body). max_elements_absolute bounds it whatever the input size.
struct OtlpDecodeLimits {
  static constexpr std::size_t kMinBytesPerElement = 2;

  std::size_t max_spans = 65536;
  // Everything else that allocates: resources, scopes, events, links, key/values, array elements.
  // The budget of a request of up to 2 * max_elements bytes; larger requests get one element per
  // kMinBytesPerElement bytes.
  std::size_t max_elements = 262144;
  // The budget whatever the input size. The SDK's protobuf encoder writes at least 4 bytes an element
  // (an array element holding a small integer or a boolean), so every request it can send within
  // hh-local's default 32 MiB body cap fits. Measured at this bound, a crafted request of empty
  // elements (one every 2 bytes) peaks at about 0.65 GB decoding protobuf (16 MiB of attributes) and
  // 1.6 to 1.9 GB decoding JSON (24 MiB of "{}" attributes or events).
  // The SDK's default batch (512 spans of 128 attributes) holds a few hundred thousand elements.
  std::size_t max_elements_absolute = 8388608;
  // AnyValue nesting (arrays and key/value lists inside each other); 1 = scalars only.
  std::size_t max_depth = 16;

  // The element budget of a request of `input_bytes` bytes (the rule above).
  std::size_t element_budget(std::size_t input_bytes) const noexcept {
    const std::size_t scaled = input_bytes / kMinBytesPerElement;
    const std::size_t budget = scaled > max_elements ? scaled : max_elements;
    return budget < max_elements_absolute ? budget : max_elements_absolute;
  }
};

// One decoded ExportTraceServiceRequest. `error` is empty on success; otherwise it says what is wrong
// and where ("resource_spans[0].scope_spans[1].spans[4]: trace_id is 3 bytes, expected 16") and
// `spans` is empty.
struct OtlpDecodeResult {
  std::vector<SpanDataPtr> spans;
  std::string error;
  // With an error: true when the request was refused for exceeding one of the OtlpDecodeLimits
  // (spans, elements, nesting depth, or the JSON value count and nesting checked before parsing)
  // while what had been read of it was well-formed; false when it is malformed (or could not be
  // decoded for another reason). A server answers the first "too large" (hh-local: 413), the second
  // "bad request" (400).
  bool limit_exceeded = false;
  bool ok() const noexcept { return error.empty(); }
};

// Reads the protobuf bytes of an opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest (as
// encode_otlp_proto writes them, or any conforming encoder). Spans of one ResourceSpans / ScopeSpans
// share one Resource / InstrumentationScope. Unknown fields are skipped; a known field with the wrong
// wire type, a truncated varint, a length past the end or any limit exceeded is an error.
//
// AnyValue kinds SpanData cannot hold are kept as strings: bytes as base64, key/value lists and
// arrays that are not one scalar type as their JSON text (`{"a":1}`, `[1,"x"]`); an empty array is an
// empty string array; a value with no kind set is an empty string. Invalid UTF-8 is repaired (U+FFFD).
// SpanKind 0 (unspecified) and unknown kinds are kept as static_cast<SpanKind>(0); unknown status codes
// become unset. Never throws.
OtlpDecodeResult decode_otlp_proto_request(std::string_view bytes, const OtlpDecodeLimits& limits = {}) noexcept;

// Reads the OTLP/JSON form of the same request (the protobuf JSON mapping: lowerCamelCase or
// original field names, hex ids, 64-bit integers as strings or numbers, enums as numbers or names,
// bytes as base64). Same limits, same mapping of values; JSON nesting deeper than the limits allow
// is rejected before a document is built.
OtlpDecodeResult decode_otlp_json_request(std::string_view text, const OtlpDecodeLimits& limits = {}) noexcept;

}  // namespace honeyhive
