#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/ids.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/span_limits.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/in_memory_provider.hpp"

namespace honeyhive {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// One provider with an in-memory exporter and the given limits.
class AttributeLimitsTest : public ::testing::Test {
 protected:
  void start(const SpanLimits& limits) {
    ProviderOptions options;
    options.limits = limits;
    traced_ = test::make_in_memory_provider(std::move(options), "attributes_test");
  }

  // Ends `span` and returns what was exported for it.
  SpanDataPtr finish(Span& span) {
    span.end();
    return traced_.last_span();
  }

  // Sets one string attribute under `limits` and returns the stored value.
  std::string stored_string(const SpanLimits& limits, const std::string& value) {
    start(limits);
    auto span = traced_.tracer->start_span("s");
    span.set_attribute("k", value);
    const SpanDataPtr data = finish(span);
    const auto* text = data ? std::get_if<std::string>(data->find_attribute("k")) : nullptr;
    return text ? *text : std::string("<missing>");
  }

  test::InMemoryProvider traced_;
};

std::string repeated_replacement(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += kReplacement;
  return out;
}

// A text type whose conversion to std::string_view throws.
struct ThrowingText {
  operator std::string_view() const { throw std::runtime_error("no text"); }  // NOLINT(google-explicit-constructor)
};

TEST_F(AttributeLimitsTest, ATextConversionThatThrowsSkipsOnlyThatAttribute) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("bad", ThrowingText{});
  span.set_attribute("good", 1);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->find_attribute("bad"), nullptr);
  ASSERT_NE(data->find_attribute("good"), nullptr);
  EXPECT_EQ(data->attributes.size(), 1U);
}

// set_attribute's scalar paths store the same types make_attribute_value would build.
TEST_F(AttributeLimitsTest, ScalarsKeepTheirTypesThroughSetAttribute) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("flag", true);
  span.set_attribute("small", std::uint32_t{4000000000U});
  span.set_attribute("negative", -7);
  span.set_attribute("huge", std::uint64_t{UINT64_MAX});
  span.set_attribute("real", 0.25F);
  span.set_attribute("retyped", "text first");
  span.set_attribute("retyped", 3);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(*data->find_attribute("flag"), AttributeValue{true});
  EXPECT_EQ(*data->find_attribute("small"), AttributeValue{std::int64_t{4000000000}});
  EXPECT_EQ(*data->find_attribute("negative"), AttributeValue{std::int64_t{-7}});
  EXPECT_EQ(*data->find_attribute("huge"), AttributeValue{std::string("18446744073709551615")});
  EXPECT_EQ(*data->find_attribute("real"), AttributeValue{0.25});
  EXPECT_EQ(*data->find_attribute("retyped"), AttributeValue{std::int64_t{3}});
  EXPECT_EQ(data->attributes.size(), 6U);
}

// --- make_attribute_value ---------------------------------------------------------------------

TEST(MakeAttributeValueTest, StringLiteralBecomesStringNotBool) {
  const AttributeValue value = make_attribute_value("hello");
  ASSERT_TRUE(std::holds_alternative<std::string>(value));
  EXPECT_EQ(std::get<std::string>(value), "hello");
}

TEST(MakeAttributeValueTest, ConstCharPointerBecomesString) {
  const char* text = "pointer";
  const AttributeValue value = make_attribute_value(text);
  ASSERT_TRUE(std::holds_alternative<std::string>(value));
  EXPECT_EQ(std::get<std::string>(value), "pointer");
}

TEST(MakeAttributeValueTest, NullConstCharPointerBecomesEmptyString) {
  const char* text = nullptr;
  const AttributeValue value = make_attribute_value(text);
  ASSERT_TRUE(std::holds_alternative<std::string>(value));
  EXPECT_EQ(std::get<std::string>(value), "");
}

TEST(MakeAttributeValueTest, StringViewBecomesString) {
  const std::string backing = "view-of-this";
  const AttributeValue value = make_attribute_value(std::string_view(backing).substr(0, 4));
  ASSERT_TRUE(std::holds_alternative<std::string>(value));
  EXPECT_EQ(std::get<std::string>(value), "view");
}

TEST(MakeAttributeValueTest, StdStringStaysString) {
  const AttributeValue value = make_attribute_value(std::string("owned"));
  ASSERT_TRUE(std::holds_alternative<std::string>(value));
  EXPECT_EQ(std::get<std::string>(value), "owned");
}

TEST(MakeAttributeValueTest, BoolStaysBool) {
  const AttributeValue value = make_attribute_value(true);
  ASSERT_TRUE(std::holds_alternative<bool>(value));
  EXPECT_TRUE(std::get<bool>(value));
}

TEST(MakeAttributeValueTest, IntBecomesInt64) {
  const AttributeValue value = make_attribute_value(-42);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(value));
  EXPECT_EQ(std::get<std::int64_t>(value), -42);
}

TEST(MakeAttributeValueTest, LongBecomesInt64) {
  const AttributeValue value = make_attribute_value(-1234567890123L);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(value));
  EXPECT_EQ(std::get<std::int64_t>(value), -1234567890123LL);
}

TEST(MakeAttributeValueTest, UnsignedBecomesInt64) {
  const AttributeValue value = make_attribute_value(4000000000U);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(value));
  EXPECT_EQ(std::get<std::int64_t>(value), 4000000000LL);
}

TEST(MakeAttributeValueTest, Uint64AtInt64MaxStaysInt64) {
  const AttributeValue value = make_attribute_value(static_cast<std::uint64_t>(INT64_MAX));
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(value));
  EXPECT_EQ(std::get<std::int64_t>(value), INT64_MAX);
}

TEST(MakeAttributeValueTest, Uint64AboveInt64MaxBecomesDecimalString) {
  const AttributeValue value = make_attribute_value(static_cast<std::uint64_t>(INT64_MAX) + 1U);
  ASSERT_TRUE(std::holds_alternative<std::string>(value));
  EXPECT_EQ(std::get<std::string>(value), "9223372036854775808");
}

TEST(MakeAttributeValueTest, Uint64MaxBecomesDecimalString) {
  const AttributeValue value = make_attribute_value(UINT64_MAX);
  ASSERT_TRUE(std::holds_alternative<std::string>(value));
  EXPECT_EQ(std::get<std::string>(value), "18446744073709551615");
}

TEST(MakeAttributeValueTest, FloatBecomesDouble) {
  const AttributeValue value = make_attribute_value(1.5F);
  ASSERT_TRUE(std::holds_alternative<double>(value));
  EXPECT_EQ(std::get<double>(value), 1.5);
}

TEST(MakeAttributeValueTest, VectorOfIntBecomesInt64Array) {
  const AttributeValue value = make_attribute_value(std::vector<int>{1, -2, 3});
  ASSERT_TRUE(std::holds_alternative<std::vector<std::int64_t>>(value));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(value), (std::vector<std::int64_t>{1, -2, 3}));
}

TEST(MakeAttributeValueTest, VectorOfLongBecomesInt64Array) {
  const AttributeValue value = make_attribute_value(std::vector<long>{10L, 20L});
  ASSERT_TRUE(std::holds_alternative<std::vector<std::int64_t>>(value));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(value), (std::vector<std::int64_t>{10, 20}));
}

TEST(MakeAttributeValueTest, VectorOfFloatBecomesDoubleArray) {
  const AttributeValue value = make_attribute_value(std::vector<float>{0.5F, 2.25F});
  ASSERT_TRUE(std::holds_alternative<std::vector<double>>(value));
  EXPECT_EQ(std::get<std::vector<double>>(value), (std::vector<double>{0.5, 2.25}));
}

TEST(MakeAttributeValueTest, VectorOfConstCharPointerBecomesStringArray) {
  const AttributeValue value = make_attribute_value(std::vector<const char*>{"a", "bc"});
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string>>(value));
  EXPECT_EQ(std::get<std::vector<std::string>>(value), (std::vector<std::string>{"a", "bc"}));
}

TEST(MakeAttributeValueTest, VectorOfStringViewBecomesStringArray) {
  const AttributeValue value = make_attribute_value(std::vector<std::string_view>{"x", "yz"});
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string>>(value));
  EXPECT_EQ(std::get<std::vector<std::string>>(value), (std::vector<std::string>{"x", "yz"}));
}

TEST(MakeAttributeValueTest, VectorOfBoolStaysBoolArray) {
  const AttributeValue value = make_attribute_value(std::vector<bool>{true, false});
  ASSERT_TRUE(std::holds_alternative<std::vector<bool>>(value));
  EXPECT_EQ(std::get<std::vector<bool>>(value), (std::vector<bool>{true, false}));
}

// --- attribute count --------------------------------------------------------------------------

TEST_F(AttributeLimitsTest, OverwritesExistingKeyInPlace) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("a", 1);
  span.set_attribute("b", 2);
  span.set_attribute("a", "three");
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 2U);
  EXPECT_EQ(data->attributes[0], (Attribute{"a", AttributeValue{std::string("three")}}));
  EXPECT_EQ(data->attributes[1], (Attribute{"b", AttributeValue{std::int64_t{2}}}));
}

// set_attribute_texts is as many set_attribute_text calls, in order: the same repairs, truncation,
// overwrites and count limit, with the same result.
TEST_F(AttributeLimitsTest, SetAttributeTextsRecordsWhatAsManySetAttributeTextCallsDo) {
  SpanLimits limits;
  limits.attribute_count = 3;
  limits.attribute_value_length = 4;
  const std::vector<TextAttribute> texts = {{"a", "first"},   {"b\xFF", "ok"},      {"a", "x\xC3"},      {"c", "three"},
                                            {"d", "dropped"}, {"e", "dropped too"}, {"b\xFF", "again!!"}};
  start(limits);
  auto batched = traced_.tracer->start_span("s");
  batched.set_attribute_texts(texts.data(), texts.size());
  const SpanDataPtr from_batch = finish(batched);
  auto one_by_one = traced_.tracer->start_span("s");
  for (const auto& text : texts) one_by_one.set_attribute_text(text.key, text.value);
  const SpanDataPtr from_calls = finish(one_by_one);
  ASSERT_NE(from_batch, nullptr);
  ASSERT_NE(from_calls, nullptr);

  const std::string repaired_b = "b" + std::string(kReplacement);
  ASSERT_EQ(from_batch->attributes.size(), 3U);
  EXPECT_EQ(from_batch->attributes[0], (Attribute{"a", AttributeValue{"x" + std::string(kReplacement)}}));
  EXPECT_EQ(from_batch->attributes[1], (Attribute{repaired_b, AttributeValue{std::string("agai")}}));
  EXPECT_EQ(from_batch->attributes[2], (Attribute{"c", AttributeValue{std::string("thre")}}));
  EXPECT_EQ(from_batch->dropped_attributes_count, 2U);
  EXPECT_EQ(from_batch->attributes, from_calls->attributes);
  EXPECT_EQ(from_batch->dropped_attributes_count, from_calls->dropped_attributes_count);
}

TEST_F(AttributeLimitsTest, SetAttributeTextsWritesNothingOnAnEndedSpanOrFromAnEmptyList) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute_texts(nullptr, 3);
  span.set_attribute_texts({});
  span.set_attribute_texts({{"kept", "yes"}});
  span.end();
  span.set_attribute_texts({{"late", "no"}, {"kept", "overwritten"}});
  const SpanDataPtr data = traced_.last_span();
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0], (Attribute{"kept", AttributeValue{std::string("yes")}}));
}

TEST_F(AttributeLimitsTest, OverwriteAtTheCountLimitIsNotCountedAsDropped) {
  SpanLimits limits;
  limits.attribute_count = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("a", 1);
  span.set_attribute("b", 2);
  span.set_attribute("a", 10);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->dropped_attributes_count, 0U);
  ASSERT_NE(data->find_attribute("a"), nullptr);
  EXPECT_EQ(*data->find_attribute("a"), AttributeValue{std::int64_t{10}});
}

TEST_F(AttributeLimitsTest, DropsAndCountsNewKeysPastTheCountLimit) {
  SpanLimits limits;
  limits.attribute_count = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("a", 1);
  span.set_attribute("b", 2);
  span.set_attribute("c", 3);
  span.set_attribute("d", 4);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 2U);
  EXPECT_EQ(data->attributes[0].key, "a");
  EXPECT_EQ(data->attributes[1].key, "b");
  EXPECT_EQ(data->dropped_attributes_count, 2U);
}

TEST_F(AttributeLimitsTest, OverwritesAttributeWhoseKeyWasRepaired) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("bad\xff", 1);
  span.set_attribute("bad\xff", 2);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U) << "the same key set twice must not produce duplicate keys";
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::int64_t{2}});
}

// --- value length -----------------------------------------------------------------------------

TEST_F(AttributeLimitsTest, TruncatesAsciiStringToTheValueLengthLimit) {
  SpanLimits limits;
  limits.attribute_value_length = 3;
  EXPECT_EQ(stored_string(limits, "abcdef"), "abc");
}

TEST_F(AttributeLimitsTest, TruncatesByCodePointsNotBytes) {
  SpanLimits limits;
  limits.attribute_value_length = 3;
  EXPECT_EQ(stored_string(limits, "h\xC3\xA9llo"), "h\xC3\xA9l");  // "héllo" -> "hél"
}

TEST_F(AttributeLimitsTest, TruncatesFourByteCodePointsWhole) {
  SpanLimits limits;
  limits.attribute_value_length = 2;
  // "😀😁😂" -> "😀😁"
  EXPECT_EQ(stored_string(limits, "\xF0\x9F\x98\x80\xF0\x9F\x98\x81\xF0\x9F\x98\x82"),
            "\xF0\x9F\x98\x80\xF0\x9F\x98\x81");
}

TEST_F(AttributeLimitsTest, KeepsMultiByteStringWithinTheLimitWhole) {
  SpanLimits limits;
  limits.attribute_value_length = 2;
  // Six bytes but two code points: "日本".
  EXPECT_EQ(stored_string(limits, "\xE6\x97\xA5\xE6\x9C\xAC"), "\xE6\x97\xA5\xE6\x9C\xAC");
}

TEST_F(AttributeLimitsTest, TruncatesEachElementOfAStringArray) {
  SpanLimits limits;
  limits.attribute_value_length = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("k", std::vector<std::string>{"abc", "h\xC3\xA9llo", "x", "\xF0\x9F\x98\x80\xF0\x9F\x98\x81!"});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  const auto* items = std::get_if<std::vector<std::string>>(data->find_attribute("k"));
  ASSERT_NE(items, nullptr);
  EXPECT_EQ(*items, (std::vector<std::string>{"ab", "h\xC3\xA9", "x", "\xF0\x9F\x98\x80\xF0\x9F\x98\x81"}));
}

TEST_F(AttributeLimitsTest, ValueLengthLimitAppliesOnOverwrite) {
  SpanLimits limits;
  limits.attribute_value_length = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("k", "ab");
  span.set_attribute("k", "wxyz");
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(*data->find_attribute("k"), AttributeValue{std::string("wx")});
}

TEST_F(AttributeLimitsTest, ValueLengthLimitLeavesNonStringValuesAlone) {
  SpanLimits limits;
  limits.attribute_value_length = 1;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("n", 123456);
  span.set_attribute("d", 3.25);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(*data->find_attribute("n"), AttributeValue{std::int64_t{123456}});
  EXPECT_EQ(*data->find_attribute("d"), AttributeValue{3.25});
}

// --- UTF-8 repair -----------------------------------------------------------------------------

TEST_F(AttributeLimitsTest, RepairsLoneInvalidByteInValue) {
  EXPECT_EQ(stored_string(SpanLimits{},
                          "a\xff"
                          "b"),
            "a" + std::string(kReplacement) + "b");
}

TEST_F(AttributeLimitsTest, RepairsTruncatedSequenceInValueWithOneReplacement) {
  EXPECT_EQ(stored_string(SpanLimits{}, "x\xe2\x82"), "x" + std::string(kReplacement));
}

TEST_F(AttributeLimitsTest, RepairsOverlongEncodingInValue) {
  EXPECT_EQ(stored_string(SpanLimits{}, "\xc0\xaf"), repeated_replacement(2));
}

TEST_F(AttributeLimitsTest, RepairsEncodedSurrogateInValue) {
  EXPECT_EQ(stored_string(SpanLimits{}, "\xed\xa0\x80"), repeated_replacement(3));
}

TEST_F(AttributeLimitsTest, PassesValidUtf8ValueUnchanged) {
  const std::string valid = "h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(stored_string(SpanLimits{}, valid), valid);
}

TEST_F(AttributeLimitsTest, RepairsInvalidUtf8InEachStringArrayElement) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("k", std::vector<std::string>{"ok", "\xff", "\xed\xa0\x80"});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  const auto* items = std::get_if<std::vector<std::string>>(data->find_attribute("k"));
  ASSERT_NE(items, nullptr);
  EXPECT_EQ(*items, (std::vector<std::string>{"ok", repeated_replacement(1), repeated_replacement(3)}));
}

TEST_F(AttributeLimitsTest, RepairsInvalidUtf8InKey) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("key\xc0\xaf", 1);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, "key" + repeated_replacement(2));
}

TEST_F(AttributeLimitsTest, TruncationCountsAReplacementAsOneCodePoint) {
  SpanLimits limits;
  limits.attribute_value_length = 2;
  EXPECT_EQ(stored_string(limits,
                          "\xff"
                          "abc"),
            std::string(kReplacement) + "a");
}

// --- events -----------------------------------------------------------------------------------

TEST_F(AttributeLimitsTest, DropsAndCountsEventsPastTheEventLimit) {
  SpanLimits limits;
  limits.event_count = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.add_event("e1");
  span.add_event("e2");
  span.add_event("e3");
  span.add_event("e4");
  span.add_event("e5");
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->events.size(), 2U);
  EXPECT_EQ(data->events[0].name, "e1");
  EXPECT_EQ(data->events[1].name, "e2");
  EXPECT_EQ(data->dropped_events_count, 3U);
}

TEST_F(AttributeLimitsTest, CountsDroppedEventAttributesOnTheEvent) {
  SpanLimits limits;
  limits.event_attribute_count = 1;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.add_event("e", Attributes{{"a", AttributeValue{std::int64_t{1}}},
                                 {"b", AttributeValue{std::int64_t{2}}},
                                 {"c", AttributeValue{std::int64_t{3}}}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->events.size(), 1U);
  ASSERT_EQ(data->events[0].attributes.size(), 1U);
  EXPECT_EQ(data->events[0].attributes[0].key, "a");
  EXPECT_EQ(data->events[0].dropped_attributes_count, 2U);
  EXPECT_EQ(data->dropped_attributes_count, 0U);
}

TEST_F(AttributeLimitsTest, AppliesValueLengthAndRepairToEventAttributes) {
  SpanLimits limits;
  limits.attribute_value_length = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.add_event("e", Attributes{{"a", AttributeValue{std::string("\xff"
                                                                  "bcd")}}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->events.size(), 1U);
  ASSERT_EQ(data->events[0].attributes.size(), 1U);
  EXPECT_EQ(data->events[0].attributes[0].value, AttributeValue{std::string(kReplacement) + "b"});
}

// --- links ------------------------------------------------------------------------------------

SpanContext some_context(std::uint8_t seed) {
  std::array<std::uint8_t, TraceId::kSize> trace{};
  std::array<std::uint8_t, SpanId::kSize> span{};
  trace.fill(seed);
  span.fill(seed);
  return SpanContext(TraceId(trace), SpanId(span), TraceFlags{TraceFlags::kSampled}, true);
}

TEST_F(AttributeLimitsTest, DropsAndCountsLinksPastTheLinkLimit) {
  SpanLimits limits;
  limits.link_count = 1;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.add_link(some_context(1));
  span.add_link(some_context(2));
  span.add_link(some_context(3));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->links.size(), 1U);
  EXPECT_EQ(data->links[0].context, some_context(1));
  EXPECT_EQ(data->dropped_links_count, 2U);
}

TEST_F(AttributeLimitsTest, CountsDroppedLinkAttributesOnTheLink) {
  SpanLimits limits;
  limits.link_attribute_count = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.add_link(some_context(1),
                Attributes{{"a", AttributeValue{true}}, {"b", AttributeValue{false}}, {"c", AttributeValue{true}}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->links.size(), 1U);
  ASSERT_EQ(data->links[0].attributes.size(), 2U);
  EXPECT_EQ(data->links[0].attributes[0].key, "a");
  EXPECT_EQ(data->links[0].attributes[1].key, "b");
  EXPECT_EQ(data->links[0].dropped_attributes_count, 1U);
}

TEST_F(AttributeLimitsTest, AppliesLinkLimitToLinksGivenAtStart) {
  SpanLimits limits;
  limits.link_count = 1;
  start(limits);
  StartSpanOptions options;
  options.links.push_back(SpanLink{some_context(1), {}, 0});
  options.links.push_back(SpanLink{some_context(2), {}, 0});
  auto span = traced_.tracer->start_span("s", options);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->links.size(), 1U);
  EXPECT_EQ(data->dropped_links_count, 1U);
}

}  // namespace
}  // namespace honeyhive
