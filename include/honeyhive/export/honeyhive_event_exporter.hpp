#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/span_exporter.hpp"
#include "honeyhive/transport/http_client.hpp"
#include "honeyhive/transport/retry.hpp"
#include "honeyhive/transport/retrying_sender.hpp"

namespace honeyhive {

// Which Events API request carries the events (docs/honeyhive-api.md).
enum class HoneyHiveEventsRequest : std::uint8_t {
  batch,          // POST /v1/events/batch {"events": [...]} (the default)
  session_batch,  // POST /v1/sessions/{session_id}/events/batch {"events": [...]}, one request per session
  single,         // POST /v1/events with one bare event per request (HH_DISABLE_BATCH)
};

struct HoneyHiveEventExporterOptions {
  std::string api_url = "https://api.dp1.us.honeyhive.ai";  // the /v1/... paths are appended
  std::string api_key;                                      // sent as "Authorization: Bearer <key>"; never logged
  HoneyHiveEventsRequest request = HoneyHiveEventsRequest::batch;
  std::chrono::milliseconds timeout{10000};  // per request, as for OTLP
  bool gzip = false;
  RetryPolicy retry;
  std::shared_ptr<HttpClient> client;  // null = libcurl; tests pass a fake
};

// Sends finished spans to the HoneyHive REST API as events ("client mode"), with the OTLP
// exporter's retries, timeouts and counters. The session event the tracer emits at session start
// becomes POST /v1/sessions (followed by PUT /v1/events/{session_id} for its metrics, feedback and
// error, when it has any); an enrich_session span becomes PUT /v1/events/{session_id}; every other
// span becomes an event (span_to_honeyhive_event). Thread-safe (exports are serialised). The API key
// never appears in diagnostics.
// Counting (export_spans_counted): a span is exported when every request it needs succeeded, failed
// when one of them failed (after retries), and rejected when it has no session id: it is not sent
// (the API would file it under a new session), and stats().rejected_spans counts it.
class HoneyHiveEventExporter final : public SpanExporter {
 public:
  explicit HoneyHiveEventExporter(HoneyHiveEventExporterOptions options);
  ~HoneyHiveEventExporter() override;

  // Success when no span failed (rejected spans do not fail a call).
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override;
  ExportResult export_spans_until(const std::vector<SpanDataPtr>& spans,
                                  std::chrono::steady_clock::time_point deadline) noexcept override;
  ExportCounts export_spans_counted(const std::vector<SpanDataPtr>& spans,
                                    std::chrono::steady_clock::time_point deadline) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  void reset_after_fork() noexcept override;
  ExporterStats stats() const noexcept override;

  const HoneyHiveEventExporterOptions& options() const noexcept { return options_; }

 private:
  struct Outcome;
  Outcome send_json(const char* method, const std::string& path, const std::string& body,
                    std::chrono::steady_clock::time_point deadline) noexcept;
  bool send_events(const std::string& path, const std::string& body, std::size_t count,
                   std::chrono::steady_clock::time_point deadline) noexcept;
  bool send_session_start(const SpanData& span, std::chrono::steady_clock::time_point deadline);
  bool send_update(const std::string& session_id, const std::string& body,
                   std::chrono::steady_clock::time_point deadline);
  void report_once(std::atomic<bool>& reported, const std::string& message,
                   DiagnosticLevel level = DiagnosticLevel::error) noexcept;

  HoneyHiveEventExporterOptions options_;
  RetryingSender sender_;
  std::mutex export_mutex_;  // serialises exports
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<bool> reported_events_failure_{false};
  std::atomic<bool> reported_cut_answer_{false};
  std::atomic<bool> reported_not_json_{false};
  std::atomic<bool> reported_session_failure_{false};
  std::atomic<bool> reported_update_failure_{false};
  std::atomic<bool> reported_no_session_{false};
};

}  // namespace honeyhive
