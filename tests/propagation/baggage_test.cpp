// W3C Baggage (https://www.w3.org/TR/baggage/): header grammar, percent-encoding, properties,
// the 64-member / 8192-byte limits, and formatting.
#include "honeyhive/propagation/baggage.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "support/split_members.hpp"

namespace honeyhive::baggage {
namespace {

using Entries = std::vector<BaggageEntry>;
using test::split_members;

constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";

BaggageEntry entry(std::string key, std::string value, std::string properties = {}) {
  return BaggageEntry{std::move(key), std::move(value), std::move(properties)};
}

// --- parsing -------------------------------------------------------------------------------

TEST(BaggageParseTest, ParsesKeysAndValues) {
  const ParseResult result = parse("key1=value1,key2=value2");
  EXPECT_EQ(result.entries, (Entries{entry("key1", "value1"), entry("key2", "value2")}));
  EXPECT_EQ(result.invalid, 0U);
  EXPECT_EQ(result.dropped, 0U);
}

TEST(BaggageParseTest, AcceptsEveryTokenCharacterInKeys) {
  const std::string key = "!#$%&'*+-.^_`|~09azAZ";
  EXPECT_EQ(parse(key + "=v").entries, (Entries{entry(key, "v")}));
}

TEST(BaggageParseTest, AcceptsEveryBaggageOctetInValues) {
  // baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, minus '%' which starts an escape.
  std::string value;
  for (int c = 0x21; c <= 0x7E; ++c) {
    if (c != '"' && c != ',' && c != ';' && c != '\\' && c != '%') value += static_cast<char>(c);
  }
  EXPECT_EQ(parse("k=" + value).entries, (Entries{entry("k", value)}));
}

TEST(BaggageParseTest, AcceptsEmptyValue) { EXPECT_EQ(parse("k=").entries, (Entries{entry("k", "")})); }

TEST(BaggageParseTest, PercentDecodesValues) {
  EXPECT_EQ(parse("k=a%20b%2Cc%3Bd%25e%22f%5Cg").entries, (Entries{entry("k", "a b,c;d%e\"f\\g")}));
}

TEST(BaggageParseTest, PercentDecodesLowercaseHex) {
  EXPECT_EQ(parse("k=%2c%3b").entries, (Entries{entry("k", ",;")}));
}

TEST(BaggageParseTest, PercentDecodesUtf8) {
  EXPECT_EQ(parse("city=Montr%C3%A9al").entries, (Entries{entry("city",
                                                                "Montr\xC3\xA9"
                                                                "al")}));
}

TEST(BaggageParseTest, MalformedEscapeInvalidatesOnlyItsMember) {
  const ParseResult result = parse("a=1,b=%zz,c=%4,d=%,e=x%g0,f=2");
  EXPECT_EQ(result.entries, (Entries{entry("a", "1"), entry("f", "2")}));
  EXPECT_EQ(result.invalid, 4U);
}

TEST(BaggageParseTest, ReplacesInvalidUtf8AfterDecoding) {
  EXPECT_EQ(parse("k=%FF").entries, (Entries{entry("k", kReplacementCharacter)}));
}

TEST(BaggageParseTest, ReplacesTruncatedUtf8SequenceAfterDecoding) {
  EXPECT_EQ(parse("k=ab%C3").entries, (Entries{entry("k", std::string("ab") + kReplacementCharacter)}));
}

TEST(BaggageParseTest, KeepsProperties) {
  EXPECT_EQ(parse("k=v;p1=x;flag").entries, (Entries{entry("k", "v", "p1=x;flag")}));
}

TEST(BaggageParseTest, KeepsPropertyWithEmptyValue) {
  EXPECT_EQ(parse("k=v;p=").entries, (Entries{entry("k", "v", "p=")}));
}

TEST(BaggageParseTest, SkipsMemberWithMalformedProperty) {
  const ParseResult result = parse("a=1;bad key=x,b=2;p=\"q\",c=3");
  EXPECT_EQ(result.entries, (Entries{entry("c", "3")}));
  EXPECT_EQ(result.invalid, 2U);
}

TEST(BaggageParseTest, IgnoresOwsAroundMembers) {
  EXPECT_EQ(parse(" \ta=1 \t, \tb=2\t ").entries, (Entries{entry("a", "1"), entry("b", "2")}));
}

TEST(BaggageParseTest, IgnoresOwsAroundEquals) { EXPECT_EQ(parse("a \t= \t1").entries, (Entries{entry("a", "1")})); }

TEST(BaggageParseTest, IgnoresOwsAroundPropertiesAndTheirEquals) {
  EXPECT_EQ(parse("k=v \t; \tp \t= \tx \t; flag \t").entries, (Entries{entry("k", "v", "p=x;flag")}));
}

TEST(BaggageParseTest, SkipsAndCountsKeyWithSpace) {
  const ParseResult result = parse("my key=v,ok=1");
  EXPECT_EQ(result.entries, (Entries{entry("ok", "1")}));
  EXPECT_EQ(result.invalid, 1U);
}

TEST(BaggageParseTest, SkipsAndCountsKeysWithNonTokenCharacters) {
  for (const char* key : {"k(", "k)", "k<", "k@", "k:", "k\"", "k/", "k[", "k?", "k{", "k\x01", "k\xC3\xA9"}) {
    const ParseResult result = parse(std::string(key) + "=v,ok=1");
    EXPECT_EQ(result.entries, (Entries{entry("ok", "1")})) << key;
    EXPECT_EQ(result.invalid, 1U) << key;
  }
}

TEST(BaggageParseTest, SkipsAndCountsEmptyKey) {
  const ParseResult result = parse("=v,ok=1");
  EXPECT_EQ(result.entries, (Entries{entry("ok", "1")}));
  EXPECT_EQ(result.invalid, 1U);
}

TEST(BaggageParseTest, SkipsAndCountsMemberWithoutEquals) {
  const ParseResult result = parse("novalue,ok=1");
  EXPECT_EQ(result.entries, (Entries{entry("ok", "1")}));
  EXPECT_EQ(result.invalid, 1U);
}

TEST(BaggageParseTest, SkipsAndCountsValuesWithDisallowedCharacters) {
  for (const char* value : {"a b", "a\"b", "a\\b", "a\tb", "a\x7F", "\xC3\xA9", "a=b\x01"}) {
    const ParseResult result = parse("k=" + std::string(value) + ",ok=1");
    EXPECT_EQ(result.entries, (Entries{entry("ok", "1")})) << value;
    EXPECT_EQ(result.invalid, 1U) << value;
  }
}

TEST(BaggageParseTest, RepeatedKeyKeepsTheLastValue) {
  EXPECT_EQ(parse("k=1,other=x,k=2").entries, (Entries{entry("k", "2"), entry("other", "x")}));
}

TEST(BaggageParseTest, MembersDoNotInheritPartsOfEarlierMembers) {
  const ParseResult result = parse("a=1;p=x,b=%zz;q,c=3,d=4;r");
  EXPECT_EQ(result.entries, (Entries{entry("a", "1", "p=x"), entry("c", "3"), entry("d", "4", "r")}));
  EXPECT_EQ(result.invalid, 1U);
}

TEST(BaggageParseTest, RepeatedKeyReplacesThePropertiesToo) {
  EXPECT_EQ(parse("a=1;p,b=2,a=3").entries, (Entries{entry("a", "3"), entry("b", "2")}));
}

TEST(BaggageParseTest, EmptyHeaderHasNoEntries) {
  const ParseResult result = parse("");
  EXPECT_TRUE(result.entries.empty());
  EXPECT_EQ(result.invalid, 0U);
}

// --- limits (section 3.3.1) ----------------------------------------------------------------

TEST(BaggageParseTest, Keeps64MembersAndDropsAndCountsThe65th) {
  std::string header;
  for (int i = 0; i < 65; ++i) header += (i > 0 ? "," : "") + ("k" + std::to_string(i)) + "=v";
  const ParseResult result = parse(header);
  EXPECT_EQ(result.entries.size(), kMaxMembers);
  EXPECT_EQ(result.dropped, 1U);
  EXPECT_EQ(result.invalid, 0U);
}

TEST(BaggageParseTest, KeepsWholeEntriesOnlyPast8192Bytes) {
  // Ten members of 1003 bytes: 10 039 bytes with the commas.
  const std::string value(1000, 'x');
  std::string header;
  for (int i = 0; i < 10; ++i) header += (i > 0 ? "," : "") + ("k" + std::to_string(i)) + "=" + value;
  ASSERT_GT(header.size(), kMaxBytes);

  const ParseResult result = parse(header);
  ASSERT_FALSE(result.entries.empty());
  EXPECT_EQ(result.entries.size() + result.dropped, 10U);
  EXPECT_GT(result.dropped, 0U);
  std::size_t bytes = 0;
  for (const auto& kept : result.entries) {
    EXPECT_EQ(kept.value, value) << kept.key;  // never cut
    bytes += kept.key.size() + 1 + kept.value.size();
  }
  EXPECT_LE(bytes + result.entries.size() - 1, kMaxBytes);
}

// --- formatting ----------------------------------------------------------------------------

TEST(BaggageFormatTest, WritesKeysAndValuesInOrder) {
  EXPECT_EQ(format(Entries{entry("key1", "value1"), entry("key2", "value2")}), "key1=value1,key2=value2");
}

TEST(BaggageFormatTest, PercentEncodesCharactersOutsideBaggageOctet) {
  EXPECT_EQ(percent_encode("a b,c;d\"e\\f"), "a%20b%2Cc%3Bd%22e%5Cf");
}

TEST(BaggageFormatTest, PercentEncodesPercentSign) { EXPECT_EQ(percent_encode("100%"), "100%25"); }

TEST(BaggageFormatTest, PercentEncodesNonAsciiBytes) { EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9"); }

TEST(BaggageFormatTest, PercentEncodesControlCharacters) { EXPECT_EQ(percent_encode("\n\t\x7F"), "%0A%09%7F"); }

TEST(BaggageFormatTest, LeavesBaggageOctetsAsTheyAre) {
  const std::string octets = "!#$&'()*+-./09:<=>?@AZ[]^_`az{|}~";
  EXPECT_EQ(percent_encode(octets), octets);
}

TEST(BaggageFormatTest, EncodesValuesInTheHeader) {
  EXPECT_EQ(format(Entries{entry("k", "a b,%\xC3\xA9")}), "k=a%20b%2C%25%C3%A9");
}

TEST(BaggageFormatTest, ReEmitsProperties) {
  EXPECT_EQ(format(Entries{entry("k", "v", "p1=x;flag")}), "k=v;p1=x;flag");
}

TEST(BaggageFormatTest, LeavesOutAndCountsEntryWithInvalidKey) {
  std::size_t dropped = 0;
  EXPECT_EQ(format(Entries{entry("bad key", "1"), entry("", "2"), entry("ok", "3")}, &dropped), "ok=3");
  EXPECT_EQ(dropped, 2U);
}

TEST(BaggageFormatTest, LeavesOutAndCountsEntryWithMalformedProperties) {
  std::size_t dropped = 0;
  EXPECT_EQ(
      format(Entries{entry("a", "1", "p=x"), entry("b", "2", "bad key=x"), entry("c", "3", "p;;q"), entry("d", "4")},
             &dropped),
      "a=1;p=x,d=4");
  EXPECT_EQ(dropped, 2U);
}

TEST(BaggageFormatTest, NormalisesOwsInProperties) {
  EXPECT_EQ(format(Entries{entry("k", "v", " p \t= x ; flag ")}), "k=v;p=x;flag");
}

TEST(BaggageFormatTest, Writes64MembersAndCountsThe65th) {
  Entries entries;
  for (int i = 0; i < 65; ++i) entries.push_back(entry("k" + std::to_string(i), "v"));
  std::size_t dropped = 0;
  const std::string header = format(entries, &dropped);
  EXPECT_EQ(split_members(header).size(), kMaxMembers);
  EXPECT_EQ(dropped, 1U);
}

TEST(BaggageFormatTest, WritesWholeEntriesOnlyWithin8192Bytes) {
  const std::string value(1000, 'x');
  Entries entries;
  for (int i = 0; i < 10; ++i) entries.push_back(entry("k" + std::to_string(i), value));
  std::size_t dropped = 0;
  const std::string header = format(entries, &dropped);
  EXPECT_LE(header.size(), kMaxBytes);
  const auto members = split_members(header);
  EXPECT_EQ(members.size() + dropped, 10U);
  EXPECT_GT(dropped, 0U);
  for (const auto& member : members) EXPECT_EQ(member.substr(member.find('=') + 1), value);
}

TEST(BaggageFormatTest, AHeaderOfExactly8192BytesIsWrittenAndOneByteMoreIsNot) {
  std::size_t dropped = 0;
  EXPECT_EQ(format(Entries{entry("k", std::string(kMaxBytes - 2, 'x'))}, &dropped).size(), kMaxBytes);
  EXPECT_EQ(dropped, 0U);
  // One byte past: left out whole, and a small member after it still goes.
  const std::string header =
      format(Entries{entry("k", std::string(kMaxBytes - 1, 'x')), entry("after", "1", "p=q")}, &dropped);
  EXPECT_EQ(header, "after=1;p=q");
  EXPECT_EQ(dropped, 1U);
  // The same through format_into, whose buffer holds exactly the limit: "a=" + 8186 + ",b=1" is
  // 8192 bytes, with ",b=12" one too many.
  char buffer[kMaxBytes];
  const std::string value(kMaxBytes - 6, 'y');
  EXPECT_EQ(format_into(Entries{entry("a", value), entry("b", "12")}, buffer), "a=" + value);
  EXPECT_EQ(format_into(Entries{entry("a", value), entry("b", "1")}, buffer), "a=" + value + ",b=1");
}

TEST(BaggageFormatTest, EncodedSizeCountsTowardsTheByteLimit) {
  // 3000 spaces encode to 9000 bytes: past the limit although the raw value is not.
  std::size_t dropped = 0;
  const std::string header = format(Entries{entry("small", "1"), entry("big", std::string(3000, ' '))}, &dropped);
  EXPECT_EQ(header, "small=1");
  EXPECT_EQ(dropped, 1U);
}

TEST(BaggageFormatTest, RoundTripsThroughParse) {
  const Entries original{entry("plain", "value"),
                         entry("spaces", " leading and trailing "),
                         entry("separators", "a,b;c=d"),
                         entry("escapes", "100% \"quoted\" back\\slash"),
                         entry("utf8",
                               "Montr\xC3\xA9"
                               "al \xE2\x82\xAC \xF0\x9F\x98\x80"),
                         entry("control", "line\nbreak\ttab"),
                         entry("empty", ""),
                         entry("with_properties", "v", "p=x;flag")};
  const ParseResult result = parse(format(original));
  EXPECT_EQ(result.entries, original);
  EXPECT_EQ(result.invalid, 0U);
  EXPECT_EQ(result.dropped, 0U);
}

// --- percent_decode ------------------------------------------------------------------------

TEST(BaggagePercentDecodeTest, RejectsEscapeCutShortAtTheEnd) {
  std::string out;
  EXPECT_FALSE(percent_decode("abc%4", out));
  EXPECT_FALSE(percent_decode("abc%", out));
}

TEST(BaggagePercentDecodeTest, DecodesEscapeAtTheVeryEnd) {
  std::string out;
  ASSERT_TRUE(percent_decode("abc%41", out));
  EXPECT_EQ(out, "abcA");
}

// The limits count a member as format() writes it again: an escape of invalid UTF-8 is written as
// that of U+FFFD (3 bytes become 9), so a header taken in whole goes out whole.
TEST(BaggageParseTest, AHeaderTakenInWholeGoesOutWhole) {
  std::string header;
  for (int i = 0; i < 60; ++i) {
    header += (i > 0 ? "," : "") + std::string("k") + std::to_string(i) + "=";
    for (int j = 0; j < 40; ++j) header += "%FF";
  }
  ASSERT_LE(header.size(), kMaxBytes);
  const ParseResult parsed = parse(header);
  std::size_t dropped = 0;
  const std::string out = format(parsed.entries, &dropped);
  EXPECT_EQ(dropped, 0U);
  EXPECT_EQ(split_members(out).size(), parsed.entries.size());
  EXPECT_EQ(parsed.entries.size() + parsed.dropped, 60U);
  EXPECT_GT(parsed.dropped, 0U);  // what does not fit once re-encoded is dropped here, and counted
}

TEST(BaggageMergeTest, AddsWhatFitsInOrderAndSaysHowManyWereLeftOut) {
  Entries into{{"bad key", "x", ""}};  // format() leaves it out: it counts for nothing
  Entries entries;
  for (int i = 0; i < 70; ++i) entries.push_back({"k" + std::to_string(i), "v", ""});
  EXPECT_EQ(merge_within_limits(into, entries), 6U);
  ASSERT_EQ(into.size(), 65U);
  EXPECT_EQ(into[0].key, "bad key");
  EXPECT_EQ(into.back().key, "k63");
  Entries large{{"a", std::string(5000, 'x'), ""}};
  EXPECT_EQ(merge_within_limits(large, {{"b", std::string(5000, 'y'), ""}, {"c", "z", ""}}), 1U);
  ASSERT_EQ(large.size(), 2U);
  EXPECT_EQ(large[1].key, "c");  // a later member that fits is still added
}

}  // namespace
}  // namespace honeyhive::baggage
