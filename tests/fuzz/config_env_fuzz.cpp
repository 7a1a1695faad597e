// libFuzzer target: configuration read from the environment, where any text may turn up. The input
// is split at newlines into the values of the variables resolve_config reads (one per line, in a
// fixed order; missing lines leave the rest unset). resolve_config must not crash and must say
// where each value came from; its report must dump as JSON; and no part of the API key that
// identifies it (its prefix, in any case) may appear in the report, the text report, the
// configuration's diagnostics or a line sent to the diagnostic sink (only its last 4 characters
// may). Every line sent to the sink (the input itself is sent, as a backend's message would be), and
// the text report, must be valid UTF-8 without a control character, a bidirectional control, a line
// separator or an invisible format character, and the text report must have one line per field and
// per note. glibc's setenv keeps every value it was given, so memory grows by about 100 bytes a run:
// long runs need -rss_limit_mb above libFuzzer's 2048.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/config/tracer_config.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/propagation/carrier.hpp"  // equals_ignore_case

namespace {

constexpr const char* kVariables[] = {"HH_API_URL",
                                      "HH_PROJECT",
                                      "HH_SOURCE",
                                      "HH_SESSION_NAME",
                                      "HH_SESSION_ID",
                                      "HH_DISABLE_BATCH",
                                      "HH_VERBOSE",
                                      "HH_EXPORT_MODE",
                                      "HH_OTLP_PROTOCOL",
                                      "HH_TRACE_CONTENT",
                                      "HH_LOCAL_DETECT",
                                      "HH_LOCAL_PORT",
                                      "HH_LIFECYCLE_STRATEGY",
                                      "OTEL_SDK_DISABLED",
                                      "OTEL_SERVICE_NAME",
                                      "OTEL_EXPORTER_OTLP_ENDPOINT",
                                      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                                      "OTEL_EXPORTER_OTLP_PROTOCOL",
                                      "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"};

// The key's prefix, which the fuzzer's values are unlikely to contain (checked only when none of
// them does): 17 plain characters, so no escaping or repair changes them, and longer than the 4
// characters a redacted key shows.
constexpr std::string_view kKeyPrefix = "hh-key-7Qf2Zx9Lw4";

bool shows_key(std::string_view text) {
  for (std::size_t at = 0; at + kKeyPrefix.size() <= text.size(); ++at) {
    if (honeyhive::equals_ignore_case(text.substr(at, kKeyPrefix.size()), kKeyPrefix)) return true;
  }
  return false;
}

// Whether `text` is valid UTF-8 in which every line ends in '\n' (none when !multi_line) and no code
// point could break, hide or reorder a line where it is shown: ASCII and C1 controls, bidirectional
// controls, line and paragraph separators. Counts the lines into `lines`. (Decoded here, not with the
// library's own code, so that the check stays independent of what it checks.)
bool printable_lines(std::string_view text, bool multi_line, std::size_t& lines) {
  lines = 0;
  for (std::size_t at = 0; at < text.size();) {
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xe  ? 3
                         : (lead >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || at + length > text.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7fU >> length);
    for (std::size_t i = 1; i < length; ++i) {
      const auto next = static_cast<unsigned char>(text[at + i]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3fU);
    }
    static constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kShortest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    if (code == '\n') {
      if (!multi_line) return false;
      ++lines;
    } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code == 0x00ad || code == 0x034f || code == 0x115f ||
               code == 0x1160 || code == 0x17b4 || code == 0x17b5 || code == 0x200b || code == 0x3164 ||
               code == 0xffa0 || code == 0x061c || code == 0x180e || code == 0x200e || code == 0x200f ||
               (code >= 0x2028 && code <= 0x202e) || (code >= 0x2060 && code <= 0x2064) ||
               (code >= 0x2066 && code <= 0x206f) || code == 0xfeff || (code >= 0xfff9 && code <= 0xfffb) ||
               code == 0xe0001 || (code >= 0xe0020 && code <= 0xe007f)) {
      return false;  // (the list of core/printable.hpp: the two change together)
    }
    at += length;
  }
  return !multi_line || text.empty() || text.back() == '\n';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> values;
  std::size_t at = 0;
  while (at <= input.size() && values.size() < std::size(kVariables) + 1) {
    std::size_t end = input.find('\n', at);
    if (end == std::string_view::npos) end = input.size();
    std::string value(input.substr(at, end - at));
    if (value.find('\0') != std::string::npos) value.erase(value.find('\0'));  // an environment value ends there
    values.push_back(std::move(value));
    at = end + 1;
  }
  // The first line ends the API key; the others are the variables' values in order.
  const std::string key = std::string(kKeyPrefix) + (values.empty() ? std::string() : values[0]);
  ::setenv("HH_API_KEY", key.c_str(), 1);
  bool key_elsewhere = shows_key(input);  // (the input itself goes to the sink too)
  for (std::size_t i = 0; i < std::size(kVariables); ++i) {
    if (i + 1 < values.size()) {
      ::setenv(kVariables[i], values[i + 1].c_str(), 1);
      if (shows_key(values[i + 1])) key_elsewhere = true;
    } else {
      ::unsetenv(kVariables[i]);
    }
  }

  // Every line sent to the diagnostic sink during the run, from a sink of its own (its rate limit
  // starts afresh each run).
  std::vector<std::string> sink_lines;
  const auto sink = honeyhive::DiagnosticSink::make(
      [&](honeyhive::DiagnosticLevel, std::string_view line) { sink_lines.emplace_back(line); },
      honeyhive::DiagnosticLevel::debug);
  honeyhive::ResolvedConfig resolved;
  {
    const honeyhive::ScopedDiagnosticSink route(sink);
    resolved = honeyhive::resolve_config(honeyhive::TracerConfig{});
    // resolve_config itself seldom reports to the sink: the input, newlines and all, goes there as a
    // message, as a backend's error text would.
    honeyhive::report_diagnostic(honeyhive::DiagnosticLevel::error, input);
  }
  const std::string report = resolved.report_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string text = resolved.report_text();
  // Every field says where its value came from, the API key's from the environment.
  const honeyhive::FieldOrigin* key_origin = resolved.origin_of("api_key");
  if (key_origin == nullptr || key_origin->origin != "env:HH_API_KEY" || resolved.api_key.rfind(kKeyPrefix, 0) != 0) {
    std::abort();
  }
  if (resolved.provenance.size() < 10 || report.empty() || text.empty()) std::abort();
  std::size_t lines = 0;
  if (!printable_lines(text, true, lines) || lines != resolved.provenance.size() + resolved.diagnostics.size()) {
    std::abort();
  }
  if (sink_lines.empty()) std::abort();  // the input's line at least
  for (const auto& line : sink_lines) {
    if (!printable_lines(line, false, lines)) std::abort();
  }
  if (!key_elsewhere) {
    if (shows_key(report) || shows_key(text)) std::abort();
    for (const auto& line : resolved.diagnostics) {
      if (shows_key(line)) std::abort();
    }
    for (const auto& line : sink_lines) {
      if (shows_key(line)) std::abort();
    }
  }
  return 0;
}
