#include "honeyhive/export/file_exporter.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/export/otlp_json.hpp"
#include "support/diagnostics_capture.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;
constexpr std::chrono::milliseconds kFileExportTimeout{1000};

SpanDataPtr make_span(const std::string& name) {
  static const auto resource =
      std::make_shared<const Resource>(Attributes{{"service.name", AttributeValue{std::string("file-test")}}});
  static const auto scope =
      std::make_shared<const InstrumentationScope>(InstrumentationScope{"file_exporter_test", ""});
  auto span = std::make_shared<SpanData>();
  span->context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                              *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{TraceFlags::kSampled}, false);
  span->name = name;
  span->start_unix_nanos = 1000;
  span->end_unix_nanos = 2000;
  span->resource = resource;
  span->scope = scope;
  return span;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The name of the first span in one exported line.
std::string span_name(const std::string& line) {
  return json::parse(line)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"].get<std::string>();
}

// Gives each test a fresh directory under /tmp and removes it afterwards.
class FileExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/honeyhive-file-exporter-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    ASSERT_NE(made, nullptr);
    directory_ = made;
    path_ = directory_ + "/spans.jsonl";
  }

  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  FileExporterOptions options(std::uint64_t rotate_size_bytes = 0) const {
    FileExporterOptions result;
    result.path = path_;
    result.rotate_size_bytes = rotate_size_bytes;
    return result;
  }

  std::string directory_;
  std::string path_;
};

TEST_F(FileExporterTest, WritesOneJsonLinePerExport) {
  FileExporter exporter(options());
  EXPECT_EQ(exporter.export_spans({make_span("one")}), ExportResult::success);
  EXPECT_EQ(exporter.export_spans({make_span("two"), make_span("three")}), ExportResult::success);
  ASSERT_TRUE(exporter.force_flush(kFileExportTimeout));
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(span_name(lines[0]), "one");
  EXPECT_EQ(span_name(lines[1]), "two");
  EXPECT_EQ(json::parse(lines[1])["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 2U);
}

TEST_F(FileExporterTest, EachLineIsAnExportTraceServiceRequestMatchingTheEncoder) {
  FileExporter exporter(options());
  const std::vector<SpanDataPtr> batch{make_span("one")};
  ASSERT_EQ(exporter.export_spans(batch), ExportResult::success);
  ASSERT_TRUE(exporter.shutdown(kFileExportTimeout));
  std::string expected;
  encode_otlp_json(batch, expected);
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(json::parse(lines[0]), json::parse(expected));
}

TEST_F(FileExporterTest, AppendsAcrossExporterInstances) {
  {
    FileExporter first(options());
    ASSERT_EQ(first.export_spans({make_span("first")}), ExportResult::success);
    ASSERT_TRUE(first.shutdown(kFileExportTimeout));
  }
  {
    FileExporter second(options());
    ASSERT_EQ(second.export_spans({make_span("second")}), ExportResult::success);
    ASSERT_TRUE(second.shutdown(kFileExportTimeout));
  }
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(span_name(lines[0]), "first");
  EXPECT_EQ(span_name(lines[1]), "second");
}

// The size of the line one span named `name` takes (same-length names give the same size).
std::uint64_t line_size(const std::string& name) {
  std::string out;
  encode_otlp_json({make_span(name)}, out);
  return out.size() + 1;
}

TEST_F(FileExporterTest, RotatesToDotOneWhenTheSizeLimitWouldBeExceeded) {
  const std::uint64_t line = line_size("span-1");
  FileExporter exporter(options(line + line / 2));
  ASSERT_EQ(exporter.export_spans({make_span("span-1")}), ExportResult::success);
  ASSERT_EQ(exporter.export_spans({make_span("span-2")}), ExportResult::success);
  ASSERT_TRUE(exporter.shutdown(kFileExportTimeout));
  const auto rotated = read_lines(path_ + ".1");
  const auto current = read_lines(path_);
  ASSERT_EQ(rotated.size(), 1U);
  ASSERT_EQ(current.size(), 1U);
  EXPECT_EQ(span_name(rotated[0]), "span-1");
  EXPECT_EQ(span_name(current[0]), "span-2");
}

TEST_F(FileExporterTest, DoesNotRotateWhileUnderTheSizeLimit) {
  const std::uint64_t line = line_size("span-1");
  FileExporter exporter(options(3 * line));
  ASSERT_EQ(exporter.export_spans({make_span("span-1")}), ExportResult::success);
  ASSERT_EQ(exporter.export_spans({make_span("span-2")}), ExportResult::success);
  ASSERT_TRUE(exporter.shutdown(kFileExportTimeout));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".1"));
  EXPECT_EQ(read_lines(path_).size(), 2U);
}

TEST_F(FileExporterTest, RotationReplacesAnOlderRotatedFile) {
  const std::uint64_t line = line_size("span-1");
  FileExporter exporter(options(line + line / 2));
  ASSERT_EQ(exporter.export_spans({make_span("span-1")}), ExportResult::success);
  ASSERT_EQ(exporter.export_spans({make_span("span-2")}), ExportResult::success);
  ASSERT_EQ(exporter.export_spans({make_span("span-3")}), ExportResult::success);
  ASSERT_TRUE(exporter.shutdown(kFileExportTimeout));
  const auto rotated = read_lines(path_ + ".1");
  const auto current = read_lines(path_);
  ASSERT_EQ(rotated.size(), 1U);
  ASSERT_EQ(current.size(), 1U);
  EXPECT_EQ(span_name(rotated[0]), "span-2");
  EXPECT_EQ(span_name(current[0]), "span-3");
}

TEST_F(FileExporterTest, RotatesAFileLeftFullByAnEarlierInstance) {
  const std::uint64_t line = line_size("span-1");
  {
    FileExporter first(options(line + line / 2));
    ASSERT_EQ(first.export_spans({make_span("span-1")}), ExportResult::success);
    ASSERT_TRUE(first.shutdown(kFileExportTimeout));
  }
  FileExporter second(options(line + line / 2));
  ASSERT_EQ(second.export_spans({make_span("span-2")}), ExportResult::success);
  ASSERT_TRUE(second.shutdown(kFileExportTimeout));
  const auto rotated = read_lines(path_ + ".1");
  ASSERT_EQ(rotated.size(), 1U);
  EXPECT_EQ(span_name(rotated[0]), "span-1");
  EXPECT_EQ(read_lines(path_).size(), 1U);
}

TEST_F(FileExporterTest, UnwritablePathFailsAndCountsEachFailure) {
  test::DiagnosticsCapture diagnostics;
  FileExporterOptions bad;
  bad.path = directory_ + "/missing-directory/spans.jsonl";
  FileExporter exporter(bad);
  EXPECT_EQ(exporter.export_spans({make_span("a")}), ExportResult::failure);
  EXPECT_EQ(exporter.export_spans({make_span("b")}), ExportResult::failure);
  EXPECT_EQ(exporter.write_failures(), 2U);
}

TEST_F(FileExporterTest, UnwritablePathIsReportedOnce) {
  const test::ThreadDiagnosticsCapture diagnostics;
  FileExporterOptions bad;
  bad.path = directory_ + "/missing-directory/spans.jsonl";
  FileExporter exporter(bad);
  static_cast<void>(exporter.export_spans({make_span("a")}));
  static_cast<void>(exporter.export_spans({make_span("b")}));
  static_cast<void>(exporter.export_spans({make_span("c")}));
  EXPECT_EQ(diagnostics.count_containing(bad.path), 1U);
}

// A full disk shows only when the bytes leave stdio's buffer: each export is flushed, so it fails
// there, is counted and said once, instead of counting as exported spans that never reach the file.
TEST_F(FileExporterTest, AFullDiskFailsTheExportAndIsReportedOnce) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this machine";
  const test::ThreadDiagnosticsCapture diagnostics;
  FileExporterOptions full;
  full.path = "/dev/full";
  full.rotate_size_bytes = 0;
  FileExporter exporter(full);
  EXPECT_EQ(exporter.export_spans({make_span("lost")}), ExportResult::failure);
  EXPECT_EQ(exporter.export_spans({make_span("lost too")}), ExportResult::failure);
  EXPECT_EQ(exporter.write_failures(), 2U);
  EXPECT_EQ(diagnostics.count_containing("file exporter failed to write '/dev/full': No space left on device"), 1U);
}

// A file removed at the path (a cleanup job) is noticed: the next export opens a new one there
// rather than writing on into the removed file, which nobody can read.
TEST_F(FileExporterTest, AFileRemovedMeanwhileIsOpenedAgain) {
  FileExporter exporter(options());
  ASSERT_EQ(exporter.export_spans({make_span("first")}), ExportResult::success);
  ASSERT_EQ(read_lines(path_).size(), 1U);
  std::filesystem::remove(path_);
  ASSERT_EQ(exporter.export_spans({make_span("second")}), ExportResult::success);
  const auto lines = read_lines(path_);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("second"), std::string::npos);
  // And one renamed away (log rotation by rename): the next line goes to a new file at the path.
  std::filesystem::rename(path_, path_ + ".old");
  ASSERT_EQ(exporter.export_spans({make_span("third")}), ExportResult::success);
  EXPECT_EQ(read_lines(path_).size(), 1U);
  EXPECT_EQ(read_lines(path_ + ".old").size(), 1U);
}

// A write that fails partway (here the file size limit, EFBIG, as a full disk would) takes back the
// part of the line it wrote: the file holds whole lines only, and the next line starts clean. Run
// in a child process, whose file size limit and working directory the test may change.
TEST_F(FileExporterTest, AWriteThatFailsPartwayLeavesOnlyWholeLines) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string path = path_;
  const auto child = [&] {
    FileExporter exporter(options());
    if (exporter.export_spans({make_span("first")}) != ExportResult::success) std::_Exit(2);
    const auto size = std::filesystem::file_size(path);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{static_cast<rlim_t>(size + 100), static_cast<rlim_t>(size + 100)};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) std::_Exit(3);
    if (exporter.export_spans({make_span(std::string(4000, 'x'))}) != ExportResult::failure) std::_Exit(4);
    if (std::filesystem::file_size(path) != size) std::_Exit(5);  // the partial line taken back
    if (exporter.write_failures() != 1) std::_Exit(6);
    std::_Exit(0);
  };
  EXPECT_EXIT(child(), ::testing::ExitedWithCode(0), "");
}

// A relative path is taken against the working directory at construction: a later chdir does not
// move the file (the exporter checks the path before each write).
TEST_F(FileExporterTest, ARelativePathStaysWhereItWasAfterAChdir) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string directory = directory_;
  const auto child = [&] {
    if (::chdir(directory.c_str()) != 0) std::_Exit(2);
    FileExporterOptions relative;
    relative.path = "spans.jsonl";
    FileExporter exporter(relative);
    if (exporter.export_spans({make_span("one")}) != ExportResult::success) std::_Exit(3);
    if (::chdir("/") != 0) std::_Exit(4);
    if (exporter.export_spans({make_span("two")}) != ExportResult::success) std::_Exit(5);
    if (read_lines(directory + "/spans.jsonl").size() != 2) std::_Exit(6);
    std::_Exit(0);
  };
  EXPECT_EXIT(child(), ::testing::ExitedWithCode(0), "");
}

// Only regular files are rotated: a path naming a device (here a link to /dev/null) is never
// renamed, whatever its writes add up to, and it syncs without failing.
TEST_F(FileExporterTest, APathThatIsNotARegularFileIsNeverRotated) {
  const std::string link = directory_ + "/null-link";
  std::filesystem::create_symlink("/dev/null", link);
  FileExporterOptions to_null;
  to_null.path = link;
  to_null.rotate_size_bytes = 100;
  FileExporter exporter(to_null);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(exporter.export_spans({make_span("discarded")}), ExportResult::success);
  EXPECT_TRUE(exporter.force_flush(kFileExportTimeout));
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_FALSE(std::filesystem::exists(link + ".1"));
  EXPECT_TRUE(exporter.shutdown(kFileExportTimeout));
  EXPECT_EQ(exporter.write_failures(), 0U);
}

TEST_F(FileExporterTest, ExportFailsAfterShutdown) {
  FileExporter exporter(options());
  ASSERT_TRUE(exporter.shutdown(kFileExportTimeout));
  EXPECT_EQ(exporter.export_spans({make_span("late")}), ExportResult::failure);
  EXPECT_TRUE(read_lines(path_).empty());
}

TEST_F(FileExporterTest, ShutdownIsIdempotent) {
  FileExporter exporter(options());
  ASSERT_EQ(exporter.export_spans({make_span("one")}), ExportResult::success);
  EXPECT_TRUE(exporter.shutdown(kFileExportTimeout));
  EXPECT_TRUE(exporter.shutdown(kFileExportTimeout));
  EXPECT_EQ(read_lines(path_).size(), 1U);
}

}  // namespace
}  // namespace honeyhive
