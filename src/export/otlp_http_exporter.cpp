#include "honeyhive/export/otlp_http_exporter.hpp"

#include <new>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/deadline.hpp"
#include "core/env.hpp"
#include "export/otlp_env.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"
#include "honeyhive/version.hpp"
#include "transport/http_headers.hpp"
#include "transport/http_url.hpp"

namespace honeyhive {
namespace {

// The TRACES_ variant of an OTLP variable wins over the general one (OTLP exporter spec).
std::optional<std::string> otlp_env(const char* suffix, std::string* used_name) {
  const std::string specific = std::string("OTEL_EXPORTER_OTLP_TRACES_") + suffix;
  if (auto value = detail::get_env(specific.c_str())) {
    *used_name = specific;
    return value;
  }
  const std::string general = std::string("OTEL_EXPORTER_OTLP_") + suffix;
  *used_name = general;
  return detail::get_env(general.c_str());
}

std::optional<OtlpPartialSuccess> parse_json_partial_success(const std::string& body) {
  const auto document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return std::nullopt;
  OtlpPartialSuccess result;
  const auto partial = document.find("partialSuccess");
  if (partial == document.end() || !partial->is_object()) return result;
  const auto rejected = partial->find("rejectedSpans");
  if (rejected != partial->end()) {
    if (rejected->is_number_integer()) result.rejected_spans = rejected->get<std::int64_t>();
    if (rejected->is_string()) {
      const auto parsed = detail::parse_unsigned(rejected->get<std::string>());
      if (parsed) result.rejected_spans = static_cast<std::int64_t>(*parsed);
    }
  }
  const auto message = partial->find("errorMessage");
  if (message != partial->end() && message->is_string()) result.error_message = message->get<std::string>();
  return result;
}

// Whether `url`'s path ends in the OTLP traces path (query, fragment and trailing slashes aside).
bool ends_in_traces_path(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  constexpr std::string_view kTracesPath = "/v1/traces";
  return url.size() >= kTracesPath.size() && url.substr(url.size() - kTracesPath.size()) == kTracesPath;
}

// The variables of from_env(); `target` (the endpoint and protocol) only when asked.
OtlpHttpExporterOptions options_from_env(bool target) noexcept {
  OtlpHttpExporterOptions options;
  try {
    std::string name;
    if (target) {
      if (const auto traces = detail::get_env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
        if (auto url = detail::normalized_http_url(*traces)) {
          options.endpoint = std::move(*url);
        } else {
          report_diagnostic(DiagnosticLevel::warning,
                            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not an http(s) URL; ignoring it");
        }
      } else if (const auto base = detail::get_env("OTEL_EXPORTER_OTLP_ENDPOINT")) {
        if (auto url = detail::normalized_http_url(*base)) {
          // The signal's path goes after the base's own path, before any query.
          options.endpoint = detail::append_url_path(*url, "/v1/traces");
        } else {
          report_diagnostic(DiagnosticLevel::warning, "OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL; ignoring it");
        }
      }
      if (const auto protocol = otlp_env("PROTOCOL", &name)) {
        if (*protocol == "http/json") {
          options.protocol = OtlpProtocol::http_json;
        } else if (*protocol != "http/protobuf") {
          report_diagnostic(
              DiagnosticLevel::warning,
              name + "='" + *protocol + "' is not supported (http/protobuf or http/json); using http/protobuf");
        }
      }
    }
    if (const auto headers = otlp_env("HEADERS", &name)) {
      std::size_t bad_position = 0;
      auto parsed = detail::parse_key_value_list(*headers, nullptr, &bad_position);
      if (parsed) {
        // A percent-encoded line break (%0D%0A) or other control character would inject headers.
        for (std::size_t i = 0; i < parsed->size(); ++i) {
          const auto& [key, value] = (*parsed)[i];
          if (!detail::is_header_name(key) || !detail::is_header_value(value)) {
            bad_position = i + 1;
            parsed.reset();
            break;
          }
        }
      }
      if (parsed) {
        for (auto& header : *parsed) options.headers.push_back(std::move(header));
      } else {
        // Named by position only: headers carry API keys, and a malformed item ("Authorization:
        // Bearer sk-...", without '=') is all key.
        report_diagnostic(DiagnosticLevel::warning,
                          name + ": header " + std::to_string(bad_position) +
                              " is malformed (no '=', a name that is not a token, a bad %-escape, or a control "
                              "character in its value); ignoring the variable");
      }
    }
    if (const auto timeout = otlp_env("TIMEOUT", &name)) {
      if (const auto ms = detail::parse_unsigned(*timeout); ms && *ms > 0) {
        options.timeout = detail::saturating_millis(*ms);
      } else {
        report_diagnostic(DiagnosticLevel::warning,
                          name + "='" + *timeout + "' is not a positive number of ms; using 10000");
      }
    }
    if (const auto compression = otlp_env("COMPRESSION", &name)) {
      if (*compression == "gzip") {
        options.gzip = true;
      } else if (*compression != "none") {
        report_diagnostic(DiagnosticLevel::warning,
                          name + "='" + *compression + "' is not supported (gzip or none); using none");
      }
    }
  } catch (...) {
    return OtlpHttpExporterOptions{};
  }
  return options;
}

}  // namespace

OtlpHttpExporterOptions OtlpHttpExporterOptions::from_env() noexcept { return options_from_env(true); }

OtlpHttpExporterOptions detail::otlp_transport_options_from_env() noexcept { return options_from_env(false); }

namespace {

OtlpHttpExporterOptions with_client(OtlpHttpExporterOptions options) {
  if (!options.client) options.client = make_curl_http_client();
  return options;
}

}  // namespace

OtlpHttpExporter::OtlpHttpExporter(OtlpHttpExporterOptions options)
    : options_(with_client(std::move(options))), sender_(options_.client, options_.retry) {}

OtlpHttpExporter::~OtlpHttpExporter() { shutdown(std::chrono::milliseconds(0)); }

ExportResult OtlpHttpExporter::export_spans(const std::vector<SpanDataPtr>& spans) noexcept {
  return export_spans_until(spans, detail::deadline_for_attempts(options_.timeout, options_.retry.max_retries + 1));
}

ExportResult OtlpHttpExporter::export_spans_until(const std::vector<SpanDataPtr>& spans,
                                                  std::chrono::steady_clock::time_point deadline) noexcept {
  if (spans.empty()) return ExportResult::success;
  if (sender_.is_shut_down()) return ExportResult::failure;
  try {
    std::lock_guard<std::mutex> lock(export_mutex_);
    HttpRequest request;
    request.url = options_.endpoint;
    request.timeout = options_.timeout;
    if (options_.protocol == OtlpProtocol::http_json) {
      buffer_.clear();
      encode_otlp_json(spans, buffer_);
      request.headers.emplace_back("Content-Type", "application/json");
    } else {
      // Over the bytes of the previous batch: neither reallocated nor zero-filled again.
      if (!encode_otlp_proto_reusing(spans, buffer_)) return ExportResult::failure;
      request.headers.emplace_back("Content-Type", "application/x-protobuf");
    }
    request.headers.emplace_back("User-Agent", std::string("honeyhive-cpp/") + kVersion);
    // The request borrows the buffer as its body (no copy) and gives it back after sending.
    std::optional<std::string> compressed;
    if (options_.gzip) compressed = gzip_compress(buffer_);
    if (compressed) {
      request.body = std::move(*compressed);
      request.headers.emplace_back("Content-Encoding", "gzip");
    } else {
      request.body.swap(buffer_);
    }
    for (const auto& header : options_.headers) request.headers.push_back(header);

    const SendOutcome outcome = sender_.send(request, deadline);
    if (!compressed) buffer_.swap(request.body);
    const HttpResponse& response = outcome.response;
    if (response.status >= 200 && response.status < 300) {
      // The server answers in the request's encoding (OTLP/HTTP); one that names the other is read
      // as it says.
      const std::string content_type = response.header("content-type").value_or("");
      const bool json =
          content_type.find("json") != std::string::npos ||
          (content_type.find("protobuf") == std::string::npos && options_.protocol == OtlpProtocol::http_json);
      std::optional<OtlpPartialSuccess> partial;
      if (!json) {
        partial = response.body_truncated ? decode_otlp_proto_response_prefix(response.body)
                                          : decode_otlp_proto_response(response.body);
      } else if (!response.body_truncated) {
        partial = parse_json_partial_success(response.body);
      }
      if (response.body_truncated || (!partial && !response.body.empty())) {
        // The batch was taken (2xx) and counts as exported; what the answer said may be unknown.
        report_unread_answer(response, spans.size(), json);
      }
      if (partial && partial->rejected_spans < 0) {
        // The field is an int64 that cannot be negative; a claim of 2^63 or more also reads so.
        report_diagnostic(DiagnosticLevel::warning, "OTLP backend sent an invalid rejected span count (" +
                                                        std::to_string(partial->rejected_spans) + "); not counted");
      } else if (partial && partial->rejected_spans > 0) {
        // A backend cannot reject more spans than it was sent: a larger claim counts the whole batch.
        const auto sent = static_cast<std::uint64_t>(spans.size());
        const auto claimed = static_cast<std::uint64_t>(partial->rejected_spans);
        const std::uint64_t rejected = claimed < sent ? claimed : sent;
        rejected_.fetch_add(rejected, std::memory_order_relaxed);
        std::string what =
            "OTLP backend rejected " + std::to_string(rejected) + " of " + std::to_string(sent) + " span(s)";
        if (claimed > sent) what += " (it claimed " + std::to_string(claimed) + ")";
        report_diagnostic(DiagnosticLevel::warning, what + ": " + partial->error_message.substr(0, 200));
      }
      reported_failure_.store(false, std::memory_order_relaxed);
      return ExportResult::success;
    }
    if (!response.cancelled && !reported_failure_.exchange(true, std::memory_order_relaxed)) {
      std::string what = response.status != 0 ? "HTTP " + std::to_string(response.status) : response.error;
      if (response.status == 404 && !ends_in_traces_path(options_.endpoint)) {
        // The usual cause: a collector's base URL given where the full traces URL is taken.
        what += " (the endpoint is used as given; OTLP/HTTP receivers take traces at <base URL>/v1/traces)";
      }
      report_diagnostic(DiagnosticLevel::error, "OTLP export to " + redact_url(options_.endpoint) + " failed after " +
                                                    std::to_string(outcome.attempts) + " attempt(s): " + what +
                                                    "; spans dropped and counted as failed");
    }
    return ExportResult::failure;
  } catch (...) {
    return ExportResult::failure;
  }
}

// An answer that was cut short is a warning: the backend may have reported rejected spans in what
// was not read. One that is whole but not an OTLP response (a proxy's page, a backend that answers
// "OK") is only a debug line: the OTLP/HTTP spec requires the response message, but many backends
// that take spans send something else.
void OtlpHttpExporter::report_unread_answer(const HttpResponse& response, std::size_t spans, bool json) noexcept {
  std::atomic<bool>& reported = response.body_truncated ? reported_cut_answer_ : reported_foreign_answer_;
  if (reported.exchange(true, std::memory_order_relaxed)) return;
  try {
    std::string what = "OTLP backend took a batch of " + std::to_string(spans) + " span(s) (HTTP " +
                       std::to_string(response.status) + ") but its answer ";
    if (response.body_truncated) {
      what += "was not read whole (" + response.error +
              "): the spans count as exported; rejected spans it may have reported past what was read are not "
              "counted";
    } else {
      what += std::string("is not an OTLP ") + (json ? "JSON" : "protobuf") + " response; the spans count as exported";
    }
    report_diagnostic(response.body_truncated ? DiagnosticLevel::warning : DiagnosticLevel::debug,
                      what + " (reported once)");
  } catch (...) {
    // The line is lost; the export's result stands.
  }
}

bool OtlpHttpExporter::shutdown(std::chrono::milliseconds) noexcept {
  sender_.shutdown();
  return true;
}

ExporterStats OtlpHttpExporter::stats() const noexcept {
  ExporterStats stats;
  stats.requests = sender_.requests();
  stats.retries = sender_.retries();
  stats.rejected_spans = rejected_.load(std::memory_order_relaxed);
  return stats;
}

void OtlpHttpExporter::reset_after_fork() noexcept {
  new (&export_mutex_) std::mutex();  // NOLINT: abandoned, possibly held by a parent thread mid-export
  sender_.reset_after_fork();
}

}  // namespace honeyhive
