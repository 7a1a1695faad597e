#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "honeyhive/export/span_exporter.hpp"

namespace honeyhive {

struct FileExporterOptions {
  std::string path = "honeyhive-spans.jsonl";
  // When the file would grow past this size it is renamed to `<path>.1` (replacing an older one)
  // and a new file is started. 0 disables rotation.
  std::uint64_t rotate_size_bytes = 64ULL * 1024 * 1024;
};

// Appends each export as one line of OTLP/JSON (an ExportTraceServiceRequest) to a file, flushed to
// the file as it is written (a full disk fails that export); fsyncs on force_flush and shutdown. A
// file removed or replaced at the path meanwhile is noticed and a new one opened there. Thread-safe.
// Failures to open or write are counted and reported once.
class FileExporter final : public SpanExporter {
 public:
  explicit FileExporter(FileExporterOptions options);
  ~FileExporter() override;

  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  const std::string& path() const noexcept { return options_.path; }
  std::uint64_t write_failures() const noexcept;

 private:
  bool open_locked() noexcept;
  // Flushes, syncs and closes the file; false when any of them failed.
  bool close_locked() noexcept;
  // Counts a failed write and reports the first one (with `error`, an errno value).
  void report_write_failure_locked(int error) noexcept;

  FileExporterOptions options_;
  mutable std::mutex mutex_;
  std::FILE* file_ = nullptr;
  std::uint64_t size_bytes_ = 0;
  std::uint64_t write_failures_ = 0;
  bool reported_failure_ = false;
  bool shut_down_ = false;
  std::string buffer_;
};

}  // namespace honeyhive
