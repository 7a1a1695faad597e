#pragma once

// Test support: spans as the OTLP encoders write them, returned as a string.
#include <string>
#include <vector>

#include "honeyhive/core/span_data.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"

namespace honeyhive::test {

inline std::string proto_of(const std::vector<SpanDataPtr>& spans) {
  std::string out;
  encode_otlp_proto(spans, out);
  return out;
}

inline std::string json_of(const std::vector<SpanDataPtr>& spans) {
  std::string out;
  encode_otlp_json(spans, out);
  return out;
}

}  // namespace honeyhive::test
