#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace honeyhive::detail {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string replacements(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += kFffd;
  return out;
}

// A named byte sequence, for the parameterised tables below.
struct Sample {
  const char* name;
  std::string bytes;
};

std::string sample_name(const ::testing::TestParamInfo<Sample>& info) { return info.param.name; }

// --- is_valid_utf8: Table 3-7 "Well-Formed UTF-8 Byte Sequences", at every range boundary ------

class WellFormedSequenceTest : public ::testing::TestWithParam<Sample> {};

TEST_P(WellFormedSequenceTest, IsValid) { EXPECT_TRUE(is_valid_utf8(GetParam().bytes)); }

TEST_P(WellFormedSequenceTest, IsValidBetweenAsciiText) { EXPECT_TRUE(is_valid_utf8("a" + GetParam().bytes + "z")); }

INSTANTIATE_TEST_SUITE_P(Utf8Table37, WellFormedSequenceTest,
                         ::testing::Values(Sample{"U0000", std::string("\x00", 1)}, Sample{"U007F", "\x7F"},
                                           Sample{"U0080", "\xC2\x80"}, Sample{"U07FF", "\xDF\xBF"},
                                           Sample{"U0800", "\xE0\xA0\x80"}, Sample{"U0FFF", "\xE0\xBF\xBF"},
                                           Sample{"U1000", "\xE1\x80\x80"}, Sample{"UCFFF", "\xEC\xBF\xBF"},
                                           Sample{"UD000", "\xED\x80\x80"}, Sample{"UD7FF", "\xED\x9F\xBF"},
                                           Sample{"UE000", "\xEE\x80\x80"}, Sample{"UFFFF", "\xEF\xBF\xBF"},
                                           Sample{"U10000", "\xF0\x90\x80\x80"}, Sample{"U3FFFF", "\xF0\xBF\xBF\xBF"},
                                           Sample{"U40000", "\xF1\x80\x80\x80"}, Sample{"UFFFFF", "\xF3\xBF\xBF\xBF"},
                                           Sample{"U100000", "\xF4\x80\x80\x80"}, Sample{"U10FFFF", "\xF4\x8F\xBF\xBF"},
                                           Sample{"Empty", ""}),
                         sample_name);

class IllFormedSequenceTest : public ::testing::TestWithParam<Sample> {};

TEST_P(IllFormedSequenceTest, IsInvalid) { EXPECT_FALSE(is_valid_utf8(GetParam().bytes)); }

TEST_P(IllFormedSequenceTest, IsInvalidBetweenAsciiText) { EXPECT_FALSE(is_valid_utf8("a" + GetParam().bytes + "z")); }

TEST_P(IllFormedSequenceTest, RepairYieldsValidUtf8) { EXPECT_TRUE(is_valid_utf8(repair_utf8(GetParam().bytes))); }

INSTANTIATE_TEST_SUITE_P(
    Utf8Table37, IllFormedSequenceTest,
    ::testing::Values(Sample{"LoneContinuation80", "\x80"}, Sample{"LoneContinuationBF", "\xBF"},
                      Sample{"OverlongC080", "\xC0\x80"}, Sample{"OverlongC1BF", "\xC1\xBF"},
                      Sample{"TruncatedTwoByte", "\xC2"}, Sample{"TwoByteBadSecondLow", "\xC2\x7F"},
                      Sample{"TwoByteBadSecondHigh", "\xC2\xC0"}, Sample{"OverlongE08080", "\xE0\x80\x80"},
                      Sample{"OverlongE09FBF", "\xE0\x9F\xBF"}, Sample{"SurrogateD800", "\xED\xA0\x80"},
                      Sample{"SurrogateDFFF", "\xED\xBF\xBF"}, Sample{"TruncatedThreeByte", "\xE1\x80"},
                      Sample{"ThreeByteBadThird", "\xE1\x80\xC0"}, Sample{"OverlongF0808080", "\xF0\x80\x80\x80"},
                      Sample{"OverlongF08FBFBF", "\xF0\x8F\xBF\xBF"}, Sample{"AboveMaxF4908080", "\xF4\x90\x80\x80"},
                      Sample{"LeadF5", "\xF5\x80\x80\x80"}, Sample{"TruncatedFourByte", "\xF0\x9F\x98"},
                      Sample{"FourByteBadFourth", "\xF0\x9F\x98\x41"}, Sample{"ByteFE", "\xFE"},
                      Sample{"ByteFF", "\xFF"}, Sample{"FiveByteForm", "\xF8\x88\x80\x80\x80"}),
    sample_name);

// --- repair_utf8 ------------------------------------------------------------------------------

TEST(RepairUtf8Test, LeavesValidTextUnchanged) {
  const std::string valid = std::string("a\x00", 2) + "h\xC3\xA9llo \xE6\x97\xA5 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
  EXPECT_EQ(repair_utf8(valid), valid);
}

TEST(RepairUtf8Test, ReplacesTruncatedThreeByteSequenceOnceAndKeepsFollowingByte) {
  EXPECT_EQ(repair_utf8("\xE2\x82\x41"), kFffd + "A");
}

TEST(RepairUtf8Test, ReplacesEachByteWhenTheFirstTwoAreNotAValidPrefix) {
  EXPECT_EQ(repair_utf8("\xF0\x80\x80"), replacements(3));
}

TEST(RepairUtf8Test, ReplacesTruncatedFourByteSequenceAtEndOnce) {
  EXPECT_EQ(repair_utf8("ok\xF0\x9F\x98"), "ok" + kFffd);
}

TEST(RepairUtf8Test, ReplacesEachByteOfAnOverlongTwoByteForm) { EXPECT_EQ(repair_utf8("\xC0\xAF"), replacements(2)); }

TEST(RepairUtf8Test, ReplacesEachByteOfAnEncodedSurrogate) { EXPECT_EQ(repair_utf8("\xED\xA0\x80"), replacements(3)); }

TEST(RepairUtf8Test, ReplacesEachByteOfACodePointAboveU10FFFF) {
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80"), replacements(4));
}

TEST(RepairUtf8Test, ReplacesLoneContinuationBytesEachOnce) {
  EXPECT_EQ(repair_utf8("a\x80\xBF"
                        "b"),
            "a" + replacements(2) + "b");
}

// Unicode Standard, section 3.9, Table 3-8 ("Use of U+FFFD in UTF-8 Conversion").
TEST(RepairUtf8Test, MatchesUnicodeTable38Example) {
  EXPECT_EQ(repair_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a" + replacements(3) + "b" + kFffd + "c" + replacements(2) + "d");
}

TEST(RepairUtf8Test, RepairsEmptyTextToEmpty) { EXPECT_EQ(repair_utf8(""), ""); }

// --- make_valid_utf8 --------------------------------------------------------------------------

TEST(MakeValidUtf8Test, ReturnsFalseAndKeepsValidText) {
  std::string text = "h\xC3\xA9llo";
  EXPECT_FALSE(make_valid_utf8(text));
  EXPECT_EQ(text, "h\xC3\xA9llo");
}

TEST(MakeValidUtf8Test, ReturnsTrueAndRepairsInvalidText) {
  std::string text = "a\xFF";
  EXPECT_TRUE(make_valid_utf8(text));
  EXPECT_EQ(text, "a" + kFffd);
}

// --- truncate_utf8 ----------------------------------------------------------------------------

TEST(TruncateUtf8Test, CutsAsciiToTheLimit) {
  std::string text = "abcdef";
  truncate_utf8(text, 4);
  EXPECT_EQ(text, "abcd");
}

TEST(TruncateUtf8Test, LeavesShorterTextUnchanged) {
  std::string text = "abc";
  truncate_utf8(text, 10);
  EXPECT_EQ(text, "abc");
}

TEST(TruncateUtf8Test, CountsCodePointsNotBytes) {
  std::string text = "h\xC3\xA9llo";
  truncate_utf8(text, 2);
  EXPECT_EQ(text, "h\xC3\xA9");
}

TEST(TruncateUtf8Test, KeepsTextWithExactlyTheLimitInCodePoints) {
  std::string text = "\xE6\x97\xA5\xE6\x9C\xAC";  // two code points, six bytes
  truncate_utf8(text, 2);
  EXPECT_EQ(text, "\xE6\x97\xA5\xE6\x9C\xAC");
}

TEST(TruncateUtf8Test, NeverCutsAFourByteCodePoint) {
  std::string text = "\xF0\x9F\x98\x80\xF0\x9F\x98\x81";
  truncate_utf8(text, 1);
  EXPECT_EQ(text, "\xF0\x9F\x98\x80");
}

TEST(TruncateUtf8Test, ZeroLimitEmptiesTheText) {
  std::string text = "\xC3\xA9t\xC3\xA9";
  truncate_utf8(text, 0);
  EXPECT_EQ(text, "");
}

TEST(TruncateUtf8Test, ResultIsValidUtf8ForMixedWidths) {
  std::string text = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80z";
  truncate_utf8(text, 4);
  EXPECT_EQ(text, "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80");
  EXPECT_TRUE(is_valid_utf8(text));
}

}  // namespace
}  // namespace honeyhive::detail
