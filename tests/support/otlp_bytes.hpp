#pragma once

// Test support: spans as the OTLP encoders write them, returned as a string, and the resource and
// scope of the spans built for them.
#include <memory>
#include <string>
#include <vector>

#include "honeyhive/core/resource.hpp"
#include "honeyhive/core/span_data.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"

namespace honeyhive::test {

inline std::shared_ptr<const Resource> make_resource(const std::string& service) {
  return std::make_shared<const Resource>(Attributes{{"service.name", AttributeValue{service}}});
}

inline std::shared_ptr<const InstrumentationScope> make_scope(const std::string& name, const std::string& version) {
  return std::make_shared<const InstrumentationScope>(InstrumentationScope{name, version});
}

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
