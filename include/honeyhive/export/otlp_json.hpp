#pragma once

#include <string>
#include <vector>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

// Encodes spans as one OTLP/JSON ExportTraceServiceRequest (the protobuf JSON mapping of
// opentelemetry-proto, as the OTLP/HTTP spec requires): lowerCamelCase keys, ids as lowercase hex,
// 64-bit integers as decimal strings, enums as integers. Spans sharing a resource and scope are
// grouped under one ResourceSpans / ScopeSpans. Appends to `out` (no trailing newline).
void encode_otlp_json(const std::vector<SpanDataPtr>& spans, std::string& out);

}  // namespace honeyhive
