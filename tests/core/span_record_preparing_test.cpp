// While a thread finds no span records to take (every record is held by spans not yet exported),
// each span ending on it prepares the thread's next record with a copy of its slots
// (prepare_record_like, src/core/span_record_pool.hpp). A span started on such a record must carry
// exactly what it set, like any span; the record must hold no more than a recycled one may keep.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/span_record_pool.hpp"
#include "core/span_state.hpp"
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

// Takes records from the pool until this thread finds none left (the state in which ending spans
// prepare records), and gives them all back when destroyed.
class DryPool {
 public:
  DryPool() {
    detail::t_span_records_dry = false;  // as it may be left by an earlier test: look again
    for (int i = 0; i < 4096 && !detail::t_span_records_dry; ++i) held_.push_back(detail::take_span_record());
  }
  ~DryPool() {
    for (auto* record : held_) detail::give_span_record(record);
  }
  DryPool(const DryPool&) = delete;
  DryPool& operator=(const DryPool&) = delete;

 private:
  std::vector<detail::SpanRecord*> held_;
};

std::size_t counted_bytes(const detail::SpanState& state) {
  return test::record_bytes(state, test::RecordBytes::counted);
}
std::size_t heap_bytes(const detail::SpanState& state) { return test::record_bytes(state, test::RecordBytes::on_heap); }

// An ended span's state as close_span leaves it on a record made new: live attributes only, their
// classes noted.
std::unique_ptr<detail::SpanState> ended_state(std::string name, Attributes attributes) {
  auto made = std::make_unique<detail::SpanState>();
  detail::SpanState& state = *made;
  state.name = std::move(name);
  state.attributes = std::move(attributes);
  for (std::size_t i = 0; i < state.attributes.size() && i < detail::SpanState::kClassedSlots; ++i) {
    state.slot_classes[i] = static_cast<std::uint16_t>(detail::key_class(state.attributes[i].key));
  }
  state.attribute_count = state.attributes.size();
  state.slot_keys_written = true;  // as on a record made new: its keys were written, not checked
  state.ended = true;
  return made;
}

TEST(SpanRecordPreparingTest, APreparedRecordHoldsTheEndedSpansKeysAndTheValuesARecycledOneKeeps) {
  if (!detail::kSpanRecordsRecycled) GTEST_SKIP() << "records are not recycled under AddressSanitizer";
  const DryPool dry;
  ASSERT_TRUE(detail::t_span_records_dry);
  const auto ended = ended_state(
      "generate_answer", {{"honeyhive_inputs.prompt", AttributeValue{std::string("What is the capital of France?")}},
                          {"honeyhive_inputs.top_k", AttributeValue{std::int64_t{3}}},
                          {"honeyhive_inputs.temperature", AttributeValue{0.25}},
                          {"honeyhive_inputs.stream", AttributeValue{false}},
                          {"honeyhive_inputs.tags", AttributeValue{std::vector<std::string>{"geo", "faq"}}},
                          {"ints", AttributeValue{std::vector<std::int64_t>{1, 2, 3}}},
                          {"many", AttributeValue{std::vector<std::string>(detail::kMaxKeptListItems + 1, "x")}},
                          {"z", AttributeValue{std::string("short")}}});
  const std::uint64_t prepared = detail::prepared_span_records();
  detail::prepare_record_like(*ended);
  EXPECT_EQ(detail::prepared_span_records(), prepared + 1);

  detail::SpanRecord* record = detail::take_span_record();
  const detail::SpanState& state = record->state;
  ASSERT_EQ(state.attributes.size(), ended->attributes.size());
  for (std::size_t i = 0; i < ended->attributes.size(); ++i) {
    const Attribute& slot = state.attributes[i];
    EXPECT_EQ(slot.key, ended->attributes[i].key);
    EXPECT_EQ(state.slot_classes[i], detail::key_class(slot.key)) << slot.key;
    if (i > 0) {
      EXPECT_EQ(state.slot_shared[i], detail::shared_prefix(state.attributes[i - 1].key, slot.key)) << slot.key;
    }
  }
  // Scalars, strings and short lists of strings as they were; other arrays are not kept.
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(state.attributes[i].value, ended->attributes[i].value);
  EXPECT_EQ(state.attributes[5].value, AttributeValue{false});
  EXPECT_EQ(state.attributes[6].value, AttributeValue{false});
  EXPECT_EQ(state.attributes[7].value, ended->attributes[7].value);
  EXPECT_EQ(state.name, "generate_answer");
  // A span that writes the same keys writes in sequence; none of them is live yet.
  EXPECT_EQ(state.distinct_slots, ended->attributes.size());
  EXPECT_EQ(state.attribute_count, 0U);
  EXPECT_FALSE(state.slots_grown);
  EXPECT_LE(counted_bytes(state), detail::kMaxKeptBytes);

  // Nothing written: recycling keeps every buffer as it is (no walk is needed).
  std::vector<std::size_t> capacities;
  for (const auto& slot : state.attributes) capacities.push_back(slot.key.capacity());
  record->state.recycle();
  std::vector<std::size_t> after;
  for (const auto& slot : state.attributes) after.push_back(slot.key.capacity());
  EXPECT_EQ(after, capacities);
  detail::give_span_record(record);
}

TEST(SpanRecordPreparingTest, APreparedRecordSharesTheEndedSpansLongKeysInsteadOfCopyingThem) {
  if (!detail::kSpanRecordsRecycled) GTEST_SKIP() << "records are not recycled under AddressSanitizer";
  const DryPool dry;
  ASSERT_TRUE(detail::t_span_records_dry);
  const auto ended = ended_state("generate_answer",
                                 {{"honeyhive_inputs.prompt", AttributeValue{std::string("What is the capital?")}},
                                  {"honeyhive_outputs.user.tier", AttributeValue{std::string("pro")}},
                                  {"short", AttributeValue{std::int64_t{1}}}});
  detail::prepare_record_like(*ended);
  detail::SpanRecord* record = detail::take_span_record();
  const detail::SpanState& state = record->state;
  ASSERT_EQ(state.attributes.size(), 3U);
  EXPECT_EQ(state.attributes[0].key.data(), ended->attributes[0].key.data());
  EXPECT_EQ(state.attributes[1].key.data(), ended->attributes[1].key.data());
  EXPECT_EQ(state.attributes[2].key, "short");  // inline: a copy of its own
  detail::give_span_record(record);
}

TEST(SpanRecordPreparingTest, APreparedRecordCopiesNoMoreThanTheBudgetOfARecycledOne) {
  if (!detail::kSpanRecordsRecycled) GTEST_SKIP() << "records are not recycled under AddressSanitizer";
  auto dry = std::make_unique<DryPool>();
  ASSERT_TRUE(detail::t_span_records_dry);
  // A value past what is left of the budget ends the copy: the slots after it are not copied
  // (recycle() would keep their keys; a prepared record keeps a leading run of the span's slots).
  const auto ended = ended_state(std::string(3 * detail::kMaxKeptBytes, 'n'),
                                 {{"first", AttributeValue{std::string(600, 'a')}},
                                  {"second", AttributeValue{std::string(1000, 'b')}},
                                  {"huge", AttributeValue{std::string(2 * detail::kMaxKeptBytes, 'c')}},
                                  {"after", AttributeValue{std::int64_t{1}}}});
  detail::prepare_record_like(*ended);
  detail::SpanRecord* record = detail::take_span_record();
  const detail::SpanState& state = record->state;
  ASSERT_EQ(state.attributes.size(), 2U);
  EXPECT_EQ(state.attributes[1].key, "second");
  EXPECT_EQ(state.distinct_slots, 2U);
  EXPECT_LE(counted_bytes(state), detail::kMaxKeptBytes);
  EXPECT_LT(state.name.capacity(), detail::kMaxKeptBytes);  // a name past the budget is not copied
  detail::give_span_record(record);

  // Lists count their strings and their own buffer.
  dry.reset();  // (the records given back would be taken instead of a prepared one)
  dry = std::make_unique<DryPool>();
  const auto lists = ended_state(
      "s", {{"a", AttributeValue{std::vector<std::string>(detail::kMaxKeptListItems, std::string(200, 'l'))}},
            {"b", AttributeValue{std::vector<std::string>(detail::kMaxKeptListItems, std::string(200, 'm'))}}});
  detail::prepare_record_like(*lists);
  record = detail::take_span_record();
  EXPECT_EQ(record->state.attributes.size(), 1U);
  EXPECT_LE(counted_bytes(record->state), detail::kMaxKeptBytes);
  detail::give_span_record(record);
}

// A prepared record's slots were copied within what the budget left after its name; the next span
// on it may take more of the budget (a longer name) without growing any slot. Its recycle() must
// then still bring the record within the budget (SpanState::slot_budget).
TEST(SpanRecordPreparingTest, ARecordPreparedThenGivenALongerNameIsRecycledWithinTheBudget) {
  if (!detail::kSpanRecordsRecycled) GTEST_SKIP() << "records are not recycled under AddressSanitizer";
  const DryPool dry;
  Attributes attributes;
  for (int i = 0; i < 6; ++i) attributes.push_back({"key" + std::to_string(i), AttributeValue{std::string(300, 'v')}});
  const auto ended = ended_state("s", std::move(attributes));
  detail::prepare_record_like(*ended);
  detail::SpanRecord* record = detail::take_span_record();
  detail::SpanState& state = record->state;
  ASSERT_EQ(state.attributes.size(), 6U);
  // The next span: a name of 1,000 bytes, every slot written in place (nothing grew), then released.
  state.name.assign(1000, 'n');
  state.attribute_count = state.attributes.size();
  ASSERT_FALSE(state.slots_grown);
  state.recycle();
  EXPECT_LE(heap_bytes(state), detail::kMaxKeptBytes);
  EXPECT_GE(state.name.capacity(), 1000U);  // the name fits and is kept; slots make room
  detail::give_span_record(record);
}

TEST(SpanRecordPreparingTest, NoRecordIsPreparedWhileRecordsAreThereToTake) {
  if (!detail::kSpanRecordsRecycled) GTEST_SKIP() << "records are not recycled under AddressSanitizer";
  const auto ended = ended_state("s", {{"k", AttributeValue{std::int64_t{1}}}});
  {
    const DryPool dry;
    // A record given back since this thread last looked: it is taken instead of a copy being made.
    detail::give_span_record(detail::take_span_record());
    const std::uint64_t prepared = detail::prepared_span_records();
    ASSERT_TRUE(detail::t_span_records_dry);
    detail::prepare_record_like(*ended);
    EXPECT_EQ(detail::prepared_span_records(), prepared);
    EXPECT_FALSE(detail::t_span_records_dry);
  }
  {
    // Taking a record given back ends the dry state too.
    const DryPool dry;
    detail::give_span_record(detail::take_span_record());
    detail::SpanRecord* record = detail::take_span_record();
    EXPECT_FALSE(detail::t_span_records_dry);
    detail::give_span_record(record);
  }
  // Nor for a span without attributes: there is nothing to copy.
  const DryPool dry;
  const std::uint64_t prepared = detail::prepared_span_records();
  detail::prepare_record_like(*ended_state("s", {}));
  EXPECT_EQ(detail::prepared_span_records(), prepared);
}

class PreparedRecordSpanTest : public ::testing::Test {
 protected:
  test::InMemoryProvider traced_ = test::make_in_memory_provider({}, "preparing_test");

  // Ends `span` and returns what was exported (the exporter keeps it: its record stays in use).
  SpanData finish(Span& span) {
    span.end();
    span = Span();
    const SpanDataPtr exported = traced_.last_span();
    return exported ? *exported : SpanData{};
  }
};

TEST_F(PreparedRecordSpanTest, ASpanOnAPreparedRecordCarriesExactlyWhatItSet) {
  if (!detail::kSpanRecordsRecycled) GTEST_SKIP() << "records are not recycled under AddressSanitizer";
  const DryPool dry;
  Span donor = traced_.tracer->start_span("donor");
  donor.set_attribute("k0", "zero");
  donor.set_attribute("k1", 1);
  donor.set_attribute("k2", std::vector<std::string>{"a", "b"});
  donor.set_attribute("k3", 3.5);
  donor.add_event("event", {{"e", AttributeValue{std::int64_t{1}}}});
  donor.set_status(StatusCode::error, "failed");
  const std::uint64_t prepared = detail::prepared_span_records();
  const SpanData donor_data = finish(donor);
  ASSERT_EQ(detail::prepared_span_records(), prepared + 1);
  ASSERT_EQ(donor_data.attributes.size(), 4U);

  // Out of the last span's order, a key set twice, other types, a key of its own.
  Span span = traced_.tracer->start_span("next");
  span.set_attribute("k0", "ZERO");
  span.set_attribute("k2", 2);
  span.set_attribute("k0", "again");
  span.set_attribute("new", true);
  const SpanData data = finish(span);
  const Attributes expected = {{"k0", AttributeValue{std::string("again")}},
                               {"k2", AttributeValue{std::int64_t{2}}},
                               {"new", AttributeValue{true}}};
  EXPECT_EQ(data.attributes, expected);
  EXPECT_EQ(data.name, "next");
  EXPECT_TRUE(data.events.empty());
  EXPECT_EQ(data.status.code, StatusCode::unset);
  EXPECT_TRUE(data.status.description.empty());
  EXPECT_EQ(data.dropped_attributes_count, 0U);
}

TEST_F(PreparedRecordSpanTest, StructuredValuesOnPreparedRecordsAreExactlyTheirFlattenedLeaves) {
  if (!detail::kSpanRecordsRecycled) GTEST_SKIP() << "records are not recycled under AddressSanitizer";
  const DryPool dry;
  const nlohmann::json typed = {{"prompt", "What is the capital of France?"},
                                {"model", "sim-gpt-small"},
                                {"temperature", 0.2},
                                {"tags", {"geo", "faq"}},
                                {"user", {{"id", 123}, {"tier", "pro"}}}};
  // Each value follows a span that set another (or the same): its members meet slots that hold
  // the last span's keys, some of the same name and length under another prefix or object.
  const std::vector<std::pair<std::string, nlohmann::json>> values = {
      {"honeyhive_inputs", typed},
      {"honeyhive_inputs", typed},
      {"honeyhive_outputs", typed},
      {"honeyhive_inputs", {{"prompt", "Hi"}, {"model", nullptr}, {"temperature", "warm"}, {"user", {{"id", "x"}}}}},
      {"honeyhive_inputs", {{"user", {{"id", 1}, {"tier", "pro"}}}, {"prompt", {{"text", "nested"}}}}},
      {"honeyhive_inputs", typed},
      {"honeyhive_inputs", {{"tags", {"geography", "f"}}, {"model", "m"}}},
      {"honeyhive_inputs", typed},
      // The second member of "x" meets a slot of the same length that ends in its name, under "y":
      // on a record prepared from a span that wrote new keys, and from one that wrote none (its
      // record's shared prefixes are copied, not counted again).
      {"p", {{"x", {{"a", 1}}}, {"y", {{"b", 2}}}}},
      {"p", {{"x", {{"a", 1}, {"b", 5}}}}},
      {"p", {{"x", {{"a", 1}}}, {"y", {{"b", 2}}}}},
      {"p", {{"x", {{"a", 1}}}, {"y", {{"b", 2}}}}},
      {"p", {{"x", {{"a", 1}, {"b", 5}}}}},
  };
  const std::uint64_t prepared = detail::prepared_span_records();
  for (std::size_t round = 0; round < 3 * values.size(); ++round) {
    const auto& [prefix, value] = values[round % values.size()];
    Span span = traced_.tracer->start_span("typed");
    span.set_structured(prefix, value);
    Attributes expected;
    flatten_structured(prefix, value, SpanLimits{}.structured_max_depth, expected);
    const SpanData data = finish(span);
    ASSERT_EQ(data.attributes, expected) << "round " << round;
  }
  EXPECT_GE(detail::prepared_span_records(), prepared + 3 * values.size() - 1);
}

}  // namespace
}  // namespace honeyhive
