#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "honeyhive/export/span_exporter.hpp"

namespace honeyhive {

// Keeps exported spans in memory, for tests. Thread-safe.
class InMemoryExporter final : public SpanExporter {
 public:
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  // A snapshot of the spans exported so far, in export order.
  std::vector<SpanDataPtr> spans() const;
  void clear() noexcept;
  bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }
  // In a fork child: drops the lock a parent thread may have held.
  void reset_after_fork() noexcept override;

 private:
  mutable std::mutex mutex_;
  std::vector<SpanDataPtr> spans_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace honeyhive
