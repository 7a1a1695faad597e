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
#include <utility>
#include <variant>
#include <vector>

#include "honeyhive/export/otlp_decode.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"
#include "support/otlp_bytes.hpp"

namespace {

using namespace honeyhive;
using test::json_of;
using test::proto_of;

// Small limits: the fuzzer explores what is past them without spending its time on huge requests.
OtlpDecodeLimits fuzz_limits() {
  OtlpDecodeLimits limits;
  limits.max_spans = 256;
  limits.max_elements = 4096;
  limits.max_elements_absolute = 4096;  // the budget no longer grows with the input past it
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

// What our own encoding `encoded` (OTLP/JSON when `json`) decodes to: it must decode, to `count`
// spans.
std::vector<SpanDataPtr> decoded_back(const std::string& encoded, bool json, std::size_t count) {
  OtlpDecodeResult result = json ? decode_otlp_json_request(encoded) : decode_otlp_proto_request(encoded);
  if (!result.ok() || result.spans.size() != count) std::abort();
  return std::move(result.spans);
}

void check_round_trips(const OtlpDecodeResult& decoded, const OtlpDecodeLimits& limits) {
  if (!decoded.ok()) {
    if (!decoded.spans.empty()) std::abort();  // an error leaves no spans
    return;
  }
  const std::size_t count = decoded.spans.size();
  if (count > limits.max_spans) std::abort();
  for (const auto& span : decoded.spans) {
    if (!span) std::abort();
  }
  const std::string proto = proto_of(decoded.spans);
  if (proto_of(decoded_back(proto, false, count)) != proto) std::abort();

  // OTLP/JSON writes every NaN as "NaN": a NaN's sign and payload do not survive it (nor need they,
  // the JSON mapping has one NaN). So what comes back from it is compared, as protobuf, with the
  // spans whose NaNs are all the quiet NaN, and as OTLP/JSON with the text itself.
  const std::string json = json_of(decoded.spans);
  const std::vector<SpanDataPtr> from_json = decoded_back(json, true, count);
  if (proto_of(from_json) != proto_of(with_quiet_nans(decoded.spans))) std::abort();
  if (json_of(from_json) != json) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const OtlpDecodeLimits limits = fuzz_limits();
  check_round_trips(decode_otlp_proto_request(input, limits), limits);
  check_round_trips(decode_otlp_json_request(input, limits), limits);
  return 0;
}
