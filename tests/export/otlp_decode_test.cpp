#include "honeyhive/export/otlp_decode.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"
#include "support/hex_ids.hpp"
#include "support/otlp_bytes.hpp"

namespace honeyhive {
namespace {

// --- building spans and protobuf bytes by hand ----------------------------------------------

using test::span_id;
using test::trace_id;

std::shared_ptr<SpanData> full_span() {
  auto span = std::make_shared<SpanData>();
  auto state = std::make_shared<const TraceState>(std::vector<TraceState::Member>{{"vendor", "v1"}, {"other", "x"}});
  span->context = SpanContext(trace_id("0102030405060708090a0b0c0d0e0f10"), span_id("1112131415161718"), TraceFlags{1},
                              false, state);
  span->parent_span_id = span_id("2122232425262728");
  span->parent_is_remote = true;
  span->name = "chat gpt-4o";
  span->kind = SpanKind::client;
  span->start_unix_nanos = 1700000000123456789ULL;
  span->end_unix_nanos = 1700000001987654321ULL;
  span->attributes = {{"s", std::string("text \xC3\xA9")},
                      {"b", true},
                      {"i", std::int64_t{-42}},
                      {"d", 2.5},
                      {"d_integral", 3.0},
                      {"vb", std::vector<bool>{true, false}},
                      {"vi", std::vector<std::int64_t>{1, -2, 3}},
                      {"vd", std::vector<double>{1.0, 0.25}},
                      {"vs", std::vector<std::string>{"a", "b"}}};
  span->dropped_attributes_count = 3;
  span->events = {SpanEvent{"exception", 1700000000500000000ULL, {{"exception.message", std::string("x")}}, 1}};
  span->dropped_events_count = 4;
  span->links = {SpanLink{
      SpanContext(trace_id("a1a2a3a4a5a6a7a8a9aaabacadaeafb0"), span_id("b1b2b3b4b5b6b7b8"), TraceFlags{0}, true),
      {{"link.kind", std::int64_t{7}}},
      2}};
  span->dropped_links_count = 5;
  span->status = Status{StatusCode::error, "boom"};
  span->resource = std::make_shared<const Resource>(Attributes{{"service.name", std::string("svc")}});
  span->scope = std::make_shared<const InstrumentationScope>(InstrumentationScope{"honeyhive", "1.2.3"});
  return span;
}

void expect_same_span(const SpanData& expected, const SpanData& actual) {
  EXPECT_EQ(expected.context.trace_id(), actual.context.trace_id());
  EXPECT_EQ(expected.context.span_id(), actual.context.span_id());
  EXPECT_EQ(expected.context.flags(), actual.context.flags());
  EXPECT_EQ(expected.context.trace_state(), actual.context.trace_state());
  EXPECT_EQ(expected.parent_span_id, actual.parent_span_id);
  EXPECT_EQ(expected.parent_is_remote, actual.parent_is_remote);
  EXPECT_EQ(expected.name, actual.name);
  EXPECT_EQ(expected.kind, actual.kind);
  EXPECT_EQ(expected.start_unix_nanos, actual.start_unix_nanos);
  EXPECT_EQ(expected.end_unix_nanos, actual.end_unix_nanos);
  EXPECT_EQ(expected.attributes, actual.attributes);
  EXPECT_EQ(expected.dropped_attributes_count, actual.dropped_attributes_count);
  ASSERT_EQ(expected.events.size(), actual.events.size());
  for (std::size_t i = 0; i < expected.events.size(); ++i) {
    EXPECT_EQ(expected.events[i].name, actual.events[i].name);
    EXPECT_EQ(expected.events[i].time_unix_nanos, actual.events[i].time_unix_nanos);
    EXPECT_EQ(expected.events[i].attributes, actual.events[i].attributes);
    EXPECT_EQ(expected.events[i].dropped_attributes_count, actual.events[i].dropped_attributes_count);
  }
  EXPECT_EQ(expected.dropped_events_count, actual.dropped_events_count);
  ASSERT_EQ(expected.links.size(), actual.links.size());
  for (std::size_t i = 0; i < expected.links.size(); ++i) {
    EXPECT_EQ(expected.links[i].context, actual.links[i].context);
    EXPECT_EQ(expected.links[i].attributes, actual.links[i].attributes);
    EXPECT_EQ(expected.links[i].dropped_attributes_count, actual.links[i].dropped_attributes_count);
  }
  EXPECT_EQ(expected.dropped_links_count, actual.dropped_links_count);
  EXPECT_EQ(expected.status.code, actual.status.code);
  EXPECT_EQ(expected.status.description, actual.status.description);
  ASSERT_NE(actual.resource, nullptr);
  EXPECT_EQ(expected.resource->attributes(), actual.resource->attributes());
  ASSERT_NE(actual.scope, nullptr);
  EXPECT_EQ(expected.scope->name, actual.scope->name);
  EXPECT_EQ(expected.scope->version, actual.scope->version);
}

std::string varint(std::uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7FU) | 0x80U);
    value >>= 7U;
  }
  out += static_cast<char>(value);
  return out;
}
std::string tag(std::uint32_t number, std::uint32_t wire_type) {
  return varint((std::uint64_t{number} << 3U) | wire_type);
}
std::string field(std::uint32_t number, const std::string& payload) {
  return tag(number, 2) + varint(payload.size()) + payload;
}
// A request holding one span whose fields are `span_fields`.
std::string request_with_span(const std::string& span_fields) { return field(1, field(2, field(2, span_fields))); }
std::string string_attribute(const std::string& key, const std::string& value) {
  return field(1, key) + field(2, field(1, value));
}

// --- round trips through the SDK's encoders -------------------------------------------------

TEST(OtlpDecode, ProtobufRoundTripsEverythingTheEncoderWrites) {
  const auto span = full_span();
  std::string bytes;
  encode_otlp_proto({span}, bytes);
  const OtlpDecodeResult decoded = decode_otlp_proto_request(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  ASSERT_EQ(decoded.spans.size(), 1U);
  expect_same_span(*span, *decoded.spans[0]);
}

TEST(OtlpDecode, JsonRoundTripsEverythingTheEncoderWrites) {
  const auto span = full_span();
  std::string text;
  encode_otlp_json({span}, text);
  const OtlpDecodeResult decoded = decode_otlp_json_request(text);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  ASSERT_EQ(decoded.spans.size(), 1U);
  expect_same_span(*span, *decoded.spans[0]);
}

TEST(OtlpDecode, SpansOfOneResourceAndScopeShareThem) {
  auto first = full_span();
  auto second = std::make_shared<SpanData>(*first);
  second->context = SpanContext(first->context.trace_id(), span_id("3132333435363738"), TraceFlags{1}, false);
  auto other_scope = std::make_shared<SpanData>(*first);
  other_scope->scope = std::make_shared<const InstrumentationScope>(InstrumentationScope{"other", ""});
  std::string bytes;
  encode_otlp_proto({first, second, other_scope}, bytes);
  const OtlpDecodeResult decoded = decode_otlp_proto_request(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  ASSERT_EQ(decoded.spans.size(), 3U);
  EXPECT_EQ(decoded.spans[0]->scope, decoded.spans[1]->scope);
  EXPECT_NE(decoded.spans[0]->scope, decoded.spans[2]->scope);
  EXPECT_EQ(decoded.spans[0]->resource, decoded.spans[2]->resource);
  EXPECT_EQ(decoded.spans[2]->scope->name, "other");
}

TEST(OtlpDecode, NonFiniteDoublesRoundTripThroughJson) {
  auto span = full_span();
  span->attributes = {{"nan", std::nan("")}, {"inf", HUGE_VAL}};
  std::string text;
  encode_otlp_json({span}, text);
  const OtlpDecodeResult decoded = decode_otlp_json_request(text);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  EXPECT_TRUE(std::isnan(std::get<double>(decoded.spans[0]->attributes[0].value)));
  EXPECT_EQ(std::get<double>(decoded.spans[0]->attributes[1].value), HUGE_VAL);
}

TEST(OtlpDecode, EmptyRequestHasNoSpans) {
  EXPECT_TRUE(decode_otlp_proto_request("").ok());
  EXPECT_TRUE(decode_otlp_proto_request("").spans.empty());
  EXPECT_TRUE(decode_otlp_json_request("{}").ok());
  EXPECT_TRUE(decode_otlp_json_request("{\"resourceSpans\":[]}").spans.empty());
}

// --- standard OTLP from other encoders ------------------------------------------------------

TEST(OtlpDecode, ReadsValueKindsSpanDataCannotHoldAsStrings) {
  const std::string span =
      field(1, std::string(16, '\x01')) + field(2, std::string(8, '\x02')) +
      field(9, field(1, "kv") + field(2, field(6, field(1, field(1, "a") + field(2, tag(3, 0) + varint(1)))))) +
      field(9, field(1, "raw") + field(2, field(7, "\x01\x02\x03"))) +
      field(9, field(1, "mixed") + field(2, field(5, field(1, field(1, "x")) + field(1, tag(2, 0) + varint(1))))) +
      field(9, field(1, "empty") + field(2, ""));
  const OtlpDecodeResult decoded = decode_otlp_proto_request(request_with_span(span));
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  const Attributes& attributes = decoded.spans.at(0)->attributes;
  ASSERT_EQ(attributes.size(), 4U);
  EXPECT_EQ(std::get<std::string>(attributes[0].value), "{\"a\":1}");
  EXPECT_EQ(std::get<std::string>(attributes[1].value), "AQID");
  EXPECT_EQ(std::get<std::string>(attributes[2].value), "[\"x\",true]");
  EXPECT_EQ(std::get<std::string>(attributes[3].value), "");
}

TEST(OtlpDecode, JsonAcceptsOriginalFieldNamesEnumNamesAndNumbersForInt64) {
  const std::string text = R"({"resource_spans":[{"scope_spans":[{"spans":[{
      "trace_id":"0102030405060708090A0B0C0D0E0F10","span_id":"1112131415161718","name":"n",
      "kind":"SPAN_KIND_SERVER","start_time_unix_nano":5,"endTimeUnixNano":"6",
      "status":{"code":"STATUS_CODE_OK"},
      "attributes":[{"key":"i","value":{"intValue":7}},{"key":"b","value":{"bytesValue":"AQID"}},
                    {"key":"kv","value":{"kvlistValue":{"values":[{"key":"x","value":{"doubleValue":1.5}}]}}}]}]}]}]})";
  const OtlpDecodeResult decoded = decode_otlp_json_request(text);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  const SpanData& span = *decoded.spans.at(0);
  EXPECT_EQ(span.context.trace_id().to_hex(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(span.kind, SpanKind::server);
  EXPECT_EQ(span.start_unix_nanos, 5U);
  EXPECT_EQ(span.end_unix_nanos, 6U);
  EXPECT_EQ(span.status.code, StatusCode::ok);
  EXPECT_EQ(std::get<std::int64_t>(span.attributes.at(0).value), 7);
  EXPECT_EQ(std::get<std::string>(span.attributes.at(1).value), "AQID");
  EXPECT_EQ(std::get<std::string>(span.attributes.at(2).value), "{\"x\":1.5}");
}

#ifdef HONEYHIVE_PROTOC
std::string protoc_encode(const std::string& text_format) {
  const std::string base = ::testing::TempDir() + "honeyhive_otlp_decode_" + std::to_string(::getpid());
  {
    std::ofstream in(base + ".txt");
    in << text_format;
  }
  const std::string command =
      std::string("'") + HONEYHIVE_PROTOC + "' --encode=honeyhive.test.ExportTraceServiceRequest --proto_path='" +
      HONEYHIVE_OTLP_TEST_PROTO_DIR + "' otlp_trace_subset.proto < '" + base + ".txt' > '" + base + ".bin'";
  const int status = std::system(command.c_str());
  std::ifstream out(base + ".bin", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  std::remove((base + ".txt").c_str());
  std::remove((base + ".bin").c_str());
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? bytes : std::string("protoc failed");
}
#endif

TEST(OtlpDecode, ReadsWhatProtocEncodes) {
#ifndef HONEYHIVE_PROTOC
  GTEST_SKIP() << "protoc not found at configure time";
#else
  const std::string bytes = protoc_encode(R"(
    resource_spans {
      resource { attributes { key: "service.name" value { string_value: "py-app" } } }
      scope_spans {
        spans {
          name: "GET /users"
          kind: SPAN_KIND_SERVER
          start_time_unix_nano: 1700000000000000000
          end_time_unix_nano: 1700000000250000000
          status { code: STATUS_CODE_OK }
          attributes { key: "http.status_code" value { int_value: 200 } }
          attributes { key: "ratio" value { double_value: 0.5 } }
          attributes { key: "tags" value { array_value { values { string_value: "a" } values { string_value: "b" } } } }
          attributes { key: "obj" value { kvlist_value { values { key: "n" value { int_value: 1 } } } } }
          events { time_unix_nano: 1700000000100000000 name: "cache miss" }
        }
        scope { name: "opentelemetry.instrumentation.flask" version: "0.44b0" }
      }
    }
  )");
  ASSERT_NE(bytes, "protoc failed");
  const OtlpDecodeResult decoded = decode_otlp_proto_request(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  ASSERT_EQ(decoded.spans.size(), 1U);
  const SpanData& span = *decoded.spans[0];
  EXPECT_EQ(span.name, "GET /users");
  EXPECT_EQ(span.kind, SpanKind::server);
  EXPECT_EQ(span.end_unix_nanos - span.start_unix_nanos, 250000000U);
  EXPECT_EQ(span.status.code, StatusCode::ok);
  // The scope came after the spans on the wire: the spans still get it.
  EXPECT_EQ(span.scope->name, "opentelemetry.instrumentation.flask");
  EXPECT_EQ(span.resource->service_name(), "py-app");
  ASSERT_EQ(span.attributes.size(), 4U);
  EXPECT_EQ(std::get<std::int64_t>(span.attributes[0].value), 200);
  EXPECT_EQ(std::get<double>(span.attributes[1].value), 0.5);
  EXPECT_EQ(std::get<std::vector<std::string>>(span.attributes[2].value), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(std::get<std::string>(span.attributes[3].value), "{\"n\":1}");
  ASSERT_EQ(span.events.size(), 1U);
  EXPECT_EQ(span.events[0].name, "cache miss");
#endif
}

// --- malformed and hostile input --------------------------------------------------------------

TEST(OtlpDecode, RejectsATruncatedVarint) {
  const OtlpDecodeResult decoded = decode_otlp_proto_request(request_with_span(tag(6, 0) + "\x80"));
  EXPECT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error.find("truncated varint"), std::string::npos) << decoded.error;
  EXPECT_NE(decoded.error.find("spans[0]"), std::string::npos) << decoded.error;
  EXPECT_TRUE(decoded.spans.empty());
}

TEST(OtlpDecode, RejectsAVarintLongerThanTenBytes) {
  const OtlpDecodeResult decoded =
      decode_otlp_proto_request(request_with_span(tag(6, 0) + std::string(10, '\xFF') + "\x01"));
  EXPECT_FALSE(decoded.ok());
}

TEST(OtlpDecode, RejectsALengthPastTheEnd) {
  const OtlpDecodeResult decoded = decode_otlp_proto_request(tag(1, 2) + varint(1000) + "abc");
  EXPECT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error.find("claims 1000 bytes"), std::string::npos) << decoded.error;
}

TEST(OtlpDecode, RejectsAHugeLength) { EXPECT_FALSE(decode_otlp_proto_request(tag(1, 2) + varint(~0ULL)).ok()); }

TEST(OtlpDecode, RejectsAKnownFieldWithTheWrongWireType) {
  // name (5) as a varint, start time (7) as a varint, kind (6) as length-delimited.
  for (const std::string& span : {tag(5, 0) + varint(1), tag(7, 0) + varint(1), field(6, "x")}) {
    const OtlpDecodeResult decoded = decode_otlp_proto_request(request_with_span(span));
    EXPECT_FALSE(decoded.ok());
    EXPECT_NE(decoded.error.find("wire type"), std::string::npos) << decoded.error;
  }
}

TEST(OtlpDecode, RejectsGroupsAndInvalidWireTypes) {
  EXPECT_FALSE(decode_otlp_proto_request(tag(3, 3)).ok());
  EXPECT_FALSE(decode_otlp_proto_request(tag(3, 7)).ok());
  EXPECT_FALSE(decode_otlp_proto_request(tag(0, 0) + varint(1)).ok());
}

TEST(OtlpDecode, SkipsUnknownFields) {
  const std::string span = field(1, std::string(16, '\x01')) + field(2, std::string(8, '\x02')) + field(99, "future") +
                           tag(98, 0) + varint(5) + tag(97, 5) + "abcd" + tag(96, 1) + "abcdefgh";
  const OtlpDecodeResult decoded = decode_otlp_proto_request(request_with_span(span) + field(50, "x"));
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  EXPECT_EQ(decoded.spans.size(), 1U);
}

TEST(OtlpDecode, RejectsIdsOfTheWrongLength) {
  const OtlpDecodeResult decoded = decode_otlp_proto_request(request_with_span(field(1, "abc")));
  EXPECT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error.find("trace_id is 3 bytes, expected 16"), std::string::npos) << decoded.error;
  EXPECT_FALSE(decode_otlp_json_request(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]})").ok());
}

TEST(OtlpDecode, RejectsNestingBeyondTheLimit) {
  std::string value = field(1, "leaf");                            // AnyValue{string_value}
  for (int i = 0; i < 40; ++i) value = field(5, field(1, value));  // AnyValue{array_value{values: [value]}}
  const OtlpDecodeResult decoded =
      decode_otlp_proto_request(request_with_span(field(9, field(1, "k") + field(2, value))));
  EXPECT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error.find("nested deeper"), std::string::npos) << decoded.error;

  OtlpDecodeLimits deep_enough;
  deep_enough.max_depth = 64;
  EXPECT_TRUE(
      decode_otlp_proto_request(request_with_span(field(9, field(1, "k") + field(2, value))), deep_enough).ok());
}

TEST(OtlpDecode, RejectsDeepJsonBeforeBuildingIt) {
  const std::string text = "{\"resourceSpans\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const OtlpDecodeResult decoded = decode_otlp_json_request(text);
  EXPECT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error.find("nested deeper"), std::string::npos) << decoded.error;
}

void expect_default_batch_of_arrays(const OtlpDecodeResult& decoded) {
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  ASSERT_EQ(decoded.spans.size(), 512U);
  for (const SpanDataPtr& span : decoded.spans) {
    ASSERT_EQ(span->attributes.size(), 128U);
    EXPECT_EQ(std::get<std::vector<std::int64_t>>(span->attributes[127].value),
              (std::vector<std::int64_t>{1, 2, 3, 4}));
  }
}

TEST(OtlpDecode, DecodesTheDefaultBatchOfArrayAttributesAsProtobuf) {
  std::string bytes;
  encode_otlp_proto(test::default_batch_of_array_spans(), bytes);
  ASSERT_GT(512U * 128U * 5U, OtlpDecodeLimits().max_elements);  // what made it fail at span 409
  expect_default_batch_of_arrays(decode_otlp_proto_request(bytes));
}

TEST(OtlpDecode, DecodesTheDefaultBatchOfArrayAttributesAsJson) {
  std::string text;
  encode_otlp_json(test::default_batch_of_array_spans(), text);
  expect_default_batch_of_arrays(decode_otlp_json_request(text));
}

TEST(OtlpDecode, ElementBudgetGrowsWithTheInputUpToTheAbsoluteLimit) {
  const OtlpDecodeLimits limits;
  EXPECT_EQ(limits.element_budget(0), limits.max_elements);
  EXPECT_EQ(limits.element_budget(2 * limits.max_elements), limits.max_elements);
  EXPECT_EQ(limits.element_budget(10000000), 5000000U);
  EXPECT_EQ(limits.element_budget(2 * limits.max_elements_absolute + 2), limits.max_elements_absolute);
  EXPECT_EQ(limits.element_budget(~std::size_t{0}), limits.max_elements_absolute);
}

// 300,000 attributes of 10 bytes each: more than max_elements, fewer than one per 2 bytes.
std::string decode_test_span_of_300k_attributes() {
  std::string span = field(1, std::string(16, '\x01')) + field(2, std::string(8, '\x02'));
  const std::string attribute = field(9, string_attribute("k", "v"));
  span.reserve(span.size() + attribute.size() * 300000);
  for (int i = 0; i < 300000; ++i) span += attribute;
  return request_with_span(span);
}

TEST(OtlpDecode, RejectsMoreElementsThanTheAbsoluteLimitAsALimit) {
  const std::string request = decode_test_span_of_300k_attributes();
  const OtlpDecodeResult within = decode_otlp_proto_request(request);
  ASSERT_TRUE(within.ok()) << within.error;
  EXPECT_EQ(within.spans[0]->attributes.size(), 300000U);

  OtlpDecodeLimits limits;
  limits.max_elements_absolute = 100000;
  const OtlpDecodeResult decoded = decode_otlp_proto_request(request, limits);
  EXPECT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.limit_exceeded);
  EXPECT_TRUE(decoded.spans.empty());
  EXPECT_NE(decoded.error.find("more than 100000 elements"), std::string::npos) << decoded.error;
}

TEST(OtlpDecode, RejectsMoreJsonElementsThanTheAbsoluteLimitAsALimit) {
  std::string text = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[)";
  for (int i = 0; i < 150000; ++i) text += i == 0 ? "{}" : ",{}";
  text += "]}]}]}]}";
  ASSERT_TRUE(decode_otlp_json_request(text).ok());

  OtlpDecodeLimits limits;
  limits.max_elements_absolute = 100000;
  const OtlpDecodeResult decoded = decode_otlp_json_request(text, limits);  // under 4 JSON values per element
  EXPECT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.limit_exceeded);
  EXPECT_NE(decoded.error.find("more than 100000 elements"), std::string::npos) << decoded.error;

  limits.max_elements_absolute = 10000;  // past 4 JSON values per element: refused before it is parsed
  const OtlpDecodeResult unparsed = decode_otlp_json_request(text, limits);
  EXPECT_FALSE(unparsed.ok());
  EXPECT_TRUE(unparsed.limit_exceeded);
  EXPECT_NE(unparsed.error.find("JSON values"), std::string::npos) << unparsed.error;
}

TEST(OtlpDecode, TellsLimitsFromMalformedInput) {
  OtlpDecodeLimits limits;
  limits.max_spans = 1;
  const OtlpDecodeResult spans = decode_otlp_proto_request(field(1, field(2, field(2, "") + field(2, ""))), limits);
  EXPECT_FALSE(spans.ok());
  EXPECT_TRUE(spans.limit_exceeded);

  std::string deep = field(1, "leaf");
  for (int i = 0; i < 40; ++i) deep = field(5, field(1, deep));
  const OtlpDecodeResult nested =
      decode_otlp_proto_request(request_with_span(field(9, field(1, "k") + field(2, deep))));
  EXPECT_FALSE(nested.ok());
  EXPECT_TRUE(nested.limit_exceeded);
  const OtlpDecodeResult deep_json =
      decode_otlp_json_request("{\"resourceSpans\":" + std::string(1000, '[') + std::string(1000, ']') + "}");
  EXPECT_FALSE(deep_json.ok());
  EXPECT_TRUE(deep_json.limit_exceeded);

  for (const std::string& bytes :
       {std::string("\x0a\x05\x12\x03"), std::string("\x0a"), request_with_span(field(1, "abc"))}) {
    const OtlpDecodeResult malformed = decode_otlp_proto_request(bytes);
    EXPECT_FALSE(malformed.ok());
    EXPECT_FALSE(malformed.limit_exceeded) << malformed.error;
  }
  for (const char* text : {"{\"resourceSpans\":", "[]", "{\"resourceSpans\":[1]}"}) {
    const OtlpDecodeResult malformed = decode_otlp_json_request(text);
    EXPECT_FALSE(malformed.ok());
    EXPECT_FALSE(malformed.limit_exceeded) << malformed.error;
  }
}

TEST(OtlpDecode, RejectsMoreSpansThanTheLimit) {
  OtlpDecodeLimits limits;
  limits.max_spans = 10;
  std::string scope_spans;
  for (int i = 0; i < 11; ++i) scope_spans += field(2, "");
  const OtlpDecodeResult decoded = decode_otlp_proto_request(field(1, field(2, scope_spans)), limits);
  EXPECT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error.find("more than 10 spans"), std::string::npos) << decoded.error;
}

TEST(OtlpDecode, RejectsJsonOfTheWrongShape) {
  for (const char* text :
       {"[]", "{\"resourceSpans\":{}}", "{\"resourceSpans\":[1]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":1}]}]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"-1\"}]}]}]}", "{\"a\":", ""}) {
    EXPECT_FALSE(decode_otlp_json_request(text).ok()) << text;
  }
}

TEST(OtlpDecode, RepairsInvalidUtf8) {
  const OtlpDecodeResult decoded =
      decode_otlp_proto_request(request_with_span(field(5, "bad \xFF name") + field(9, string_attribute("k", "\xC3"))));
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  EXPECT_EQ(decoded.spans[0]->name, "bad \xEF\xBF\xBD name");
}

TEST(OtlpDecode, EveryTruncationOfAValidRequestFailsCleanlyOrDecodes) {
  std::string bytes;
  encode_otlp_proto({full_span(), full_span()}, bytes);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const OtlpDecodeResult decoded = decode_otlp_proto_request(std::string_view(bytes).substr(0, length));
    EXPECT_TRUE(decoded.ok() || decoded.spans.empty());
  }
  std::string text;
  encode_otlp_json({full_span()}, text);
  for (std::size_t length = 0; length < text.size(); ++length) {
    EXPECT_FALSE(decode_otlp_json_request(std::string_view(text).substr(0, length)).ok());
  }
}

TEST(OtlpDecode, SurvivesFlippedBytes) {
  std::string bytes;
  encode_otlp_proto({full_span()}, bytes);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 0xA5);
    const OtlpDecodeResult decoded = decode_otlp_proto_request(changed);
    EXPECT_EQ(decoded.ok(), decoded.error.empty());
  }
}

}  // namespace
}  // namespace honeyhive
