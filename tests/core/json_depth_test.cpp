#include "core/json_depth.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "honeyhive/core/structured.hpp"
#include "support/nested_json.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;

using test::nested_objects;

TEST(NestsDeeperThan, CountsContainerLevels) {
  EXPECT_FALSE(detail::nests_deeper_than(json(1), 0));
  EXPECT_TRUE(detail::nests_deeper_than(json::array(), 0));
  EXPECT_FALSE(detail::nests_deeper_than(json::array(), 1));
  EXPECT_FALSE(detail::nests_deeper_than(json{{"a", {1, 2}}}, 2));
  EXPECT_TRUE(detail::nests_deeper_than(json{{"a", {1, 2}}}, 1));
  EXPECT_TRUE(detail::nests_deeper_than(json{{"a", json::object()}}, 1));  // an empty container is a level too
  EXPECT_FALSE(detail::nests_deeper_than(nested_objects(256), 256));
  EXPECT_TRUE(detail::nests_deeper_than(nested_objects(257), 256));
}

// The walk keeps its own list: a value nested far deeper than a stack could recurse is measured.
TEST(NestsDeeperThan, MeasuresAValueTooDeepToRecurseInto) {
  const json deep = nested_objects(200000);
  EXPECT_TRUE(detail::nests_deeper_than(deep, detail::kMaxJsonDepth));
}

TEST(CopyWithinDepth, CutsDeeperContainersToTheMarkerAndKeepsTheRest) {
  const json value = {{"keep", {{"x", 1}}}, {"deep", {{"b", {{"c", {1}}}}}}, {"s", "text"}};
  const json cut = detail::copy_within_depth(value, 3);
  EXPECT_EQ(cut, (json{{"keep", {{"x", 1}}}, {"deep", {{"b", {{"c", kMaxDepthMarker}}}}}, {"s", "text"}}));
  EXPECT_EQ(detail::copy_within_depth(value, 4), value);  // shallow enough: a plain copy
  EXPECT_EQ(detail::copy_within_depth(json("scalar"), 0), json("scalar"));
}

TEST(CopyWithinDepth, CopiesAValueTooDeepToRecurseIntoUpToTheLimit) {
  const json cut = detail::copy_within_depth(nested_objects(200000));
  EXPECT_FALSE(detail::nests_deeper_than(cut, detail::kMaxJsonDepth));
  const json* level = &cut;
  for (std::size_t i = 0; i < detail::kMaxJsonDepth; ++i) level = &level->at("a");
  EXPECT_EQ(*level, json(kMaxDepthMarker));
  // The most it keeps is kMaxJsonDepth levels, whatever it is asked.
  EXPECT_EQ(detail::copy_within_depth(nested_objects(300), 100000), detail::copy_within_depth(nested_objects(300)));
}

TEST(TextNestsAtMost, CountsBracketsOutsideStrings) {
  EXPECT_TRUE(detail::text_nests_at_most("[[1]]", 2));
  EXPECT_FALSE(detail::text_nests_at_most("[[1]]", 1));
  EXPECT_TRUE(detail::text_nests_at_most(R"({"a":"[[[[\"[[["})", 1));
  EXPECT_FALSE(detail::text_nests_at_most(std::string(300, '[') + std::string(300, ']')));
  EXPECT_TRUE(detail::text_nests_at_most(std::string(256, '[') + std::string(256, ']')));
}

}  // namespace
}  // namespace honeyhive
