#include "honeyhive/config/param.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace honeyhive {
namespace {

TEST(ParamTest, DefaultIsUnset) {
  Param<std::string> p;
  EXPECT_TRUE(p.is_unset());
  EXPECT_FALSE(p.is_null());
  EXPECT_FALSE(p.has_value());
  EXPECT_FALSE(static_cast<bool>(p));
}

TEST(ParamTest, AssigningNullMakesItExplicitlyNull) {
  Param<std::string> p = "x";
  p = null;
  EXPECT_TRUE(p.is_null());
  EXPECT_FALSE(p.is_unset());
  EXPECT_FALSE(p.has_value());
}

TEST(ParamTest, AssigningAValueReadsLikeOptional) {
  Param<std::string> p;
  p = "support-bot";
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "support-bot");
  EXPECT_EQ(p->size(), 11U);
}

TEST(ParamTest, ValueOrFallsBackForUnsetAndNull) {
  Param<int> unset;
  Param<int> explicit_null = null;
  Param<int> set = 7;
  EXPECT_EQ(unset.value_or(3), 3);
  EXPECT_EQ(explicit_null.value_or(3), 3);
  EXPECT_EQ(set.value_or(3), 7);
}

TEST(ParamTest, ResetReturnsToUnset) {
  Param<bool> p = false;
  p.reset();
  EXPECT_TRUE(p.is_unset());
}

TEST(ParamTest, EqualityComparesStateAndValue) {
  EXPECT_EQ(Param<int>(), Param<int>());
  EXPECT_NE(Param<int>(), Param<int>(null));
  EXPECT_EQ(Param<int>(1), Param<int>(1));
  EXPECT_NE(Param<int>(1), Param<int>(2));
}

// std::getenv gives a null pointer for a variable not set: the field stays (or becomes) unset,
// where building a std::string from it threw.
TEST(ParamTest, ANullCStringLeavesTheFieldUnset) {
  const char* missing = std::getenv("HONEYHIVE_TEST_SURELY_NOT_SET");
  ASSERT_EQ(missing, nullptr);
  Param<std::string> from_construction = missing;
  EXPECT_TRUE(from_construction.is_unset());
  Param<std::string> assigned = "set before";
  EXPECT_NO_THROW(assigned = missing);
  EXPECT_TRUE(assigned.is_unset());
  const char* present = "value";
  assigned = present;
  EXPECT_EQ(*assigned, "value");
  // A nullptr literal too.
  EXPECT_NO_THROW({
    Param<std::string> from_nullptr = nullptr;
    EXPECT_TRUE(from_nullptr.is_unset());
  });
  EXPECT_NO_THROW(assigned = nullptr);
  EXPECT_TRUE(assigned.is_unset());
}

// Text in a boolean field would be `true` whatever it says ("false" included): not accepted.
TEST(ParamTest, ABooleanFieldTakesNoTextNorPointer) {
  EXPECT_FALSE((std::is_assignable_v<Param<bool>&, const char(&)[6]>));
  EXPECT_FALSE((std::is_assignable_v<Param<bool>&, const char*>));
  EXPECT_FALSE((std::is_assignable_v<Param<bool>&, std::nullptr_t>));
  EXPECT_FALSE((std::is_constructible_v<Param<bool>, const char*>));
  // Anything else that reads as true when not empty, whatever it holds.
  EXPECT_FALSE((std::is_assignable_v<Param<bool>&, std::optional<bool>>));
  EXPECT_FALSE((std::is_assignable_v<Param<bool>&, std::shared_ptr<int>>));
  EXPECT_TRUE((std::is_assignable_v<Param<bool>&, const bool&>));
  EXPECT_TRUE((std::is_assignable_v<Param<bool>&, int>));
  EXPECT_TRUE((std::is_assignable_v<Param<bool>&, bool>));
  EXPECT_TRUE((std::is_assignable_v<Param<std::string>&, const char*>));
}

TEST(ParamTest, FalseIsAValueNotNull) {
  Param<bool> p = false;
  EXPECT_TRUE(p.has_value());
  EXPECT_FALSE(*p);
}

}  // namespace
}  // namespace honeyhive
