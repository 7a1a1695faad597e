#include "honeyhive/export/console_exporter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace honeyhive {
namespace {

constexpr std::chrono::milliseconds kTimeout{1000};
constexpr const char* kConsoleTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";

// A span of trace kConsoleTraceHex; `parent_hex` empty for a root.
std::shared_ptr<SpanData> make_span(const std::string& name, const char* span_hex, const char* parent_hex,
                                    UnixNanos start, UnixNanos duration) {
  auto span = std::make_shared<SpanData>();
  span->context = SpanContext(*TraceId::from_hex(kConsoleTraceHex), *SpanId::from_hex(span_hex),
                              TraceFlags{TraceFlags::kSampled}, false);
  if (parent_hex[0] != '\0') span->parent_span_id = *SpanId::from_hex(parent_hex);
  span->name = name;
  span->start_unix_nanos = start;
  span->end_unix_nanos = start + duration;
  return span;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The first line that contains `needle`, or "" when none does.
std::string line_with(const std::string& text, const std::string& needle) {
  for (const auto& line : split_lines(text)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// Everything written so far to a tmpfile() stream.
std::string contents(std::FILE* stream) {
  std::fflush(stream);
  const long end = std::ftell(stream);
  std::rewind(stream);
  std::string text(end > 0 ? static_cast<std::size_t>(end) : 0U, '\0');
  const std::size_t read = std::fread(text.data(), 1, text.size(), stream);
  text.resize(read);
  std::fseek(stream, 0, SEEK_END);
  return text;
}

// root -> (child -> grandchild), sibling
std::vector<SpanDataPtr> family() {
  auto root = make_span("root-op", "0000000000000001", "", 1000, 2'500'000);
  root->attributes.push_back({"honeyhive_event_type", AttributeValue{std::string("chain")}});
  auto child = make_span("child-op", "0000000000000002", "0000000000000001", 2000, 1'000'000);
  child->attributes.push_back({"honeyhive_event_type", AttributeValue{std::string("model")}});
  auto grandchild = make_span("grandchild-op", "0000000000000003", "0000000000000002", 3000, 500);
  auto sibling = make_span("sibling-op", "0000000000000004", "0000000000000001", 4000, 1000);
  return {sibling, grandchild, child, root};  // end order, not start order
}

// --- render_tree ------------------------------------------------------------------------------

TEST(ConsoleRenderTreeTest, RootIsNotIndented) {
  const std::string text = ConsoleExporter::render_tree(family());
  EXPECT_TRUE(starts_with(line_with(text, "root-op"), "root-op")) << text;
}

TEST(ConsoleRenderTreeTest, ShowsTheTraceId) {
  EXPECT_NE(ConsoleExporter::render_tree(family()).find(kConsoleTraceHex), std::string::npos);
}

TEST(ConsoleRenderTreeTest, ChildrenAreIndentedUnderTheirParentWithTreeGlyphs) {
  const std::string text = ConsoleExporter::render_tree(family());
  EXPECT_TRUE(starts_with(line_with(text, "child-op"), "\xE2\x94\x9C\xE2\x94\x80 child-op")) << text;      // "├─ "
  EXPECT_TRUE(starts_with(line_with(text, "sibling-op"), "\xE2\x94\x94\xE2\x94\x80 sibling-op")) << text;  // "└─ "
  EXPECT_TRUE(starts_with(line_with(text, "grandchild-op"), "\xE2\x94\x82  \xE2\x94\x94\xE2\x94\x80 grandchild-op"))
      << text;  // "│  └─ "
}

TEST(ConsoleRenderTreeTest, ChildrenFollowTheirParentInStartOrder) {
  const std::string text = ConsoleExporter::render_tree(family());
  const auto root = text.find("root-op");
  const auto child = text.find("child-op");
  const auto grandchild = text.find("grandchild-op");
  const auto sibling = text.find("sibling-op");
  ASSERT_NE(sibling, std::string::npos);
  EXPECT_LT(root, child);
  EXPECT_LT(child, grandchild);
  EXPECT_LT(grandchild, sibling);
}

TEST(ConsoleRenderTreeTest, ShowsTheEventType) {
  const std::string text = ConsoleExporter::render_tree(family());
  EXPECT_NE(line_with(text, "root-op").find("[chain]"), std::string::npos) << text;
  EXPECT_NE(line_with(text, "child-op").find("[model]"), std::string::npos) << text;
}

TEST(ConsoleRenderTreeTest, ShowsTheDuration) {
  const std::string text = ConsoleExporter::render_tree(family());
  EXPECT_NE(line_with(text, "root-op").find("2.5 ms"), std::string::npos) << text;
}

TEST(ConsoleRenderTreeTest, MarksErrorStatus) {
  auto span = make_span("failing-op", "0000000000000001", "", 1000, 1000);
  span->status = Status{StatusCode::error, "boom"};
  const std::string line = line_with(ConsoleExporter::render_tree({span}), "failing-op");
  EXPECT_NE(line.find("ERROR"), std::string::npos) << line;
  EXPECT_NE(line.find("boom"), std::string::npos) << line;
}

TEST(ConsoleRenderTreeTest, OkSpanIsNotMarkedError) {
  auto span = make_span("fine-op", "0000000000000001", "", 1000, 1000);
  span->status = Status{StatusCode::ok, ""};
  EXPECT_EQ(ConsoleExporter::render_tree({span}).find("ERROR"), std::string::npos);
}

TEST(ConsoleRenderTreeTest, ShowsAtMostMaxAttributesShown) {
  auto span = make_span("busy-op", "0000000000000001", "", 1000, 1000);
  for (int i = 0; i < 10; ++i) {
    span->attributes.push_back({"attr_" + std::to_string(i), AttributeValue{std::int64_t{i}}});
  }
  const std::string text = ConsoleExporter::render_tree({span}, false, 3);
  std::size_t shown = 0;
  for (const auto& line : split_lines(text)) shown += line.find("attr_") != std::string::npos ? 1U : 0U;
  EXPECT_EQ(shown, 3U) << text;
}

TEST(ConsoleRenderTreeTest, ColourRenderingUsesAnsiEscapes) {
  EXPECT_NE(ConsoleExporter::render_tree(family(), true).find('\033'), std::string::npos);
}

TEST(ConsoleRenderTreeTest, PlainRenderingHasNoAnsiEscapes) {
  EXPECT_EQ(ConsoleExporter::render_tree(family(), false).find('\033'), std::string::npos);
}

// --- export to a stream -----------------------------------------------------------------------

class ConsoleExporterStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stream_ = std::tmpfile();
    ASSERT_NE(stream_, nullptr);
  }
  void TearDown() override {
    if (stream_ != nullptr) std::fclose(stream_);
  }

  ConsoleExporterOptions options() const {
    ConsoleExporterOptions result;
    result.stream = stream_;
    return result;
  }

  std::FILE* stream_ = nullptr;
};

TEST_F(ConsoleExporterStreamTest, PrintsNothingBeforeTheRootEnds) {
  ConsoleExporter exporter(options());
  const auto spans = family();
  EXPECT_EQ(exporter.export_spans({spans[0]}), ExportResult::success);
  EXPECT_EQ(exporter.export_spans({spans[1]}), ExportResult::success);
  EXPECT_EQ(exporter.export_spans({spans[2]}), ExportResult::success);
  EXPECT_EQ(contents(stream_), "");
}

TEST_F(ConsoleExporterStreamTest, PrintsTheWholeTraceWhenItsRootEnds) {
  ConsoleExporter exporter(options());
  for (const auto& span : family()) ASSERT_EQ(exporter.export_spans({span}), ExportResult::success);
  const std::string text = contents(stream_);
  EXPECT_NE(text.find("root-op"), std::string::npos) << text;
  EXPECT_NE(text.find("child-op"), std::string::npos) << text;
  EXPECT_NE(text.find("grandchild-op"), std::string::npos) << text;
  EXPECT_NE(text.find("sibling-op"), std::string::npos) << text;
}

TEST_F(ConsoleExporterStreamTest, PrintsAChildOfARemoteParentAsALocalRoot) {
  ConsoleExporter exporter(options());
  auto span = make_span("server-op", "0000000000000005", "00000000000000ff", 1000, 1000);
  span->parent_is_remote = true;
  ASSERT_EQ(exporter.export_spans({span}), ExportResult::success);
  EXPECT_NE(contents(stream_).find("server-op"), std::string::npos);
}

TEST_F(ConsoleExporterStreamTest, ForceFlushPrintsOrphanSpans) {
  ConsoleExporter exporter(options());
  ASSERT_EQ(exporter.export_spans({make_span("orphan-op", "0000000000000007", "0000000000000006", 1000, 1000)}),
            ExportResult::success);
  ASSERT_EQ(contents(stream_), "");
  EXPECT_TRUE(exporter.force_flush(kTimeout));
  EXPECT_NE(contents(stream_).find("orphan-op"), std::string::npos);
}

TEST_F(ConsoleExporterStreamTest, ForceFlushDoesNotPrintATraceTwice) {
  ConsoleExporter exporter(options());
  for (const auto& span : family()) ASSERT_EQ(exporter.export_spans({span}), ExportResult::success);
  const std::string before = contents(stream_);
  EXPECT_TRUE(exporter.force_flush(kTimeout));
  EXPECT_EQ(contents(stream_), before);
}

// A trace nested deeper than a stack could recurse prints in linear space: past 64 levels spans
// keep the 64th level's indentation and say their own level.
TEST(ConsoleExporterRenderTest, ATraceNestedTwentyThousandDeepPrintsInBoundedSpace) {
  constexpr int kDepth = 20000;
  std::vector<SpanDataPtr> spans;
  char parent[17] = "";
  for (int i = 0; i < kDepth; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", i + 1);
    spans.push_back(make_span("level", id, parent, 1000 + static_cast<UnixNanos>(i), 10));
    std::snprintf(parent, sizeof parent, "%s", id);
  }
  const std::string text = ConsoleExporter::render_tree(spans, false, 5);
  EXPECT_EQ(split_lines(text).size(), static_cast<std::size_t>(kDepth) + 1);  // the trace line, one per span
  EXPECT_LT(text.size(), 8U * 1024 * 1024);
  const std::string deepest = line_with(text, "[depth 19999] level");
  ASSERT_FALSE(deepest.empty());
  EXPECT_EQ(deepest.find("[depth"), line_with(text, "[depth 65] level").find("[depth"));  // same indentation
  EXPECT_TRUE(line_with(text, "[depth 64]").empty());  // the first 64 levels are drawn as usual
}

TEST_F(ConsoleExporterStreamTest, WritesNoAnsiEscapesToANonTerminal) {
  ConsoleExporterOptions opts = options();
  opts.colour_if_terminal = true;
  ConsoleExporter exporter(opts);
  auto failing = make_span("failing-op", "0000000000000001", "", 1000, 1000);
  failing->status = Status{StatusCode::error, "boom"};
  failing->attributes.push_back({"honeyhive_event_type", AttributeValue{std::string("tool")}});
  failing->attributes.push_back({"k", AttributeValue{std::string("v")}});
  ASSERT_EQ(exporter.export_spans({failing}), ExportResult::success);
  const std::string text = contents(stream_);
  ASSERT_NE(text.find("failing-op"), std::string::npos);
  EXPECT_EQ(text.find('\033'), std::string::npos) << text;
}

TEST_F(ConsoleExporterStreamTest, ExportFailsAfterShutdown) {
  ConsoleExporter exporter(options());
  EXPECT_TRUE(exporter.shutdown(kTimeout));
  EXPECT_EQ(exporter.export_spans({make_span("late-op", "0000000000000001", "", 1000, 1000)}), ExportResult::failure);
  EXPECT_EQ(contents(stream_), "");
}

TEST_F(ConsoleExporterStreamTest, ShutdownPrintsBufferedSpans) {
  ConsoleExporter exporter(options());
  ASSERT_EQ(exporter.export_spans({make_span("pending-op", "0000000000000007", "0000000000000006", 1000, 1000)}),
            ExportResult::success);
  EXPECT_TRUE(exporter.shutdown(kTimeout));
  EXPECT_NE(contents(stream_).find("pending-op"), std::string::npos);
}

}  // namespace
}  // namespace honeyhive
