#include "honeyhive/export/file_exporter.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/otlp_json.hpp"

namespace honeyhive {

FileExporter::FileExporter(FileExporterOptions options) : options_(std::move(options)) {}

FileExporter::~FileExporter() {
  std::lock_guard<std::mutex> lock(mutex_);
  close_locked();
}

bool FileExporter::open_locked() noexcept {
  if (file_ != nullptr) {
    // Still the file at the path? A cleanup job may have removed or replaced it (log rotation by
    // rename): writing on would go to a file nobody can read. Then a new one is opened there.
    struct stat at_path {};
    struct stat open_file {};
    if (::stat(options_.path.c_str(), &at_path) == 0 && ::fstat(::fileno(file_), &open_file) == 0 &&
        at_path.st_dev == open_file.st_dev && at_path.st_ino == open_file.st_ino && open_file.st_nlink > 0) {
      return true;
    }
    close_locked();
  }
  file_ = std::fopen(options_.path.c_str(), "ab");
  if (file_ == nullptr) {
    if (!reported_failure_) {
      reported_failure_ = true;
      report_diagnostic(DiagnosticLevel::error, "file exporter cannot open '" + options_.path +
                                                    "': " + std::strerror(errno) + "; spans are dropped");
    }
    return false;
  }
  std::fseek(file_, 0, SEEK_END);
  const long position = std::ftell(file_);
  size_bytes_ = position > 0 ? static_cast<std::uint64_t>(position) : 0;
  return true;
}

bool FileExporter::close_locked() noexcept {
  if (file_ == nullptr) return true;
  const bool flushed = std::fflush(file_) == 0;
  const bool synced = ::fsync(::fileno(file_)) == 0 || errno == EINVAL;  // (EINVAL: a device, /dev/null)
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  return flushed && synced && closed;
}

void FileExporter::report_write_failure_locked(int error) noexcept {
  ++write_failures_;
  if (reported_failure_) return;
  reported_failure_ = true;
  try {
    report_diagnostic(DiagnosticLevel::error, "file exporter failed to write '" + options_.path +
                                                  "': " + std::strerror(error) + "; spans are dropped");
  } catch (...) {
  }
}

ExportResult FileExporter::export_spans(const std::vector<SpanDataPtr>& spans) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shut_down_) return ExportResult::failure;
    buffer_.clear();
    encode_otlp_json(spans, buffer_);
    buffer_ += '\n';
    // Open first: the size of a file left by an earlier run decides the rotation too.
    if (open_locked() && options_.rotate_size_bytes > 0 && size_bytes_ > 0 &&
        size_bytes_ + buffer_.size() > options_.rotate_size_bytes) {
      close_locked();
      const std::string rotated = options_.path + ".1";
      if (std::rename(options_.path.c_str(), rotated.c_str()) != 0) {
        report_diagnostic(DiagnosticLevel::warning, "file exporter could not rotate '" + options_.path + "'");
      }
    }
    if (!open_locked()) {
      ++write_failures_;
      return ExportResult::failure;
    }
    // Flushed at once: a full disk (ENOSPC) or a failing device shows only when the bytes leave
    // stdio's buffer, and the spans would otherwise count as exported.
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size() || std::fflush(file_) != 0) {
      const int error = errno;
      close_locked();  // opened afresh for the next batch (the stream's error state goes with it)
      report_write_failure_locked(error);
      return ExportResult::failure;
    }
    size_bytes_ += buffer_.size();
    return ExportResult::success;
  } catch (...) {
    return ExportResult::failure;
  }
}

bool FileExporter::force_flush(std::chrono::milliseconds) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return true;
  return std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
}

bool FileExporter::shutdown(std::chrono::milliseconds) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  shut_down_ = true;
  if (close_locked()) return true;
  report_write_failure_locked(errno);
  return false;
}

std::uint64_t FileExporter::write_failures() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return write_failures_;
}

}  // namespace honeyhive
