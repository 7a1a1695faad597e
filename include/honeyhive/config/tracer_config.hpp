#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/config/param.hpp"
#include "honeyhive/lifecycle/lifecycle.hpp"

namespace honeyhive {

// What the user configures for a tracer. Every field is a Param: leave it unset to take the
// environment or the default, set it to honeyhive::null to turn it off / leave it empty on
// purpose (the environment is then ignored too), or give a value.
struct TracerConfig {
  Param<std::string> api_key;        // HH_API_KEY (secret: reports show at most its last 4 characters)
  Param<std::string> project;        // HH_PROJECT
  Param<std::string> source;         // HH_SOURCE, default "dev"
  Param<std::string> api_url;        // HH_API_URL, default https://api.dp1.us.honeyhive.ai
  Param<std::string> otlp_protocol;  // HH_OTLP_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL: http/json | http/protobuf
  // The full URL spans are POSTed to, used as given (http://collector:4318/v1/traces, not the base
  // URL); from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as given), else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces.
  Param<std::string> otlp_endpoint;
  Param<std::string> service_name;  // OTEL_SERVICE_NAME
  Param<std::string> export_mode;   // HH_EXPORT_MODE, default "otlp"; "events" = the HoneyHive Events API
  Param<std::string> session_name;  // HH_SESSION_NAME
  Param<std::string> session_id;    // HH_SESSION_ID
  // HH_DISABLE_BATCH, default false. True: each span is exported as it ends, on the thread that
  // ends it (the session's, in init), which waits for it: with a backend that does not answer, up
  // to 4 times the request timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s), retries and backoff included.
  Param<bool> disable_batch;
  Param<bool> verbose;        // HH_VERBOSE, default false
  Param<bool> trace_content;  // HH_TRACE_CONTENT, default true
  Param<bool> disabled;       // HH_DISABLE_TRACING, else OTEL_SDK_DISABLED; default false
  Param<bool> start_session;  // default true: init starts a session (false or null: it does not)
  // HH_LIFECYCLE_STRATEGY: auto (default: detect), lambda, kubernetes, high_concurrency, standard.
  Param<std::string> lifecycle_strategy;
  // HH_LOCAL_DETECT, default true: with no API key and no OTLP endpoint, init asks
  // http://127.0.0.1:<hh_local_port>/api/health whether hh-local runs there (at most 200 ms; a closed
  // port answers at once) and exports to it if so, else to the embedded console + file default.
  // false or null: no probe, the embedded default.
  Param<bool> hh_local_detect;
  Param<int> hh_local_port;  // HH_LOCAL_PORT, default 4318
};

// One session: its name, id and what it starts with.
struct SessionConfig {
  Param<std::string> session_name;
  Param<std::string> session_id;
  Param<nlohmann::json> inputs;
  Param<nlohmann::json> metadata;
  Param<nlohmann::json> user_properties;
};

// The evaluation a tracer works under (set by evaluate(); rarely by hand).
struct EvaluationConfig {
  Param<std::string> run_id;
  Param<std::string> dataset_id;
  Param<std::string> datapoint_id;
};

// Where a final value came from.
struct FieldOrigin {
  std::string field;   // e.g. "project", "session.id"
  std::string origin;  // "default", "env:HH_PROJECT", "TracerConfig", "SessionConfig", "EvaluationConfig", "override"
  bool null = false;   // the winning layer set it to null explicitly
  std::string shown;   // as reports show it: secrets redacted (redact_secret), URLs without credentials or query
};

// The configuration after the merge: every field final and validated. Precedence, lowest first:
// built-in defaults < environment variables < TracerConfig < SessionConfig < EvaluationConfig <
// explicit overrides.
struct ResolvedConfig {
  std::string api_key;  // empty = none
  std::string project;
  std::string source;
  std::string api_url;
  std::string otlp_protocol;  // "http/json" or "http/protobuf"
  std::string otlp_endpoint;  // empty = none configured
  std::string service_name;
  std::string export_mode;  // "otlp" or "events"
  bool disable_batch = false;
  bool verbose = false;
  bool trace_content = true;
  bool disabled = false;
  bool start_session = true;
  LifecycleStrategy lifecycle;  // the time budgets of flush and shutdown, and why they were chosen
  bool hh_local_detect = true;
  int hh_local_port = 4318;  // 1..65535

  struct Session {
    std::string name;
    std::string id;  // empty = generate one
    nlohmann::json inputs;
    nlohmann::json metadata;
    nlohmann::json user_properties;
  } session;

  struct Evaluation {
    std::string run_id;
    std::string dataset_id;
    std::string datapoint_id;
    bool active() const noexcept { return !run_id.empty(); }
  } evaluation;

  std::vector<FieldOrigin> provenance;   // one entry per field, in declaration order
  std::vector<std::string> diagnostics;  // what validation corrected, naming the variable and the value used

  const FieldOrigin* origin_of(const std::string& field) const noexcept;
  // {"fields": {name: {"value":..., "origin":..., "null":...}}, "diagnostics": [...]}
  nlohmann::json report_json() const;
  // One line per field: "project = support-bot  (env:HH_PROJECT)".
  std::string report_text() const;
};

// Merges the layers. Never throws: invalid input becomes a diagnostic and the value used instead.
ResolvedConfig resolve_config(const TracerConfig& config, const SessionConfig& session = {},
                              const EvaluationConfig& evaluation = {}, const TracerConfig& overrides = {}) noexcept;

// Shows a secret as "****" + its last 4 characters, or as "****" when it is shorter than 16
// characters ("" stays "").
std::string redact_secret(const std::string& secret);

}  // namespace honeyhive
