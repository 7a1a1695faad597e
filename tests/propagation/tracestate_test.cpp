// W3C Trace Context Level 2, section 3.3 (tracestate): key and value grammar, list rules, the
// 32-member limit, mutation order and truncation on the way out. Cases of the official harness
// (w3c/trace-context test/test.py, STRICT_LEVEL=2) are re-stated against the parser directly.
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "honeyhive/core/trace_state.hpp"
#include "honeyhive/propagation/trace_context.hpp"
#include "support/split_members.hpp"

namespace honeyhive::trace_context {
namespace {

using Members = std::vector<TraceState::Member>;
using test::split_members;

Members members_of(const std::optional<TraceState>& state) { return state ? state->members() : Members{}; }

// A member "<key>=<value>" of exactly `length` characters (key is `key`, value padded with `fill`).
TraceState::Member member_of_length(const std::string& key, std::size_t length, char fill = 'x') {
  return {key, std::string(length - key.size() - 1, fill)};
}

std::string joined(const Members& members) { return TraceState(members).to_header(); }

// --- keys ----------------------------------------------------------------------------------

TEST(TraceStateKeyTest, AcceptsKeyStartingWithLowercaseLetter) { EXPECT_TRUE(is_valid_key("congo")); }

TEST(TraceStateKeyTest, AcceptsKeyStartingWithDigit) {
  EXPECT_TRUE(is_valid_key("0congo"));
  EXPECT_TRUE(is_valid_key("9"));
}

TEST(TraceStateKeyTest, AcceptsEveryKeyCharacter) {
  EXPECT_TRUE(is_valid_key("abcdefghijklmnopqrstuvwxyz0123456789_-*/"));
  EXPECT_TRUE(is_valid_key("abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/"));
}

TEST(TraceStateKeyTest, AcceptsAtSignsAfterTheFirstCharacter) {
  // Level 2 keychar includes "@", anywhere but first, any number of times.
  EXPECT_TRUE(is_valid_key("foo@"));
  EXPECT_TRUE(is_valid_key("foo@@bar"));
  EXPECT_TRUE(is_valid_key("foo@bar@baz"));
  EXPECT_TRUE(is_valid_key("t@" + std::string(15, 'v')));
}

TEST(TraceStateKeyTest, Accepts256CharacterKeys) {
  EXPECT_TRUE(is_valid_key(std::string(256, 'z')));
  EXPECT_TRUE(is_valid_key(std::string(241, 't') + "@" + std::string(14, 'v')));
}

TEST(TraceStateKeyTest, Rejects257CharacterKey) { EXPECT_FALSE(is_valid_key(std::string(257, 'z'))); }

TEST(TraceStateKeyTest, RejectsKeyStartingWithAtSign) { EXPECT_FALSE(is_valid_key("@foo")); }

TEST(TraceStateKeyTest, RejectsKeyStartingWithNonAlphanumericKeyChar) {
  for (const char* key : {"_foo", "-foo", "*foo", "/foo"}) EXPECT_FALSE(is_valid_key(key)) << key;
}

TEST(TraceStateKeyTest, RejectsUppercase) {
  EXPECT_FALSE(is_valid_key("FOO"));
  EXPECT_FALSE(is_valid_key("fOo"));
}

TEST(TraceStateKeyTest, RejectsIllegalCharacters) {
  for (const char* key : {"foo.bar", "foo ", " foo", "foo\tbar", "foo=bar", "foo,bar", "foo!", "foo#", "fo\xc3\xa9"}) {
    EXPECT_FALSE(is_valid_key(key)) << key;
  }
}

TEST(TraceStateKeyTest, RejectsEmptyKey) { EXPECT_FALSE(is_valid_key("")); }

// --- values --------------------------------------------------------------------------------

TEST(TraceStateValueTest, AcceptsEveryNonBlankPrintableCharacterExceptCommaAndEquals) {
  for (int c = 0x21; c <= 0x7E; ++c) {
    const std::string value(1, static_cast<char>(c));
    EXPECT_EQ(is_valid_value(value), c != ',' && c != '=') << "0x" << std::hex << c;
  }
}

TEST(TraceStateValueTest, RejectsControlAndNonAsciiCharacters) {
  for (int c : {0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x7F, 0x80, 0xFF}) {
    EXPECT_FALSE(is_valid_value("a" + std::string(1, static_cast<char>(c)) + "b")) << "0x" << std::hex << c;
  }
}

TEST(TraceStateValueTest, AcceptsInnerAndLeadingSpaces) {
  EXPECT_TRUE(is_valid_value("a b"));
  EXPECT_TRUE(is_valid_value(" ab"));
}

TEST(TraceStateValueTest, RejectsTrailingSpace) { EXPECT_FALSE(is_valid_value("ab ")); }

TEST(TraceStateValueTest, RejectsEmptyValue) { EXPECT_FALSE(is_valid_value("")); }

TEST(TraceStateValueTest, Accepts256CharacterValue) { EXPECT_TRUE(is_valid_value(std::string(256, 'v'))); }

TEST(TraceStateValueTest, Rejects257CharacterValue) { EXPECT_FALSE(is_valid_value(std::string(257, 'v'))); }

// --- parsing -------------------------------------------------------------------------------

TEST(ParseTraceStateTest, ParsesMembersInOrder) {
  EXPECT_EQ(members_of(parse_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")),
            (Members{{"rojo", "00f067aa0ba902b7"}, {"congo", "t61rcWkgMzE"}}));
}

TEST(ParseTraceStateTest, KeepsValueWithEveryAllowedCharacter) {
  std::string value;
  for (int c = 0x20; c <= 0x7E; ++c) {
    if (c != ',' && c != '=') value += static_cast<char>(c);
  }
  const std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/";
  EXPECT_EQ(members_of(parse_tracestate(key + "=" + value)), (Members{{key, value}}));
}

TEST(ParseTraceStateTest, KeepsLeadingSpacesOfValue) {
  EXPECT_EQ(members_of(parse_tracestate("foo=  1")), (Members{{"foo", "  1"}}));
}

TEST(ParseTraceStateTest, TreatsTrailingSpaceAsOws) {
  EXPECT_EQ(members_of(parse_tracestate("foo=1 ")), (Members{{"foo", "1"}}));
}

TEST(ParseTraceStateTest, TreatsTrailingTabAsOws) {
  EXPECT_EQ(members_of(parse_tracestate("foo=1\t")), (Members{{"foo", "1"}}));
}

TEST(ParseTraceStateTest, IgnoresOwsAroundMembers) {
  const Members expected{{"foo", "1"}, {"bar", "2"}, {"baz", "3"}};
  EXPECT_EQ(members_of(parse_tracestate("foo=1 \t , \t bar=2, \t baz=3")), expected);
  EXPECT_EQ(members_of(parse_tracestate("foo=1\t \t,\t \tbar=2,\t \tbaz=3")), expected);
  EXPECT_EQ(members_of(parse_tracestate("\t foo=1 \t,bar=2,baz=3")), expected);
}

TEST(ParseTraceStateTest, SkipsEmptyMembers) {
  EXPECT_EQ(members_of(parse_tracestate(",foo=1,, ,\t,bar=2,")), (Members{{"foo", "1"}, {"bar", "2"}}));
}

TEST(ParseTraceStateTest, AcceptsEmptyHeaderAsEmptyState) {
  const auto state = parse_tracestate("");
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->empty());
}

TEST(ParseTraceStateTest, AcceptsWhitespaceAndCommasOnlyAsEmptyState) {
  const auto state = parse_tracestate(" , \t ,");
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->empty());
}

TEST(ParseTraceStateTest, ParsesHeadersCombinedWithComma) {
  // RFC 9110 section 5.3: several tracestate fields are combined with ",", in order.
  EXPECT_EQ(members_of(parse_tracestate("foo=1,bar=2,rojo=1,congo=2,baz=3")),
            (Members{{"foo", "1"}, {"bar", "2"}, {"rojo", "1"}, {"congo", "2"}, {"baz", "3"}}));
}

TEST(ParseTraceStateTest, AcceptsVendorFormatKeys) {
  EXPECT_EQ(members_of(parse_tracestate("foo@=1,bar=2")), (Members{{"foo@", "1"}, {"bar", "2"}}));
  EXPECT_EQ(members_of(parse_tracestate("foo@@bar=1,bar=2")), (Members{{"foo@@bar", "1"}, {"bar", "2"}}));
  EXPECT_EQ(members_of(parse_tracestate("foo@bar@baz=1,bar=2")), (Members{{"foo@bar@baz", "1"}, {"bar", "2"}}));
}

TEST(ParseTraceStateTest, Accepts256CharacterKeyNextToOtherMembers) {
  const std::string key(256, 'z');
  EXPECT_EQ(members_of(parse_tracestate("foo=1," + key + "=1")), (Members{{"foo", "1"}, {key, "1"}}));
}

TEST(ParseTraceStateTest, Rejects257CharacterKeyAndTheWholeHeader) {
  EXPECT_FALSE(parse_tracestate("foo=1," + std::string(257, 'z') + "=1").has_value());
}

TEST(ParseTraceStateTest, RejectsWholeHeaderForKeyStartingWithAtSign) {
  EXPECT_FALSE(parse_tracestate("@foo=1,bar=2").has_value());
}

TEST(ParseTraceStateTest, RejectsWholeHeaderForIllegalKeys) {
  EXPECT_FALSE(parse_tracestate("foo =1").has_value());
  EXPECT_FALSE(parse_tracestate("FOO=1").has_value());
  EXPECT_FALSE(parse_tracestate("foo.bar=1").has_value());
}

TEST(ParseTraceStateTest, RejectsWholeHeaderForEqualsInValue) {
  EXPECT_FALSE(parse_tracestate("foo=bar=baz").has_value());
}

TEST(ParseTraceStateTest, RejectsWholeHeaderForEmptyValue) { EXPECT_FALSE(parse_tracestate("foo=,bar=3").has_value()); }

TEST(ParseTraceStateTest, RejectsWholeHeaderForMemberWithoutEquals) {
  EXPECT_FALSE(parse_tracestate("foo=1,bar").has_value());
}

TEST(ParseTraceStateTest, RejectsWholeHeaderForTabInsideValue) {
  EXPECT_FALSE(parse_tracestate("foo=a\tb,bar=2").has_value());
}

TEST(ParseTraceStateTest, RejectsWholeHeaderForInvalidMemberAfterValidOnes) {
  EXPECT_FALSE(parse_tracestate("foo=1,bar=2,BAZ=3").has_value());
}

TEST(ParseTraceStateTest, Accepts32Members) {
  Members expected;
  for (int i = 1; i <= 32; ++i) {
    const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
    expected.emplace_back("bar" + n, n);
  }
  const auto state = parse_tracestate(joined(expected));
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->members(), expected);
}

TEST(ParseTraceStateTest, Rejects33Members) {
  Members members;
  for (int i = 1; i <= 33; ++i) members.emplace_back("bar" + std::to_string(i), std::to_string(i));
  EXPECT_FALSE(parse_tracestate(joined(members)).has_value());
}

TEST(ParseTraceStateTest, EmptyMembersDoNotCountTowardsTheLimit) {
  std::string header;
  for (int i = 1; i <= 32; ++i) header += "k" + std::to_string(i) + "=v, ,";
  const auto state = parse_tracestate(header);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->members().size(), 32U);
}

TEST(ParseTraceStateTest, RepeatedKeyKeepsTheFirstMember) {
  EXPECT_EQ(members_of(parse_tracestate("foo=1,bar=2,foo=3")), (Members{{"foo", "1"}, {"bar", "2"}}));
}

TEST(ParseTraceStateTest, IdenticalRepeatedMemberIsKeptOnce) {
  EXPECT_EQ(members_of(parse_tracestate("foo=1,foo=1")), (Members{{"foo", "1"}}));
}

// --- mutation ------------------------------------------------------------------------------

TEST(TraceStateWithTest, MovesUpdatedMemberToTheFront) {
  const TraceState state(Members{{"rojo", "1"}, {"congo", "2"}, {"baz", "3"}});
  EXPECT_EQ(state.with("congo", "9").members(), (Members{{"congo", "9"}, {"rojo", "1"}, {"baz", "3"}}));
}

TEST(TraceStateWithTest, AddsNewMemberAtTheFront) {
  const TraceState state(Members{{"congo", "t61rcWkgMzE"}});
  EXPECT_EQ(state.with("rojo", "00f067aa0ba902b7").members(),
            (Members{{"rojo", "00f067aa0ba902b7"}, {"congo", "t61rcWkgMzE"}}));
}

TEST(TraceStateWithTest, LeavesTheOriginalUnchanged) {
  const TraceState state(Members{{"rojo", "1"}, {"congo", "2"}});
  (void)state.with("congo", "9");
  EXPECT_EQ(state.members(), (Members{{"rojo", "1"}, {"congo", "2"}}));
}

// --- formatting and truncation (section 3.3.1.5) -------------------------------------------

TEST(FormatTraceStateTest, WritesMembersInOrder) {
  EXPECT_EQ(format_tracestate(TraceState(Members{{"rojo", "00f067aa0ba902b7"}, {"congo", "t61rcWkgMzE"}})),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(FormatTraceStateTest, WritesEmptyStateAsEmptyString) { EXPECT_EQ(format_tracestate(TraceState()), ""); }

TEST(FormatTraceStateTest, KeepsStateOfExactly512Characters) {
  const Members members{member_of_length("a", 170), member_of_length("b", 170), member_of_length("c", 170)};
  const std::string out = format_tracestate(TraceState(members));
  EXPECT_EQ(out.size(), 512U);
  EXPECT_EQ(out, joined(members));
}

TEST(FormatTraceStateTest, RemovesLongMembersFirstStartingFromTheEnd) {
  // 100 + 200 + 100 + 200 + 100 + 4 commas = 704: dropping the last long member (201) fits.
  const auto s0 = member_of_length("s0", 100);
  const auto l1 = member_of_length("l1", 200);
  const auto s2 = member_of_length("s2", 100);
  const auto l3 = member_of_length("l3", 200);
  const auto s4 = member_of_length("s4", 100);
  const std::string out = format_tracestate(TraceState(Members{s0, l1, s2, l3, s4}));
  EXPECT_EQ(out, joined(Members{s0, l1, s2, s4}));
}

TEST(FormatTraceStateTest, RemovesEveryLongMemberBeforeAnyShortOne) {
  // 250 + 250 + 5 * 100 + 6 commas = 1006; without l1 still 755, without l0 too 504.
  const auto l0 = member_of_length("l0", 250);
  const auto l1 = member_of_length("l1", 250);
  Members shorts;
  for (int i = 0; i < 5; ++i) shorts.push_back(member_of_length("s" + std::to_string(i), 100));
  Members members{l0, l1};
  members.insert(members.end(), shorts.begin(), shorts.end());
  EXPECT_EQ(format_tracestate(TraceState(members)), joined(shorts));
}

TEST(FormatTraceStateTest, ThenRemovesMembersFromTheEnd) {
  // 200 + 6 * 100 + 6 commas = 806; without the long member 605, without the last short one 504.
  Members members{member_of_length("long", 200)};
  Members shorts;
  for (int i = 1; i <= 6; ++i) shorts.push_back(member_of_length("s" + std::to_string(i), 100));
  members.insert(members.end(), shorts.begin(), shorts.end());
  const std::string out = format_tracestate(TraceState(members));
  EXPECT_EQ(out, joined(Members(shorts.begin(), shorts.end() - 1)));
}

TEST(FormatTraceStateTest, MemberOfExactly128CharactersIsNotLong) {
  // 128 + 4 * 100 + 4 commas = 532. No member is over 128, so the last one goes: 431.
  const auto edge = member_of_length("edge", 128);
  Members members{edge};
  for (int i = 1; i <= 4; ++i) members.push_back(member_of_length("s" + std::to_string(i), 100));
  const std::string out = format_tracestate(TraceState(members));
  EXPECT_EQ(out, joined(Members(members.begin(), members.end() - 1)));
}

TEST(FormatTraceStateTest, DropsSingleMemberLongerThanTheLimit) {
  // The largest valid member: 256-character key, 256-character value (513 characters).
  const TraceState state(Members{{std::string(256, 'k'), std::string(256, 'v')}});
  EXPECT_EQ(format_tracestate(state), "");
}

TEST(FormatTraceStateTest, NeverEmitsPartialMember) {
  Members members;
  for (int i = 0; i < 20; ++i) {
    members.push_back(member_of_length("m" + std::to_string(i), static_cast<std::size_t>(10 + (i * 37) % 200)));
  }
  const std::string out = format_tracestate(TraceState(members));
  ASSERT_FALSE(out.empty());
  EXPECT_LE(out.size(), kMaxTraceStateLength);
  for (const auto& text : split_members(out)) {
    bool found = false;
    for (const auto& member : members) found = found || text == member.first + "=" + member.second;
    EXPECT_TRUE(found) << "not an original member: " << text;
  }
}

TEST(FormatTraceStateTest, HonoursSmallerMaximumLength) {
  EXPECT_EQ(format_tracestate(TraceState(Members{{"foo", "1"}, {"bar", "22"}}), 10), "foo=1");
}

TEST(FormatTraceStateTest, WritesAtMost32Members) {
  // Section 3.3.1.1: past 32 members, the right-most are removed.
  Members members;
  for (int i = 0; i < 33; ++i) members.emplace_back("k" + std::to_string(i), "v");
  const std::string out = format_tracestate(TraceState(members));
  EXPECT_EQ(out, joined(Members(members.begin(), members.begin() + 32)));
}

TEST(FormatTraceStateTest, RoundTripsThroughParse) {
  const Members members{{"rojo", "00f067aa0ba902b7"}, {"congo", " t61rc WkgMzE"}, {"a@b", "!\"#$%&'()*+-./:;<>?"}};
  const auto parsed = parse_tracestate(format_tracestate(TraceState(members)));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->members(), members);
}

}  // namespace
}  // namespace honeyhive::trace_context
