// libFuzzer target: the OTLP request decoders read whatever a client sends (hh-local serves them to
// any process on the machine), so they must never crash and must stay within their limits. The
// input is tried as protobuf and as OTLP/JSON. What a decoder accepts must survive the encoders:
// its spans encoded as protobuf decode to spans that encode to the same bytes, and encoded as
// OTLP/JSON they decode to spans that encode to the same text.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

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

  // OTLP/JSON is compared with itself, not with the protobuf: it writes every NaN as "NaN", so a
  // NaN's sign and payload do not survive it (nor need they: the JSON mapping has one NaN).
  std::string json;
  encode_otlp_json(decoded.spans, json);
  const OtlpDecodeResult from_json = decode_otlp_json_request(json);
  if (!from_json.ok() || from_json.spans.size() != decoded.spans.size()) std::abort();
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
