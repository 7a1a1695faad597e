#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/core/span_limits.hpp"

namespace honeyhive {
namespace {

constexpr const char* kLimitVariables[] = {
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",   "OTEL_ATTRIBUTE_COUNT_LIMIT",      "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT",     "OTEL_SPAN_LINK_COUNT_LIMIT",
    "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",  "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
};

// Diagnostic lines delivered to the handler, shared with the handler so it outlives the fixture.
struct CapturedDiagnostics {
  std::mutex mutex;
  std::vector<std::string> lines;
};

// Unsets every limit variable for each test and restores them after; captures diagnostics.
class SpanLimitsEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kLimitVariables) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value == nullptr ? std::nullopt : std::optional<std::string>(value));
      ::unsetenv(name);
    }
    set_diagnostic_level(DiagnosticLevel::debug);
    set_diagnostic_handler([captured = captured_](DiagnosticLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(captured->mutex);
      captured->lines.emplace_back(message);
    });
    diagnostics_before_ = total_diagnostics();
  }
  void TearDown() override {
    set_diagnostic_handler(nullptr);
    set_diagnostic_level(DiagnosticLevel::warning);
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name, value->c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }

  static std::uint64_t total_diagnostics() { return diagnostics_reported() + diagnostics_suppressed(); }
  std::uint64_t diagnostics_since_setup() const { return total_diagnostics() - diagnostics_before_; }

  // True when a delivered line mentions `needle`, or when the rate limit swallowed the text.
  bool diagnostic_mentions(std::string_view needle) const {
    std::lock_guard<std::mutex> lock(captured_->mutex);
    for (const auto& line : captured_->lines) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return captured_->lines.empty() && diagnostics_since_setup() > 0;
  }

  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
  std::shared_ptr<CapturedDiagnostics> captured_ = std::make_shared<CapturedDiagnostics>();
  std::uint64_t diagnostics_before_ = 0;
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
  EXPECT_EQ(diagnostics_since_setup(), 0U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanAttributeCountLimit) {
  ::setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "7", 1);
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 7U);
}

TEST_F(SpanLimitsEnvTest, FallsBackToTheGeneralAttributeCountLimit) {
  ::setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "9", 1);
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 9U);
}

TEST_F(SpanLimitsEnvTest, SpanAttributeCountLimitWinsOverTheGeneralOne) {
  ::setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "7", 1);
  ::setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "9", 1);
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 7U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanAttributeValueLengthLimit) {
  ::setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64", 1);
  EXPECT_EQ(SpanLimits::from_env().attribute_value_length, 64U);
}

TEST_F(SpanLimitsEnvTest, FallsBackToTheGeneralAttributeValueLengthLimit) {
  ::setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "32", 1);
  EXPECT_EQ(SpanLimits::from_env().attribute_value_length, 32U);
}

TEST_F(SpanLimitsEnvTest, SpanAttributeValueLengthLimitWinsOverTheGeneralOne) {
  ::setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64", 1);
  ::setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "32", 1);
  EXPECT_EQ(SpanLimits::from_env().attribute_value_length, 64U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanEventCountLimit) {
  ::setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "3", 1);
  EXPECT_EQ(SpanLimits::from_env().event_count, 3U);
}

TEST_F(SpanLimitsEnvTest, ReadsSpanLinkCountLimit) {
  ::setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "4", 1);
  EXPECT_EQ(SpanLimits::from_env().link_count, 4U);
}

TEST_F(SpanLimitsEnvTest, ReadsEventAttributeCountLimit) {
  ::setenv("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "5", 1);
  EXPECT_EQ(SpanLimits::from_env().event_attribute_count, 5U);
}

TEST_F(SpanLimitsEnvTest, ReadsLinkAttributeCountLimit) {
  ::setenv("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "6", 1);
  EXPECT_EQ(SpanLimits::from_env().link_attribute_count, 6U);
}

TEST_F(SpanLimitsEnvTest, GeneralAttributeCountLimitDoesNotApplyToEventsOrLinks) {
  ::setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "9", 1);
  const SpanLimits limits = SpanLimits::from_env();
  EXPECT_EQ(limits.event_attribute_count, 128U);
  EXPECT_EQ(limits.link_attribute_count, 128U);
}

TEST_F(SpanLimitsEnvTest, ZeroIsAValidLimit) {
  ::setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "0", 1);
  EXPECT_EQ(SpanLimits::from_env().event_count, 0U);
  EXPECT_EQ(diagnostics_since_setup(), 0U);
}

TEST_F(SpanLimitsEnvTest, SurroundingWhitespaceIsIgnored) {
  ::setenv("OTEL_SPAN_LINK_COUNT_LIMIT", " 12 ", 1);
  EXPECT_EQ(SpanLimits::from_env().link_count, 12U);
}

TEST_F(SpanLimitsEnvTest, NonNumericValueKeepsTheDefaultAndReports) {
  ::setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "abc", 1);
  EXPECT_EQ(SpanLimits::from_env().event_count, 128U);
  EXPECT_EQ(diagnostics_since_setup(), 1U);
  EXPECT_TRUE(diagnostic_mentions("OTEL_SPAN_EVENT_COUNT_LIMIT"));
}

TEST_F(SpanLimitsEnvTest, NegativeValueKeepsTheDefaultAndReports) {
  ::setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-1", 1);
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 128U);
  EXPECT_EQ(diagnostics_since_setup(), 1U);
  EXPECT_TRUE(diagnostic_mentions("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"));
}

TEST_F(SpanLimitsEnvTest, ValueWithTrailingGarbageKeepsTheDefaultAndReports) {
  ::setenv("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "12x", 1);
  EXPECT_EQ(SpanLimits::from_env().link_attribute_count, 128U);
  EXPECT_EQ(diagnostics_since_setup(), 1U);
}

TEST_F(SpanLimitsEnvTest, OverflowingValueKeepsTheDefaultAndReports) {
  ::setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "99999999999999999999999", 1);
  EXPECT_EQ(SpanLimits::from_env().link_count, 128U);
  EXPECT_EQ(diagnostics_since_setup(), 1U);
}

TEST_F(SpanLimitsEnvTest, InvalidValueDoesNotAffectOtherLimits) {
  ::setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "abc", 1);
  ::setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "4", 1);
  const SpanLimits limits = SpanLimits::from_env();
  EXPECT_EQ(limits.event_count, 128U);
  EXPECT_EQ(limits.link_count, 4U);
}

}  // namespace
}  // namespace honeyhive
