#pragma once

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "honeyhive/export/span_exporter.hpp"

namespace honeyhive {

struct ConsoleExporterOptions {
  std::FILE* stream = stdout;
  // Colour when the stream is a terminal (and NO_COLOR is unset); never when writing to a pipe/file.
  bool colour_if_terminal = true;
  // How many attributes to show per span (honeyhive_* and gen_ai.* first), values cut at 60 chars.
  std::size_t max_attributes_shown = 6;
};

// Prints each trace as a readable tree (name, event type, duration, key attributes) once its local
// root ends; spans still buffered at flush or shutdown are printed then. Thread-safe.
class ConsoleExporter final : public SpanExporter {
 public:
  explicit ConsoleExporter(ConsoleExporterOptions options = {});

  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  // In a fork child: drops the lock a parent thread may have held mid-print.
  void reset_after_fork() noexcept override;

  // Renders spans of one trace as the tree text that export prints (no colour). For tests and tools.
  static std::string render_tree(const std::vector<SpanDataPtr>& spans, bool colour = false,
                                 std::size_t max_attributes_shown = 6);

 private:
  void print_locked(const std::vector<SpanDataPtr>& spans);

  ConsoleExporterOptions options_;
  bool colour_ = false;
  std::timed_mutex mutex_;
  std::map<std::string, std::vector<SpanDataPtr>> pending_;  // by trace id hex
  std::atomic<bool> shut_down_{false};
};

}  // namespace honeyhive
