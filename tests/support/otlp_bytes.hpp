#pragma once

// Test support: spans as the OTLP encoders write them, returned as a string, and the resource and
// scope of the spans built for them.
#include <array>
#include <cstdint>
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

// 512 finished spans (the BatchSpanProcessor's default batch) of 128 attributes (the default attribute
// count limit), each an array of 4 integers: a batch within every default limit that holds 327,680
// OTLP elements (key/values and array values), about 1.8 MB as protobuf.
inline std::vector<SpanDataPtr> default_batch_of_array_spans() {
  const auto resource = make_resource("array-batch");
  const auto scope = make_scope("array-batch", "1");
  std::vector<SpanDataPtr> spans;
  spans.reserve(512);
  for (std::uint32_t i = 0; i < 512; ++i) {
    auto span = std::make_shared<SpanData>();
    const TraceId trace(
        std::array<std::uint8_t, TraceId::kSize>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    const SpanId id(std::array<std::uint8_t, SpanId::kSize>{0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>((i + 1) >> 8U),
                                                            static_cast<std::uint8_t>((i + 1) & 0xFFU)});
    span->context = SpanContext(trace, id, TraceFlags{1}, false);
    span->name = "array-span";
    span->start_unix_nanos = 1000000000;
    span->end_unix_nanos = 2000000000;
    span->resource = resource;
    span->scope = scope;
    span->attributes.reserve(128);
    for (int a = 0; a < 128; ++a) {
      span->attributes.push_back({"attribute." + std::to_string(a), std::vector<std::int64_t>{1, 2, 3, 4}});
    }
    spans.push_back(std::move(span));
  }
  return spans;
}

}  // namespace honeyhive::test
