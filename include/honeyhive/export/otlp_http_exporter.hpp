#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "honeyhive/export/span_exporter.hpp"
#include "honeyhive/transport/http_client.hpp"
#include "honeyhive/transport/retry.hpp"
#include "honeyhive/transport/retrying_sender.hpp"

namespace honeyhive {

enum class OtlpProtocol : std::uint8_t { http_protobuf, http_json };

struct OtlpHttpExporterOptions {
  // The full URL spans are POSTed to. From OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is), else
  // OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces", else http://localhost:4318/v1/traces.
  std::string endpoint = "http://localhost:4318/v1/traces";
  OtlpProtocol protocol = OtlpProtocol::http_protobuf;  // OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL
  HttpHeaders headers;                                  // + OTEL_EXPORTER_OTLP_[TRACES_]HEADERS (percent-decoded)
  std::chrono::milliseconds timeout{10000};             // per request; OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT
  bool gzip = false;                                    // OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION=gzip
  RetryPolicy retry;
  // The transport; null = libcurl. Tests pass a fake.
  std::shared_ptr<HttpClient> client;

  // The defaults overridden by the OTEL_EXPORTER_OTLP_* variables (the TRACES_ form wins).
  // Invalid values are reported (without header values) and ignored.
  static OtlpHttpExporterOptions from_env() noexcept;
};

// Sends spans to an OTLP/HTTP endpoint (/v1/traces) as protobuf or JSON, with retries, backoff and
// Retry-After, optional gzip, one keep-alive connection. Encodes into a reused buffer. Thread-safe
// (concurrent exports are serialised). Header values are secrets: they never appear in diagnostics.
class OtlpHttpExporter final : public SpanExporter {
 public:
  explicit OtlpHttpExporter(OtlpHttpExporterOptions options = OtlpHttpExporterOptions::from_env());
  ~OtlpHttpExporter() override;

  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override;
  ExportResult export_spans_until(const std::vector<SpanDataPtr>& spans,
                                  std::chrono::steady_clock::time_point deadline) noexcept override;
  // Cancels a request in flight and any backoff wait; later exports fail at once.
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  void reset_after_fork() noexcept override;
  ExporterStats stats() const noexcept override;

  const OtlpHttpExporterOptions& options() const noexcept { return options_; }

 private:
  OtlpHttpExporterOptions options_;
  RetryingSender sender_;
  std::mutex export_mutex_;  // serialises exports; guards buffer_
  std::string buffer_;
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<bool> reported_failure_{false};
  std::atomic<bool> reported_cut_answer_{false};      // an answer not read whole (warning, once)
  std::atomic<bool> reported_foreign_answer_{false};  // an answer not in OTLP's encoding (debug, once)

  void report_unread_answer(const HttpResponse& response, std::size_t spans, bool json) noexcept;
};

}  // namespace honeyhive
