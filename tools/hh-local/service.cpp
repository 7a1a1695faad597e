#include "service.hpp"

#include <zlib.h>

#include <charconv>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "embedded_web.hpp"
#include "honeyhive/version.hpp"
#include "records.hpp"

namespace honeyhive::hhlocal {
namespace {

using json = nlohmann::json;
using tools::HttpRequest;
using tools::HttpResponse;

constexpr const char* kJsonType = "application/json; charset=utf-8";
// Bounds on an Events API body before a document is built: JSON nesting (the document's dump and
// comparisons recurse) and values (a parsed value costs tens of bytes).
constexpr std::size_t kMaxJsonDepth = 64;
constexpr std::size_t kMaxJsonValues = 1000000;

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.content_type = kJsonType;
  response.body = dump_json(body);
  return response;
}

HttpResponse json_error(int status, const std::string& message) { return json_response(status, {{"error", message}}); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

// The decoded value of `name` in a query string; nullopt when absent.
std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t equals = pair.find('=');
    if (percent_decode(pair.substr(0, equals), true) != name) continue;
    return equals == std::string_view::npos ? std::string() : percent_decode(pair.substr(equals + 1), true);
  }
  return std::nullopt;
}

// The rest of `path` after `prefix` when it is one non-empty segment, percent-decoded.
std::optional<std::string> single_segment(const std::string& path, std::string_view prefix) {
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::string_view rest = std::string_view(path).substr(prefix.size());
  if (rest.find('/') != std::string_view::npos) return std::nullopt;
  return percent_decode(rest, false);
}

// Checks nesting and size of a JSON text without building it.
class JsonShape {
 public:
  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const json::string_t&) { return value(); }
  bool string(json::string_t&) { return value(); }
  bool binary(json::binary_t&) { return value(); }
  bool start_object(std::size_t) { return open(); }
  bool key(json::string_t&) { return true; }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    error_ = std::string("invalid JSON: ") + error.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  bool value() {
    if (++values_ <= kMaxJsonValues) return true;
    error_ = "more than " + std::to_string(kMaxJsonValues) + " JSON values";
    return false;
  }
  bool open() {
    if (!value()) return false;
    if (++depth_ <= kMaxJsonDepth) return true;
    error_ = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  bool close() {
    --depth_;
    return true;
  }
  std::size_t depth_ = 0;
  std::size_t values_ = 0;
  std::string error_;
};

bool parse_bounded_json(const std::string& text, json& out, std::string& error) {
  JsonShape shape;
  if (!json::sax_parse(text, &shape, json::input_format_t::json, true)) {
    error = shape.error().empty() ? "invalid JSON" : shape.error();
    return false;
  }
  out = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    error = "invalid JSON";
    return false;
  }
  return true;
}

// --- OTLP responses (opentelemetry-proto collector/trace/v1, google/rpc/status.proto) -----------

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7FU) | 0x80U);
    value >>= 7U;
  }
  out += static_cast<char>(value);
}

void append_string_field(std::string& out, std::uint32_t number, const std::string& text) {
  append_varint(out, (std::uint64_t{number} << 3U) | 2U);
  append_varint(out, text.size());
  out += text;
}

// ExportTraceServiceResponse with partial_success (field 1: rejected_spans = 1, error_message = 2).
HttpResponse otlp_success(bool protobuf, std::size_t rejected, const std::string& message) {
  HttpResponse response;
  response.status = 200;
  if (protobuf) {
    response.content_type = "application/x-protobuf";
    if (rejected > 0) {
      std::string partial;
      append_varint(partial, (1U << 3U) | 0U);
      append_varint(partial, rejected);
      append_string_field(partial, 2, message);
      append_string_field(response.body, 1, partial);
    }
  } else {
    response.content_type = "application/json";
    json body = json::object();
    if (rejected > 0) {
      body["partialSuccess"] = {{"rejectedSpans", std::to_string(rejected)}, {"errorMessage", message}};
    }
    response.body = dump_json(body);
  }
  return response;
}

// A google.rpc.Status (code = 1, message = 2) in the request's encoding, as OTLP/HTTP requires for
// errors. Code 3 is INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE.
HttpResponse otlp_error(bool protobuf, int status, int code, const std::string& message) {
  HttpResponse response;
  response.status = status;
  if (protobuf) {
    response.content_type = "application/x-protobuf";
    append_varint(response.body, (1U << 3U) | 0U);
    append_varint(response.body, static_cast<std::uint64_t>(code));
    append_string_field(response.body, 2, message);
  } else {
    response.content_type = "application/json";
    response.body = dump_json(json{{"code", code}, {"message", message}});
  }
  return response;
}

}  // namespace

bool gunzip_limited(const std::string& in, std::size_t max_bytes, std::string& out, bool& too_large,
                    std::string& error) {
  too_large = false;
  out.clear();
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) {
    error = "cannot start gzip decoding";
    return false;
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  char chunk[65536];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    result = inflate(&stream, Z_NO_FLUSH);
    const std::size_t produced = sizeof(chunk) - stream.avail_out;
    if (out.size() + produced > max_bytes) {
      too_large = true;
      error = "the gzip body inflates to more than " + std::to_string(max_bytes) + " bytes";
      inflateEnd(&stream);
      return false;
    }
    out.append(chunk, produced);
    if (result == Z_BUF_ERROR && stream.avail_in == 0) break;  // input ended before the stream did
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END) {
    error = "the body is not valid gzip";
    return false;
  }
  return true;
}

HttpResponse Service::handle(const HttpRequest& request) noexcept {
  try {
    const std::size_t question = request.target.find('?');
    const std::string path = request.target.substr(0, question);
    const std::string query = question == std::string::npos ? std::string() : request.target.substr(question + 1);

    if (request.method == "GET") {
      if (path.compare(0, 5, "/api/") == 0) return handle_api(request, path, query);
      return handle_static(path);
    }
    if (request.method != "POST" && request.method != "PUT") return json_error(405, "method not allowed");

    // Bodies: identity or gzip (OTLP/HTTP allows only these; the SDK sends either).
    std::string inflated;
    const std::string* body = &request.body;
    const std::string encoding = ascii_lowercase(request.header("content-encoding").value_or(""));
    const bool otlp = path == "/v1/traces" || path == "/opentelemetry/v1/traces";
    const bool protobuf =
        ascii_lowercase(request.header("content-type").value_or("")).find("protobuf") != std::string::npos;
    if (encoding == "gzip") {
      bool too_large = false;
      std::string error;
      if (!gunzip_limited(request.body, options_.max_body_bytes, inflated, too_large, error)) {
        if (otlp) return otlp_error(protobuf, too_large ? 413 : 400, too_large ? 8 : 3, error);
        return json_error(too_large ? 413 : 400, error);
      }
      body = &inflated;
    } else if (!encoding.empty() && encoding != "identity") {
      const std::string error = "unsupported Content-Encoding '" + encoding + "' (gzip or none)";
      if (otlp) return otlp_error(protobuf, 415, 3, error);
      return json_error(415, error);
    }
    if (otlp) {
      if (request.method != "POST") return otlp_error(protobuf, 405, 3, "OTLP traces are POSTed");
      return handle_otlp(request, *body);
    }
    return handle_events_api(request, path, *body);
  } catch (...) {
    return json_error(500, "out of memory");
  }
}

HttpResponse Service::handle_otlp(const HttpRequest& request, const std::string& body) {
  std::string type = ascii_lowercase(request.header("content-type").value_or(""));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  bool protobuf;
  if (type == "application/x-protobuf" || type == "application/protobuf") {
    protobuf = true;
  } else if (type == "application/json") {
    protobuf = false;
  } else {
    return otlp_error(false, 415, 3,
                      "unsupported Content-Type '" + type + "' (application/x-protobuf or application/json)");
  }
  const OtlpDecodeResult decoded = protobuf ? decode_otlp_proto_request(body, options_.decode_limits)
                                            : decode_otlp_json_request(body, options_.decode_limits);
  if (!decoded.ok() && decoded.limit_exceeded) {
    // Well-formed but past a decode limit: "too large" (RESOURCE_EXHAUSTED), so the client can tell
    // it from garbage; the same spans in smaller requests are taken.
    return otlp_error(protobuf, 413, 8,
                      "OTLP request too large to decode: " + decoded.error +
                          "; send fewer spans (or less deeply nested values) per request");
  }
  if (!decoded.ok()) return otlp_error(protobuf, 400, 3, "undecodable OTLP request: " + decoded.error);

  std::vector<SpanRecord> records;
  records.reserve(decoded.spans.size());
  std::size_t rejected = 0;
  for (const SpanDataPtr& span : decoded.spans) {
    if (!span->context.trace_id().is_valid() || !span->context.span_id().is_valid()) {
      ++rejected;
      continue;
    }
    records.push_back(record_from_span(*span));
  }
  const WriteResult written = store_.insert(records);
  if (!written.ok) return otlp_error(protobuf, 503, 14, "storing the spans failed: " + written.error);
  return otlp_success(protobuf, rejected, rejected > 0 ? "spans with an invalid (all-zero) trace or span id" : "");
}

HttpResponse Service::handle_events_api(const HttpRequest& request, const std::string& path, const std::string& body) {
  const bool post = request.method == "POST";
  const bool put = request.method == "PUT";
  json document;
  std::string error;
  if (!parse_bounded_json(body, document, error)) return json_error(400, error);
  if (!document.is_object()) return json_error(400, "the body must be a JSON object");

  const auto store_records = [this](const std::vector<SpanRecord>& records, bool merge) {
    const WriteResult written = store_.insert(records, merge);
    return written.ok ? std::optional<std::string>() : std::optional<std::string>(written.error);
  };

  // Session start: POST /v1/sessions (bare session), POST /session/start ({"session": {...}}).
  if (post && (path == "/v1/sessions" || path == "/session/start")) {
    const auto wrapped = document.find("session");
    const json& session = wrapped != document.end() && wrapped->is_object() ? *wrapped : document;
    SpanRecord record;
    if (!record_from_session_start(session, record, error)) return json_error(400, error);
    if (const auto failed = store_records({record}, true)) return json_error(503, *failed);
    return json_response(200, {{"session_id", record.session_id},
                               {"event_id", record.event_id},
                               {"event_type", "session"},
                               {"org_id", "local"},
                               {"workspace_id", "local"},
                               {"project_id", "local"}});
  }
  // One event: POST /v1/events (bare), POST /events ({"event": {...}}).
  if (post && (path == "/v1/events" || path == "/events")) {
    const auto wrapped = document.find("event");
    const json& event = wrapped != document.end() && wrapped->is_object() ? *wrapped : document;
    SpanRecord record;
    if (!record_from_event(event, "", record, error)) return json_error(400, error);
    if (const auto failed = store_records({record}, false)) return json_error(503, *failed);
    return json_response(200, {{"success", true}, {"event_id", record.event_id}});
  }
  // Batches: POST /v1/events/batch, /events/batch, /v1/sessions/{session_id}/events/batch.
  std::string session_in_path;
  constexpr std::string_view kSessionsPrefix = "/v1/sessions/";
  constexpr std::string_view kBatchSuffix = "/events/batch";
  const bool session_batch = post && path.size() > kSessionsPrefix.size() + kBatchSuffix.size() &&
                             path.compare(0, kSessionsPrefix.size(), kSessionsPrefix) == 0 &&
                             path.compare(path.size() - kBatchSuffix.size(), kBatchSuffix.size(), kBatchSuffix) == 0;
  if (session_batch) {
    session_in_path =
        percent_decode(std::string_view(path).substr(kSessionsPrefix.size(),
                                                     path.size() - kSessionsPrefix.size() - kBatchSuffix.size()),
                       false);
  }
  if (post && (path == "/v1/events/batch" || path == "/events/batch" || session_batch)) {
    const auto events = document.find("events");
    if (events == document.end() || !events->is_array()) return json_error(400, "\"events\" must be an array");
    std::vector<SpanRecord> records(events->size());
    for (std::size_t i = 0; i < events->size(); ++i) {
      if (!record_from_event((*events)[i], session_in_path, records[i], error)) {
        return json_error(400, "events[" + std::to_string(i) + "]: " + error);
      }
    }
    if (const auto failed = store_records(records, false)) return json_error(503, *failed);
    if (session_batch) return json_response(200, {{"success", true}});
    json ids = json::array();
    for (const SpanRecord& record : records) ids.push_back(record.event_id);
    json answer = {{"success", true}, {"event_ids", std::move(ids)}};
    if (!records.empty()) answer["session_id"] = records.front().session_id;
    return json_response(200, answer);
  }
  // Updates: PUT /v1/events/{event_id}, PUT /events ({"event_id": ...}).
  if (put && (path == "/events" || single_segment(path, "/v1/events/"))) {
    std::string event_id =
        path == "/events" ? document.value("event_id", std::string()) : *single_segment(path, "/v1/events/");
    if (event_id.empty()) return json_error(400, "no event_id");
    const WriteResult written = store_.update_event(event_id, document);
    if (!written.ok) return json_error(503, written.error);
    return json_response(200, {{"success", true}});
  }
  // Experiment runs (evaluate() in API mode): acknowledged; runs are read from the spans' run ids.
  if (post && path == "/v1/runs") {
    std::string run_id = document.value("run_id", std::string());
    if (run_id.empty()) run_id = new_uuid();
    return json_response(200, {{"run_id", run_id}, {"evaluation", {{"run_id", run_id}}}});
  }
  if (put && single_segment(path, "/v1/runs/")) return json_response(200, {{"success", true}});
  return json_error(404, "no route for " + request.method + " " + path);
}

HttpResponse Service::handle_api(const HttpRequest& request, const std::string& path, const std::string& query) {
  (void)request;
  const auto answer = [](json body) {
    const bool failed = body.is_object() && body.contains("error");
    return json_response(failed ? 500 : 200, body);
  };
  if (path == "/api/health")
    return json_response(200, {{"status", "ok"}, {"service", "hh-local"}, {"version", kVersion}});
  if (path == "/api/projects") return answer(store_.projects());
  if (path == "/api/runs") return answer(store_.runs());
  if (path == "/api/sessions") {
    SessionQuery session_query;
    session_query.project = query_value(query, "project").value_or("");
    session_query.text = query_value(query, "q").value_or("");
    session_query.run_id = query_value(query, "run_id").value_or("");
    for (const auto& [name, target] : {std::pair<const char*, std::int64_t*>{"limit", &session_query.limit},
                                       std::pair<const char*, std::int64_t*>{"offset", &session_query.offset}}) {
      const auto text = query_value(query, name);
      if (!text || text->empty()) continue;
      std::int64_t value = 0;
      const auto parsed = std::from_chars(text->data(), text->data() + text->size(), value);
      if (parsed.ec != std::errc() || parsed.ptr != text->data() + text->size() || value < 0) {
        return json_error(400, std::string(name) + " must be a non-negative integer");
      }
      *target = value;
    }
    if (session_query.limit > 1000) session_query.limit = 1000;
    return answer(store_.sessions(session_query));
  }
  if (const auto id = single_segment(path, "/api/sessions/")) {
    const auto session = store_.session(*id);
    if (!session) return json_error(404, "no session " + *id);
    return answer(*session);
  }
  if (const auto id = single_segment(path, "/api/runs/")) {
    const auto run = store_.run(*id);
    if (!run) return json_error(404, "no run " + *id);
    return answer(*run);
  }
  return json_error(404, "no API endpoint " + path);
}

HttpResponse Service::handle_static(const std::string& path) {
  std::string name;
  if (path == "/" || path == "/index.html") {
    name = "index.html";
  } else if (path.compare(0, 8, "/static/") == 0) {
    name = path.substr(8);
  } else {
    return json_error(404, "not found: " + path);
  }
  for (const EmbeddedFile* file = embedded_web_files(); file->name != nullptr; ++file) {
    if (name != file->name) continue;
    HttpResponse response;
    response.content_type = file->content_type;
    response.body.assign(reinterpret_cast<const char*>(file->data), file->size);
    response.headers.emplace_back("Cache-Control", "no-cache");
    return response;
  }
  return json_error(404, "not found: " + path);
}

}  // namespace honeyhive::hhlocal
