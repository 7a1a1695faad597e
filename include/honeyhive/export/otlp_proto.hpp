#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

// Encodes spans as the protobuf bytes of one opentelemetry.proto.collector.trace.v1
// ExportTraceServiceRequest, written directly from the opentelemetry-proto field numbers (no
// protobuf runtime). Spans sharing a resource and scope are grouped. Appends to `out`; reuse the
// same string across calls to avoid reallocating. Invalid UTF-8 in strings is repaired.
void encode_otlp_proto(const std::vector<SpanDataPtr>& spans, std::string& out);

// ExportTraceServiceResponse.partial_success, as a server reports rejected spans.
struct OtlpPartialSuccess {
  std::int64_t rejected_spans = 0;
  std::string error_message;
};

// Reads an ExportTraceServiceResponse (protobuf). Nullopt when the bytes are not a well-formed
// message; a response without partial_success gives a default (0 rejected).
std::optional<OtlpPartialSuccess> decode_otlp_proto_response(std::string_view bytes);

}  // namespace honeyhive
