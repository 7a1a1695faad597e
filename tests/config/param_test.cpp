#include "honeyhive/config/param.hpp"

#include <gtest/gtest.h>

#include <string>

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

TEST(ParamTest, FalseIsAValueNotNull) {
  Param<bool> p = false;
  EXPECT_TRUE(p.has_value());
  EXPECT_FALSE(*p);
}

}  // namespace
}  // namespace honeyhive
