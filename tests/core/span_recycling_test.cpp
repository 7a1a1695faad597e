// Span records are recycled (src/core/span_record_pool.hpp): a span started from a record that
// served an earlier span must carry nothing of it: no attribute, event, link, status, name, parent
// or dropped count, whatever the earlier span held (more or fewer attributes, arrays, strings
// larger than a recycled record may keep).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/span_record_pool.hpp"
#include "core/span_state.hpp"
#include "core/static_key_texts.hpp"
#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/span_data.hpp"
#include "honeyhive/core/span_limits.hpp"
#include "honeyhive/core/structured.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/in_memory_provider.hpp"
#include "support/record_bytes.hpp"

namespace honeyhive {
namespace {

constexpr bool kRecordsAreRecycled = detail::kSpanRecordsRecycled;  // off under AddressSanitizer

class SpanRecyclingTest : public ::testing::Test {
 protected:
  void SetUp() override { start(SpanLimits{}); }

  void start(const SpanLimits& limits) {
    ProviderOptions options;
    options.limits = limits;
    traced_ = test::make_in_memory_provider(std::move(options), "recycling_test");
  }

  // Ends `span` and releases it, copies what was exported and lets the exporter drop it, so its
  // record goes back to the pool at once. Notes the record's address in `addresses`.
  SpanData finish(Span span, std::set<const SpanData*>& addresses) {
    span.end();
    span = Span();
    const SpanDataPtr exported = traced_.last_span();
    if (!exported) return SpanData{};
    SpanData copy = *exported;
    addresses.insert(exported.get());
    traced_.exporter->clear();
    return copy;
  }
  SpanData finish(Span span) { return finish(std::move(span), addresses_); }

  // finish() for a span of a test's second kind: also notes in `landed` whether it ran on a record
  // that a span of the first kind (whose records are `first_kind`) used before.
  SpanData finish_second_kind(Span span, const std::set<const SpanData*>& first_kind, bool& landed) {
    std::set<const SpanData*> record;
    SpanData data = finish(std::move(span), record);
    if (!record.empty() && first_kind.count(*record.begin()) > 0) landed = true;
    return data;
  }

  // Without a span of the second kind on a record of the first, a test would check nothing about
  // recycling (records are not recycled under AddressSanitizer).
  static void expect_records_passed_between_kinds(bool landed) {
    if (kRecordsAreRecycled) {
      EXPECT_TRUE(landed);
    }
  }

  // Records are shared by every provider in the process: spans of a provider without limits
  // ("wide") alternate with spans of this test's provider, all given `write`, so that spans of this
  // provider land on records a wide span used; each kind's exported data goes to its check.
  void alternate_with_unlimited_provider(const std::function<void(Span&)>& write,
                                         const std::function<void(const SpanData&)>& check_wide,
                                         const std::function<void(const SpanData&)>& check_limited) {
    test::InMemoryProvider wide = test::make_in_memory_provider(ProviderOptions{}, "wide");
    std::set<const SpanData*> wide_records;
    bool limited_on_wide_record = false;
    for (int round = 0; round < 200; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      if (round % 40 < 30) {
        auto span = wide.tracer->start_span("s");
        write(span);
        span.end();
        span = Span();
        const SpanDataPtr exported = wide.last_span();
        ASSERT_NE(exported, nullptr);
        wide_records.insert(exported.get());
        check_wide(*exported);
        wide.exporter->clear();
        continue;
      }
      auto span = traced_.tracer->start_span("s");
      write(span);
      check_limited(finish_second_kind(std::move(span), wide_records, limited_on_wide_record));
    }
    expect_records_passed_between_kinds(limited_on_wide_record);
  }

  // Spans written by `first` alternate with spans written by `second`, so that the second kind runs
  // on records the first kind used: the first kind's attributes have `first_keys` (the set-up each
  // test describes), the second kind's are `expected`.
  void alternate_structured_kinds(const std::function<void(Span&)>& first, const std::vector<std::string>& first_keys,
                                  const std::function<void(Span&)>& second, const Attributes& expected) {
    std::set<const SpanData*> first_kind;
    bool second_on_first_kind = false;
    for (int round = 0; round < 40; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      auto span = traced_.tracer->start_span(round % 2 == 0 ? "first" : "second");
      if (round % 2 == 0) {
        first(span);
        const SpanData data = finish(std::move(span), first_kind);
        std::vector<std::string> keys;
        for (const auto& attribute : data.attributes) keys.push_back(attribute.key);
        ASSERT_EQ(keys, first_keys);
        continue;
      }
      second(span);
      EXPECT_EQ(finish_second_kind(std::move(span), first_kind, second_on_first_kind).attributes, expected);
    }
    expect_records_passed_between_kinds(second_on_first_kind);
  }

  test::InMemoryProvider traced_;
  std::set<const SpanData*> addresses_;
};

// A span with much on it: 12 attributes of every kind (one string past what a record keeps), an
// event, a link, an error status, a parent.
void fill_heavily(Span& span, int round) {
  span.set_attribute("heavy.text", "a value longer than fifteen characters " + std::to_string(round));
  span.set_attribute("heavy.big", std::string(5000, 'x'));
  span.set_attribute("heavy.int", round);
  span.set_attribute("heavy.double", 0.5);
  span.set_attribute("heavy.bool", true);
  span.set_attribute("heavy.ints", std::vector<std::int64_t>{1, 2, 3});
  span.set_attribute("heavy.texts", std::vector<std::string>{"a", "b"});
  for (int i = 0; i < 5; ++i) span.set_attribute("heavy.extra." + std::to_string(i), i);
  span.add_event("heavy-event", {{"event.key", AttributeValue{std::string("event value")}}});
  span.add_link(span.context(), {{"link.key", AttributeValue{std::int64_t{1}}}});
  span.set_status(StatusCode::error, "heavy failure");
}

TEST_F(SpanRecyclingTest, ASpanFromARecycledRecordCarriesNothingOfTheLastSpan) {
  std::set<const SpanData*> heavy_records;
  bool light_on_heavy_record = false;
  for (int round = 0; round < 600; ++round) {
    // Heavy and light spans in an irregular order, so records pass from one kind to the other.
    if ((round * 7) % 5 < 2) {
      auto parent = traced_.tracer->start_span("parent");
      StartSpanOptions options;
      if (round % 2 == 0) options.parent = Context().with_span(parent);
      auto heavy = traced_.tracer->start_span("heavy-" + std::to_string(round), options);
      fill_heavily(heavy, round);
      const SpanData first = finish(std::move(heavy), heavy_records);
      ASSERT_EQ(first.attributes.size(), 12U) << "round " << round;
      ASSERT_EQ(first.events.size(), 1U);
      ASSERT_EQ(first.links.size(), 1U);
      finish(std::move(parent));
      continue;
    }

    // Fewer attributes, other keys, one set twice (overwrite), on a span without a parent.
    auto light = traced_.tracer->start_span("light");
    light.set_attribute("light.b", "second");
    light.set_attribute("light.a", round);
    light.set_attribute("light.b", "overwritten");
    const SpanData second = finish_second_kind(std::move(light), heavy_records, light_on_heavy_record);

    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(second.name, "light");
    const Attributes expected{{"light.b", AttributeValue{std::string("overwritten")}},
                              {"light.a", AttributeValue{std::int64_t{round}}}};
    EXPECT_EQ(second.attributes, expected);
    EXPECT_TRUE(second.events.empty());
    EXPECT_TRUE(second.links.empty());
    EXPECT_EQ(second.status.code, StatusCode::unset);
    EXPECT_EQ(second.status.description, "");
    EXPECT_FALSE(second.parent_span_id.is_valid());
    EXPECT_EQ(second.dropped_attributes_count, 0U);
    EXPECT_EQ(second.dropped_events_count, 0U);
    EXPECT_EQ(second.dropped_links_count, 0U);
    ASSERT_NE(second.resource, nullptr);
    ASSERT_NE(second.scope, nullptr);
    EXPECT_EQ(second.scope->name, "recycling_test");
  }
  expect_records_passed_between_kinds(light_on_heavy_record);
}

TEST_F(SpanRecyclingTest, RecycledSlotsCountAgainstNeitherTheLimitNorTheDroppedCount) {
  SpanLimits limits;
  limits.attribute_count = 4;
  start(limits);
  std::set<const SpanData*> full_records;
  bool few_on_full_record = false;
  for (int round = 0; round < 600; ++round) {
    if ((round * 7) % 5 < 2) {
      auto full = traced_.tracer->start_span("full");
      for (int i = 0; i < 6; ++i) full.set_attribute("full." + std::to_string(i), i);
      const SpanData first = finish(std::move(full), full_records);
      ASSERT_EQ(first.attributes.size(), 4U);
      ASSERT_EQ(first.dropped_attributes_count, 2U);
      continue;
    }
    auto few = traced_.tracer->start_span("few");
    few.set_attribute("few", "one");
    const SpanData second = finish_second_kind(std::move(few), full_records, few_on_full_record);
    ASSERT_EQ(second.attributes.size(), 1U) << "round " << round;
    EXPECT_EQ(second.attributes[0].key, "few");
    EXPECT_EQ(second.dropped_attributes_count, 0U);
  }
  expect_records_passed_between_kinds(few_on_full_record);
}

// A recycled slot remembers its key's class (the key filter's bit), so a span writing the key the
// slot holds does not hash it again. When recycling frees a key too large for the record's budget,
// the slot's key is then "" and its remembered class is no longer that key's; and two freed keys
// are both "", so the slots' keys are no longer distinct. A later span that writes the empty key,
// and then writes it again where a freed slot holds "", must still find it live and overwrite it
// rather than add it twice (also when its first write was in the last span's order).
TEST_F(SpanRecyclingTest, AKeyFreedByRecyclingIsNotTakenForItsOldClass) {
  std::set<const SpanData*> long_key_records;
  bool empty_key_on_long_key_record = false;
  // Two keys past the whole budget: both freed at recycle, so two slots then hold "".
  const std::string long_key(3 * 2048, 'k');
  const std::string other_long_key(3 * 2048, 'o');
  for (int round = 0; round < 40; ++round) {
    if (round % 2 == 0) {
      auto first = traced_.tracer->start_span("long-key");
      first.set_attribute("", 0);  // kept: the next span writes it in sequence, then meets a freed ""
      first.set_attribute(long_key, 1);
      first.set_attribute(other_long_key, 1);
      first.set_attribute("after", 2);
      const SpanData data = finish(std::move(first), long_key_records);
      ASSERT_EQ(data.attributes.size(), 4U);
      continue;
    }
    auto second = traced_.tracer->start_span("empty-key");
    second.set_attribute("", 1);
    second.set_attribute("", 2);
    second.set_attribute("after", 3);
    const SpanData data = finish_second_kind(std::move(second), long_key_records, empty_key_on_long_key_record);
    ASSERT_EQ(data.attributes.size(), 2U) << "round " << round;
    EXPECT_EQ(data.attributes[0].key, "");
    EXPECT_EQ(data.attributes[0].value, AttributeValue{std::int64_t{2}});
    EXPECT_EQ(data.attributes[1].key, "after");
  }
  expect_records_passed_between_kinds(empty_key_on_long_key_record);
}

// A span that writes the last span's keys in the same order needs no lookup (they were distinct),
// but once it puts another key into a slot, that key may be one a later slot still holds: writing it
// again must overwrite it, not add it a second time from that later slot.
TEST_F(SpanRecyclingTest, AKeyWrittenOutOfTheLastSpansOrderIsNeverHeldTwice) {
  std::set<const SpanData*> ordered_records;
  bool reordered_on_ordered_record = false;
  for (int round = 0; round < 40; ++round) {
    if (round % 2 == 0) {
      auto ordered = traced_.tracer->start_span("ordered");
      for (int i = 0; i < 4; ++i) ordered.set_attribute("key." + std::to_string(i), i);
      const SpanData data = finish(std::move(ordered), ordered_records);
      ASSERT_EQ(data.attributes.size(), 4U);
      continue;
    }
    // key.0 in its slot, key.2 into key.1's slot, then key.2 again where the last span had it, then
    // key.1 (now in no slot) and key.3 (in its old slot, but no longer in sequence).
    auto reordered = traced_.tracer->start_span("reordered");
    reordered.set_attribute("key.0", 10);
    reordered.set_attribute("key.2", 12);
    reordered.set_attribute("key.2", 22);
    reordered.set_attribute("key.1", 11);
    reordered.set_attribute("key.3", 13);
    reordered.set_attribute("key.1", 21);
    const SpanData data = finish_second_kind(std::move(reordered), ordered_records, reordered_on_ordered_record);
    SCOPED_TRACE("round " + std::to_string(round));
    const Attributes expected{{"key.0", AttributeValue{std::int64_t{10}}},
                              {"key.2", AttributeValue{std::int64_t{22}}},
                              {"key.1", AttributeValue{std::int64_t{21}}},
                              {"key.3", AttributeValue{std::int64_t{13}}}};
    EXPECT_EQ(data.attributes, expected);
  }
  expect_records_passed_between_kinds(reordered_on_ordered_record);
}

// Texts under literal keys (the tracer's own) are known by the literal's address once written into
// a slot; that must not outlive the slot's key. Here a span writes "lit.aa" into a slot, the next
// span on that record writes "lit.bb" (the same length) there, and the one after writes "lit.aa"
// again: it must land under "lit.aa", not under the slot's "lit.bb".
// Only a literal makes a LiteralKey: not a string or a view, whose buffer may be reused for another
// key at the same address, nor a writable array.
static_assert(std::is_constructible_v<detail::LiteralKey, const char (&)[7]>);
static_assert(!std::is_constructible_v<detail::LiteralKey, std::string>);
static_assert(!std::is_constructible_v<detail::LiteralKey, std::string_view>);
static_assert(!std::is_constructible_v<detail::LiteralKey, const char*>);
static_assert(!std::is_constructible_v<detail::LiteralKey, char (&)[7]>);

TEST_F(SpanRecyclingTest, ALiteralKeyIsNotTakenForTheSlotsKeyAfterAnotherKeyWasWrittenThere) {
  const detail::LiteralKeyText literal[] = {{"lit.aa", "first"}, {"lit.zz", "second"}};
  std::set<const SpanData*> replaced_records;
  bool literal_after_replaced = false;
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto span = traced_.tracer->start_span("s");
    // The kinds' order shifts every 4 rounds: with a plain round % 3, three records going round
    // (A B C C B A, as when this test runs first in its process) always gave the second kind's
    // record to a span of the second kind again, and no span of the third kind landed on one.
    switch ((round + round / 4) % 3) {
      case 0: {
        detail::StaticKeyTexts::write(span, literal, 2);
        const SpanData data = finish(std::move(span));
        ASSERT_EQ(data.attributes.size(), 2U);
        EXPECT_EQ(data.attributes[0].key, "lit.aa");
        break;
      }
      case 1: {
        span.set_attribute("lit.bb", "other");
        span.set_attribute("lit.zz", "third");
        const SpanData data = finish(std::move(span), replaced_records);
        const Attributes expected{{"lit.bb", AttributeValue{std::string("other")}},
                                  {"lit.zz", AttributeValue{std::string("third")}}};
        EXPECT_EQ(data.attributes, expected);
        break;
      }
      default: {
        detail::StaticKeyTexts::write(span, literal, 2);
        const SpanData data = finish_second_kind(std::move(span), replaced_records, literal_after_replaced);
        const Attributes expected{{"lit.aa", AttributeValue{std::string("first")}},
                                  {"lit.zz", AttributeValue{std::string("second")}}};
        EXPECT_EQ(data.attributes, expected);
        break;
      }
    }
  }
  expect_records_passed_between_kinds(literal_after_replaced);
}

// Values written into recycled slots are repaired and truncated exactly as new ones.
TEST_F(SpanRecyclingTest, RecycledSlotsApplyUtf8RepairAndTheValueLengthLimit) {
  SpanLimits limits;
  limits.attribute_value_length = 5;
  start(limits);
  for (int round = 0; round < 200; ++round) {
    auto span = traced_.tracer->start_span("s");
    span.set_attribute("text", "h\xC3\xA9llo world");  // valid: 5 code points kept, 6 bytes
    span.set_attribute("bad", "ab\xFF");               // invalid byte: replaced
    span.set_attribute("key\xFF", 1);                  // invalid key: repaired
    const SpanData data = finish(std::move(span));
    ASSERT_EQ(data.attributes.size(), 3U);
    EXPECT_EQ(std::get<std::string>(data.attributes[0].value), "h\xC3\xA9llo");
    EXPECT_EQ(std::get<std::string>(data.attributes[1].value), "ab\xEF\xBF\xBD");
    EXPECT_EQ(data.attributes[2].key, "key\xEF\xBF\xBD");
  }
  if (kRecordsAreRecycled) {
    EXPECT_LT(addresses_.size(), 200U);
  }
}

// A text written over a recycled slot's text of the same length is stored as a new one would be:
// when it is not all ASCII, repaired if it is not valid UTF-8 and kept whole if it is (through a
// setter, a structured value's text and a structured list).
TEST_F(SpanRecyclingTest, NonAsciiTextOfTheSlotsLengthIsRepairedOrKeptAsANewOneWouldBe) {
  SpanLimits limits;
  limits.attribute_value_length = 7;
  start(limits);
  std::set<const SpanData*> ascii_records;
  bool other_on_ascii_record = false;
  for (int round = 0; round < 80; ++round) {
    const bool ascii = round % 2 == 0;
    // Each text 7 bytes long in both kinds of round (2 and 4 in the list).
    const std::string text = ascii ? "abcdefg"
                                   : (round % 4 == 1 ? "abc\xFF"
                                                       "efg"
                                                     : "ab\xC3\xA9"
                                                       "efg");
    const std::string leaf = ascii ? "hijklmn" : (round % 4 == 1 ? "\xFFijklmn" : "hijkl\xC3\xA9");
    const std::vector<std::string> list = ascii ? std::vector<std::string>{"abcd", "ef"}
                                                : (round % 4 == 1 ? std::vector<std::string>{"ab\xFF"
                                                                                             "d",
                                                                                             "ef"}
                                                                  : std::vector<std::string>{"abcd", "\xC3\xA9"});
    auto span = traced_.tracer->start_span("s");
    span.set_attribute("text", text);
    span.set_structured("p", nlohmann::json{{"leaf", leaf}, {"list", list}});
    if (ascii) {
      const SpanData data = finish(std::move(span), ascii_records);
      ASSERT_EQ(data.attributes.size(), 3U);
      continue;
    }
    const SpanData data = finish_second_kind(std::move(span), ascii_records, other_on_ascii_record);
    SCOPED_TRACE("round " + std::to_string(round));
    const bool invalid = round % 4 == 1;
    const Attributes expected{{"text", AttributeValue{std::string(invalid ? "abc\xEF\xBF\xBD"
                                                                            "efg"
                                                                          : "ab\xC3\xA9"
                                                                            "efg")}},
                              {"p.leaf", AttributeValue{std::string(invalid ? "\xEF\xBF\xBDijklmn" : "hijkl\xC3\xA9")}},
                              {"p.list", AttributeValue{invalid ? std::vector<std::string>{"ab\xEF\xBF\xBD"
                                                                                           "d",
                                                                                           "ef"}
                                                                : std::vector<std::string>{"abcd", "\xC3\xA9"}}}};
    EXPECT_EQ(data.attributes, expected);
  }
  expect_records_passed_between_kinds(other_on_ascii_record);
}

// The same for texts of every word-copy path (8 to 64 bytes by words, the last word overlapping;
// longer ones whole): a byte outside ASCII anywhere, the last byte included, is caught and repaired.
TEST_F(SpanRecyclingTest, AnInvalidByteAnywhereInALongTextOfTheSlotsLengthIsRepaired) {
  std::set<const SpanData*> ascii_records;
  bool invalid_on_ascii_record = false;
  for (const std::size_t length : {8U, 9U, 15U, 16U, 20U, 63U, 64U, 65U, 70U}) {
    for (const std::size_t position : {std::size_t{0}, length / 2, length - 1}) {
      SCOPED_TRACE("length " + std::to_string(length) + ", position " + std::to_string(position));
      auto ascii = traced_.tracer->start_span("s");
      ascii.set_attribute("text", std::string(length, 'a'));
      const SpanData first = finish(std::move(ascii), ascii_records);
      ASSERT_EQ(first.attributes.size(), 1U);
      EXPECT_EQ(first.attributes[0].value, AttributeValue{std::string(length, 'a')});
      std::string text(length, 'b');
      text[position] = '\xFF';
      auto invalid = traced_.tracer->start_span("s");
      invalid.set_attribute("text", text);
      const SpanData second = finish_second_kind(std::move(invalid), ascii_records, invalid_on_ascii_record);
      std::string repaired = text;
      repaired.replace(position, 1, "\xEF\xBF\xBD");
      ASSERT_EQ(second.attributes.size(), 1U);
      EXPECT_EQ(second.attributes[0].value, AttributeValue{repaired});
    }
  }
  expect_records_passed_between_kinds(invalid_on_ascii_record);
}

// Texts of other lengths than the one a recycled slot holds (prompts and answers differ from call
// to call) are written over it whole: shorter, longer within its buffer, longer than its buffer,
// empty, and not ASCII (repaired) among them.
TEST_F(SpanRecyclingTest, TextsShorterOrLongerThanTheSlotsAreWrittenWhole) {
  const std::vector<std::string> texts = {std::string(30, 'a'),
                                          "short",
                                          "abcdefgh\xFF",
                                          std::string(30, 'b'),
                                          std::string(20, 'c'),
                                          std::string(29, 'd'),
                                          "",
                                          std::string(31, 'e'),
                                          std::string(80, 'f'),
                                          "\xC3\xA9t\xC3\xA9",
                                          std::string(10, 'g'),
                                          "ab\xFF",
                                          "x"};
  for (int round = 0; round < 130; ++round) {  // 10 x 13 texts
    const std::string& text = texts[static_cast<std::size_t>(round) % texts.size()];
    auto span = traced_.tracer->start_span("s");
    span.set_attribute("before", 1);
    span.set_attribute("text", text);
    span.set_structured("p", nlohmann::json{{"text", text}});
    const SpanData data = finish(std::move(span));
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string expected = text == "ab\xFF"         ? "ab\xEF\xBF\xBD"
                                 : text == "abcdefgh\xFF" ? "abcdefgh\xEF\xBF\xBD"
                                                          : text;
    const Attributes want{{"before", AttributeValue{std::int64_t{1}}},
                          {"text", AttributeValue{expected}},
                          {"p.text", AttributeValue{expected}}};
    EXPECT_EQ(data.attributes, want);
  }
  if (kRecordsAreRecycled) {
    EXPECT_LT(addresses_.size(), 130U);
  }
}

// Events are recycled like attributes: an event written over a slot has exactly its own name, time,
// attributes and dropped count, and slots the span did not use are not its events.
TEST_F(SpanRecyclingTest, EventsOnRecycledSlotsCarryNothingOfTheLastSpansEvents) {
  SpanLimits limits;
  limits.event_count = 3;
  limits.event_attribute_count = 1;
  start(limits);
  std::set<const SpanData*> busy_records;
  bool quiet_on_busy_record = false;
  // In phases of 30 busy spans and then 10 quiet ones: after 30 spans released one at a time, the
  // records this thread takes from the pool are ones busy spans used (the pool hands out the most
  // recently returned first, at most 8 at a time), so quiet spans land on them whatever state
  // earlier tests left the pool in.
  for (int round = 0; round < 240; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    if (round % 40 < 30) {
      auto busy = traced_.tracer->start_span("busy");
      // The quiet span's event has this first event's name: written over its slot, it must not
      // keep the attribute or the dropped count.
      busy.add_event("second", {{"a", AttributeValue{std::int64_t{1}}}, {"b", AttributeValue{std::int64_t{2}}}});
      busy.add_event("first-event-with-a-long-name");
      busy.add_event("bad\xFF", {}, 123);
      busy.add_event("over the limit");
      const SpanData data = finish(std::move(busy), busy_records);
      ASSERT_EQ(data.events.size(), 3U);
      EXPECT_EQ(data.events[0].name, "second");
      EXPECT_EQ(data.events[0].attributes.size(), 1U);
      EXPECT_EQ(data.events[0].dropped_attributes_count, 1U);
      EXPECT_EQ(data.events[1].name, "first-event-with-a-long-name");
      EXPECT_EQ(data.events[2].name, "bad\xEF\xBF\xBD");
      EXPECT_EQ(data.events[2].time_unix_nanos, 123U);
      EXPECT_EQ(data.dropped_events_count, 1U);
      continue;
    }
    auto quiet = traced_.tracer->start_span("quiet");
    quiet.add_event("second", {}, 456);
    const SpanData data = finish_second_kind(std::move(quiet), busy_records, quiet_on_busy_record);
    ASSERT_EQ(data.events.size(), 1U);
    EXPECT_EQ(data.events[0].name, "second");
    EXPECT_EQ(data.events[0].time_unix_nanos, 456U);
    EXPECT_TRUE(data.events[0].attributes.empty());
    EXPECT_EQ(data.events[0].dropped_attributes_count, 0U);
    EXPECT_EQ(data.dropped_events_count, 0U);
  }
  expect_records_passed_between_kinds(quiet_on_busy_record);
}

// Records are shared by every provider in the process, and providers may have different limits: a
// value written over a slot that holds the same text, from a provider without a length limit, is
// still cut to this provider's limit.
TEST_F(SpanRecyclingTest, ASlotWrittenUnderAnotherProvidersLimitsGetsThisProvidersLimit) {
  SpanLimits five;
  five.attribute_value_length = 5;
  start(five);
  alternate_with_unlimited_provider([](Span& span) { span.set_attribute("k", "hello world"); },
                                    [](const SpanData& wide) {
                                      ASSERT_NE(wide.find_attribute("k"), nullptr);
                                      EXPECT_EQ(*wide.find_attribute("k"), AttributeValue{std::string("hello world")});
                                    },
                                    [](const SpanData& narrow) {
                                      ASSERT_EQ(narrow.attributes.size(), 1U);
                                      EXPECT_EQ(narrow.attributes[0].value, AttributeValue{std::string("hello")});
                                    });
}

// The attribute count limit, likewise: a span writing the keys a record's last span (of a provider
// without that limit) wrote, in the same order, still keeps only as many as its own limit allows.
TEST_F(SpanRecyclingTest, ARecordFromAProviderWithoutTheCountLimitStillKeepsOnlyTheLimit) {
  SpanLimits three;
  three.attribute_count = 3;
  start(three);
  alternate_with_unlimited_provider(
      [](Span& span) {
        for (int i = 0; i < 6; ++i) span.set_attribute("k" + std::to_string(i), i);
      },
      [](const SpanData& wide) { ASSERT_EQ(wide.attributes.size(), 6U); },
      [](const SpanData& narrow) {
        ASSERT_EQ(narrow.attributes.size(), 3U);
        EXPECT_EQ(narrow.attributes[2].key, "k2");
        EXPECT_EQ(narrow.dropped_attributes_count, 3U);
      });
}

// A list of strings from a structured value is written into the list already in its slot (a
// recycled slot's, or the attribute's it overwrites) when it can be; whatever the last list there
// was (longer, shorter, other lengths of text), the span carries exactly the new list, repaired and
// truncated as a new one would be.
TEST_F(SpanRecyclingTest, StructuredStringListsOnRecycledSlotsAreExactlyTheNewList) {
  SpanLimits limits;
  limits.attribute_value_length = 4;
  start(limits);
  const std::vector<std::pair<nlohmann::json, std::vector<std::string>>> cases = {
      {{"geo", "faq"}, {"geo", "faq"}},
      {{"gem", "f\xFFq"}, {"gem", "f\xEF\xBF\xBDq"}},  // the first written in place, the second repaired
      {{"ab", "cdefgh"}, {"ab", "cdef"}},              // truncated to 4 characters
      {{"x\xFFy", "z"}, {"x\xEF\xBF\xBDy", "z"}},      // repaired, then 3 characters kept
      {{"one"}, {"one"}},                              // fewer items
      {{"a", "b", "c"}, {"a", "b", "c"}},              // more items
      {{"a string far past the buffer", "q"}, {"a st", "q"}},
      {nlohmann::json::array(), {}},
  };
  for (int round = 0; round < 160; ++round) {  // 160 = 20 x 8 cases: each with and without overwrite
    const auto& [list, expected] = cases[static_cast<std::size_t>(round) % cases.size()];
    auto span = traced_.tracer->start_span("s");
    if (round % 2 == 0) {
      // An overwrite: the list is written over this span's own list of two short strings.
      span.set_structured("p", nlohmann::json{{"before", 0}, {"tags", {"old", "old"}}});
    }
    span.set_structured("p", nlohmann::json{{"before", 1}, {"tags", list}});
    const SpanData data = finish(std::move(span));
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_EQ(data.attributes.size(), 2U);
    EXPECT_EQ(data.attributes[1].key, "p.tags");
    EXPECT_EQ(data.attributes[1].value, AttributeValue{expected});
  }
  if (kRecordsAreRecycled) {
    EXPECT_LT(addresses_.size(), 160U);
  }
}

// A member of a structured value goes into the next recycled slot by its name alone when the slot
// before it holds a key under the same prefix and the two slots' keys share more than that prefix
// (SpanState::slot_shared). A slot whose key ends in the member's name under another prefix of the
// same length must not be taken for it: here the last span's "rite.b" follows its "left.a".
TEST_F(SpanRecyclingTest, AMemberIsNotWrittenUnderTheLastSpansKeyOfTheSameNameAndLength) {
  alternate_structured_kinds(
      [](Span& span) {
        span.set_structured("left", nlohmann::json{{"a", 1}});
        span.set_structured("rite", nlohmann::json{{"b", 2}});
      },
      {"left.a", "rite.b"},
      [](Span& span) {
        span.set_structured("left", nlohmann::json{{"a", 3}, {"b", 4}});
      },
      {{"left.a", AttributeValue{std::int64_t{3}}}, {"left.b", AttributeValue{std::int64_t{4}}}});
}

// Members go into their places by name only while the span writes in sequence. Here the second
// kind writes "a.z" first, into the last span's "a.x" slot, which ends the sequence; its object's
// "y" then still fits the next slot (not live: the key filter says so), but "z" must update the live
// "a.z" rather than go by its name into the slot after, which holds the last span's "a.z".
TEST_F(SpanRecyclingTest, AMemberIsNotWrittenInPlaceOnceTheSpanWritesOutOfSequence) {
  alternate_structured_kinds(
      [](Span& span) {
        span.set_structured("a", nlohmann::json{{"x", 1}, {"y", 2}, {"z", 3}});
      },
      {"a.x", "a.y", "a.z"},
      [](Span& span) {
        span.set_attribute("a.z", 9);
        span.set_structured("a", nlohmann::json{{"y", 1}, {"z", 2}});
      },
      {{"a.z", AttributeValue{std::int64_t{2}}}, {"a.y", AttributeValue{std::int64_t{1}}}});
}

// The member's name is compared with the end of the next slot's key, not only its length: "zz"
// does not go into the last span's "p.id".
TEST_F(SpanRecyclingTest, AMemberIsNotWrittenUnderAnotherNameOfTheSameLength) {
  alternate_structured_kinds(
      [](Span& span) {
        span.set_structured("p", nlohmann::json{{"a", 1}, {"id", 2}});
      },
      {"p.a", "p.id"},
      [](Span& span) {
        span.set_structured("p", nlohmann::json{{"a", 3}, {"zz", 4}});
      },
      {{"p.a", AttributeValue{std::int64_t{3}}}, {"p.zz", AttributeValue{std::int64_t{4}}}});
}

// Whether the last attribute is under an object's key is found again for each member put under its
// whole key. Here the nested object "x" begins with a member that puts nothing (null), so the last
// attribute is still the one under "w" ("p.w.c"); the next member ("b") must not then go by its
// name into the last span's "p.w.b", which follows "p.w.c" and has the member's name and the
// length of "p.x.b".
TEST_F(SpanRecyclingTest, AMemberAfterANullIsNotWrittenUnderTheLastObjectsKey) {
  alternate_structured_kinds(
      [](Span& span) {
        span.set_structured("p", nlohmann::json{{"w", {{"c", 1}}}});
        span.set_structured("p", nlohmann::json{{"w", {{"b", 2}}}});
      },
      {"p.w.c", "p.w.b"},
      [](Span& span) {
        span.set_structured("p", nlohmann::json{{"w", {{"c", 3}}}, {"x", {{"0", nullptr}, {"b", 4}}}});
      },
      {{"p.w.c", AttributeValue{std::int64_t{3}}}, {"p.x.b", AttributeValue{std::int64_t{4}}}});
}

// Structured values of a few recurring shapes (so most spans run on a record whose last span wrote
// the same or nearly the same keys) under prefixes of one length, with values of every leaf kind
// and a member name too long for a record to keep:
// each span's attributes are exactly what flatten_structured gives for its values, the later of two
// equal keys overwriting the earlier in place.
TEST_F(SpanRecyclingTest, StructuredValuesOnRecycledRecordsAreExactlyTheirFlattenedLeaves) {
  std::uint64_t seed = 0x9E3779B97F4A7C15ULL;
  auto next = [&seed](std::uint64_t bound) {
    seed ^= seed << 13U;
    seed ^= seed >> 7U;
    seed ^= seed << 17U;
    return seed % bound;
  };
  // One name past what a record keeps: recycling frees its key, between keys it keeps.
  const std::vector<std::string> names = {"a", "id", "tier", "model", "prompt", "b", "zz", std::string(3 * 2048, 'n')};
  const std::vector<std::string> prefixes = {"left", "rite", "down"};
  std::function<nlohmann::json(int)> leaf_or_object = [&](int depth) -> nlohmann::json {
    switch (next(depth > 0 ? 12 : 11)) {
      case 0: return "pro";
      case 1: return "What is the capital of France?";
      case 2: return "caf\xC3\xA9";  // non-ASCII, valid
      case 3: return static_cast<std::int64_t>(next(1000));
      case 4: return next(2) == 0;
      case 5: return 0.25 * static_cast<double>(next(8));
      case 6: return std::nan("");
      case 7: return nlohmann::json{"geo", "faq"};
      case 8: return nlohmann::json{"geography", "f"};
      case 9: return nullptr;
      case 10: return std::uint64_t{18446744073709551615ULL};
      default: {
        nlohmann::json object = nlohmann::json::object();
        const std::uint64_t members = 1 + next(3);
        for (std::uint64_t i = 0; i < members; ++i) object[names[next(names.size())]] = leaf_or_object(depth - 1);
        return object;
      }
    }
  };
  // Eight shapes, each a list of (prefix, value); a span takes one, so shapes recur.
  std::vector<std::vector<std::pair<std::string, nlohmann::json>>> shapes;
  for (int i = 0; i < 8; ++i) {
    std::vector<std::pair<std::string, nlohmann::json>> shape;
    const std::uint64_t values = 1 + next(3);
    for (std::uint64_t v = 0; v < values; ++v) {
      nlohmann::json object = nlohmann::json::object();
      const std::uint64_t members = 1 + next(names.size());
      for (std::uint64_t m = 0; m < members; ++m) object[names[next(names.size())]] = leaf_or_object(1);
      shape.emplace_back(prefixes[next(prefixes.size())], std::move(object));
    }
    shapes.push_back(std::move(shape));
  }
  const std::size_t max_depth = SpanLimits{}.structured_max_depth;
  std::size_t attributes_checked = 0;
  for (int round = 0; round < 600; ++round) {
    // Mostly the shape of the last span or the one before, sometimes another.
    const auto& shape = shapes[next(4) == 0 ? next(shapes.size()) : static_cast<std::size_t>(round / 3) % 2];
    auto span = traced_.tracer->start_span("s");
    Attributes expected;
    for (const auto& [prefix, value] : shape) {
      span.set_structured(prefix, value);
      Attributes flat;
      flatten_structured(prefix, value, max_depth, flat);
      for (auto& attribute : flat) {
        auto same = std::find_if(expected.begin(), expected.end(),
                                 [&](const Attribute& had) { return had.key == attribute.key; });
        if (same != expected.end()) {
          same->value = std::move(attribute.value);
        } else {
          expected.push_back(std::move(attribute));
        }
      }
    }
    const SpanData data = finish(std::move(span));
    ASSERT_EQ(data.attributes, expected) << "round " << round;
    attributes_checked += expected.size();
  }
  EXPECT_GT(attributes_checked, 600U);
  if (kRecordsAreRecycled) {
    EXPECT_LT(addresses_.size(), 600U);
  }
}

// --- What a recycled record keeps (SpanState::recycle on a state built by hand) -----------------

// The heap bytes of the strings and lists a record keeps, which recycle() keeps within
// kMaxKeptBytes.
std::size_t kept_bytes(const detail::SpanState& state) { return test::record_bytes(state, test::RecordBytes::on_heap); }

// A typed span (inputs, outputs and metadata of ten keys each, 42 attributes in all) stays within
// what a record keeps, on a record made new as on one recycled after such spans: were its
// attribute vector to outgrow kMaxKeptAttributes, every record would be emptied at its span's end
// and every typed span would allocate all its keys again.
TEST_F(SpanRecyclingTest, TypedSpansStayWithinWhatARecordKeeps) {
  const nlohmann::json object = {{"prompt", "What is the capital of France?"},
                                 {"system", "You are a helpful assistant."},
                                 {"model", "sim-gpt-small"},
                                 {"temperature", 0.2},
                                 {"top_k", 3},
                                 {"stream", false},
                                 {"tags", {"geo", "faq"}},
                                 {"user", {{"id", 123}, {"tier", "pro"}}},
                                 {"locale", "en-GB"},
                                 {"retries", 2}};
  const auto typed = [&](Span& span) {
    span.set_attribute("honeyhive_event_type", "model");
    for (int i = 0; i < 8; ++i) span.set_attribute("enrichment." + std::to_string(i), i);
    span.set_inputs(object);
    span.set_outputs(object);
    span.set_metadata(object);
  };
  // Each round runs one span more at once than the last: its last span's record is made new (at
  // the size the spans before it had), and the next round writes over that record's slots.
  std::size_t exported = 0;
  for (std::size_t round = 1; round <= 6; ++round) {
    std::vector<Span> spans;
    for (std::size_t i = 0; i < round; ++i) spans.push_back(traced_.tracer->start_span("typed"));
    for (auto& span : spans) typed(span);
    for (auto& span : spans) span.end();
    spans.clear();
    for (const auto& span : traced_.exporter->spans()) {
      ASSERT_EQ(span->attributes.size(), 9U + 3 * 11);  // 11 leaves each: "tags" is one array
      EXPECT_LE(span->attributes.capacity(), detail::kMaxKeptAttributes) << "round " << round;
      ++exported;
    }
    traced_.exporter->clear();
  }
  EXPECT_EQ(exported, 21U);
}

// recycle() walks the slots only after a write that may have grown one, or when less of the budget
// is left for them than at the last walk; whichever way the record got there, it keeps at most the
// budget, and a record where nothing grew keeps its buffers.
TEST(SpanRecordBudgetTest, ARecycledRecordKeepsAtMostTheBudgetWhateverGrewSinceTheLastWalk) {
  detail::SpanState state;
  for (int i = 0; i < 20; ++i) {
    state.attributes.push_back(
        Attribute{"key-" + std::string(100, static_cast<char>('a' + i)), AttributeValue{std::string(200, 'v')}});
  }
  state.attributes.push_back(Attribute{"list", AttributeValue{std::vector<std::string>(3, std::string(300, 'l'))}});
  state.slots_grown = true;  // as the writes of those slots would have set it
  state.recycle();
  EXPECT_LE(kept_bytes(state), detail::kMaxKeptBytes);
  EXPECT_GT(kept_bytes(state), 0U);  // some of it is kept, not all thrown away

  // Nothing grew: the slots keep exactly their buffers.
  std::vector<std::size_t> capacities;
  for (const auto& slot : state.attributes) capacities.push_back(slot.key.capacity());
  state.recycle();
  std::vector<std::size_t> after;
  for (const auto& slot : state.attributes) after.push_back(slot.key.capacity());
  EXPECT_EQ(after, capacities);

  // The name and the status description take more of the budget without any slot growing (the
  // flag stays clear): the slots must still be cut down to what is left.
  for (auto& slot : state.attributes) {
    if (auto* text = std::get_if<std::string>(&slot.value))
      text->assign(std::min<std::size_t>(text->capacity(), 15), 'w');
  }
  state.name.assign(900, 'n');
  state.status.description.assign(900, 'd');
  ASSERT_FALSE(state.slots_grown);
  state.recycle();
  EXPECT_LE(kept_bytes(state), detail::kMaxKeptBytes);
  EXPECT_EQ(state.name.capacity() >= 900, true);  // the name itself fits and is kept

  // A name past the budget is freed, and the slots get the whole budget again.
  state.name.assign(5000, 'n');
  state.recycle();
  EXPECT_LE(kept_bytes(state), detail::kMaxKeptBytes);
  EXPECT_LT(state.name.capacity(), 5000U);
}

}  // namespace
}  // namespace honeyhive
