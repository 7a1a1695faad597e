#include "export/json_writer.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

namespace honeyhive {
namespace {

std::string json_string(const std::string& text) {
  std::string out;
  detail::append_json_string(out, text);
  return out;
}

// nlohmann/json escapes as we do (the two-character escapes for \b \f \n \r \t, \u00XX for the
// other control characters, UTF-8 as is): an independent check of every byte at every position,
// in strings short and long enough for both the byte-wise and the word-wise scan.
TEST(JsonWriter, EscapesEveryAsciiByteAtEveryPositionAsNlohmannDoes) {
  for (std::size_t length = 1; length <= 20; ++length) {
    for (std::size_t position = 0; position < length; ++position) {
      for (int byte = 0; byte < 0x80; ++byte) {
        std::string text(length, 'a');
        text[position] = static_cast<char>(byte);
        ASSERT_EQ(json_string(text), nlohmann::json(text).dump()) << "length " << length << ", byte " << byte;
      }
    }
  }
}

TEST(JsonWriter, KeepsValidUtf8AndRepairsInvalidUtf8) {
  EXPECT_EQ(json_string("caf\xc3\xa9 au lait, \xe2\x82\xac 3"), "\"caf\xc3\xa9 au lait, \xe2\x82\xac 3\"");
  EXPECT_EQ(json_string("a long ascii prefix \xff"), "\"a long ascii prefix \xef\xbf\xbd\"");
}

TEST(JsonWriter, AppendsToWhatIsThere) {
  std::string out = "x:";
  detail::append_json_string(out, "plain text of some length");
  detail::append_json_string(out, "");
  EXPECT_EQ(out, "x:\"plain text of some length\"\"\"");
}

}  // namespace
}  // namespace honeyhive
