#include <gtest/gtest.h>

#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/core/span_limits.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

constexpr const char* kLimitVariables[] = {
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",   "OTEL_ATTRIBUTE_COUNT_LIMIT",      "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT",     "OTEL_SPAN_LINK_COUNT_LIMIT",
    "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",  "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
};

// Unsets every limit variable for each test (restored afterwards) and captures diagnostics.
class SpanLimitsEnvTest : public ::testing::Test {
 protected:
  SpanLimitsEnvTest() {
    for (const char* name : kLimitVariables) env_.unset(name);
  }

  test::ScopedEnv env_;
  test::DiagnosticsCapture diagnostics_{DiagnosticLevel::debug};
};

TEST_F(SpanLimitsEnvTest, DefaultsWhenNothingIsSet) {
  const SpanLimits limits = SpanLimits::from_env();
  const SpanLimits defaults;
  EXPECT_EQ(limits.attribute_count, 128U);
  EXPECT_EQ(limits.attribute_value_length, SpanLimits::kUnlimited);
  EXPECT_EQ(limits.event_count, 128U);
  EXPECT_EQ(limits.link_count, 128U);
  EXPECT_EQ(limits.event_attribute_count, 128U);
  EXPECT_EQ(limits.link_attribute_count, 128U);
  EXPECT_EQ(limits.structured_max_depth, defaults.structured_max_depth);
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanAttributeCountLimit) {
  env_.set("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "7");
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 7U);
}

TEST_F(SpanLimitsEnvTest, FallsBackToTheGeneralAttributeCountLimit) {
  env_.set("OTEL_ATTRIBUTE_COUNT_LIMIT", "9");
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 9U);
}

TEST_F(SpanLimitsEnvTest, SpanAttributeCountLimitWinsOverTheGeneralOne) {
  env_.set("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "7");
  env_.set("OTEL_ATTRIBUTE_COUNT_LIMIT", "9");
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 7U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanAttributeValueLengthLimit) {
  env_.set("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64");
  EXPECT_EQ(SpanLimits::from_env().attribute_value_length, 64U);
}

TEST_F(SpanLimitsEnvTest, FallsBackToTheGeneralAttributeValueLengthLimit) {
  env_.set("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "32");
  EXPECT_EQ(SpanLimits::from_env().attribute_value_length, 32U);
}

TEST_F(SpanLimitsEnvTest, SpanAttributeValueLengthLimitWinsOverTheGeneralOne) {
  env_.set("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64");
  env_.set("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "32");
  EXPECT_EQ(SpanLimits::from_env().attribute_value_length, 64U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanEventCountLimit) {
  env_.set("OTEL_SPAN_EVENT_COUNT_LIMIT", "3");
  EXPECT_EQ(SpanLimits::from_env().event_count, 3U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanLinkCountLimit) {
  env_.set("OTEL_SPAN_LINK_COUNT_LIMIT", "4");
  EXPECT_EQ(SpanLimits::from_env().link_count, 4U);
}

TEST_F(SpanLimitsEnvTest, ReadsEventAttributeCountLimit) {
  env_.set("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "5");
  EXPECT_EQ(SpanLimits::from_env().event_attribute_count, 5U);
}

TEST_F(SpanLimitsEnvTest, ReadsLinkAttributeCountLimit) {
  env_.set("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "6");
  EXPECT_EQ(SpanLimits::from_env().link_attribute_count, 6U);
}

TEST_F(SpanLimitsEnvTest, GeneralAttributeCountLimitDoesNotApplyToEventsOrLinks) {
  env_.set("OTEL_ATTRIBUTE_COUNT_LIMIT", "9");
  const SpanLimits limits = SpanLimits::from_env();
  EXPECT_EQ(limits.event_attribute_count, 128U);
  EXPECT_EQ(limits.link_attribute_count, 128U);
}

TEST_F(SpanLimitsEnvTest, ZeroIsAValidLimit) {
  env_.set("OTEL_SPAN_EVENT_COUNT_LIMIT", "0");
  EXPECT_EQ(SpanLimits::from_env().event_count, 0U);
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(SpanLimitsEnvTest, SurroundingWhitespaceIsIgnored) {
  env_.set("OTEL_SPAN_LINK_COUNT_LIMIT", " 12 ");
  EXPECT_EQ(SpanLimits::from_env().link_count, 12U);
}

TEST_F(SpanLimitsEnvTest, NonNumericValueKeepsTheDefaultAndReports) {
  env_.set("OTEL_SPAN_EVENT_COUNT_LIMIT", "abc");
  EXPECT_EQ(SpanLimits::from_env().event_count, 128U);
  EXPECT_EQ(diagnostics_.count(), 1U);
  EXPECT_TRUE(diagnostics_.mentions("OTEL_SPAN_EVENT_COUNT_LIMIT"));
}

TEST_F(SpanLimitsEnvTest, NegativeValueKeepsTheDefaultAndReports) {
  env_.set("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-1");
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 128U);
  EXPECT_EQ(diagnostics_.count(), 1U);
  EXPECT_TRUE(diagnostics_.mentions("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"));
}

TEST_F(SpanLimitsEnvTest, ValueWithTrailingGarbageKeepsTheDefaultAndReports) {
  env_.set("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "12x");
  EXPECT_EQ(SpanLimits::from_env().link_attribute_count, 128U);
  EXPECT_EQ(diagnostics_.count(), 1U);
}

TEST_F(SpanLimitsEnvTest, OverflowingValueKeepsTheDefaultAndReports) {
  env_.set("OTEL_SPAN_LINK_COUNT_LIMIT", "99999999999999999999999");
  EXPECT_EQ(SpanLimits::from_env().link_count, 128U);
  EXPECT_EQ(diagnostics_.count(), 1U);
}

TEST_F(SpanLimitsEnvTest, InvalidValueDoesNotAffectOtherLimits) {
  env_.set("OTEL_SPAN_EVENT_COUNT_LIMIT", "abc");
  env_.set("OTEL_SPAN_LINK_COUNT_LIMIT", "4");
  const SpanLimits limits = SpanLimits::from_env();
  EXPECT_EQ(limits.event_count, 128U);
  EXPECT_EQ(limits.link_count, 4U);
}

}  // namespace
}  // namespace honeyhive
