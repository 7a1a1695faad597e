#include "honeyhive/export/honeyhive_event_exporter.hpp"

#include <cctype>
#include <new>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/deadline.hpp"
#include "core/json_text.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/honeyhive_event.hpp"
#include "honeyhive/version.hpp"
#include "transport/http_url.hpp"

namespace honeyhive {
namespace {

// The URL of the API's `path`, as diagnostics show it (without credentials or query).
std::string shown_url(const std::string& api_url, std::string_view path) {
  return redact_url(detail::append_url_path(api_url, path));
}

using json = nlohmann::json;

// A path segment with everything but RFC 3986 unreserved characters percent-encoded: session ids
// may come from inbound baggage.
std::string path_segment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4U];
      out += kHex[u & 0x0FU];
    }
  }
  return out;
}

bool same_id(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

struct HoneyHiveEventExporter::Outcome {
  bool ok = false;
  std::string what;  // "HTTP 503" or the transport error, for diagnostics
  int attempts = 0;
  bool cancelled = false;
  json body;  // the parsed response (discarded when not JSON)
  // A 2xx whose answer was not read whole (HttpResponse::body_truncated): what cut it short.
  std::string cut_short;
};

HoneyHiveEventExporter::HoneyHiveEventExporter(HoneyHiveEventExporterOptions options)
    : options_(std::move(options)), sender_(options_.client, options_.retry) {
  detail::trim_trailing_slashes(options_.api_url);
}

HoneyHiveEventExporter::~HoneyHiveEventExporter() { sender_.shutdown(); }

void HoneyHiveEventExporter::report_once(std::atomic<bool>& reported, const std::string& message,
                                         DiagnosticLevel level) noexcept {
  if (!reported.exchange(true, std::memory_order_relaxed)) report_diagnostic(level, message);
}

HoneyHiveEventExporter::Outcome HoneyHiveEventExporter::send_json(
    const char* method, const std::string& path, const std::string& body,
    std::chrono::steady_clock::time_point deadline) noexcept {
  Outcome result;
  try {
    HttpRequest request;
    request.method = method;
    request.url = detail::append_url_path(options_.api_url, path);
    request.timeout = options_.timeout;
    // The reference SDK's REST headers (src/honeyhive/_generated/api_config.py, get_default_headers).
    request.headers = {{"Content-Type", "application/json"},
                       {"Accept", "application/json"},
                       {"User-Agent", std::string("honeyhive-cpp/") + kVersion},
                       {"hh-client-version", kVersion},
                       {"hh-client-language", "cpp"},
                       {"hh-client-package", "honeyhive-cpp"}};
    if (!options_.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
    set_request_body(request, body, options_.gzip);
    const SendOutcome outcome = sender_.send(std::move(request), deadline);
    const HttpResponse& response = outcome.response;
    result.attempts = outcome.attempts;
    result.cancelled = response.cancelled;
    result.body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    result.ok = response.status >= 200 && response.status < 300;
    result.what = response.status != 0 ? "HTTP " + std::to_string(response.status) : response.error;
    if (result.ok && response.body_truncated) result.cut_short = response.error;
    // A 2xx that says {"success": false} did not store the events (PostEventBatchResponse).
    if (result.ok && result.body.is_object()) {
      const auto success = result.body.find("success");
      if (success != result.body.end() && success->is_boolean() && !success->get<bool>()) {
        result.ok = false;
        result.what += " with \"success\": false";
      }
    }
  } catch (...) {
    result.ok = false;
    result.what = "out of memory";
  }
  return result;
}

bool HoneyHiveEventExporter::send_events(const std::string& path, const std::string& body, std::size_t count,
                                         std::chrono::steady_clock::time_point deadline) noexcept {
  const Outcome outcome = send_json("POST", path, body, deadline);
  if (outcome.ok) {
    reported_events_failure_.store(false, std::memory_order_relaxed);
    if (!outcome.cut_short.empty()) {
      // The server took the request (2xx): sending it again would store the events twice.
      try {
        report_once(reported_cut_answer_,
                    "HoneyHive events to " + shown_url(options_.api_url, path) + " were taken (" + outcome.what +
                        ") but the answer was not read whole (" + outcome.cut_short +
                        "): whether it said \"success\": false is unknown; the spans count as exported (reported once)",
                    DiagnosticLevel::warning);
      } catch (...) {
        // Out of memory for the line: the events were taken all the same.
      }
    } else if (!outcome.body.is_object()) {
      // The API answers every accepted batch with a JSON object ({"success": true, ...}). Anything
      // else in a 2xx is likely not the API (a web app or proxy at that address that answers 200 to
      // everything): whether the events were stored is unknown. Said once, loudly.
      try {
        report_once(reported_not_json_,
                    "HoneyHive events to " + shown_url(options_.api_url, path) + " were answered " + outcome.what +
                        " without the API's JSON answer: is api_url the HoneyHive API (not its web app or a "
                        "proxy)? whether the events were stored is unknown; they count as exported (reported once)",
                    DiagnosticLevel::warning);
      } catch (...) {
        // Out of memory for the line.
      }
    }
    return true;
  }
  if (!outcome.cancelled && !reported_events_failure_.exchange(true, std::memory_order_relaxed)) {
    try {
      report_diagnostic(DiagnosticLevel::error,
                        {"HoneyHive events to ", shown_url(options_.api_url, path), " failed after ",
                         std::to_string(outcome.attempts), " attempt(s): ", outcome.what, "; ", std::to_string(count),
                         " span(s) dropped and counted as failed"});
    } catch (...) {
      report_diagnostic(DiagnosticLevel::error, "HoneyHive events failed; spans dropped and counted as failed");
    }
  }
  return false;
}

ExportResult HoneyHiveEventExporter::export_spans(const std::vector<SpanDataPtr>& spans) noexcept {
  return export_spans_counted(spans, std::chrono::steady_clock::time_point::max()).failed == 0 ? ExportResult::success
                                                                                               : ExportResult::failure;
}

ExportResult HoneyHiveEventExporter::export_spans_until(const std::vector<SpanDataPtr>& spans,
                                                        std::chrono::steady_clock::time_point deadline) noexcept {
  return export_spans_counted(spans, deadline).failed == 0 ? ExportResult::success : ExportResult::failure;
}

// POST /v1/sessions, then PUT /v1/events/{session_id} with what the session body cannot carry.
bool HoneyHiveEventExporter::send_session_start(const SpanData& span, std::chrono::steady_clock::time_point deadline) {
  const std::string local_id = honeyhive_session_id_of(span);
  const Outcome outcome =
      send_json("POST", "/v1/sessions", detail::json_text(span_to_honeyhive_session(span)), deadline);
  if (!outcome.ok) {
    if (!outcome.cancelled) {
      report_once(reported_session_failure_, "HoneyHive session start (POST " +
                                                 shown_url(options_.api_url, "/v1/sessions") + ") failed after " +
                                                 std::to_string(outcome.attempts) + " attempt(s): " + outcome.what +
                                                 "; tracing goes on with the local session id " + local_id);
    }
    return false;
  }
  const auto returned = outcome.body.is_object() ? outcome.body.find("session_id") : outcome.body.end();
  if (outcome.body.is_object() && returned != outcome.body.end() && returned->is_string() &&
      !same_id(returned->get<std::string>(), local_id)) {
    report_diagnostic(DiagnosticLevel::warning, "HoneyHive returned session id " +
                                                    returned->get<std::string>().substr(0, 64) + " for session " +
                                                    local_id + "; events keep the local id");
  }
  const json update = span_to_honeyhive_session_update(span);
  return update.empty() || send_update(local_id, detail::json_text(update), deadline);
}

bool HoneyHiveEventExporter::send_update(const std::string& session_id, const std::string& body,
                                         std::chrono::steady_clock::time_point deadline) {
  const std::string path = "/v1/events/" + path_segment(session_id);
  const Outcome outcome = send_json("PUT", path, body, deadline);
  if (!outcome.ok && !outcome.cancelled) {
    report_once(reported_update_failure_, "HoneyHive session update (PUT " + shown_url(options_.api_url, path) +
                                              ") failed after " + std::to_string(outcome.attempts) +
                                              " attempt(s): " + outcome.what);
  }
  return outcome.ok;
}

ExportCounts HoneyHiveEventExporter::export_spans_counted(const std::vector<SpanDataPtr>& spans,
                                                          std::chrono::steady_clock::time_point deadline) noexcept {
  ExportCounts counts;
  if (spans.empty()) return counts;
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    deadline = detail::deadline_for_attempts(options_.timeout, options_.retry.max_retries + 1);
  }
  if (sender_.is_shut_down()) {
    counts.failed = spans.size();
    return counts;
  }
  try {
    std::lock_guard<std::mutex> lock(export_mutex_);
    std::vector<const SpanData*> sessions;
    std::vector<const SpanData*> updates;
    std::vector<std::pair<std::string, json>> events;  // (session id, event), in span order
    for (const auto& span : spans) {
      if (!span || honeyhive_session_id_of(*span).empty()) {
        ++counts.rejected;
        rejected_.fetch_add(1, std::memory_order_relaxed);
        if (span) {
          report_once(reported_no_session_, "HoneyHive events: span '" + span->name.substr(0, 100) +
                                                "' has no honeyhive.session_id (events need a session: a tracer with "
                                                "start_session = false sends none before its first "
                                                "start_session(); or the span is not a HoneyHiveTracer's); "
                                                "not sent, counted as rejected");
        }
        continue;
      }
      switch (honeyhive_span_role(*span)) {
        case HoneyHiveSpanRole::session_start: sessions.push_back(span.get()); break;
        case HoneyHiveSpanRole::session_enrichment: updates.push_back(span.get()); break;
        case HoneyHiveSpanRole::event:
          events.emplace_back(honeyhive_session_id_of(*span), span_to_honeyhive_event(*span));
          break;
      }
    }
    const auto tally = [&counts](bool sent, std::size_t n) { (sent ? counts.exported : counts.failed) += n; };

    // Sessions first: the events of this batch belong to them.
    for (const SpanData* span : sessions) tally(send_session_start(*span, deadline), 1);

    switch (options_.request) {
      case HoneyHiveEventsRequest::batch: {
        if (events.empty()) break;
        json body = {{"events", json::array()}};
        for (auto& [session, event] : events) body["events"].push_back(std::move(event));
        tally(send_events("/v1/events/batch", detail::json_text(body), events.size(), deadline), events.size());
        break;
      }
      case HoneyHiveEventsRequest::session_batch: {
        std::vector<std::pair<std::string, json>> by_session;  // first-seen order
        for (auto& [session, event] : events) {
          auto it = by_session.begin();
          while (it != by_session.end() && it->first != session) ++it;
          if (it == by_session.end())
            it = by_session.insert(it, std::make_pair(session, json{{"events", json::array()}}));
          it->second["events"].push_back(std::move(event));
        }
        for (auto& [session, body] : by_session) {
          const std::size_t n = body["events"].size();
          tally(send_events("/v1/sessions/" + path_segment(session) + "/events/batch", detail::json_text(body), n,
                            deadline),
                n);
        }
        break;
      }
      case HoneyHiveEventsRequest::single:
        for (auto& [session, event] : events)
          tally(send_events("/v1/events", detail::json_text(event), 1, deadline), 1);
        break;
    }

    for (const SpanData* span : updates) {
      tally(send_update(honeyhive_session_id_of(*span), detail::json_text(span_to_honeyhive_event_update(*span)),
                        deadline),
            1);
    }
  } catch (...) {
    // Out of memory part-way: what was not counted yet did not go out.
  }
  counts.failed = spans.size() - counts.exported - counts.rejected;
  return counts;
}

bool HoneyHiveEventExporter::shutdown(std::chrono::milliseconds) noexcept {
  sender_.shutdown();
  return true;
}

ExporterStats HoneyHiveEventExporter::stats() const noexcept {
  ExporterStats stats;
  stats.requests = sender_.requests();
  stats.retries = sender_.retries();
  stats.rejected_spans = rejected_.load(std::memory_order_relaxed);
  return stats;
}

void HoneyHiveEventExporter::reset_after_fork() noexcept {
  new (&export_mutex_) std::mutex();  // NOLINT: abandoned, possibly held by a parent thread mid-export
  sender_.reset_after_fork();
}

}  // namespace honeyhive
