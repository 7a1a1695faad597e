#include "honeyhive/export/otlp_json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/hex_ids.hpp"
#include "support/in_memory_provider.hpp"
#include "support/otlp_bytes.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;

// Ids with hex letters in them, so uppercase output would be caught.
constexpr const char* kTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kSpanHex = "00f067aa0ba902b7";
constexpr const char* kParentHex = "a3ce929d0e0e4736";
constexpr const char* kLinkTraceHex = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* kLinkSpanHex = "b7ad6b7169203331";

using test::span_id;
using test::trace_id;

using test::make_resource;
using test::make_scope;

// A finished, sampled root span with fixed ids and times.
std::shared_ptr<SpanData> make_span(const std::shared_ptr<const Resource>& resource,
                                    const std::shared_ptr<const InstrumentationScope>& scope) {
  auto span = std::make_shared<SpanData>();
  span->context = SpanContext(trace_id(kTraceHex), span_id(kSpanHex), TraceFlags{TraceFlags::kSampled}, false);
  span->name = "checkout";
  span->kind = SpanKind::server;
  // Above 2^53, so a JSON number would lose precision: OTLP/JSON carries 64-bit ints as strings.
  span->start_unix_nanos = 1700000000123456789ULL;
  span->end_unix_nanos = 1700000000987654321ULL;
  span->resource = resource;
  span->scope = scope;
  return span;
}

json encode(const std::vector<SpanDataPtr>& spans) {
  std::string out;
  encode_otlp_json(spans, out);
  return json::parse(out);
}

// The one span of a one-span request.
json encode_one(const SpanDataPtr& span) { return encode({span})["resourceSpans"][0]["scopeSpans"][0]["spans"][0]; }

// The value of the attribute `key` in an OTLP attribute list, or null.
json attribute(const json& attributes, const std::string& key) {
  for (const auto& item : attributes) {
    if (item.at("key") == key) return item.at("value");
  }
  return nullptr;
}

class OtlpJsonTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Resource> resource_ = make_resource("checkout-service");
  std::shared_ptr<const InstrumentationScope> scope_ = make_scope("honeyhive.test", "1.2.3");
  std::shared_ptr<SpanData> span_ = make_span(resource_, scope_);
};

// --- envelope ---------------------------------------------------------------------------------

TEST_F(OtlpJsonTest, EmptyBatchIsAnEmptyResourceSpansList) {
  EXPECT_EQ(encode({}), json::parse(R"({"resourceSpans":[]})"));
}

TEST_F(OtlpJsonTest, AppendsToTheOutputString) {
  std::string out = "prefix:";
  encode_otlp_json({span_}, out);
  ASSERT_EQ(out.rfind("prefix:", 0), 0U);
  EXPECT_TRUE(json::accept(out.substr(7)));
}

TEST_F(OtlpJsonTest, CarriesResourceAttributes) {
  const json request = encode({span_});
  ASSERT_EQ(request["resourceSpans"].size(), 1U);
  const json service = attribute(request["resourceSpans"][0]["resource"]["attributes"], "service.name");
  EXPECT_EQ(service, json::parse(R"({"stringValue":"checkout-service"})"));
}

TEST_F(OtlpJsonTest, CarriesScopeNameAndVersion) {
  const json scope_spans = encode({span_})["resourceSpans"][0]["scopeSpans"];
  ASSERT_EQ(scope_spans.size(), 1U);
  EXPECT_EQ(scope_spans[0]["scope"]["name"], "honeyhive.test");
  EXPECT_EQ(scope_spans[0]["scope"]["version"], "1.2.3");
}

// --- span fields ------------------------------------------------------------------------------

TEST_F(OtlpJsonTest, IdsAreLowercaseHexOfTheRightLength) {
  span_->parent_span_id = span_id(kParentHex);
  const json span = encode_one(span_);
  EXPECT_EQ(span["traceId"], kTraceHex);
  EXPECT_EQ(span["spanId"], kSpanHex);
  EXPECT_EQ(span["parentSpanId"], kParentHex);
  EXPECT_EQ(span["traceId"].get<std::string>().size(), 32U);
  EXPECT_EQ(span["spanId"].get<std::string>().size(), 16U);
}

TEST_F(OtlpJsonTest, RootSpanHasNoParentSpanId) {
  const json span = encode_one(span_);
  EXPECT_TRUE(!span.contains("parentSpanId") || span["parentSpanId"] == "");
}

TEST_F(OtlpJsonTest, CarriesName) { EXPECT_EQ(encode_one(span_)["name"], "checkout"); }

TEST_F(OtlpJsonTest, KindIsAnInteger) {
  span_->kind = SpanKind::client;
  const json kind = encode_one(span_)["kind"];
  ASSERT_TRUE(kind.is_number_integer());
  EXPECT_EQ(kind.get<int>(), 3);
}

TEST_F(OtlpJsonTest, TimestampsAreDecimalStrings) {
  const json span = encode_one(span_);
  EXPECT_EQ(span["startTimeUnixNano"], "1700000000123456789");
  EXPECT_EQ(span["endTimeUnixNano"], "1700000000987654321");
}

TEST_F(OtlpJsonTest, StringAttributeIsStringValue) {
  span_->attributes.push_back({"s", AttributeValue{std::string("text")}});
  EXPECT_EQ(attribute(encode_one(span_)["attributes"], "s"), json::parse(R"({"stringValue":"text"})"));
}

TEST_F(OtlpJsonTest, IntAttributeIsIntValueAsDecimalString) {
  span_->attributes.push_back({"min", AttributeValue{std::numeric_limits<std::int64_t>::min()}});
  span_->attributes.push_back({"max", AttributeValue{std::numeric_limits<std::int64_t>::max()}});
  const json attributes = encode_one(span_)["attributes"];
  EXPECT_EQ(attribute(attributes, "min"), json::parse(R"({"intValue":"-9223372036854775808"})"));
  EXPECT_EQ(attribute(attributes, "max"), json::parse(R"({"intValue":"9223372036854775807"})"));
}

TEST_F(OtlpJsonTest, DoubleAttributeIsDoubleValueNumberThatRoundTrips) {
  span_->attributes.push_back({"d", AttributeValue{0.1}});
  const json value = attribute(encode_one(span_)["attributes"], "d");
  ASSERT_TRUE(value["doubleValue"].is_number());
  EXPECT_EQ(value["doubleValue"].get<double>(), 0.1);
}

TEST_F(OtlpJsonTest, NegativeZeroDoubleKeepsItsSign) {
  span_->attributes.push_back({"d", AttributeValue{-0.0}});
  const json value = attribute(encode_one(span_)["attributes"], "d");
  ASSERT_TRUE(value["doubleValue"].is_number_float());
  EXPECT_TRUE(std::signbit(value["doubleValue"].get<double>()));
}

TEST_F(OtlpJsonTest, BoolAttributeIsBoolValue) {
  span_->attributes.push_back({"b", AttributeValue{true}});
  EXPECT_EQ(attribute(encode_one(span_)["attributes"], "b"), json::parse(R"({"boolValue":true})"));
}

TEST_F(OtlpJsonTest, ArrayAttributesAreArrayValuesOfAnyValues) {
  span_->attributes.push_back({"ints", AttributeValue{std::vector<std::int64_t>{1, -2}}});
  span_->attributes.push_back({"doubles", AttributeValue{std::vector<double>{1.5}}});
  span_->attributes.push_back({"strings", AttributeValue{std::vector<std::string>{"a", "b"}}});
  span_->attributes.push_back({"bools", AttributeValue{std::vector<bool>{false, true}}});
  const json attributes = encode_one(span_)["attributes"];
  EXPECT_EQ(attribute(attributes, "ints"),
            json::parse(R"({"arrayValue":{"values":[{"intValue":"1"},{"intValue":"-2"}]}})"));
  EXPECT_EQ(attribute(attributes, "doubles"), json::parse(R"({"arrayValue":{"values":[{"doubleValue":1.5}]}})"));
  EXPECT_EQ(attribute(attributes, "strings"),
            json::parse(R"({"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}})"));
  EXPECT_EQ(attribute(attributes, "bools"),
            json::parse(R"({"arrayValue":{"values":[{"boolValue":false},{"boolValue":true}]}})"));
}

TEST_F(OtlpJsonTest, NaNDoubleIsTheStringNaN) {
  span_->attributes.push_back({"nan", AttributeValue{std::numeric_limits<double>::quiet_NaN()}});
  span_->attributes.push_back({"inf", AttributeValue{-std::numeric_limits<double>::infinity()}});
  const json attributes = encode_one(span_)["attributes"];
  EXPECT_EQ(attribute(attributes, "nan"), json::parse(R"({"doubleValue":"NaN"})"));
  EXPECT_EQ(attribute(attributes, "inf"), json::parse(R"({"doubleValue":"-Infinity"})"));
}

TEST_F(OtlpJsonTest, DroppedAttributesCountIsPresentWhenNonZero) {
  span_->dropped_attributes_count = 5;
  EXPECT_EQ(encode_one(span_)["droppedAttributesCount"], 5);
}

TEST_F(OtlpJsonTest, DroppedCountsAreOmittedWhenZero) {
  const json span = encode_one(span_);
  EXPECT_FALSE(span.contains("droppedAttributesCount"));
  EXPECT_FALSE(span.contains("droppedEventsCount"));
  EXPECT_FALSE(span.contains("droppedLinksCount"));
}

TEST_F(OtlpJsonTest, DroppedEventsAndLinksCountsArePresentWhenNonZero) {
  span_->dropped_events_count = 2;
  span_->dropped_links_count = 3;
  const json span = encode_one(span_);
  EXPECT_EQ(span["droppedEventsCount"], 2);
  EXPECT_EQ(span["droppedLinksCount"], 3);
}

// --- events and links -------------------------------------------------------------------------

TEST_F(OtlpJsonTest, EventsCarryTimeNameAndAttributes) {
  span_->events.push_back(
      SpanEvent{"retry", 1700000000500000001ULL, {{"attempt", AttributeValue{std::int64_t{2}}}}, 1});
  const json events = encode_one(span_)["events"];
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0]["timeUnixNano"], "1700000000500000001");
  EXPECT_EQ(events[0]["name"], "retry");
  EXPECT_EQ(attribute(events[0]["attributes"], "attempt"), json::parse(R"({"intValue":"2"})"));
  EXPECT_EQ(events[0]["droppedAttributesCount"], 1);
}

TEST_F(OtlpJsonTest, LinksCarryIdsAttributesAndFlags) {
  const SpanContext target(trace_id(kLinkTraceHex), span_id(kLinkSpanHex), TraceFlags{TraceFlags::kSampled}, false);
  span_->links.push_back(SpanLink{target, {{"why", AttributeValue{std::string("batch")}}}, 0});
  const json links = encode_one(span_)["links"];
  ASSERT_EQ(links.size(), 1U);
  EXPECT_EQ(links[0]["traceId"], kLinkTraceHex);
  EXPECT_EQ(links[0]["spanId"], kLinkSpanHex);
  EXPECT_EQ(attribute(links[0]["attributes"], "why"), json::parse(R"({"stringValue":"batch"})"));
  EXPECT_EQ(links[0]["flags"], 0x101);
}

TEST_F(OtlpJsonTest, LinkToRemoteContextSetsTheRemoteFlagBits) {
  const SpanContext target(trace_id(kLinkTraceHex), span_id(kLinkSpanHex), TraceFlags{0}, true);
  span_->links.push_back(SpanLink{target, {}, 0});
  EXPECT_EQ(encode_one(span_)["links"][0]["flags"], 0x300);
}

// --- status, flags, trace state ---------------------------------------------------------------

TEST_F(OtlpJsonTest, ErrorStatusHasIntegerCodeAndMessage) {
  span_->status = Status{StatusCode::error, "card declined"};
  const json status = encode_one(span_)["status"];
  ASSERT_TRUE(status["code"].is_number_integer());
  EXPECT_EQ(status["code"], 2);
  EXPECT_EQ(status["message"], "card declined");
}

TEST_F(OtlpJsonTest, OkStatusHasCodeOne) {
  span_->status = Status{StatusCode::ok, ""};
  const json status = encode_one(span_)["status"];
  EXPECT_EQ(status["code"], 1);
  EXPECT_FALSE(status.contains("message"));
}

TEST_F(OtlpJsonTest, UnsetStatusHasCodeZeroOrNone) {
  const json status = encode_one(span_)["status"];
  EXPECT_TRUE(!status.contains("code") || status["code"] == 0);
}

TEST_F(OtlpJsonTest, FlagsOfSampledSpanWithLocalParent) {
  span_->parent_span_id = span_id(kParentHex);
  EXPECT_EQ(encode_one(span_)["flags"], 0x101);
}

TEST_F(OtlpJsonTest, FlagsOfUnsampledSpan) {
  span_->context = SpanContext(trace_id(kTraceHex), span_id(kSpanHex), TraceFlags{0}, false);
  EXPECT_EQ(encode_one(span_)["flags"], 0x100);
}

TEST_F(OtlpJsonTest, FlagsMarkARemoteParent) {
  span_->parent_span_id = span_id(kParentHex);
  span_->parent_is_remote = true;
  EXPECT_EQ(encode_one(span_)["flags"], 0x301);
}

TEST_F(OtlpJsonTest, TraceStateIsCarriedWhenSet) {
  auto state = std::make_shared<const TraceState>(
      std::vector<TraceState::Member>{{"congo", "t61rcWkgMzE"}, {"rojo", "00f067aa0ba902b7"}});
  span_->context = SpanContext(trace_id(kTraceHex), span_id(kSpanHex), TraceFlags{TraceFlags::kSampled}, false, state);
  EXPECT_EQ(encode_one(span_)["traceState"], "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
}

TEST_F(OtlpJsonTest, TraceStateIsAbsentWhenEmpty) {
  const json span = encode_one(span_);
  EXPECT_TRUE(!span.contains("traceState") || span["traceState"] == "");
}

// --- strings ----------------------------------------------------------------------------------

TEST_F(OtlpJsonTest, StringsWithQuotesBackslashesAndControlCharactersRoundTrip) {
  const std::string tricky = std::string("say \"hi\" \\ path\nline\ttab\rcr\b\f") + std::string("\x00\x01\x1f\x7f", 4) +
                             "h\xC3\xA9 \xF0\x9F\x98\x80 </script>";
  span_->name = tricky;
  span_->attributes.push_back({tricky, AttributeValue{tricky}});
  const json span = encode_one(span_);
  EXPECT_EQ(span["name"].get<std::string>(), tricky);
  ASSERT_EQ(span["attributes"].size(), 1U);
  EXPECT_EQ(span["attributes"][0]["key"].get<std::string>(), tricky);
  EXPECT_EQ(span["attributes"][0]["value"]["stringValue"].get<std::string>(), tricky);
}

TEST_F(OtlpJsonTest, InvalidUtf8InResourceAttributeStillYieldsValidJson) {
  auto resource = std::make_shared<const Resource>(Attributes{{"bad\xff", AttributeValue{std::string("x\xc0\xafy")}},
                                                              {"service.name", AttributeValue{std::string("svc")}}});
  span_->resource = resource;
  std::string out;
  encode_otlp_json({span_}, out);
  json request;
  ASSERT_NO_THROW(request = json::parse(out));
  const json attributes = request["resourceSpans"][0]["resource"]["attributes"];
  EXPECT_EQ(attribute(attributes, "bad\xEF\xBF\xBD"), json::parse("{\"stringValue\":\"x\xEF\xBF\xBD\xEF\xBF\xBDy\"}"));
}

// --- grouping ---------------------------------------------------------------------------------

// Two real providers (two resources), the first with two tracers (two scopes).
TEST(OtlpJsonGroupingTest, GroupsSpansByResourceThenScope) {
  auto make_provider = [](const std::string& service) {
    ProviderOptions options;
    options.resource = Resource(Attributes{{"service.name", AttributeValue{service}}});
    options.limits = SpanLimits{};
    return test::make_in_memory_provider(std::move(options), "scope-1", "1.0");
  };
  const test::InMemoryProvider provider_a = make_provider("service-a");
  const test::InMemoryProvider provider_b = make_provider("service-b");
  auto tracer_a1 = provider_a.tracer;
  auto tracer_a2 = provider_a.provider->get_tracer("scope-2");
  auto tracer_b1 = provider_b.tracer;

  tracer_a1->start_span("a1-first").end();
  tracer_b1->start_span("b1").end();
  tracer_a2->start_span("a2").end();
  tracer_a1->start_span("a1-second").end();

  // Interleave the providers' spans in end order.
  const auto a = provider_a.exporter->spans();
  const auto b = provider_b.exporter->spans();
  ASSERT_EQ(a.size(), 3U);
  ASSERT_EQ(b.size(), 1U);
  const json request = encode({a[0], b[0], a[1], a[2]});

  const json& resource_spans = request["resourceSpans"];
  ASSERT_EQ(resource_spans.size(), 2U);
  EXPECT_EQ(attribute(resource_spans[0]["resource"]["attributes"], "service.name")["stringValue"], "service-a");
  EXPECT_EQ(attribute(resource_spans[1]["resource"]["attributes"], "service.name")["stringValue"], "service-b");

  const json& scopes_a = resource_spans[0]["scopeSpans"];
  ASSERT_EQ(scopes_a.size(), 2U);
  EXPECT_EQ(scopes_a[0]["scope"]["name"], "scope-1");
  ASSERT_EQ(scopes_a[0]["spans"].size(), 2U);
  EXPECT_EQ(scopes_a[0]["spans"][0]["name"], "a1-first");
  EXPECT_EQ(scopes_a[0]["spans"][1]["name"], "a1-second");
  EXPECT_EQ(scopes_a[1]["scope"]["name"], "scope-2");
  ASSERT_EQ(scopes_a[1]["spans"].size(), 1U);
  EXPECT_EQ(scopes_a[1]["spans"][0]["name"], "a2");

  const json& scopes_b = resource_spans[1]["scopeSpans"];
  ASSERT_EQ(scopes_b.size(), 1U);
  ASSERT_EQ(scopes_b[0]["spans"].size(), 1U);
  EXPECT_EQ(scopes_b[0]["spans"][0]["name"], "b1");
}

}  // namespace
}  // namespace honeyhive
