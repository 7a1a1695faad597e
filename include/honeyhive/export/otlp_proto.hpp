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
// protobuf runtime), in one pass. Spans sharing a resource and scope are grouped. The bytes are
// the canonical encoding (fields in number order, minimal varints), as a protobuf library writes
// them. Invalid UTF-8 in strings is repaired. Appends to `out`; throws only std::bad_alloc (then
// `out` is as it was).
void encode_otlp_proto(const std::vector<SpanDataPtr>& spans, std::string& out);

// The same bytes as encode_otlp_proto, replacing `buffer`'s contents. The memory `buffer` already
// holds (its size, not only its capacity) is reused as scratch space: pass the same string for
// every batch, and once it has held a batch this large, encoding neither allocates nor zero-fills
// it. False (and `buffer` empty) only when memory runs out.
bool encode_otlp_proto_reusing(const std::vector<SpanDataPtr>& spans, std::string& buffer) noexcept;

// ExportTraceServiceResponse.partial_success, as a server reports rejected spans.
struct OtlpPartialSuccess {
  std::int64_t rejected_spans = 0;
  std::string error_message;
};

// Reads an ExportTraceServiceResponse (protobuf). Nullopt when the bytes are not a well-formed
// message; a response without partial_success gives a default (0 rejected).
std::optional<OtlpPartialSuccess> decode_otlp_proto_response(std::string_view bytes);

// The same, for the start of a response that was cut short (an answer longer than the client reads,
// or a connection that ended early): what its complete fields say, a message cut at the end of
// `bytes`. Nullopt when even that start is not a well-formed message.
std::optional<OtlpPartialSuccess> decode_otlp_proto_response_prefix(std::string_view bytes);

}  // namespace honeyhive
