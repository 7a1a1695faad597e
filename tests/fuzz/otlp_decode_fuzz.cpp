// libFuzzer target: the OTLP request decoders read whatever a client sends (hh-local serves them to
// any process on the machine), so they must never crash and must stay within their limits. The
// input is tried as protobuf and as OTLP/JSON. What a decoder accepts must survive the encoders:
// its spans encoded as protobuf decode to spans that encode to the same bytes, and encoded as
// OTLP/JSON they decode to spans that encode to the same protobuf bytes (NaNs aside) and the same
// text.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "honeyhive/export/otlp_decode.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"

namespace {

using namespace honeyhive;

// Small limits: the fuzzer explores what is past them without spending its time on huge requests.
OtlpDecodeLimits fuzz_limits() {
  OtlpDecodeLimits limits;
  limits.max_spans = 256;
  limits.max_elements = 4096;
  limits.max_depth = 8;
  return limits;
}

void quiet_nans(AttributeValue& value) {
  constexpr double kQuietNaN = std::numeric_limits<double>::quiet_NaN();
  if (auto* number = std::get_if<double>(&value)) {
    if (std::isnan(*number)) *number = kQuietNaN;
  } else if (auto* numbers = std::get_if<std::vector<double>>(&value)) {
    for (double& element : *numbers) {
      if (std::isnan(element)) element = kQuietNaN;
    }
  }
}

void quiet_nans(Attributes& attributes) {
  for (auto& attribute : attributes) quiet_nans(attribute.value);
}

// A copy of `spans` whose every NaN is the quiet NaN. Spans that shared a resource still share one
// (the encoder groups spans by resource).
std::vector<SpanDataPtr> with_quiet_nans(const std::vector<SpanDataPtr>& spans) {
  std::map<const Resource*, std::shared_ptr<const Resource>> resources;
  std::vector<SpanDataPtr> out;
  for (const auto& span : spans) {
    auto copy = std::make_shared<SpanData>(*span);
    quiet_nans(copy->attributes);
    for (auto& event : copy->events) quiet_nans(event.attributes);
    for (auto& link : copy->links) quiet_nans(link.attributes);
    if (span->resource) {
      auto& resource = resources[span->resource.get()];
      if (!resource) {
        Attributes attributes = span->resource->attributes();
        quiet_nans(attributes);
        resource = std::make_shared<const Resource>(std::move(attributes));
      }
      copy->resource = resource;
    }
    out.push_back(std::move(copy));
  }
  return out;
}

void check_round_trips(const OtlpDecodeResult& decoded, const OtlpDecodeLimits& limits) {
  if (!decoded.ok()) {
    if (!decoded.spans.empty()) std::abort();  // an error leaves no spans
    return;
  }
  if (decoded.spans.size() > limits.max_spans) std::abort();
  for (const auto& span : decoded.spans) {
    if (!span) std::abort();
  }
  std::string proto;
  encode_otlp_proto(decoded.spans, proto);
  const OtlpDecodeResult from_proto = decode_otlp_proto_request(proto);
  if (!from_proto.ok() || from_proto.spans.size() != decoded.spans.size()) std::abort();
  std::string proto_again;
  encode_otlp_proto(from_proto.spans, proto_again);
  if (proto_again != proto) std::abort();

  // OTLP/JSON writes every NaN as "NaN": a NaN's sign and payload do not survive it (nor need they,
  // the JSON mapping has one NaN). So what comes back from it is compared, as protobuf, with the
  // spans whose NaNs are all the quiet NaN, and as OTLP/JSON with the text itself.
  std::string json;
  encode_otlp_json(decoded.spans, json);
  const OtlpDecodeResult from_json = decode_otlp_json_request(json);
  if (!from_json.ok() || from_json.spans.size() != decoded.spans.size()) std::abort();
  std::string proto_from_json;
  encode_otlp_proto(from_json.spans, proto_from_json);
  std::string proto_canonical;
  encode_otlp_proto(with_quiet_nans(decoded.spans), proto_canonical);
  if (proto_from_json != proto_canonical) std::abort();
  std::string json_again;
  encode_otlp_json(from_json.spans, json_again);
  if (json_again != json) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const OtlpDecodeLimits limits = fuzz_limits();
  check_round_trips(decode_otlp_proto_request(input, limits), limits);
  check_round_trips(decode_otlp_json_request(input, limits), limits);
  return 0;
}
