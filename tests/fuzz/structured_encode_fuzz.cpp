// libFuzzer target: what users hand the tracer (any JSON value, any bytes as keys and texts) must
// flatten and encode without crashing, and both encoders must carry it intact. The input is read as
// JSON and flattened (flatten_structured); its raw bytes are also a key and a text of their own. A
// span holding those attributes is encoded as protobuf and as OTLP/JSON; each decodes to the same
// attributes, with every text valid UTF-8 (invalid input repaired, valid input unchanged). The span
// also becomes a HoneyHive event, its inputs unflattened back into an object, and that dumps as
// the events exporter dumps it.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/utf8.hpp"
#include "honeyhive/core/span_data.hpp"
#include "honeyhive/core/structured.hpp"
#include "honeyhive/export/honeyhive_event.hpp"
#include "honeyhive/export/otlp_decode.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"

namespace {

using namespace honeyhive;

constexpr std::size_t kMaxDepth = 8;

bool texts_valid(const AttributeValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return detail::is_valid_utf8(*text);
  if (const auto* texts = std::get_if<std::vector<std::string>>(&value)) {
    for (const auto& text : *texts) {
      if (!detail::is_valid_utf8(text)) return false;
    }
  }
  return true;
}

// Doubles the same to the bit (0.0 is not -0.0), any NaN the same as any other.
bool same_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof(a)) == 0;
}

bool same_value(const AttributeValue& a, const AttributeValue& b) {
  if (const auto* x = std::get_if<double>(&a)) {
    const auto* y = std::get_if<double>(&b);
    return y != nullptr && same_double(*x, *y);
  }
  if (const auto* xs = std::get_if<std::vector<double>>(&a)) {
    const auto* ys = std::get_if<std::vector<double>>(&b);
    if (ys == nullptr || ys->size() != xs->size()) return false;
    for (std::size_t i = 0; i < xs->size(); ++i) {
      if (!same_double((*xs)[i], (*ys)[i])) return false;
    }
    return true;
  }
  return a == b;
}

// The attributes a decoder gives back for `expected` (the encoders repair invalid UTF-8).
void check_decoded(const OtlpDecodeResult& decoded, const Attributes& expected) {
  if (!decoded.ok() || decoded.spans.size() != 1) std::abort();
  const Attributes& got = decoded.spans[0]->attributes;
  if (got.size() != expected.size()) std::abort();
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!detail::is_valid_utf8(got[i].key) || !texts_valid(got[i].value)) std::abort();
    if (detail::is_valid_utf8(expected[i].key) && got[i].key != expected[i].key) std::abort();
    if (texts_valid(expected[i].value) && !same_value(got[i].value, expected[i].value)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto span = std::make_shared<SpanData>();
  span->context = SpanContext(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
                              SpanId::from_hex("00f067aa0ba902b7").value(), TraceFlags{TraceFlags::kSampled}, false);
  span->name = "fuzz";
  span->start_unix_nanos = 1;
  span->end_unix_nanos = 2;
  span->attributes.push_back(Attribute{"raw", std::string(input)});
  span->attributes.push_back(Attribute{std::string(input.substr(0, 64)), std::int64_t{1}});
  const nlohmann::json value = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded()) {
    Attributes flattened;
    flatten_structured("honeyhive_inputs", value, kMaxDepth, flattened);
    for (const auto& attribute : flattened) {
      if (attribute.key.compare(0, 16, "honeyhive_inputs") != 0) std::abort();
      if (!texts_valid(attribute.value)) std::abort();  // JSON texts are valid UTF-8 already
    }
    span->attributes.insert(span->attributes.end(), flattened.begin(), flattened.end());
  }
  const std::vector<SpanDataPtr> spans{span};
  std::string proto;
  encode_otlp_proto(spans, proto);
  check_decoded(decode_otlp_proto_request(proto), span->attributes);
  std::string json;
  encode_otlp_json(spans, json);
  check_decoded(decode_otlp_json_request(json), span->attributes);
  if (!unflatten_attributes(span->attributes, "honeyhive_inputs").is_object()) std::abort();
  const nlohmann::json event = span_to_honeyhive_event(*span);
  if (!event.is_object()) std::abort();
  (void)event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // as the events exporter does
  return 0;
}
