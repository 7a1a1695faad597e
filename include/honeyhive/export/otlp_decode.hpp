#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

// Hard bounds on what one decoded request may hold, so that hostile input cannot exhaust memory or
// the stack: decoded memory stays within the input size plus about 200 bytes per element.
struct OtlpDecodeLimits {
  std::size_t max_spans = 65536;
  // Everything else that allocates: resources, scopes, events, links, key/values, array elements.
  std::size_t max_elements = 262144;
  // AnyValue nesting (arrays and key/value lists inside each other); 1 = scalars only.
  std::size_t max_depth = 16;
};

// One decoded ExportTraceServiceRequest. `error` is empty on success; otherwise it says what is wrong
// and where ("resource_spans[0].scope_spans[1].spans[4]: trace_id is 3 bytes, expected 16") and
// `spans` is empty.
struct OtlpDecodeResult {
  std::vector<SpanDataPtr> spans;
  std::string error;
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
