#include "honeyhive/export/file_exporter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>
#include <system_error>

#include "export/lock_within.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/otlp_json.hpp"

namespace honeyhive {

namespace {

// fsync's answer for files that cannot be synced (a terminal, a pipe, /dev/null): not a failure.
bool synced(int fd) noexcept { return ::fsync(fd) == 0 || errno == EINVAL || errno == EROFS; }

// `path` made absolute against the working directory now: a later chdir must not move the file.
std::string absolute_path(const std::string& path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.string();
}

}  // namespace

FileExporter::FileExporter(FileExporterOptions options) : options_(std::move(options)) {
  try {
    options_.path = absolute_path(options_.path);
  } catch (...) {
    // Kept as given.
  }
}

FileExporter::~FileExporter() {
  std::lock_guard<std::timed_mutex> lock(mutex_);
  close_locked(/*sync=*/true);
}

bool FileExporter::open_locked() noexcept {
  if (fd_ >= 0) {
    // Still the file at the path? A cleanup job may have removed it, or log rotation renamed it
    // away: writing on would go to a file nobody reads. Then a new one is opened there.
    struct stat at_path {};
    struct stat open_file {};
    if (::stat(options_.path.c_str(), &at_path) == 0 && ::fstat(fd_, &open_file) == 0 &&
        at_path.st_dev == open_file.st_dev && at_path.st_ino == open_file.st_ino && open_file.st_nlink > 0) {
      return true;
    }
    close_locked(/*sync=*/false);  // every line written went out whole already
  }
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int error = errno;
    if (!reported_failure_) {
      reported_failure_ = true;
      try {
        report_diagnostic(DiagnosticLevel::error, "file exporter cannot open '" + options_.path +
                                                      "': " + std::strerror(error) + "; spans are dropped");
      } catch (...) {
      }
    }
    return false;
  }
  struct stat opened {};
  regular_ = ::fstat(fd_, &opened) == 0 && S_ISREG(opened.st_mode);
  size_bytes_ = regular_ && opened.st_size > 0 ? static_cast<std::uint64_t>(opened.st_size) : 0;
  return true;
}

int FileExporter::close_locked(bool sync) noexcept {
  if (fd_ < 0) return 0;
  int error = 0;
  if (sync && !synced(fd_)) error = errno;
  if (::close(fd_) != 0 && error == 0) error = errno;
  fd_ = -1;
  return error;
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
    std::lock_guard<std::timed_mutex> lock(mutex_);
    if (shut_down_.load(std::memory_order_acquire)) return ExportResult::failure;
    buffer_.clear();
    encode_otlp_json(spans, buffer_);
    buffer_ += '\n';
    // Open first: the size of a file left by an earlier run decides the rotation too. Only a
    // regular file is rotated (renaming /dev/null or a pipe's path would be wrong).
    // (One open_locked() per export: each checks the file at the path with a stat and an fstat.)
    bool open = open_locked();
    if (open && regular_ && options_.rotate_size_bytes > 0 && size_bytes_ > 0 &&
        size_bytes_ + buffer_.size() > options_.rotate_size_bytes) {
      close_locked(/*sync=*/true);
      const std::string rotated = options_.path + ".1";
      if (std::rename(options_.path.c_str(), rotated.c_str()) != 0) {
        report_diagnostic(DiagnosticLevel::warning, "file exporter could not rotate '" + options_.path + "'");
      }
      open = open_locked();
    }
    if (!open) {
      ++write_failures_;
      return ExportResult::failure;
    }
    // Written straight to the file: a full disk (ENOSPC) or a failing device fails this export
    // here, rather than later in a buffer after the spans were counted as exported.
    const char* data = buffer_.data();
    std::size_t left = buffer_.size();
    while (left > 0) {
      const ssize_t written = ::write(fd_, data, left);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) {
        const int error = written < 0 ? errno : ENOSPC;
        // Take back the part of the line written, so the next line does not start inside it (the
        // file holds whole lines only). Appends of other writers would be cut too: one file per
        // exporter.
        const std::size_t partial = buffer_.size() - left;
        if (partial > 0 && regular_) {
          struct stat now {};
          if (::fstat(fd_, &now) == 0 && now.st_size >= static_cast<off_t>(partial)) {
            static_cast<void>(::ftruncate(fd_, now.st_size - static_cast<off_t>(partial)));
          }
        }
        report_write_failure_locked(error);
        return ExportResult::failure;
      }
      data += written;
      left -= static_cast<std::size_t>(written);
    }
    size_bytes_ += buffer_.size();
    return ExportResult::success;
  } catch (...) {
    return ExportResult::failure;
  }
}

bool FileExporter::force_flush(std::chrono::milliseconds timeout) noexcept {
  if (!detail::lock_within(mutex_, timeout)) return false;  // a write is stuck: not synced in time
  std::lock_guard<std::timed_mutex> lock(mutex_, std::adopt_lock);
  return fd_ < 0 || synced(fd_);
}

bool FileExporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  // Later exports fail from now on, even when a stuck write keeps the lock past the budget (the
  // file is then closed by the destructor).
  shut_down_.store(true, std::memory_order_release);
  if (!detail::lock_within(mutex_, timeout)) return false;
  std::lock_guard<std::timed_mutex> lock(mutex_, std::adopt_lock);
  if (closed_) return true;
  closed_ = true;
  const int error = close_locked(/*sync=*/true);
  if (error == 0) return true;
  report_write_failure_locked(error);
  return false;
}

void FileExporter::reset_after_fork() noexcept {
  new (&mutex_) std::timed_mutex();  // NOLINT: abandoned, possibly held by a parent thread mid-write
}

std::uint64_t FileExporter::write_failures() const noexcept {
  std::lock_guard<std::timed_mutex> lock(mutex_);
  return write_failures_;
}

}  // namespace honeyhive
