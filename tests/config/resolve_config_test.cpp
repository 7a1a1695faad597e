#include <gtest/gtest.h>

#include <string>

#include "honeyhive/config/tracer_config.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

// Clears every variable the merge reads, so the host environment cannot leak into a test.
class ResolveConfigTest : public ::testing::Test {
 protected:
  test::ScopedEnv clean_{{"HH_API_KEY", nullptr},
                         {"HH_PROJECT", nullptr},
                         {"HH_SOURCE", nullptr},
                         {"HH_API_URL", nullptr},
                         {"HH_OTLP_PROTOCOL", nullptr},
                         {"OTEL_EXPORTER_OTLP_PROTOCOL", nullptr},
                         {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", nullptr},
                         {"OTEL_EXPORTER_OTLP_ENDPOINT", nullptr},
                         {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", nullptr},
                         {"OTEL_SERVICE_NAME", nullptr},
                         {"HH_SESSION_NAME", nullptr},
                         {"HH_SESSION_ID", nullptr},
                         {"HH_DISABLE_BATCH", nullptr},
                         {"HH_VERBOSE", nullptr},
                         {"HH_TRACE_CONTENT", nullptr},
                         {"OTEL_SDK_DISABLED", nullptr},
                         {"HH_DISABLE_TRACING", nullptr},
                         {"HH_EXPORT_MODE", nullptr},
                         {"HH_LOCAL_DETECT", nullptr},
                         {"HH_LOCAL_PORT", nullptr}};
};

TEST_F(ResolveConfigTest, DefaultsApplyWhenNothingIsSet) {
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.report_json()["fields"]["otlp_endpoint"]["value"], "");  // none, shown as none
  EXPECT_EQ(config.report_json()["fields"]["api_url"]["value"], "https://api.dp1.us.honeyhive.ai");
  EXPECT_EQ(config.source, "dev");
  EXPECT_EQ(config.api_url, "https://api.dp1.us.honeyhive.ai");
  EXPECT_EQ(config.otlp_protocol, "http/json");
  EXPECT_EQ(config.export_mode, "otlp");
  EXPECT_TRUE(config.trace_content);
  EXPECT_FALSE(config.disable_batch);
  EXPECT_EQ(config.api_key, "");
  EXPECT_EQ(config.origin_of("source")->origin, "default");
}

TEST_F(ResolveConfigTest, EnvironmentBeatsDefaults) {
  test::ScopedEnv env{{"HH_SOURCE", "staging"}, {"HH_PROJECT", "from-env"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.source, "staging");
  EXPECT_EQ(config.project, "from-env");
  EXPECT_EQ(config.origin_of("project")->origin, "env:HH_PROJECT");
}

TEST_F(ResolveConfigTest, TracerConfigBeatsEnvironment) {
  test::ScopedEnv env{{"HH_PROJECT", "from-env"}};
  TracerConfig tracer;
  tracer.project = "from-config";
  const ResolvedConfig config = resolve_config(tracer);
  EXPECT_EQ(config.project, "from-config");
  EXPECT_EQ(config.origin_of("project")->origin, "TracerConfig");
}

TEST_F(ResolveConfigTest, SessionConfigBeatsTracerConfigForSessionFields) {
  test::ScopedEnv env{{"HH_SESSION_NAME", "env-session"}};
  TracerConfig tracer;
  tracer.session_name = "tracer-session";
  SessionConfig session;
  session.session_name = "session-session";
  const ResolvedConfig config = resolve_config(tracer, session);
  EXPECT_EQ(config.session.name, "session-session");
  EXPECT_EQ(config.origin_of("session.name")->origin, "SessionConfig");
}

TEST_F(ResolveConfigTest, OverridesBeatEveryLayer) {
  test::ScopedEnv env{{"HH_SESSION_NAME", "env-session"}, {"HH_SOURCE", "env-source"}};
  TracerConfig tracer;
  tracer.session_name = "tracer-session";
  tracer.source = "tracer-source";
  SessionConfig session;
  session.session_name = "session-session";
  TracerConfig overrides;
  overrides.session_name = "override-session";
  overrides.source = "override-source";
  const ResolvedConfig config = resolve_config(tracer, session, {}, overrides);
  EXPECT_EQ(config.session.name, "override-session");
  EXPECT_EQ(config.source, "override-source");
  EXPECT_EQ(config.origin_of("source")->origin, "override");
}

TEST_F(ResolveConfigTest, ExplicitNullBeatsTheEnvironment) {
  test::ScopedEnv env{{"HH_API_KEY", "hh-secret-from-env"}};
  TracerConfig tracer;
  tracer.api_key = null;
  const ResolvedConfig config = resolve_config(tracer);
  EXPECT_EQ(config.api_key, "");
  EXPECT_TRUE(config.origin_of("api_key")->null);
  EXPECT_EQ(config.origin_of("api_key")->origin, "TracerConfig");
}

TEST_F(ResolveConfigTest, UnsetAtAHigherLayerKeepsTheLowerValue) {
  TracerConfig tracer;
  tracer.session_name = "tracer-session";
  SessionConfig session;  // session_name unset
  const ResolvedConfig config = resolve_config(tracer, session);
  EXPECT_EQ(config.session.name, "tracer-session");
}

TEST_F(ResolveConfigTest, NullAtAHigherLayerClearsTheLowerValue) {
  TracerConfig tracer;
  tracer.session_name = "tracer-session";
  SessionConfig session;
  session.session_name = null;
  const ResolvedConfig config = resolve_config(tracer, session);
  EXPECT_EQ(config.session.name, "");
  EXPECT_TRUE(config.origin_of("session.name")->null);
}

TEST_F(ResolveConfigTest, NullBooleanMeansOff) {
  test::ScopedEnv env{{"HH_TRACE_CONTENT", "true"}};
  TracerConfig tracer;
  tracer.trace_content = null;
  EXPECT_FALSE(resolve_config(tracer).trace_content);
}

TEST_F(ResolveConfigTest, BooleanEnvironmentValuesAreParsedLeniently) {
  test::ScopedEnv env{{"HH_DISABLE_BATCH", "YES"}, {"HH_TRACE_CONTENT", "0"}, {"OTEL_SDK_DISABLED", "On"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_TRUE(config.disable_batch);
  EXPECT_FALSE(config.trace_content);
  EXPECT_TRUE(config.disabled);
}

TEST_F(ResolveConfigTest, AnInvalidBooleanNamesTheVariableAndTheValueUsed) {
  test::ScopedEnv env{{"HH_DISABLE_BATCH", "maybe"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_FALSE(config.disable_batch);
  ASSERT_EQ(config.diagnostics.size(), 1U);
  EXPECT_NE(config.diagnostics[0].find("HH_DISABLE_BATCH='maybe'"), std::string::npos);
  EXPECT_NE(config.diagnostics[0].find("using false"), std::string::npos);
  EXPECT_EQ(config.origin_of("disable_batch")->origin, "default");
}

// Not the public API instead: what (and the key) was meant for the user's own deployment would go
// there. No API URL: the tracer then sends nothing to HoneyHive.
TEST_F(ResolveConfigTest, AMalformedApiUrlIsNotReplacedByThePublicOne) {
  test::ScopedEnv env{{"HH_API_URL", "not a url"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.api_url, "");
  ASSERT_EQ(config.diagnostics.size(), 1U);
  // Not readable as a URL: not shown (what was pasted there may be a secret), the variable named.
  EXPECT_NE(config.diagnostics[0].find(
                "api_url from HH_API_URL ('****') is not an http(s) URL; nothing is sent to HoneyHive"),
            std::string::npos)
      << config.diagnostics[0];
}

// A URL read from a file keeps its newline; a scheme may be written in capitals (RFC 3986: schemes
// are case-insensitive). Both are the URL meant, not a reason to send elsewhere.
TEST_F(ResolveConfigTest, AnApiUrlWithSurroundingWhitespaceOrACapitalSchemeIsUsed) {
  TracerConfig tracer;
  tracer.api_url = "https://hh.internal.example:8443\n";
  ResolvedConfig config = resolve_config(tracer);
  EXPECT_EQ(config.api_url, "https://hh.internal.example:8443");
  EXPECT_TRUE(config.diagnostics.empty());
  EXPECT_EQ(config.report_json()["fields"]["api_url"]["value"], "https://hh.internal.example:8443");
  tracer.api_url = "HTTPS://hh.internal.example:8443/Base";
  EXPECT_EQ(resolve_config(tracer).api_url, "https://hh.internal.example:8443/Base");
  tracer.api_url.reset();
  tracer.otlp_endpoint = " HTTP://127.0.0.1:4318/v1/traces\r\n";
  config = resolve_config(tracer);
  EXPECT_EQ(config.otlp_endpoint, "http://127.0.0.1:4318/v1/traces");
  EXPECT_TRUE(config.diagnostics.empty());
}

// OTEL_EXPORTER_OTLP_ENDPOINT's signal path goes into the path, before a query the collector needs.
TEST_F(ResolveConfigTest, TheSignalPathGoesBeforeTheQueryOfTheOtlpBaseEndpoint) {
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/base/?tenant=acme"}};
  EXPECT_EQ(resolve_config(TracerConfig{}).otlp_endpoint, "http://127.0.0.1:4318/base/v1/traces?tenant=acme");
}

// HH_DISABLE_TRACING is the HoneyHive Python SDK's switch; as every HH_ variable, it comes before its
// OpenTelemetry counterpart.
TEST_F(ResolveConfigTest, HhDisableTracingTurnsTheTracerOffAsInThePythonSdk) {
  test::ScopedEnv env{{"HH_DISABLE_TRACING", "true"}};
  ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_TRUE(config.disabled);
  EXPECT_EQ(config.origin_of("disabled")->origin, "env:HH_DISABLE_TRACING");
  test::ScopedEnv both{{"HH_DISABLE_TRACING", "false"}, {"OTEL_SDK_DISABLED", "true"}};
  config = resolve_config(TracerConfig{});
  EXPECT_FALSE(config.disabled);
  EXPECT_EQ(config.origin_of("disabled")->origin, "env:HH_DISABLE_TRACING");
}

// A kill switch that cannot be read does not hide the other one: tracing stays off, and the
// unreadable value is named.
TEST_F(ResolveConfigTest, AnUnreadableHhDisableTracingLeavesOtelSdkDisabledInCharge) {
  test::ScopedEnv env{{"HH_DISABLE_TRACING", "maybe"}, {"OTEL_SDK_DISABLED", "true"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_TRUE(config.disabled);
  EXPECT_EQ(config.origin_of("disabled")->origin, "env:OTEL_SDK_DISABLED");
  ASSERT_EQ(config.diagnostics.size(), 1U);
  EXPECT_NE(config.diagnostics[0].find("HH_DISABLE_TRACING='maybe' is not a boolean"), std::string::npos)
      << config.diagnostics[0];
  // Decided by the configuration: the variables are not read, nor reported.
  TracerConfig tracer;
  tracer.disabled = false;
  const ResolvedConfig decided = resolve_config(tracer);
  EXPECT_FALSE(decided.disabled);
  EXPECT_TRUE(decided.diagnostics.empty());
}

// An empty key file gives a key of whitespace only: no key, and the report does not show one.
TEST_F(ResolveConfigTest, AnApiKeyOfWhitespaceOnlyIsNoKey) {
  TracerConfig tracer;
  tracer.api_key = "\n";
  const ResolvedConfig config = resolve_config(tracer);
  EXPECT_EQ(config.api_key, "");
  EXPECT_EQ(config.report_json()["fields"]["api_key"]["value"], "") << config.report_text();
  ASSERT_EQ(config.diagnostics.size(), 1U);
  EXPECT_NE(config.diagnostics[0].find("TracerConfig is blank; no API key is used"), std::string::npos)
      << config.diagnostics[0];
}

TEST_F(ResolveConfigTest, TrailingSlashesAreRemovedFromTheApiUrl) {
  TracerConfig tracer;
  tracer.api_url = "http://127.0.0.1:8080/";
  EXPECT_EQ(resolve_config(tracer).api_url, "http://127.0.0.1:8080");
}

TEST_F(ResolveConfigTest, ProtocolComesFromHoneyHiveThenOtelVariables) {
  {
    test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}};
    EXPECT_EQ(resolve_config(TracerConfig{}).otlp_protocol, "http/protobuf");
  }
  {
    test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}, {"HH_OTLP_PROTOCOL", "http/json"}};
    const ResolvedConfig config = resolve_config(TracerConfig{});
    EXPECT_EQ(config.otlp_protocol, "http/json");
    EXPECT_EQ(config.origin_of("otlp_protocol")->origin, "env:HH_OTLP_PROTOCOL");
  }
}

TEST_F(ResolveConfigTest, AnUnsupportedProtocolIsCorrected) {
  test::ScopedEnv env{{"HH_OTLP_PROTOCOL", "grpc"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.otlp_protocol, "http/json");
  ASSERT_EQ(config.diagnostics.size(), 1U);
  EXPECT_NE(config.diagnostics[0].find("HH_OTLP_PROTOCOL='grpc'"), std::string::npos);
}

TEST_F(ResolveConfigTest, ExportModeComesFromHhExportMode) {
  clean_.set("HH_EXPORT_MODE", "events");
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.export_mode, "events");
  EXPECT_EQ(config.origin_of("export_mode")->origin, "env:HH_EXPORT_MODE");
}

TEST_F(ResolveConfigTest, AnUnsupportedExportModeFallsBackToOtlpWithADiagnostic) {
  clean_.set("HH_EXPORT_MODE", "grpc");
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.export_mode, "otlp");
  ASSERT_EQ(config.diagnostics.size(), 1U);
  EXPECT_NE(config.diagnostics[0].find("HH_EXPORT_MODE='grpc'"), std::string::npos);
}

TEST_F(ResolveConfigTest, GeneralOtlpEndpointGetsTheTracesPath) {
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"}};
  EXPECT_EQ(resolve_config(TracerConfig{}).otlp_endpoint, "http://127.0.0.1:4318/v1/traces");
}

TEST_F(ResolveConfigTest, TracesEndpointIsUsedAsIsAndWins) {
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"},
                      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9999/custom"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.otlp_endpoint, "http://127.0.0.1:9999/custom");
  EXPECT_EQ(config.origin_of("otlp_endpoint")->origin, "env:OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
}

TEST_F(ResolveConfigTest, ASessionIdThatIsNotAUuidIsDroppedWithADiagnostic) {
  test::ScopedEnv env{{"HH_SESSION_ID", "abc"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.session.id, "");
  ASSERT_EQ(config.diagnostics.size(), 1U);
  EXPECT_NE(config.diagnostics[0].find("HH_SESSION_ID='abc'"), std::string::npos);
}

TEST_F(ResolveConfigTest, AUuidSessionIdIsKeptLowercased) {
  SessionConfig session;
  session.session_id = "6F1B7C2E-8D1A-4C55-9D8E-2F0C1A3B4C5D";
  EXPECT_EQ(resolve_config(TracerConfig{}, session).session.id, "6f1b7c2e-8d1a-4c55-9d8e-2f0c1a3b4c5d");
}

TEST_F(ResolveConfigTest, SessionAndEvaluationFieldsLiveInNestedStructs) {
  SessionConfig session;
  session.inputs = nlohmann::json{{"question", "q"}};
  session.metadata = null;
  EvaluationConfig evaluation;
  evaluation.run_id = "run-1";
  evaluation.dataset_id = "ds-1";
  evaluation.datapoint_id = "dp-1";
  const ResolvedConfig config = resolve_config(TracerConfig{}, session, evaluation);
  EXPECT_EQ(config.session.inputs["question"], "q");
  EXPECT_TRUE(config.session.metadata.is_null());
  EXPECT_TRUE(config.origin_of("session.metadata")->null);
  EXPECT_TRUE(config.evaluation.active());
  EXPECT_EQ(config.evaluation.dataset_id, "ds-1");
  EXPECT_EQ(config.origin_of("evaluation.datapoint_id")->origin, "EvaluationConfig");
}

TEST_F(ResolveConfigTest, ReportsRedactTheApiKeyToItsLastFourCharacters) {
  TracerConfig tracer;
  tracer.api_key = "hh-super-secret-key-1234";
  const ResolvedConfig config = resolve_config(tracer);
  const std::string text = config.report_text();
  const std::string json = config.report_json().dump();
  EXPECT_EQ(text.find("super-secret"), std::string::npos);
  EXPECT_EQ(json.find("super-secret"), std::string::npos);
  EXPECT_NE(text.find("****1234"), std::string::npos);
  EXPECT_EQ(config.report_json()["fields"]["api_key"]["value"], "****1234");
  EXPECT_EQ(config.api_key, "hh-super-secret-key-1234");  // the value itself is intact
}

// A URL may carry credentials (user:password@) or a token in its query: reports and diagnostics
// show it without them, whichever layer gave it, valid or not; the value used is intact.
TEST_F(ResolveConfigTest, ReportsAndDiagnosticsShowUrlsWithoutTheirCredentials) {
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-user:env-secret-1@127.0.0.1:4318"}};
  TracerConfig tracer;
  tracer.api_url = "https://hh-user:url-secret-3@127.0.0.1:8443/base?key=q-secret-4#frag";
  const ResolvedConfig config = resolve_config(tracer);
  EXPECT_EQ(config.api_url, "https://hh-user:url-secret-3@127.0.0.1:8443/base?key=q-secret-4#frag");
  EXPECT_EQ(config.otlp_endpoint, "http://otel-user:env-secret-1@127.0.0.1:4318/v1/traces");
  EXPECT_EQ(config.report_json()["fields"]["otlp_endpoint"]["value"], "http://127.0.0.1:4318/v1/traces");
  EXPECT_EQ(config.report_json()["fields"]["api_url"]["value"], "https://127.0.0.1:8443/base");
  const std::string shown = config.report_text() + config.report_json().dump();
  for (const char* secret : {"env-secret-1", "url-secret-3", "q-secret-4", "otel-user", "hh-user"}) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " in " << shown;
  }

  // Not http(s): the diagnostic names the value without its credentials either.
  TracerConfig invalid;
  invalid.api_url = "ftp://ftp-user:ftp-secret-5@127.0.0.1/x?t=q-secret-6";
  invalid.otlp_endpoint = "grpc://g-user:g-secret-7@127.0.0.1:4317";
  const ResolvedConfig corrected = resolve_config(invalid);
  ASSERT_EQ(corrected.diagnostics.size(), 2U);
  EXPECT_NE(corrected.diagnostics[0].find("('ftp://127.0.0.1/x') is not an http(s) URL"), std::string::npos)
      << corrected.diagnostics[0];
  EXPECT_NE(corrected.diagnostics[1].find("'grpc://127.0.0.1:4317' is not an http(s) URL"), std::string::npos)
      << corrected.diagnostics[1];
  const std::string all = corrected.report_text() + corrected.report_json().dump();
  for (const char* secret : {"ftp-secret-5", "q-secret-6", "g-secret-7"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in " << all;
  }
}

// A key read from a file keeps its trailing newline: it is used, and shown redacted, without it.
TEST_F(ResolveConfigTest, TheApiKeyLosesItsSurroundingWhitespace) {
  TracerConfig tracer;
  tracer.api_key = " \thh-super-secret-key-1234\r\n";
  const ResolvedConfig config = resolve_config(tracer);
  EXPECT_EQ(config.api_key, "hh-super-secret-key-1234");
  EXPECT_EQ(config.report_json()["fields"]["api_key"]["value"], "****1234");
  tracer.api_key = "\n \n";
  EXPECT_EQ(resolve_config(tracer).api_key, "");
}

TEST_F(ResolveConfigTest, ReportTextShowsEachFieldOnOneLineWhateverItsValueHolds) {
  // An environment value with a newline and a terminal escape, and an invalid one whose note quotes
  // it: neither may add a line that passes for a field, or rewrite the report on a terminal.
  test::ScopedEnv env{{"HH_PROJECT", "p\napi_key = ****0000  (TracerConfig)\x1b[2K"},
                      {"HH_LIFECYCLE_STRATEGY", "turbo\r\nsource = forged"}};
  const std::string text = resolve_config(TracerConfig{}).report_text();
  EXPECT_NE(text.find("project = p\\napi_key = ****0000  (TracerConfig)\\x1b[2K  (env:HH_PROJECT)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("turbo\\r\\nsource = forged"), std::string::npos) << text;
  EXPECT_EQ(text.find("\x1b"), std::string::npos);
  EXPECT_EQ(text.find("\r"), std::string::npos);
  std::size_t lines_starting_with_api_key = 0;
  std::size_t lines_starting_with_source = 0;
  for (std::size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
    if (text.compare(at, 10, "api_key = ") == 0) ++lines_starting_with_api_key;
    if (text.compare(at, 9, "source = ") == 0) ++lines_starting_with_source;
    if (text.find('\n', at) == std::string::npos) break;
  }
  EXPECT_EQ(lines_starting_with_api_key, 1U);
  EXPECT_EQ(lines_starting_with_source, 1U);
}

TEST_F(ResolveConfigTest, ReportTextKeepsTheBackslashesOfPathsAndStructuredValues) {
  test::ScopedEnv env{{"HH_PROJECT", "C:\\Users\\me"}};
  SessionConfig session;
  session.metadata = nlohmann::json{{"path", "C:\\temp"}, {"note", "a\nb"}};
  const std::string text = resolve_config(TracerConfig{}, session).report_text();
  EXPECT_NE(text.find("project = C:\\Users\\me  (env:HH_PROJECT)\n"), std::string::npos) << text;
  // The JSON reads as JSON: its own escapes are not escaped again.
  EXPECT_NE(text.find("session.metadata = {\"note\":\"a\\nb\",\"path\":\"C:\\\\temp\"}  (SessionConfig)\n"),
            std::string::npos)
      << text;
}

TEST_F(ResolveConfigTest, AnEndpointWithAControlCharacterIsRefused) {
  // No URL holds a raw control character; one would reach logs and reports as it is.
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/\x1b[2K"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_EQ(config.otlp_endpoint.find('\x1b'), std::string::npos);
  EXPECT_EQ(config.origin_of("otlp_endpoint")->origin, "env:OTEL_EXPORTER_OTLP_ENDPOINT (corrected)");
  ASSERT_FALSE(config.diagnostics.empty());
  EXPECT_EQ(config.report_text().find('\x1b'), std::string::npos);
}

TEST_F(ResolveConfigTest, ReportsHoldValidUtf8WhateverBytesTheEnvironmentHeld) {
  // A value that is not UTF-8 is shown repaired, so report_json() dumps (it would throw) and both
  // reports show the same thing; the value itself is left to its users.
  test::ScopedEnv env{{"HH_PROJECT", "p\xff"}, {"HH_VERBOSE", "maybe\xfe"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  std::string dumped;
  EXPECT_NO_THROW(dumped = config.report_json().dump());
  EXPECT_EQ(config.report_json()["fields"]["project"]["value"], "p\ufffd");
  EXPECT_NE(config.report_text().find("project = p\ufffd  (env:HH_PROJECT)"), std::string::npos);
  ASSERT_FALSE(config.diagnostics.empty());
  EXPECT_NE(config.diagnostics.back().find("maybe\ufffd"), std::string::npos) << config.diagnostics.back();
}

TEST_F(ResolveConfigTest, ReportJsonNamesEveryFieldWithItsOrigin) {
  test::ScopedEnv env{{"HH_PROJECT", "p"}};
  const nlohmann::json report = resolve_config(TracerConfig{}).report_json();
  EXPECT_EQ(report["fields"]["project"]["origin"], "env:HH_PROJECT");
  EXPECT_EQ(report["fields"]["source"]["origin"], "default");
  for (const char* field : {"api_key", "project", "source", "api_url", "otlp_protocol", "otlp_endpoint", "service_name",
                            "disable_batch", "verbose", "trace_content", "disabled", "hh_local_detect", "hh_local_port",
                            "session.name", "session.id", "session.inputs", "evaluation.run_id"}) {
    EXPECT_TRUE(report["fields"].contains(field)) << field;
  }
}

TEST_F(ResolveConfigTest, HhLocalDetectionIsOnAtPort4318ByDefault) {
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_TRUE(config.hh_local_detect);
  EXPECT_EQ(config.hh_local_port, 4318);
  EXPECT_TRUE(config.diagnostics.empty());
}

TEST_F(ResolveConfigTest, HhLocalDetectionAndPortComeFromTheEnvironment) {
  test::ScopedEnv env{{"HH_LOCAL_DETECT", "off"}, {"HH_LOCAL_PORT", "14318"}};
  const ResolvedConfig config = resolve_config(TracerConfig{});
  EXPECT_FALSE(config.hh_local_detect);
  EXPECT_EQ(config.hh_local_port, 14318);
  EXPECT_EQ(config.origin_of("hh_local_port")->origin, "env:HH_LOCAL_PORT");
  TracerConfig explicit_config;
  explicit_config.hh_local_port = 5000;
  explicit_config.hh_local_detect = null;  // null: off
  const ResolvedConfig chosen = resolve_config(explicit_config);
  EXPECT_EQ(chosen.hh_local_port, 5000);
  EXPECT_FALSE(chosen.hh_local_detect);
}

TEST_F(ResolveConfigTest, AnInvalidHhLocalPortFallsBackTo4318WithADiagnostic) {
  for (const char* value : {"0", "65536", "-1", "port", "99999999999999999999"}) {
    test::ScopedEnv env{{"HH_LOCAL_PORT", value}};
    const ResolvedConfig config = resolve_config(TracerConfig{});
    EXPECT_EQ(config.hh_local_port, 4318) << value;
    ASSERT_EQ(config.diagnostics.size(), 1U) << value;
    EXPECT_NE(config.diagnostics[0].find("HH_LOCAL_PORT"), std::string::npos) << config.diagnostics[0];
  }
  TracerConfig config;
  config.hh_local_port = null;
  const ResolvedConfig from_null = resolve_config(config);
  EXPECT_EQ(from_null.hh_local_port, 4318);
  ASSERT_EQ(from_null.diagnostics.size(), 1U);
  EXPECT_NE(from_null.diagnostics[0].find("hh_local_port is null"), std::string::npos);
}

// The last 4 characters, and none of a short secret's: never more than a quarter of it.
TEST(RedactSecretTest, KeepsOnlyTheLastFourCharactersOfALongSecret) {
  EXPECT_EQ(redact_secret(""), "");
  EXPECT_EQ(redact_secret("abc"), "****");
  EXPECT_EQ(redact_secret("abcdefgh"), "****");
  EXPECT_EQ(redact_secret("abcdefghijklmno"), "****");
  EXPECT_EQ(redact_secret("abcdefghijklmnop"), "****mnop");
}

// The threshold counts characters too: four 4-byte characters are not shown whole.
TEST(RedactSecretTest, NeverShowsMoreThanAQuarterOfTheCharacters) {
  EXPECT_EQ(redact_secret("\xF0\x9F\x94\x91\xF0\x9F\x94\x92\xF0\x9F\x94\x93\xF0\x9F\x94\x94"), "****");
  EXPECT_EQ(redact_secret(std::string(16, '\x80')), "****");
}

// A query's value may end in a slash: only the path's trailing slashes go.
TEST_F(ResolveConfigTest, TheApiUrlsQueryIsNotTrimmed) {
  TracerConfig tracer;
  tracer.api_url = "https://hh.internal.example/hh/?next=/";
  EXPECT_EQ(resolve_config(tracer).api_url, "https://hh.internal.example/hh/?next=/");
}

// Characters, not bytes: a UTF-8 character is never cut in two, so the report stays valid UTF-8 and
// its JSON can be written (a cut one made dump() throw into the caller).
TEST_F(ResolveConfigTest, ARedactedKeyEndingInMultiByteCharactersStaysValidUtf8) {
  EXPECT_EQ(redact_secret("0123456789abcdef\xE2\x82\xAC\xE2\x82\xAC"), "****ef\xE2\x82\xAC\xE2\x82\xAC");
  TracerConfig tracer;
  tracer.api_key = "0123456789abcdef\xE2\x82\xAC\xE2\x82\xAC";
  EXPECT_NO_THROW(static_cast<void>(resolve_config(tracer).report_json().dump()));
  // Bytes that are not UTF-8 are shown repaired (U+FFFD, 3 bytes each), then cut by characters.
  test::ScopedEnv env{{"HH_API_KEY", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"}};
  const ResolvedConfig from_env = resolve_config(TracerConfig{});
  EXPECT_NO_THROW(static_cast<void>(from_env.report_json().dump()));
  EXPECT_EQ(from_env.report_json()["fields"]["api_key"]["value"],
            "****\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace honeyhive
