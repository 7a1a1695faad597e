// W3C Trace Context Level 2, section 3.2 (traceparent): the grammar, the versioning rules and
// the serialisation, including the cases the official harness (w3c/trace-context test/test.py)
// drives through a test service, re-stated here against the parser directly.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>

#include "honeyhive/core/ids.hpp"
#include "honeyhive/core/span_context.hpp"
#include "honeyhive/propagation/trace_context.hpp"

namespace honeyhive::trace_context {
namespace {

// The examples of section 3.2.4.
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParentId = "00f067aa0ba902b7";

std::string header(std::string_view version, std::string_view trace_id, std::string_view parent_id,
                   std::string_view flags) {
  std::string out(version);
  out += '-';
  out += trace_id;
  out += '-';
  out += parent_id;
  out += '-';
  out += flags;
  return out;
}

std::string valid_header(std::string_view flags = "01") { return header("00", kTraceId, kParentId, flags); }

SpanContext context_of(std::string_view trace_id, std::string_view span_id, std::uint8_t flags) {
  return SpanContext(*TraceId::from_hex(trace_id), *SpanId::from_hex(span_id), TraceFlags{flags}, /*remote=*/false);
}

// --- valid headers -------------------------------------------------------------------------

TEST(ParseTraceparentTest, ParsesVersion00Header) {
  const auto parsed = parse_traceparent(valid_header("01"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id().to_hex(), kTraceId);
  EXPECT_EQ(parsed->span_id().to_hex(), kParentId);
  EXPECT_TRUE(parsed->is_sampled());
}

TEST(ParseTraceparentTest, ParsedContextIsRemoteWithoutTraceState) {
  const auto parsed = parse_traceparent(valid_header());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_remote());
  EXPECT_TRUE(parsed->trace_state().empty());
}

TEST(ParseTraceparentTest, ReadsUnsampledFlags) {
  const auto parsed = parse_traceparent(valid_header("00"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->flags().sampled());
  EXPECT_FALSE(parsed->flags().random());
}

TEST(ParseTraceparentTest, ReadsRandomFlagWithoutSampled) {
  const auto parsed = parse_traceparent(valid_header("02"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->flags().sampled());
  EXPECT_TRUE(parsed->flags().random());
}

TEST(ParseTraceparentTest, ReadsFlagsAsBitsNotAsWholeNumber) {
  // Section 3.2.2.5: 0x09 has the sampled bit and an undefined bit; it is still "sampled".
  const auto parsed = parse_traceparent(valid_header("09"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->flags().sampled());
  EXPECT_FALSE(parsed->flags().random());
}

TEST(ParseTraceparentTest, AcceptsFutureVersionOfVersion00Length) {
  const auto parsed = parse_traceparent(header("cc", kTraceId, kParentId, "01"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id().to_hex(), kTraceId);
  EXPECT_EQ(parsed->span_id().to_hex(), kParentId);
  EXPECT_TRUE(parsed->is_sampled());
}

TEST(ParseTraceparentTest, AcceptsFutureVersionWithDashSeparatedSuffix) {
  const auto parsed = parse_traceparent(header("cc", kTraceId, kParentId, "01-what-the-future-will-be-like"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id().to_hex(), kTraceId);
  EXPECT_EQ(parsed->span_id().to_hex(), kParentId);
  EXPECT_TRUE(parsed->is_sampled());
}

TEST(ParseTraceparentTest, AcceptsVersionFe) {
  EXPECT_TRUE(parse_traceparent(header("fe", kTraceId, kParentId, "01")).has_value());
}

TEST(ParseTraceparentTest, TrimsLeadingSpace) { EXPECT_TRUE(parse_traceparent(" " + valid_header()).has_value()); }

TEST(ParseTraceparentTest, TrimsLeadingTab) { EXPECT_TRUE(parse_traceparent("\t" + valid_header()).has_value()); }

TEST(ParseTraceparentTest, TrimsTrailingSpace) { EXPECT_TRUE(parse_traceparent(valid_header() + " ").has_value()); }

TEST(ParseTraceparentTest, TrimsTrailingTab) { EXPECT_TRUE(parse_traceparent(valid_header() + "\t").has_value()); }

TEST(ParseTraceparentTest, TrimsMixedOwsOnBothSides) {
  const auto parsed = parse_traceparent("\t " + valid_header() + " \t");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id().to_hex(), kTraceId);
}

// --- invalid headers -----------------------------------------------------------------------

struct InvalidCase {
  const char* name;
  std::string value;
};

std::ostream& operator<<(std::ostream& out, const InvalidCase& c) { return out << c.name << " \"" << c.value << '"'; }

class RejectsTraceparentTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(RejectsTraceparentTest, ReturnsNoContext) { EXPECT_FALSE(parse_traceparent(GetParam().value).has_value()); }

std::string case_name(const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Version00Length, RejectsTraceparentTest,
                         ::testing::Values(InvalidCase{"TrailingDot", valid_header() + "."},
                                           InvalidCase{"TrailingDashSuffix",
                                                       valid_header() + "-what-the-future-will-be-like"},
                                           InvalidCase{"TrailingDash", valid_header() + "-"},
                                           InvalidCase{"TrailingCharacter", valid_header() + "0"}),
                         case_name);

INSTANTIATE_TEST_SUITE_P(FutureVersion, RejectsTraceparentTest,
                         ::testing::Values(InvalidCase{"DotSuffix", header("cc", kTraceId, kParentId,
                                                                           "01.what-the-future-will-be-like")},
                                           InvalidCase{"FlagsTooLong", header("cc", kTraceId, kParentId, "012")},
                                           InvalidCase{"FlagsTooShort", header("cc", kTraceId, kParentId, "1")},
                                           InvalidCase{"ShorterThan55", header("cc", kTraceId, kParentId, "")}),
                         case_name);

INSTANTIATE_TEST_SUITE_P(ForbiddenVersion, RejectsTraceparentTest,
                         ::testing::Values(InvalidCase{"VersionFf", header("ff", kTraceId, kParentId, "01")}),
                         case_name);

INSTANTIATE_TEST_SUITE_P(
    Uppercase, RejectsTraceparentTest,
    ::testing::Values(InvalidCase{"Version", header("CC", kTraceId, kParentId, "01")},
                      InvalidCase{"VersionOneDigit", header("0A", kTraceId, kParentId, "01")},
                      InvalidCase{"TraceIdAll", header("00", "4BF92F3577B34DA6A3CE929D0E0E4736", kParentId, "01")},
                      InvalidCase{"TraceIdOneDigit", header("00", "4bf92f3577b34da6a3ce929d0e0e473F", kParentId, "01")},
                      InvalidCase{"ParentIdAll", header("00", kTraceId, "00F067AA0BA902B7", "01")},
                      InvalidCase{"ParentIdOneDigit", header("00", kTraceId, "00f067aa0ba902bA", "01")},
                      InvalidCase{"Flags", header("00", kTraceId, kParentId, "0A")}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    IllegalCharacters, RejectsTraceparentTest,
    ::testing::Values(InvalidCase{"VersionFirst", header(".0", kTraceId, kParentId, "01")},
                      InvalidCase{"VersionSecond", header("0.", kTraceId, kParentId, "01")},
                      InvalidCase{"VersionNonHexLetter", header("0g", kTraceId, kParentId, "01")},
                      InvalidCase{"TraceIdFirst", header("00", ".2345678901234567890123456789012", kParentId, "01")},
                      InvalidCase{"TraceIdLast", header("00", "1234567890123456789012345678901.", kParentId, "01")},
                      InvalidCase{"TraceIdNonHexLetter",
                                  header("00", "1234567890123456z890123456789012", kParentId, "01")},
                      InvalidCase{"TraceIdSpace", header("00", "12345678901234 67890123456789012", kParentId, "01")},
                      InvalidCase{"ParentIdFirst", header("00", kTraceId, ".234567890123456", "01")},
                      InvalidCase{"ParentIdLast", header("00", kTraceId, "123456789012345.", "01")},
                      InvalidCase{"ParentIdNonHexLetter", header("00", kTraceId, "12345678x0123456", "01")},
                      InvalidCase{"FlagsFirst", header("00", kTraceId, kParentId, ".0")},
                      InvalidCase{"FlagsSecond", header("00", kTraceId, kParentId, "0.")},
                      InvalidCase{"FlagsNonHexLetter", header("00", kTraceId, kParentId, "0g")}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    FieldLength, RejectsTraceparentTest,
    ::testing::Values(InvalidCase{"VersionTooShort", header("0", kTraceId, kParentId, "01")},
                      InvalidCase{"VersionThreeDigits", header("000", kTraceId, kParentId, "01")},
                      InvalidCase{"VersionFourDigits", header("0000", kTraceId, kParentId, "01")},
                      InvalidCase{"TraceIdTooShort", header("00", "1234567890123456789012345678901", kParentId, "01")},
                      InvalidCase{"TraceIdTooLong", header("00", "123456789012345678901234567890123", kParentId, "01")},
                      InvalidCase{"ParentIdTooShort", header("00", kTraceId, "123456789012345", "01")},
                      InvalidCase{"ParentIdTooLong", header("00", kTraceId, "12345678901234567", "01")},
                      InvalidCase{"FlagsTooShort", header("00", kTraceId, kParentId, "1")},
                      InvalidCase{"FlagsTooLong", header("00", kTraceId, kParentId, "001")}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    Separators, RejectsTraceparentTest,
    ::testing::Values(
        InvalidCase{"AfterVersion", "00_" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01"},
        InvalidCase{"AfterTraceId", "00-" + std::string(kTraceId) + "_" + std::string(kParentId) + "-01"},
        InvalidCase{"AfterParentId", "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "_01"},
        InvalidCase{"OwsInsideValue", "00 -" + std::string(kTraceId) + "-" + std::string(kParentId) + "-0"},
        InvalidCase{"NoSeparators", "00" + std::string(kTraceId) + std::string(kParentId) + "01---"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    ZeroIds, RejectsTraceparentTest,
    ::testing::Values(InvalidCase{"TraceId", header("00", "00000000000000000000000000000000", kParentId, "01")},
                      InvalidCase{"ParentId", header("00", kTraceId, "0000000000000000", "01")},
                      InvalidCase{"FutureVersionTraceId",
                                  header("cc", "00000000000000000000000000000000", kParentId, "01-x")}),
    case_name);

INSTANTIATE_TEST_SUITE_P(NotAHeader, RejectsTraceparentTest,
                         ::testing::Values(InvalidCase{"Empty", ""}, InvalidCase{"OwsOnly", " \t "},
                                           InvalidCase{"TrailingNewline", valid_header() + "\n"},
                                           InvalidCase{"TrailingCarriageReturn", valid_header() + "\r"},
                                           InvalidCase{"TwoValuesJoined", valid_header() + "," + valid_header()}),
                         case_name);

TEST(ParseTraceparentTest, LowercaseControlOfTheUppercaseCasesParses) {
  // The uppercase cases above fail only because of their case.
  EXPECT_TRUE(parse_traceparent(header("cc", kTraceId, kParentId, "01")).has_value());
  EXPECT_TRUE(parse_traceparent(header("0a", kTraceId, kParentId, "01")).has_value());
  EXPECT_TRUE(parse_traceparent(header("00", "4bf92f3577b34da6a3ce929d0e0e473f", kParentId, "01")).has_value());
  EXPECT_TRUE(parse_traceparent(header("00", kTraceId, "00f067aa0ba902ba", "01")).has_value());
  EXPECT_TRUE(parse_traceparent(header("00", kTraceId, kParentId, "0a")).has_value());
}

TEST(ParseTraceparentTest, RejectsEveryNonLowercaseHexCharacterInEveryField) {
  // Every position of the version, trace id, parent id and flags, every byte that is not 0-9 / a-f.
  const std::string valid = valid_header();
  for (std::size_t position = 0; position < valid.size(); ++position) {
    if (position == 2 || position == 35 || position == 52) continue;  // the separators
    for (int byte = 0; byte < 256; ++byte) {
      if ((byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'f')) continue;
      std::string value = valid;
      value[position] = static_cast<char>(byte);
      ASSERT_FALSE(parse_traceparent(value).has_value()) << "byte " << byte << " at " << position;
    }
  }
}

TEST(ParseTraceparentTest, ReadsEveryFlagsValue) {
  // Flags are read as received, undefined bits included (section 3.2.2.5).
  for (int flags = 0; flags < 256; ++flags) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", flags);
    const auto parsed = parse_traceparent(valid_header(hex));
    ASSERT_TRUE(parsed.has_value()) << hex;
    EXPECT_EQ(parsed->flags().value, flags) << hex;
  }
}

// --- format_traceparent --------------------------------------------------------------------

TEST(FormatTraceparentTest, WritesOnlyTheDefinedBitsOfEveryFlagsValue) {
  for (int flags = 0; flags < 256; ++flags) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", flags & 0x03);
    EXPECT_EQ(format_traceparent(context_of(kTraceId, kParentId, static_cast<std::uint8_t>(flags))), valid_header(hex))
        << flags;
  }
}

TEST(FormatTraceparentTest, WritesIntoABufferOfExactly55Characters) {
  std::string buffer(kTraceparentLength + 1, '#');
  EXPECT_TRUE(format_traceparent(context_of(kTraceId, kParentId, 0x01), buffer.data()));
  EXPECT_EQ(buffer, valid_header("01") + "#");
}

TEST(FormatTraceparentTest, WritesNothingIntoABufferForInvalidContext) {
  std::string buffer(kTraceparentLength, '#');
  EXPECT_FALSE(format_traceparent(SpanContext(), buffer.data()));
  EXPECT_EQ(buffer, std::string(kTraceparentLength, '#'));
}

TEST(FormatTraceparentTest, WritesVersion00WithSampledFlag) {
  EXPECT_EQ(format_traceparent(context_of(kTraceId, kParentId, 0x01)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(FormatTraceparentTest, WritesUnsampledFlags) {
  EXPECT_EQ(format_traceparent(context_of(kTraceId, kParentId, 0x00)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
}

TEST(FormatTraceparentTest, WritesSampledAndRandomFlags) {
  EXPECT_EQ(format_traceparent(context_of(kTraceId, kParentId, 0x03)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
}

TEST(FormatTraceparentTest, ZeroesUndefinedFlagBits) {
  // Section 3.2.2.5.3: flags this version does not define MUST be set to zero.
  EXPECT_EQ(format_traceparent(context_of(kTraceId, kParentId, 0xff)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
}

TEST(FormatTraceparentTest, ZeroesUndefinedFlagBitsWhenNoDefinedBitIsSet) {
  EXPECT_EQ(format_traceparent(context_of(kTraceId, kParentId, 0x04)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
}

TEST(FormatTraceparentTest, WritesNothingForInvalidContext) { EXPECT_EQ(format_traceparent(SpanContext()), ""); }

TEST(FormatTraceparentTest, WritesNothingForZeroSpanId) {
  const SpanContext context(*TraceId::from_hex(kTraceId), SpanId(), TraceFlags{1}, false);
  EXPECT_EQ(format_traceparent(context), "");
}

TEST(FormatTraceparentTest, OutputMatchesTheVersion00Grammar) {
  for (int i = 0; i < 200; ++i) {
    const SpanContext context(TraceId::random(), SpanId::random(), TraceFlags{static_cast<std::uint8_t>(i)}, false);
    const std::string value = format_traceparent(context);
    ASSERT_EQ(value.size(), 55U);
    for (std::size_t j = 0; j < value.size(); ++j) {
      const char c = value[j];
      if (j == 2 || j == 35 || j == 52) {
        ASSERT_EQ(c, '-') << value;
      } else {
        ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << value;
      }
    }
  }
}

TEST(FormatTraceparentTest, RoundTripsThroughParse) {
  for (int i = 0; i < 100; ++i) {
    const SpanContext original(TraceId::random(), SpanId::random(), TraceFlags{static_cast<std::uint8_t>(i % 4)},
                               /*remote=*/true);
    const auto parsed = parse_traceparent(format_traceparent(original));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, original);
  }
}

TEST(FormatTraceparentTest, DowngradesFutureVersionTo00) {
  // Section 3.2.5 (versioning): the parsed fields are re-serialised with the highest known version.
  const auto parsed = parse_traceparent(header("cc", kTraceId, kParentId, "01-what-the-future-will-be-like"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(format_traceparent(*parsed), valid_header("01"));
}

}  // namespace
}  // namespace honeyhive::trace_context
