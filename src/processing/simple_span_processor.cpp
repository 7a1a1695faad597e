#include "honeyhive/processing/simple_span_processor.hpp"

#include <vector>

namespace honeyhive {

SimpleSpanProcessor::SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter) noexcept
    : exporter_(std::move(exporter)) {}

void SimpleSpanProcessor::on_start(SpanRef&, const Context&) noexcept {}

void SimpleSpanProcessor::on_end(const SpanDataPtr& span) noexcept {
  if (!span->context.is_sampled()) return;
  if (!exporter_ || shut_down_.load(std::memory_order_acquire)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  try {
    const std::vector<SpanDataPtr> batch{span};
    if (exporter_->export_spans(batch) == ExportResult::success) {
      exported_.fetch_add(1, std::memory_order_relaxed);
    } else {
      failed_.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (...) {
    failed_.fetch_add(1, std::memory_order_relaxed);
  }
}

bool SimpleSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  return exporter_ ? exporter_->force_flush(timeout) : true;
}

bool SimpleSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (shut_down_.exchange(true, std::memory_order_acq_rel)) return true;
  return exporter_ ? exporter_->shutdown(timeout) : true;
}

}  // namespace honeyhive
