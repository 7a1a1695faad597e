#include "honeyhive/export/in_memory_exporter.hpp"

#include <new>

namespace honeyhive {

ExportResult InMemoryExporter::export_spans(const std::vector<SpanDataPtr>& spans) noexcept {
  if (shut_down_.load(std::memory_order_acquire)) return ExportResult::failure;
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    spans_.insert(spans_.end(), spans.begin(), spans.end());
    return ExportResult::success;
  } catch (...) {
    return ExportResult::failure;
  }
}

bool InMemoryExporter::shutdown(std::chrono::milliseconds) noexcept {
  shut_down_.store(true, std::memory_order_release);
  return true;
}

std::vector<SpanDataPtr> InMemoryExporter::spans() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spans_;
}

void InMemoryExporter::clear() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  spans_.clear();
}

void InMemoryExporter::reset_after_fork() noexcept {
  new (&mutex_) std::mutex();  // NOLINT: abandoned, possibly held by a parent thread
}

}  // namespace honeyhive
