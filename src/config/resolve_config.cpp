#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/env.hpp"
#include "core/json_depth.hpp"
#include "core/json_text.hpp"
#include "core/printable.hpp"
#include "core/utf8.hpp"
#include "honeyhive/config/tracer_config.hpp"
#include "honeyhive/transport/http_client.hpp"
#include "lifecycle/strategy_names.hpp"
#include "transport/http_url.hpp"

namespace honeyhive {
namespace {

constexpr const char* kDefaultApiUrl = "https://api.dp1.us.honeyhive.ai";
constexpr const char* kDefaultSource = "dev";
constexpr const char* kDefaultExportMode = "otlp";
constexpr const char* kDefaultProtocol = "http/json";  // as the reference Python SDK sends to HoneyHive
constexpr int kDefaultHhLocalPort = 4318;              // hh-local's default: the OTLP/HTTP port

template <class T>
struct Layer {
  const Param<T>& param;
  const char* origin;
};

struct EnvValue {
  std::string name;
  std::string value;
};

std::optional<EnvValue> first_env(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = detail::get_env(name)) return EnvValue{name, std::move(*value)};
  }
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return std::nullopt;
}

bool is_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// How reports show a value: text from the environment may not be UTF-8, and report_json() must
// dump (invalid sequences become U+FFFD, as report_text() shows them).
std::string show(const std::string& value) {
  std::string shown = value;
  detail::make_valid_utf8(shown);
  return shown;
}
std::string show(bool value) { return value ? "true" : "false"; }
std::string show(int value) { return std::to_string(value); }
std::string show(const nlohmann::json& value) { return value.is_null() ? "" : detail::json_text(value); }

// How a field's value is shown in reports: as it is, as a secret (its last characters), or as a URL
// without the credentials or token it may carry (user:password@, query, fragment).
enum class Shown { plain, secret, url };

class Merger {
 public:
  explicit Merger(ResolvedConfig& out) : out_(out) {}

  // The highest layer that is not unset wins (null included); else the environment; else the default.
  template <class T>
  std::string resolve(const char* field, T& target, const T& default_value, std::initializer_list<Layer<T>> layers,
                      const std::optional<EnvValue>& env, Shown shown = Shown::plain) {
    FieldOrigin origin{field, "default", false, ""};
    target = default_value;
    bool decided = false;
    for (auto it = std::rbegin(layers); it != std::rend(layers); ++it) {
      if (it->param.is_unset()) continue;
      origin.origin = it->origin;
      if (it->param.is_null()) {
        target = T{};
        origin.null = true;
      } else if constexpr (std::is_same_v<T, nlohmann::json>) {
        // Copied and shown whole: cut where it nests too deep for that (core/json_depth.hpp).
        target = detail::copy_within_depth(*it->param);
      } else {
        target = *it->param;
      }
      decided = true;
      break;
    }
    std::string env_name;
    if (!decided && env) {
      if constexpr (std::is_same_v<T, bool>) {
        if (const auto parsed = parse_bool(env->value)) {
          target = *parsed;
          origin.origin = "env:" + env->name;
        } else {
          diagnose(env->name + "='" + env->value + "' is not a boolean (true/false/1/0/yes/no/on/off); using " +
                   show(default_value) + " (the default)");
        }
      } else if constexpr (std::is_same_v<T, int>) {
        const auto parsed = detail::parse_unsigned(env->value);
        if (parsed && *parsed <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
          target = static_cast<int>(*parsed);
          origin.origin = "env:" + env->name;
          env_name = env->name;
        } else {
          diagnose(env->name + "='" + env->value + "' is not a non-negative integer; using " + show(default_value) +
                   " (the default)");
        }
      } else if constexpr (std::is_same_v<T, std::string>) {
        target = env->value;
        origin.origin = "env:" + env->name;
        env_name = env->name;
      }
    }
    origin.shown = present(target, shown);
    shown_ = shown;
    index_ = out_.provenance.size();
    out_.provenance.push_back(origin);
    return env_name.empty() ? origin.origin : env_name;
  }

  // Replaces the value just resolved (after validation), keeping the record honest.
  template <class T>
  void correct(T& target, const T& value, const std::string& message) {
    target = value;
    out_.provenance[index_].shown = present(value, shown_);
    out_.provenance[index_].origin += " (corrected)";
    diagnose(message);
  }

  template <class T>
  static std::string present(const T& value, Shown shown) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (shown == Shown::secret) return redact_secret(show(value));
      if (shown == Shown::url) return show(redact_url(value));
    }
    return show(value);
  }

  // (Notes quote values from the environment: repaired to UTF-8, as shown values are.)
  void diagnose(const std::string& message) { out_.diagnostics.push_back(show(message)); }

  // Replaces how the value just resolved is shown (a derived value says more than its input).
  void describe_last(const std::string& shown) { out_.provenance[index_].shown = show(shown); }

 private:
  ResolvedConfig& out_;
  std::size_t index_ = 0;
  Shown shown_ = Shown::plain;  // how the field of index_ is shown
};

std::string describe(const std::string& origin) { return origin.rfind("env:", 0) == 0 ? origin.substr(4) : origin; }

}  // namespace

constexpr std::size_t kRedactedSecretMinLength = 16;

std::string redact_secret(const std::string& secret) {
  if (secret.empty()) return "";
  // The last 4 characters tell two keys apart; a secret of fewer than 16 characters shows none,
  // so at most a quarter of any secret is shown. Characters, not bytes: a UTF-8 character cut in
  // two would make the redacted text invalid UTF-8 (and a JSON report of it could not be written).
  std::size_t characters = 0;
  for (const char c : secret) characters += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
  if (characters < kRedactedSecretMinLength) return "****";
  std::size_t start = secret.size();
  for (int shown = 0; shown < 4 && start > 0; ++shown) {
    --start;
    while (start > 0 && (static_cast<unsigned char>(secret[start]) & 0xC0U) == 0x80U) --start;
  }
  return "****" + secret.substr(start);
}

const FieldOrigin* ResolvedConfig::origin_of(const std::string& field) const noexcept {
  for (const auto& entry : provenance) {
    if (entry.field == field) return &entry;
  }
  return nullptr;
}

ResolvedConfig resolve_config(const TracerConfig& config, const SessionConfig& session,
                              const EvaluationConfig& evaluation, const TracerConfig& overrides) noexcept {
  ResolvedConfig out;
  try {
    Merger m(out);
    const char* kTracer = "TracerConfig";
    const char* kSession = "SessionConfig";
    const char* kEvaluation = "EvaluationConfig";
    const char* kOverride = "override";

    const std::string api_key_from =
        m.resolve<std::string>("api_key", out.api_key, "", {{config.api_key, kTracer}, {overrides.api_key, kOverride}},
                               first_env({"HH_API_KEY"}), Shown::secret);
    // A key has no surrounding whitespace: one read from a file keeps its trailing newline, which
    // would break the Authorization header.
    if (const std::string_view trimmed = detail::trim(out.api_key); trimmed.size() != out.api_key.size()) {
      out.api_key = std::string(trimmed);
      m.describe_last(redact_secret(out.api_key));
      // Only whitespace (an empty key file): no key, and the report says so.
      if (out.api_key.empty()) m.diagnose(describe(api_key_from) + " is blank; no API key is used");
    }
    m.resolve<std::string>("project", out.project, "", {{config.project, kTracer}, {overrides.project, kOverride}},
                           first_env({"HH_PROJECT"}));
    m.resolve<std::string>("source", out.source, kDefaultSource,
                           {{config.source, kTracer}, {overrides.source, kOverride}}, first_env({"HH_SOURCE"}));
    const std::string api_url_from = m.resolve<std::string>("api_url", out.api_url, kDefaultApiUrl,
                                                            {{config.api_url, kTracer}, {overrides.api_url, kOverride}},
                                                            first_env({"HH_API_URL"}), Shown::url);
    // Whether the URL just resolved is an http(s) URL; one read from a file (a trailing newline) or
    // with its scheme in capitals is the same URL, written and shown as such.
    const auto normalize_url = [&m](std::string& url) {
      auto normalized = detail::normalized_http_url(url);
      if (!normalized) return false;
      if (*normalized != url) {
        url = std::move(*normalized);
        m.describe_last(redact_url(url));
      }
      return true;
    };
    if (out.api_url.empty()) {
      m.correct<std::string>(out.api_url, kDefaultApiUrl, "api_url is null; using " + std::string(kDefaultApiUrl));
    } else if (!normalize_url(out.api_url)) {
      // Not the public API instead: spans and the API key meant for the user's own deployment would
      // go there. No HoneyHive export then (the tracer says where spans go instead).
      m.correct<std::string>(out.api_url, "",
                             "api_url from " + describe(api_url_from) + " ('" + redact_url(out.api_url) +
                                 "') is not an http(s) URL; nothing is sent to HoneyHive (and the API key nowhere)");
    }
    detail::trim_trailing_slashes(out.api_url);

    const std::string protocol_from = m.resolve<std::string>(
        "otlp_protocol", out.otlp_protocol, kDefaultProtocol,
        {{config.otlp_protocol, kTracer}, {overrides.otlp_protocol, kOverride}},
        first_env({"HH_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"}));
    if (out.otlp_protocol != "http/json" && out.otlp_protocol != "http/protobuf") {
      m.correct<std::string>(out.otlp_protocol, kDefaultProtocol,
                             describe(protocol_from) + "='" + out.otlp_protocol +
                                 "' is not supported (http/json or http/protobuf); using " + kDefaultProtocol);
    }

    std::optional<EnvValue> endpoint_env = first_env({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"});
    if (!endpoint_env) {
      if (auto base = first_env({"OTEL_EXPORTER_OTLP_ENDPOINT"})) {
        // The signal's path goes after the base's own path, before any query.
        base->value = detail::append_url_path(base->value, "/v1/traces");
        endpoint_env = std::move(base);
      }
    }
    const std::string endpoint_from = m.resolve<std::string>(
        "otlp_endpoint", out.otlp_endpoint, "", {{config.otlp_endpoint, kTracer}, {overrides.otlp_endpoint, kOverride}},
        endpoint_env, Shown::url);
    if (!out.otlp_endpoint.empty() && !normalize_url(out.otlp_endpoint)) {
      m.correct<std::string>(
          out.otlp_endpoint, "",
          describe(endpoint_from) + "='" + redact_url(out.otlp_endpoint) + "' is not an http(s) URL; ignoring it");
    }

    m.resolve<std::string>("service_name", out.service_name, "",
                           {{config.service_name, kTracer}, {overrides.service_name, kOverride}},
                           first_env({"OTEL_SERVICE_NAME"}));
    const std::string export_mode_from = m.resolve<std::string>(
        "export_mode", out.export_mode, kDefaultExportMode,
        {{config.export_mode, kTracer}, {overrides.export_mode, kOverride}}, first_env({"HH_EXPORT_MODE"}));
    if (out.export_mode != "otlp" && out.export_mode != "events") {
      m.correct<std::string>(out.export_mode, kDefaultExportMode,
                             describe(export_mode_from) + "='" + out.export_mode +
                                 "' is not supported (otlp or events); using " + kDefaultExportMode);
    }
    m.resolve<bool>("disable_batch", out.disable_batch, false,
                    {{config.disable_batch, kTracer}, {overrides.disable_batch, kOverride}},
                    first_env({"HH_DISABLE_BATCH"}));
    m.resolve<bool>("verbose", out.verbose, false, {{config.verbose, kTracer}, {overrides.verbose, kOverride}},
                    first_env({"HH_VERBOSE"}));
    m.resolve<bool>("trace_content", out.trace_content, true,
                    {{config.trace_content, kTracer}, {overrides.trace_content, kOverride}},
                    first_env({"HH_TRACE_CONTENT"}));
    // HH_DISABLE_TRACING is the HoneyHive Python SDK's switch (TracerConfig.disable_tracing); like
    // the other HH_ variables it comes before its OpenTelemetry counterpart. A switch that cannot be
    // read (HH_DISABLE_TRACING=maybe) does not hide the other: OTEL_SDK_DISABLED=true still turns
    // tracing off.
    std::optional<EnvValue> disabled_env = first_env({"HH_DISABLE_TRACING"});
    if (auto otel = first_env({"OTEL_SDK_DISABLED"}); otel && (!disabled_env || !parse_bool(disabled_env->value))) {
      if (disabled_env && config.disabled.is_unset() && overrides.disabled.is_unset()) {
        m.diagnose("HH_DISABLE_TRACING='" + disabled_env->value +
                   "' is not a boolean (true/false/1/0/yes/no/on/off); OTEL_SDK_DISABLED applies");
      }
      disabled_env = std::move(otel);
    }
    m.resolve<bool>("disabled", out.disabled, false, {{config.disabled, kTracer}, {overrides.disabled, kOverride}},
                    disabled_env);
    m.resolve<bool>("start_session", out.start_session, true,
                    {{config.start_session, kTracer}, {overrides.start_session, kOverride}}, std::nullopt);
    std::string strategy_name;
    const std::string strategy_from =
        m.resolve<std::string>("lifecycle_strategy", strategy_name, "auto",
                               {{config.lifecycle_strategy, kTracer}, {overrides.lifecycle_strategy, kOverride}},
                               first_env({"HH_LIFECYCLE_STRATEGY"}));
    if (!detail::is_lifecycle_strategy_name(strategy_name)) {
      m.correct<std::string>(strategy_name, "auto",
                             detail::unknown_lifecycle_strategy(describe(strategy_from), strategy_name));
    }
    out.lifecycle = detect_lifecycle_strategy(strategy_name.empty() ? "auto" : strategy_name, describe(strategy_from));
    m.describe_last(std::string(to_string(out.lifecycle.kind)) + ": " +
                    std::to_string(out.lifecycle.lifecycle_timeout.count()) + " ms lifecycle, " +
                    std::to_string(out.lifecycle.operation_timeout.count()) + " ms per operation (" +
                    out.lifecycle.reason + ")");

    m.resolve<bool>("hh_local_detect", out.hh_local_detect, true,
                    {{config.hh_local_detect, kTracer}, {overrides.hh_local_detect, kOverride}},
                    first_env({"HH_LOCAL_DETECT"}));
    const std::string port_from = m.resolve<int>(
        "hh_local_port", out.hh_local_port, kDefaultHhLocalPort,
        {{config.hh_local_port, kTracer}, {overrides.hh_local_port, kOverride}}, first_env({"HH_LOCAL_PORT"}));
    if (out.provenance.back().null) {
      m.correct<int>(out.hh_local_port, kDefaultHhLocalPort,
                     "hh_local_port is null; using " + std::to_string(kDefaultHhLocalPort) +
                         " (hh_local_detect = false turns the probe off)");
    } else if (out.hh_local_port < 1 || out.hh_local_port > 65535) {
      m.correct<int>(out.hh_local_port, kDefaultHhLocalPort,
                     describe(port_from) + "=" + std::to_string(out.hh_local_port) +
                         " is not a TCP port (1-65535); using " + std::to_string(kDefaultHhLocalPort));
    }

    m.resolve<std::string>(
        "session.name", out.session.name, "",
        {{config.session_name, kTracer}, {session.session_name, kSession}, {overrides.session_name, kOverride}},
        first_env({"HH_SESSION_NAME"}));
    const std::string session_id_from = m.resolve<std::string>(
        "session.id", out.session.id, "",
        {{config.session_id, kTracer}, {session.session_id, kSession}, {overrides.session_id, kOverride}},
        first_env({"HH_SESSION_ID"}));
    if (!out.session.id.empty() && !is_uuid(out.session.id)) {
      m.correct<std::string>(
          out.session.id, "",
          describe(session_id_from) + "='" + out.session.id + "' is not a UUID; a new session id will be generated");
    }
    for (auto& c : out.session.id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const nlohmann::json empty;
    m.resolve<nlohmann::json>("session.inputs", out.session.inputs, empty, {{session.inputs, kSession}}, std::nullopt);
    m.resolve<nlohmann::json>("session.metadata", out.session.metadata, empty, {{session.metadata, kSession}},
                              std::nullopt);
    m.resolve<nlohmann::json>("session.user_properties", out.session.user_properties, empty,
                              {{session.user_properties, kSession}}, std::nullopt);

    m.resolve<std::string>("evaluation.run_id", out.evaluation.run_id, "", {{evaluation.run_id, kEvaluation}},
                           std::nullopt);
    m.resolve<std::string>("evaluation.dataset_id", out.evaluation.dataset_id, "",
                           {{evaluation.dataset_id, kEvaluation}}, std::nullopt);
    m.resolve<std::string>("evaluation.datapoint_id", out.evaluation.datapoint_id, "",
                           {{evaluation.datapoint_id, kEvaluation}}, std::nullopt);
  } catch (...) {
    ResolvedConfig fallback;  // constructing it allocates nothing
    try {
      fallback.source = kDefaultSource;
      fallback.api_url = kDefaultApiUrl;
      fallback.otlp_protocol = kDefaultProtocol;
      fallback.export_mode = kDefaultExportMode;
      fallback.diagnostics.push_back("configuration could not be resolved (out of memory); using the defaults");
    } catch (...) {
      fallback.disabled = true;  // not even the defaults fit: a disabled tracer
    }
    return fallback;
  }
  return out;
}

nlohmann::json ResolvedConfig::report_json() const {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& entry : provenance) {
    fields[entry.field] = {{"value", entry.shown}, {"origin", entry.origin}, {"null", entry.null}};
  }
  return {{"fields", fields}, {"diagnostics", diagnostics}};
}

std::string ResolvedConfig::report_text() const {
  // One line per field and per note, whatever the values hold: a value from the environment with a
  // newline, a terminal escape or a bidirectional override in it is shown escaped, as in a diagnostic
  // line, so it cannot pass for a field of its own or rewrite the report where it is shown.
  // Backslashes are kept: a Windows path, or the JSON of a structured value, reads as it is.
  std::string text;
  for (const auto& entry : provenance) {
    text.append(entry.field).append(" = ");
    detail::append_printable(text, entry.null ? std::string_view("null") : std::string_view(entry.shown),
                             detail::Backslash::kept);
    text.append("  (").append(entry.origin).append(")\n");
  }
  for (const auto& line : diagnostics) {
    text.append("note: ");
    detail::append_printable(text, line, detail::Backslash::kept);
    text.push_back('\n');
  }
  return text;
}

}  // namespace honeyhive
