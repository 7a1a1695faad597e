#include "honeyhive/core/structured.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_depth.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/in_memory_provider.hpp"
#include "support/nested_json.hpp"

namespace structured_test {

// A user type made structured through an ADL to_json overload, as applications write them.
struct User {
  int id;
  std::string name;
};

void to_json(nlohmann::json& json, const User& user) { json = nlohmann::json{{"id", user.id}, {"name", user.name}}; }

// A user type whose serialisation fails.
struct Unserialisable {};

void to_json(nlohmann::json&, const Unserialisable&) { throw std::runtime_error("cannot serialise"); }

}  // namespace structured_test

namespace honeyhive {
namespace {

using test::nested_objects;

using json = nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

Attributes flatten(const json& value, std::size_t max_depth = 16, std::string_view prefix = "p") {
  Attributes out;
  flatten_structured(prefix, value, max_depth, out);
  return out;
}

const AttributeValue* find(const Attributes& attributes, std::string_view key) {
  for (const auto& attribute : attributes) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

// The single attribute `flatten` produced, or a failure.
AttributeValue only_value(const Attributes& attributes) {
  EXPECT_EQ(attributes.size(), 1U);
  return attributes.empty() ? AttributeValue{std::string("<none>")} : attributes.front().value;
}

std::string string_of(const AttributeValue& value) {
  const auto* text = std::get_if<std::string>(&value);
  return text ? *text : std::string("<not a string>");
}

// `depth` arrays nested in each other, built without recursion; the innermost holds 1.
json nested_arrays(std::size_t depth) {
  json value = 1;
  for (std::size_t i = 0; i < depth; ++i) {
    json outer = json::array();
    outer.push_back(std::move(value));
    value = std::move(outer);
  }
  return value;
}

std::string dotted_key(std::string prefix, std::size_t segments) {
  for (std::size_t i = 0; i < segments; ++i) prefix += ".a";
  return prefix;
}

// --- flatten_structured -----------------------------------------------------------------------

TEST(FlattenStructuredTest, NestedObjectBecomesDottedKeys) {
  const Attributes out = flatten(json::parse(R"({"user":{"id":123}})"), 16, "honeyhive_metadata");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].key, "honeyhive_metadata.user.id");
  EXPECT_EQ(out[0].value, AttributeValue{std::int64_t{123}});
}

TEST(FlattenStructuredTest, EmptyPrefixPutsTopLevelKeysAtTheRoot) {
  const Attributes out = flatten(json::parse(R"({"a":1,"b":{"c":"x"}})"), 16, "");
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(*find(out, "a"), AttributeValue{std::int64_t{1}});
  EXPECT_EQ(*find(out, "b.c"), AttributeValue{std::string("x")});
}

TEST(FlattenStructuredTest, ScalarsKeepTheirTypes) {
  const Attributes out = flatten(json::parse(R"({"i":-7,"d":2.5,"s":"text","b":true})"));
  ASSERT_EQ(out.size(), 4U);
  EXPECT_EQ(*find(out, "p.i"), AttributeValue{std::int64_t{-7}});
  EXPECT_EQ(*find(out, "p.d"), AttributeValue{2.5});
  EXPECT_EQ(*find(out, "p.s"), AttributeValue{std::string("text")});
  EXPECT_EQ(*find(out, "p.b"), AttributeValue{true});
}

TEST(FlattenStructuredTest, ArrayOfIntsStaysInt64Array) {
  EXPECT_EQ(only_value(flatten(json::parse("[1,2,3]"))), (AttributeValue{std::vector<std::int64_t>{1, 2, 3}}));
}

TEST(FlattenStructuredTest, ArrayOfDoublesStaysDoubleArray) {
  EXPECT_EQ(only_value(flatten(json::parse("[0.5,1.25]"))), (AttributeValue{std::vector<double>{0.5, 1.25}}));
}

TEST(FlattenStructuredTest, ArrayOfStringsStaysStringArray) {
  EXPECT_EQ(only_value(flatten(json::parse(R"(["a","b"])"))), (AttributeValue{std::vector<std::string>{"a", "b"}}));
}

TEST(FlattenStructuredTest, ArrayOfBoolsStaysBoolArray) {
  EXPECT_EQ(only_value(flatten(json::parse("[true,false,true]"))),
            (AttributeValue{std::vector<bool>{true, false, true}}));
}

TEST(FlattenStructuredTest, IntsMixedWithDoublesBecomeDoubleArray) {
  EXPECT_EQ(only_value(flatten(json::parse("[1,2.5,3]"))), (AttributeValue{std::vector<double>{1.0, 2.5, 3.0}}));
}

TEST(FlattenStructuredTest, ArrayOfObjectsBecomesJsonStringThatParsesBack) {
  const json value = json::parse(R"([{"a":1},{"b":[true,"x"]}])");
  EXPECT_EQ(json::parse(string_of(only_value(flatten(value)))), value);
}

TEST(FlattenStructuredTest, MixedTypeArrayBecomesJsonString) {
  const json value = json::parse(R"([1,"two",false])");
  EXPECT_EQ(json::parse(string_of(only_value(flatten(value)))), value);
}

TEST(FlattenStructuredTest, ArrayContainingNullBecomesJsonString) {
  const json value = json::parse("[1,null]");
  EXPECT_EQ(json::parse(string_of(only_value(flatten(value)))), value);
}

TEST(FlattenStructuredTest, NullMembersAreSkipped) {
  const Attributes out = flatten(json::parse(R"({"a":null,"b":1})"));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].key, "p.b");
}

TEST(FlattenStructuredTest, TopLevelNullAddsNothing) { EXPECT_TRUE(flatten(json(nullptr)).empty()); }

TEST(FlattenStructuredTest, NaNBecomesString) {
  EXPECT_EQ(only_value(flatten(json(kNaN))), AttributeValue{std::string("NaN")});
}

TEST(FlattenStructuredTest, InfinityBecomesString) {
  EXPECT_EQ(only_value(flatten(json(kInfinity))), AttributeValue{std::string("Infinity")});
}

TEST(FlattenStructuredTest, NegativeInfinityBecomesString) {
  EXPECT_EQ(only_value(flatten(json(-kInfinity))), AttributeValue{std::string("-Infinity")});
}

TEST(FlattenStructuredTest, NonFiniteNumbersInsideJsonStringArrayBecomeStrings) {
  json value = json::array();
  value.push_back(json{{"x", kNaN}});
  value.push_back(kInfinity);
  value.push_back(-kInfinity);
  EXPECT_EQ(json::parse(string_of(only_value(flatten(value)))), json::parse(R"([{"x":"NaN"},"Infinity","-Infinity"])"));
}

TEST(FlattenStructuredTest, NonFiniteDoubleInNumberArrayIsNotLost) {
  json value = json::array();
  value.push_back(1.5);
  value.push_back(kNaN);
  EXPECT_EQ(json::parse(string_of(only_value(flatten(value)))), json::parse(R"([1.5,"NaN"])"));
}

TEST(FlattenStructuredTest, Uint64MaxBecomesDecimalString) {
  EXPECT_EQ(only_value(flatten(json(std::numeric_limits<std::uint64_t>::max()))),
            AttributeValue{std::string("18446744073709551615")});
}

TEST(FlattenStructuredTest, UnsignedWithinInt64StaysInt64) {
  EXPECT_EQ(only_value(flatten(json(std::uint64_t{42}))), AttributeValue{std::int64_t{42}});
}

TEST(FlattenStructuredTest, EmptyObjectBecomesBraces) {
  EXPECT_EQ(only_value(flatten(json::object())), AttributeValue{std::string("{}")});
}

TEST(FlattenStructuredTest, NestedEmptyObjectBecomesBracesAtItsKey) {
  const Attributes out = flatten(json::parse(R"({"meta":{}})"));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].key, "p.meta");
  EXPECT_EQ(out[0].value, AttributeValue{std::string("{}")});
}

TEST(FlattenStructuredTest, EmptyArrayBecomesEmptyArray) {
  const AttributeValue value = only_value(flatten(json::array()));
  const bool is_empty_array = std::visit(
      [](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::vector<bool>> || std::is_same_v<V, std::vector<std::int64_t>> ||
                      std::is_same_v<V, std::vector<double>> || std::is_same_v<V, std::vector<std::string>>) {
          return v.empty();
        } else {
          return false;
        }
      },
      value);
  EXPECT_TRUE(is_empty_array);
}

TEST(FlattenStructuredTest, NestingWithinTheDepthLimitIsFlattened) {
  const Attributes out = flatten(nested_objects(3), 3);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].key, "p.a.a.a");
  EXPECT_EQ(out[0].value, AttributeValue{std::int64_t{1}});
}

TEST(FlattenStructuredTest, ObjectNestedPastTheDepthLimitBecomesTheMarkerAtTheCutPoint) {
  const Attributes out = flatten(nested_objects(4), 3);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].key, "p.a.a.a");
  EXPECT_EQ(out[0].value, AttributeValue{std::string(kMaxDepthMarker)});
}

TEST(FlattenStructuredTest, ArraysNestedWithinTheDepthLimitBecomeJsonString) {
  EXPECT_EQ(json::parse(string_of(only_value(flatten(nested_arrays(3), 3)))), nested_arrays(3));
}

TEST(FlattenStructuredTest, ArraysNestedPastTheDepthLimitBecomeTheMarker) {
  EXPECT_EQ(only_value(flatten(nested_arrays(4), 3)), AttributeValue{std::string(kMaxDepthMarker)});
}

// The walk recurses once per level: an unlimited (or any larger) depth flattens kMaxJsonDepth levels
// at most, so user data nested 100,000 deep gives the marker, not a stack overflow.
TEST(FlattenStructuredTest, AnUnlimitedDepthStopsAtTheDeepestTheWalkCanGo) {
  for (const json& deep : {nested_objects(100000), nested_arrays(100000)}) {
    const Attributes out = flatten(deep, SpanLimits::kUnlimited);
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].value, AttributeValue{std::string(kMaxDepthMarker)});
  }
  // Up to kMaxJsonDepth levels still flatten.
  const Attributes within = flatten(nested_objects(detail::kMaxJsonDepth - 1), SpanLimits::kUnlimited);
  ASSERT_EQ(within.size(), 1U);
  EXPECT_EQ(within[0].value, AttributeValue{std::int64_t{1}});
}

TEST(FlattenStructuredTest, SiblingsOfATooDeepValueAreKept) {
  json value = json::object();
  value["deep"] = nested_objects(5);
  value["shallow"] = "kept";
  const Attributes out = flatten(value, 3);
  ASSERT_NE(find(out, "p.shallow"), nullptr);
  EXPECT_EQ(*find(out, "p.shallow"), AttributeValue{std::string("kept")});
  ASSERT_NE(find(out, "p.deep.a.a"), nullptr);
  EXPECT_EQ(*find(out, "p.deep.a.a"), AttributeValue{std::string(kMaxDepthMarker)});
}

// Member m of object_of(n, round): its name ("k00", "k01", ...) and what it flattens to, a leaf
// or, every seventh member, an object of two leaves. The values change with `round` but keep their
// types and text lengths, so a span of a later round writes over the slots of the one before in
// place, except where a round turns a double into a non-finite one or an integer into an unsigned
// past INT64_MAX (both then flattened to text, over a slot holding a number).
std::string member_name(std::size_t m) { return (m < 10 ? "k0" : "k") + std::to_string(m); }

// The scalars member m is made of in `round`, shared by the value and by the leaves expected of it.
std::int64_t member_number(std::size_t m, int round) { return static_cast<std::int64_t>(m) + 1000 * round; }
std::string member_text(std::size_t m, int round) {
  return "text-" + std::to_string(10 + (m + static_cast<std::size_t>(round)) % 90);  // 7 chars
}
bool member_flag(std::size_t m, int round) { return (m + static_cast<std::size_t>(round)) % 2 == 0; }
std::string nested_text(std::size_t m) { return "nested-" + std::to_string(10 + m % 90); }

json member_value(std::size_t m, int round) {
  const std::int64_t number = member_number(m, round);
  switch (m % 7) {
    case 0: return number;
    case 1: return member_text(m, round);
    case 2: return static_cast<double>(number) + 0.5;
    case 3: return member_flag(m, round);
    case 4: return round == 1 ? json(kInfinity) : json(static_cast<double>(number) + 0.25);
    case 5: return round == 2 ? json(std::numeric_limits<std::uint64_t>::max()) : json(number);
    default: return json{{"x", number}, {"y", nested_text(m)}};
  }
}

// What member_value(m, round) flattens to under `key`, spelled out as attribute values.
void add_leaves(std::size_t m, int round, const std::string& key,
                std::vector<std::pair<std::string, AttributeValue>>& leaves) {
  const std::int64_t number = member_number(m, round);
  switch (m % 7) {
    case 0: leaves.emplace_back(key, number); break;
    case 1: leaves.emplace_back(key, member_text(m, round)); break;
    case 2: leaves.emplace_back(key, static_cast<double>(number) + 0.5); break;
    case 3: leaves.emplace_back(key, member_flag(m, round)); break;
    case 4:
      leaves.emplace_back(key, round == 1 ? AttributeValue{std::string("Infinity")}
                                          : AttributeValue{static_cast<double>(number) + 0.25});
      break;
    case 5:
      leaves.emplace_back(key,
                          round == 2 ? AttributeValue{std::string("18446744073709551615")} : AttributeValue{number});
      break;
    default:
      leaves.emplace_back(key + ".x", number);
      leaves.emplace_back(key + ".y", nested_text(m));
      break;
  }
}

// An object of n members, inserted in ascending order for even n and descending for odd n, with
// two members more inserted and erased between them: map trees of many shapes.
json object_of(std::size_t n, int round) {
  json value = json::object();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t m = n % 2 == 0 ? i : n - 1 - i;
    value[member_name(m)] = member_value(m, round);
    if (i == n / 2) {
      value["a-erased"] = 1;
      value["z-erased"] = 2;
    }
  }
  value.erase("a-erased");
  value.erase("z-erased");
  return value;
}

// The attributes object_of(n, round) flattens to under `prefix`, in key order.
std::vector<std::pair<std::string, AttributeValue>> leaves_of(std::size_t n, int round, const std::string& prefix) {
  std::vector<std::pair<std::string, AttributeValue>> leaves;
  for (std::size_t m = 0; m < n; ++m) add_leaves(m, round, prefix + "." + member_name(m), leaves);
  return leaves;
}

// Every member of objects of every size up to 70 is flattened once, in key order, nested members
// included.
TEST(FlattenStructuredTest, EveryMemberOfObjectsOfEverySizeComesOutOnceInKeyOrder) {
  for (std::size_t n = 1; n <= 70; ++n) {
    const Attributes out = flatten(object_of(n, 0));
    const auto expected = leaves_of(n, 0, "p");
    ASSERT_EQ(out.size(), expected.size()) << n << " members";
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(out[i].key, expected[i].first) << n << " members, leaf " << i;
      EXPECT_EQ(out[i].value, expected[i].second) << n << " members, leaf " << i;
    }
  }
}

// Objects changed by random inserts and erases (fixed seed): the walk meets the members in the
// order the object's own iterator gives, each once, whatever shape the tree took.
TEST(FlattenStructuredTest, MembersOfRandomlyEditedObjectsComeOutInIteratorOrder) {
  std::mt19937 random(20261127);
  for (int trial = 0; trial < 300; ++trial) {
    json value = json::object();
    const int operations = 1 + static_cast<int>(random() % 200);
    for (int i = 0; i < operations; ++i) {
      const std::string name = "m" + std::to_string(random() % 128);
      if (random() % 3 == 0) {
        value.erase(name);
      } else {
        value[name] = i;
      }
    }
    if (value.empty()) continue;
    const Attributes out = flatten(value);
    ASSERT_EQ(out.size(), value.size()) << "trial " << trial;
    std::size_t i = 0;
    for (const auto& [name, member] : value.items()) {
      EXPECT_EQ(out[i].key, "p." + name) << "trial " << trial << ", member " << i;
      EXPECT_EQ(out[i].value, AttributeValue{member.get<std::int64_t>()}) << "trial " << trial << ", member " << i;
      ++i;
    }
  }
}

// Keys are built in a buffer that moves to the heap past a couple of hundred bytes: keys longer
// than that come out whole, and so do the keys of the members after them (cut back to the parent).
TEST(FlattenStructuredTest, KeysLongerThanTheKeyBufferAreBuiltWhole) {
  const std::string prefix(150, 'p');
  const std::string outer(100, 'o');
  const std::string inner(300, 'i');
  json value;
  value[outer][inner] = 1;
  value[outer]["z"] = 2;
  value["zz"] = 3;
  const Attributes out = flatten(value, 16, prefix);
  ASSERT_EQ(out.size(), 3U);
  ASSERT_NE(find(out, prefix + "." + outer + "." + inner), nullptr);
  EXPECT_EQ(*find(out, prefix + "." + outer + "." + inner), AttributeValue{std::int64_t{1}});
  ASSERT_NE(find(out, prefix + "." + outer + ".z"), nullptr);
  EXPECT_EQ(*find(out, prefix + "." + outer + ".z"), AttributeValue{std::int64_t{2}});
  ASSERT_NE(find(out, prefix + ".zz"), nullptr);
  EXPECT_EQ(*find(out, prefix + ".zz"), AttributeValue{std::int64_t{3}});
}

// Member names are joined with '.' as they are: "a.b" and "a" > "b" flatten to one key. One
// attribute, in the first's place, with the value of the last leaf in the walk (members go in key
// order: "a" before "a.b").
TEST(FlattenStructuredTest, LeavesFlattenedToTheSameKeyGiveOneAttributeWithTheLastValue) {
  const Attributes out = flatten(json{{"a.b", "dotted"}, {"a", {{"b", "nested"}, {"c", 1}}}, {"z", 2}});
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[0].key, "p.a.b");
  EXPECT_EQ(out[0].value, AttributeValue{std::string("dotted")});
  EXPECT_EQ(out[1].key, "p.a.c");
  EXPECT_EQ(out[2].key, "p.z");
}

// Only the value's own leaves are merged: what `out` held before is left as it was.
TEST(FlattenStructuredTest, AttributesAlreadyInTheListAreNotMerged) {
  Attributes out{Attribute{"p.a", AttributeValue{std::int64_t{1}}}};
  flatten_structured("p", json{{"a", 2}}, 16, out);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].value, AttributeValue{std::int64_t{1}});
  EXPECT_EQ(out[1].value, AttributeValue{std::int64_t{2}});
}

// --- SpanRef::set_structured ------------------------------------------------------------------

class SetStructuredTest : public ::testing::Test {
 protected:
  void start(const SpanLimits& limits) {
    ProviderOptions options;
    options.limits = limits;
    traced_ = test::make_in_memory_provider(std::move(options), "structured_test");
  }

  SpanDataPtr finish(Span& span) {
    span.end();
    return traced_.last_span();
  }

  test::InMemoryProvider traced_;
};

TEST_F(SetStructuredTest, FlattensJsonUnderThePrefix) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("honeyhive_metadata", json::parse(R"({"user":{"id":123}})"));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  const AttributeValue* value = data->find_attribute("honeyhive_metadata.user.id");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, AttributeValue{std::int64_t{123}});
}

// The same on a span, in three rounds for each size whose values differ: each span's record is
// given back as it ends, so the next round's span may run on it and write over its slots in place
// (a value not written there would show the round before).
TEST_F(SetStructuredTest, EveryMemberOfObjectsOfEverySizeReachesTheSpanInKeyOrder) {
  start(SpanLimits{});
  for (std::size_t n = 1; n <= 70; ++n) {
    for (int round = 0; round < 3; ++round) {
      auto span = traced_.tracer->start_span("s");
      span.set_structured("honeyhive_inputs", object_of(n, round));
      const SpanDataPtr exported = finish(span);
      span = Span();
      ASSERT_NE(exported, nullptr);
      const SpanData data = *exported;
      traced_.exporter->clear();
      const auto expected = leaves_of(n, round, "honeyhive_inputs");
      ASSERT_EQ(data.attributes.size(), expected.size()) << n << " members, round " << round;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(data.attributes[i].key, expected[i].first) << n << " members, round " << round << ", leaf " << i;
        EXPECT_EQ(data.attributes[i].value, expected[i].second) << n << " members, round " << round << ", leaf " << i;
      }
    }
  }
}

TEST_F(SetStructuredTest, LongKeysAndEveryLeafKindReachTheSpan) {
  start(SpanLimits{});
  const std::string name(250, 'k');
  json value;
  value[name]["text"] = "t";
  value[name]["flag"] = true;
  value[name]["count"] = -7;
  value[name]["big"] = std::numeric_limits<std::uint64_t>::max();
  value[name]["ratio"] = 0.5;
  value[name]["nan"] = kNaN;
  value[name]["tags"] = {"a", "b"};
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", value);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  const std::string base = "p." + name + ".";
  ASSERT_EQ(data->attributes.size(), 7U);
  const auto at = [&](const char* leaf) {
    const AttributeValue* found = data->find_attribute(base + leaf);
    return found ? *found : AttributeValue{std::string("<missing>")};
  };
  EXPECT_EQ(at("text"), AttributeValue{std::string("t")});
  EXPECT_EQ(at("flag"), AttributeValue{true});
  EXPECT_EQ(at("count"), AttributeValue{std::int64_t{-7}});
  EXPECT_EQ(at("big"), AttributeValue{std::string("18446744073709551615")});
  EXPECT_EQ(at("ratio"), AttributeValue{0.5});
  EXPECT_EQ(at("nan"), AttributeValue{std::string("NaN")});
  EXPECT_EQ(at("tags"), (AttributeValue{std::vector<std::string>{"a", "b"}}));
}

// Flattened keys are built in a buffer of 192 bytes that moves to the heap when a key outgrows it:
// keys of every length around that size arrive whole, also one level down.
TEST_F(SetStructuredTest, KeysAroundTheKeyBuffersInlineSizeArriveWhole) {
  start(SpanLimits{});
  for (std::size_t length = 185; length <= 195; ++length) {
    const std::string name(length, static_cast<char>('a' + length % 26));
    json value;
    value[name] = 1;
    value["n"][name] = 2;
    auto span = traced_.tracer->start_span("s");
    span.set_structured("p", value);
    const SpanDataPtr data = finish(span);
    ASSERT_NE(data, nullptr);
    SCOPED_TRACE("length " + std::to_string(length));
    ASSERT_EQ(data->attributes.size(), 2U);
    EXPECT_NE(data->find_attribute("p." + name), nullptr);
    EXPECT_NE(data->find_attribute("p.n." + name), nullptr);
  }
}

TEST_F(SetStructuredTest, DefaultDepthLimitFlattensSixteenLevels) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", nested_objects(16));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, dotted_key("p", 16));
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::int64_t{1}});
}

TEST_F(SetStructuredTest, HundredDeepObjectIsCutAtTheDefaultDepth) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", nested_objects(100));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, dotted_key("p", 16));
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string(kMaxDepthMarker)});
}

TEST_F(SetStructuredTest, ConfiguredDepthLimitIsApplied) {
  SpanLimits limits;
  limits.structured_max_depth = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", nested_objects(5));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, dotted_key("p", 2));
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string(kMaxDepthMarker)});
}

// The walk recurses once per level: a configured limit above kMaxJsonDepth flattens that deep only.
TEST_F(SetStructuredTest, AnUnlimitedDepthLimitStopsAtTheDeepestSafeLevel) {
  SpanLimits limits;
  limits.structured_max_depth = SpanLimits::kUnlimited;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", nested_objects(200000));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, dotted_key("p", detail::kMaxJsonDepth));
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string(kMaxDepthMarker)});
}

TEST_F(SetStructuredTest, HundredThousandDeepObjectDoesNotCrash) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", nested_objects(100000));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, dotted_key("p", 16));
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string(kMaxDepthMarker)});
}

TEST_F(SetStructuredTest, HundredThousandDeepArrayDoesNotCrash) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", nested_arrays(100000));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, "p");
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string(kMaxDepthMarker)});
}

TEST_F(SetStructuredTest, FlattensUserTypeWithAdlToJson) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("honeyhive_metadata.user", structured_test::User{7, "ada"});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_NE(data->find_attribute("honeyhive_metadata.user.id"), nullptr);
  EXPECT_EQ(*data->find_attribute("honeyhive_metadata.user.id"), AttributeValue{std::int64_t{7}});
  ASSERT_NE(data->find_attribute("honeyhive_metadata.user.name"), nullptr);
  EXPECT_EQ(*data->find_attribute("honeyhive_metadata.user.name"), AttributeValue{std::string("ada")});
}

TEST_F(SetStructuredTest, ThrowingToJsonSetsFailureMarkerAndDoesNotPropagate) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("honeyhive_metadata.bad", structured_test::Unserialisable{});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, "honeyhive_metadata.bad");
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string("[to_json failed]")});
}

TEST_F(SetStructuredTest, FlattensStdMap) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("m", std::map<std::string, int>{{"a", 1}, {"b", 2}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 2U);
  EXPECT_EQ(*data->find_attribute("m.a"), AttributeValue{std::int64_t{1}});
  EXPECT_EQ(*data->find_attribute("m.b"), AttributeValue{std::int64_t{2}});
}

TEST_F(SetStructuredTest, VectorOfStringsBecomesStringArray) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_structured("tags", std::vector<std::string>{"x", "y"});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_NE(data->find_attribute("tags"), nullptr);
  EXPECT_EQ(*data->find_attribute("tags"), (AttributeValue{std::vector<std::string>{"x", "y"}}));
}

TEST_F(SetStructuredTest, DropsAndCountsFlattenedKeysPastTheCountLimit) {
  SpanLimits limits;
  limits.attribute_count = 2;
  start(limits);
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", json::parse(R"({"a":1,"b":2,"c":3,"d":4})"));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->attributes.size(), 2U);
  EXPECT_EQ(data->dropped_attributes_count, 2U);
}

TEST_F(SetStructuredTest, OverwritesKeysSetEarlier) {
  start(SpanLimits{});
  auto span = traced_.tracer->start_span("s");
  span.set_attribute("p.a", "old");
  span.set_structured("p", json::parse(R"({"a":"new"})"));
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string("new")});
}

// Leaves of one value that flatten to one key ("a.b" and "a" > "b"): the last in the walk is kept
// ("a.b" comes after "a"), the other is counted as dropped and reported once, by its key, not its
// value. Over three spans, so the later ones run on a recycled record that holds the key in its
// first slot (the in-place path).
TEST_F(SetStructuredTest, LeavesOfOneValueFlattenedToOneKeyAreCountedAndReportedOnce) {
  start(SpanLimits{});
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    test::ThreadDiagnosticsCapture diagnostics;
    auto span = traced_.tracer->start_span("s");
    span.set_inputs(json{{"a.b", "dotted-secret"}, {"a", {{"b", "nested-secret"}}}});
    const SpanDataPtr data = finish(span);
    ASSERT_NE(data, nullptr);
    ASSERT_EQ(data->attributes.size(), 1U);
    EXPECT_EQ(data->attributes[0].key, "honeyhive_inputs.a.b");
    EXPECT_EQ(data->attributes[0].value, AttributeValue{std::string("dotted-secret")});
    EXPECT_EQ(data->dropped_attributes_count, 1U);
    const auto lines = diagnostics.lines();
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("'honeyhive_inputs.a.b'"), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find("secret"), std::string::npos) << lines[0];
  }
}

// Several keys met in one call: each dropped value counted, one diagnostic for the call.
TEST_F(SetStructuredTest, SeveralCollisionsInOneValueGiveOneDiagnostic) {
  start(SpanLimits{});
  test::ThreadDiagnosticsCapture diagnostics;
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", json{{"x.y", 1}, {"x", {{"y", 2}, {"z", 3}}}, {"x.z", 4}, {"w", 5}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->attributes.size(), 3U);
  EXPECT_EQ(data->dropped_attributes_count, 2U);
  EXPECT_EQ(diagnostics.count_containing("2 value(s) dropped"), 1U);
  EXPECT_EQ(diagnostics.lines().size(), 1U);
}

// A second call writing the same keys over the first's is a deliberate overwrite: silent. Within
// that second call, its own leaves meeting under one key are still counted (once, not also for
// writing over the first call's attribute).
TEST_F(SetStructuredTest, ASecondCallOverwritingTheSameKeysIsNotACollision) {
  start(SpanLimits{});
  test::ThreadDiagnosticsCapture diagnostics;
  auto span = traced_.tracer->start_span("s");
  span.set_inputs(json{{"a", {{"b", 1}}}, {"c", 2}});
  span.set_inputs(json{{"a", {{"b", 3}}}, {"c", 4}});
  span.set_attribute("honeyhive_inputs.c", std::int64_t{5});
  EXPECT_TRUE(diagnostics.lines().empty());
  span.set_inputs(json{{"a.b", 6}, {"a", {{"b", 7}}}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 2U);
  EXPECT_EQ(*data->find_attribute("honeyhive_inputs.a.b"), AttributeValue{std::int64_t{6}});
  EXPECT_EQ(*data->find_attribute("honeyhive_inputs.c"), AttributeValue{std::int64_t{5}});
  EXPECT_EQ(data->dropped_attributes_count, 1U);
  EXPECT_EQ(diagnostics.lines().size(), 1U);
}

// Without any collision: several calls over the same keys drop nothing and say nothing.
TEST_F(SetStructuredTest, RepeatedCallsOverTheSameKeysDropNothing) {
  start(SpanLimits{});
  test::ThreadDiagnosticsCapture diagnostics;
  auto span = traced_.tracer->start_span("s");
  for (int i = 0; i < 3; ++i) span.set_outputs(json{{"a", {{"b", i}}}, {"c", {1, 2}}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->attributes.size(), 2U);
  EXPECT_EQ(data->dropped_attributes_count, 0U);
  EXPECT_TRUE(diagnostics.lines().empty());
}

// Keys are stored as valid UTF-8: a name with an invalid byte is repaired to U+FFFD, and then meets
// a name that has U+FFFD there already.
TEST_F(SetStructuredTest, NamesThatAreTheSameOnceRepairedToUtf8AreACollision) {
  start(SpanLimits{});
  test::ThreadDiagnosticsCapture diagnostics;
  json value = json::object();
  value["k\xEF\xBF\xBD"] = 1;  // "k" U+FFFD, walked first
  value["k\xFF"] = 2;
  auto span = traced_.tracer->start_span("s");
  span.set_structured("p", value);
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, "p.k\xEF\xBF\xBD");
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::int64_t{2}});
  EXPECT_EQ(data->dropped_attributes_count, 1U);
  EXPECT_EQ(diagnostics.count_containing("value(s) dropped"), 1U);
}

// Under an empty prefix an empty name adds nothing to the key: {"": {"a": 1}} flattens to "a".
TEST_F(SetStructuredTest, AnEmptyNameUnderAnEmptyPrefixMeetsItsMembersNames) {
  start(SpanLimits{});
  test::ThreadDiagnosticsCapture diagnostics;
  auto span = traced_.tracer->start_span("s");
  span.set_structured("", json{{"", {{"a", 1}}}, {"a", 2}});
  const SpanDataPtr data = finish(span);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->attributes.size(), 1U);
  EXPECT_EQ(data->attributes[0].key, "a");
  EXPECT_EQ(data->attributes[0].value, AttributeValue{std::int64_t{2}});
  EXPECT_EQ(data->dropped_attributes_count, 1U);
  EXPECT_EQ(diagnostics.count_containing("'a'"), 1U);
}

}  // namespace
}  // namespace honeyhive
