#pragma once

#include <atomic>
#include <cstdint>
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

// Appends each export as one line of OTLP/JSON (an ExportTraceServiceRequest) to a file, written
// straight to it (no buffer in between: a full disk fails that export, and the part of the line
// written is taken back, so the file holds whole lines only); fsyncs on force_flush and shutdown.
// A file removed or renamed away at the path meanwhile is noticed and a new one opened there (a
// relative path is taken against the working directory at construction). Only regular files are
// rotated. Thread-safe. Failures to open or write are counted (write_failures(): exports that
// failed, and a shutdown whose final sync or close failed) and the first one is reported.
class FileExporter final : public SpanExporter {
 public:
  explicit FileExporter(FileExporterOptions options);
  ~FileExporter() override;

  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  // In a fork child: the lock a parent thread may have held (mid-write) is dropped; the file stays
  // open (appends from both processes land as whole lines).
  void reset_after_fork() noexcept override;

  const std::string& path() const noexcept { return options_.path; }
  std::uint64_t write_failures() const noexcept;

 private:
  bool open_locked() noexcept;
  // Syncs (when `sync`) and closes the file; the first errno of a failure, or 0.
  int close_locked(bool sync) noexcept;
  // Counts a failed write and reports the first one (with `error`, an errno value).
  void report_write_failure_locked(int error) noexcept;

  FileExporterOptions options_;
  mutable std::timed_mutex mutex_;
  int fd_ = -1;
  bool regular_ = false;  // the open file is a regular file (only those are rotated)
  std::uint64_t size_bytes_ = 0;
  std::uint64_t write_failures_ = 0;
  bool reported_failure_ = false;
  std::atomic<bool> shut_down_{false};  // set first by shutdown(), which may not get the lock in time
  bool closed_ = false;                 // shutdown() closed the file
  std::string buffer_;
};

}  // namespace honeyhive
