// AttributeKey (include/honeyhive/core/attribute_key.hpp): an attribute's key, whose copies share
// its text, and which reads and compares like the std::string it replaced.
#include "honeyhive/core/attribute_key.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "honeyhive/core/attribute_value.hpp"

namespace honeyhive {
namespace {

constexpr std::string_view kLongKey = "honeyhive_inputs.prompt";  // past the inline room

TEST(AttributeKeyTest, IsEmptyByDefault) {
  const AttributeKey key;
  EXPECT_TRUE(key.empty());
  EXPECT_EQ(key.size(), 0U);
  EXPECT_STREQ(key.c_str(), "");
  EXPECT_EQ(key, "");
}

TEST(AttributeKeyTest, HoldsShortAndLongTextsWithATerminatingNul) {
  const AttributeKey short_key("user.id");
  const AttributeKey long_key(kLongKey);
  EXPECT_EQ(short_key.view(), "user.id");
  EXPECT_EQ(long_key.view(), kLongKey);
  EXPECT_STREQ(short_key.c_str(), "user.id");
  EXPECT_STREQ(long_key.c_str(), "honeyhive_inputs.prompt");
  EXPECT_EQ(long_key.size(), kLongKey.size());
  EXPECT_EQ(long_key.length(), kLongKey.size());
}

TEST(AttributeKeyTest, CopiesOfALongKeyShareItsText) {
  const AttributeKey key(kLongKey);
  const AttributeKey copy = key;  // NOLINT(performance-unnecessary-copy-initialization)
  AttributeKey assigned;
  assigned = key;
  EXPECT_EQ(copy.data(), key.data());
  EXPECT_EQ(assigned.data(), key.data());
  EXPECT_EQ(copy, key);
}

TEST(AttributeKeyTest, CopiesOfAShortKeyHoldTheirOwnText) {
  const AttributeKey key("model");
  const AttributeKey copy = key;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_NE(copy.data(), key.data());
  EXPECT_EQ(copy, key);
}

TEST(AttributeKeyTest, ACopyOutlivesTheKeyItWasCopiedFrom) {
  AttributeKey copy;
  {
    const AttributeKey key(std::string(40, 'k'));
    copy = key;
  }
  EXPECT_EQ(copy, std::string(40, 'k'));
}

TEST(AttributeKeyTest, WritingOverASharedKeyLeavesItsCopiesAlone) {
  AttributeKey key(kLongKey);
  const AttributeKey copy = key;
  key = "honeyhive_outputs.answer";
  EXPECT_EQ(copy, kLongKey);
  EXPECT_EQ(key, "honeyhive_outputs.answer");
  key.assign("short", 5);
  EXPECT_EQ(copy, kLongKey);
  EXPECT_EQ(key, "short");
}

TEST(AttributeKeyTest, ALongKeyItAloneOwnsIsWrittenOverInPlace) {
  AttributeKey key(kLongKey);
  const char* before = key.data();
  key.assign("honeyhive_inputs.system", 23);
  EXPECT_EQ(key.data(), before);
  EXPECT_EQ(key, "honeyhive_inputs.system");
  key.assign("honeyhive_inputs.user", 21);  // shorter: the same block still
  EXPECT_EQ(key.data(), before);
  EXPECT_STREQ(key.c_str(), "honeyhive_inputs.user");
  EXPECT_EQ(key.capacity(), kLongKey.size());
}

TEST(AttributeKeyTest, TakesItsOwnTextOrAPartOfIt) {
  const std::string text = std::string(20, 'a') + std::string(20, 'b');
  AttributeKey key(text);
  key.assign(key.data() + 2, key.size() - 2);  // a suffix of its own text, over it in its block
  EXPECT_EQ(key, text.substr(2));
  key.assign(key.data() + 20, 10);  // a part of it, into the inline room
  EXPECT_EQ(key, std::string(10, 'b'));
  AttributeKey other(kLongKey);
  other.assign(other.data(), 9);  // its own prefix, into the inline room
  EXPECT_EQ(other, "honeyhive");
  other = other;  // NOLINT(clang-diagnostic-self-assign-overloaded)
  EXPECT_EQ(other, "honeyhive");
}

TEST(AttributeKeyTest, MovingTakesTheTextAndLeavesTheSourceEmpty) {
  AttributeKey key(kLongKey);
  const char* text = key.data();
  AttributeKey moved(std::move(key));
  EXPECT_EQ(moved.data(), text);
  EXPECT_TRUE(key.empty());  // NOLINT(bugprone-use-after-move): specified as empty
  AttributeKey short_key("tier");
  AttributeKey target(kLongKey);
  target = std::move(short_key);
  EXPECT_EQ(target, "tier");
  EXPECT_STREQ(target.c_str(), "tier");
}

TEST(AttributeKeyTest, SwapsTexts) {
  AttributeKey a(kLongKey);
  AttributeKey b("b");
  swap(a, b);
  EXPECT_EQ(a, "b");
  EXPECT_EQ(b, kLongKey);
}

TEST(AttributeKeyTest, AStaticKeyPointsAtItsText) {
  static constexpr char kText[] = "honeyhive_event_type";
  const AttributeKey key = AttributeKey::from_static(kText);
  EXPECT_EQ(key.data(), kText);
  const AttributeKey copy = key;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.data(), kText);
  AttributeKey written = key;
  written = "honeyhive_event_name";  // never into the static text
  EXPECT_EQ(key, "honeyhive_event_type");
  EXPECT_EQ(written, "honeyhive_event_name");
}

TEST(AttributeKeyTest, ComparesWithEveryStringSpelling) {
  const AttributeKey key(kLongKey);
  const std::string text(kLongKey);
  EXPECT_TRUE(key == "honeyhive_inputs.prompt");
  EXPECT_TRUE("honeyhive_inputs.prompt" == key);
  EXPECT_TRUE(key == text);
  EXPECT_TRUE(text == key);
  EXPECT_TRUE(key == kLongKey);
  EXPECT_TRUE(kLongKey == key);
  EXPECT_TRUE(key == AttributeKey(text));
  EXPECT_TRUE(key != "honeyhive_inputs.system");
  EXPECT_TRUE(key != std::string("x"));
  EXPECT_TRUE(AttributeKey("a") < AttributeKey("b"));
  EXPECT_EQ(key.compare("honeyhive_inputs.prompt"), 0);
  EXPECT_EQ(key.compare(0, 16, "honeyhive_inputs"), 0);
  EXPECT_EQ(key.rfind("honeyhive_", 0), 0U);
  EXPECT_EQ(key.find('.'), 16U);
  EXPECT_EQ(key.substr(17), "prompt");
}

// Ordered as std::string orders its texts, against every spelling (none ambiguous, none building a key).
TEST(AttributeKeyTest, OrdersAgainstEveryStringSpelling) {
  const AttributeKey key(kLongKey);  // "honeyhive_inputs.prompt"
  const std::string later("honeyhive_inputs.system");
  const std::string_view earlier("honeyhive_inputs.model");
  EXPECT_TRUE(key < later);
  EXPECT_TRUE(later > key);
  EXPECT_TRUE(key > earlier);
  EXPECT_TRUE(earlier < key);
  EXPECT_TRUE(key >= "honeyhive_inputs.prompt");
  EXPECT_TRUE(key <= "honeyhive_inputs.prompt");
  EXPECT_FALSE(key > "honeyhive_inputs.prompt");
  EXPECT_TRUE(key <= later);
  EXPECT_TRUE(later >= key);
  EXPECT_TRUE(key >= earlier);
  EXPECT_TRUE("honeyhive_inputs.z" > key);
  EXPECT_TRUE("a" <= key);
  EXPECT_TRUE(key > AttributeKey("a"));
}

// An empty key from a default std::string_view (whose data() is null) or a null C string is the
// empty text, with its terminating NUL; nothing is read from the null pointer.
TEST(AttributeKeyTest, AnEmptyViewOrANullStringGivesTheEmptyKey) {
  AttributeKey from_view{std::string_view()};
  EXPECT_TRUE(from_view.empty());
  ASSERT_NE(from_view.c_str(), nullptr);
  EXPECT_EQ(from_view.c_str()[0], '\0');
  AttributeKey written(kLongKey);
  written = std::string_view();  // from a long key's block, too
  EXPECT_TRUE(written.empty());
  EXPECT_EQ(written, "");
  const AttributeKey from_null(static_cast<const char*>(nullptr));
  EXPECT_TRUE(from_null.empty());
  const AttributeKey from_static = AttributeKey::from_static(std::string_view());
  ASSERT_NE(from_static.c_str(), nullptr);
  EXPECT_EQ(from_static, from_view);
}

TEST(AttributeKeyTest, ConvertsToStringAndStringView) {
  const AttributeKey key(kLongKey);
  const std::string text = key;
  const std::string_view view = key;
  const std::string direct(key);
  EXPECT_EQ(text, kLongKey);
  EXPECT_EQ(view.data(), key.data());
  EXPECT_EQ(direct, kLongKey);
  EXPECT_EQ(key + "!", "honeyhive_inputs.prompt!");
  EXPECT_EQ("[" + key + "]", "[honeyhive_inputs.prompt]");
  EXPECT_EQ(std::string("<") + key, "<honeyhive_inputs.prompt");
  EXPECT_EQ(std::string(key.begin(), key.end()), kLongKey);
  std::ostringstream out;
  out << key;
  EXPECT_EQ(out.str(), kLongKey);
}

TEST(AttributeKeyTest, ServesAsAMapKey) {
  std::map<AttributeKey, int> ordered{{AttributeKey("b"), 2}, {AttributeKey(kLongKey), 1}};
  EXPECT_EQ(ordered.begin()->first, "b");
  std::unordered_map<AttributeKey, int> hashed{{AttributeKey(kLongKey), 1}};
  EXPECT_EQ(hashed.count(AttributeKey(std::string(kLongKey))), 1U);
  std::map<std::string, int> by_string;
  by_string[AttributeKey(kLongKey)] = 3;
  EXPECT_EQ(by_string.at(std::string(kLongKey)), 3);
}

TEST(AttributeKeyTest, AttributesAreBuiltAndComparedAsBefore) {
  const Attributes attributes{{"honeyhive_inputs.prompt", AttributeValue{std::string("hi")}},
                              {std::string("n"), AttributeValue{std::int64_t{1}}}};
  Attributes copy = attributes;
  EXPECT_EQ(copy, attributes);
  EXPECT_EQ(copy[0].key.data(), attributes[0].key.data());  // shared, not copied
  copy[0].key = "other";
  EXPECT_NE(copy, attributes);
}

}  // namespace
}  // namespace honeyhive
