// The default exporter with no API key and no OTLP endpoint: hh-local when it answers on
// 127.0.0.1:<hh_local_port>, else the embedded console + file exporters. Fake hh-locals and other
// services run on ephemeral ports, so an hh-local running on this machine never takes part.
#include "tracer/hh_local_detect.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/http_test_helpers.hpp"
#include "support/test_env.hpp"
#include "transport/loopback_http.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;
using test::RecordingServer;

tools::HttpResponse json_reply(const std::string& body, int status = 200) {
  tools::HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body;
  return response;
}

// What hh-local answers: its health document, and an empty ExportTraceServiceResponse to traces.
tools::HttpResponse fake_hh_local(const tools::HttpRequest& request) {
  if (request.method == "GET" && request.target == "/api/health") {
    return json_reply(R"({"status":"ok","service":"hh-local","version":"0.1.0"})");
  }
  tools::HttpResponse response;
  response.content_type = "application/x-protobuf";
  return response;
}

// The configuration the default rule applies to: no API key, no endpoint, whatever the environment
// says; detection on, at `port`; no session span (the embedded default writes nothing then).
TracerConfig default_rule_config(std::uint16_t port) {
  TracerConfig config;
  config.project = "detect";
  config.api_key = null;
  config.otlp_endpoint = null;
  config.start_session = false;
  config.hh_local_detect = true;
  config.hh_local_port = static_cast<int>(port);
  return config;
}

// No variable that picks a protocol: hh-local gets its default, protobuf.
test::ScopedEnv without_protocol_env() {
  return test::ScopedEnv{{"HH_OTLP_PROTOCOL", nullptr},
                         {"OTEL_EXPORTER_OTLP_PROTOCOL", nullptr},
                         {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", nullptr}};
}

std::uint16_t closed_port() {
  RecordingServer server(fake_hh_local);
  return server.port();  // closed when the server goes
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

TEST(HhLocalDetectTest, WhenHhLocalAnswersSpansGoThereAsOtlpProtobuf) {
  RecordingServer hh_local(fake_hh_local);
  ASSERT_TRUE(hh_local.ok());
  const auto env = without_protocol_env();
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::info);
  auto tracer = HoneyHiveTracer::init(default_rule_config(hh_local.port()));
  ASSERT_NE(tracer, nullptr);
  const std::string endpoint = hh_local.url("/v1/traces");
  EXPECT_TRUE(starts_with(tracer->exporter_description(), "hh-local " + endpoint + " (http/protobuf; auto-detected"))
      << tracer->exporter_description();
  EXPECT_TRUE(diagnostics.mentions("exports to hh-local " + endpoint));
  EXPECT_NE(tracer->config_report().find("auto-detected"), std::string::npos);
  { Span span = tracer->start_span("lookup_order", EventType::tool); }
  ASSERT_TRUE(tracer->flush(milliseconds(5000)));
  std::vector<tools::HttpRequest> traces;
  for (const auto& request : hh_local.requests()) {
    if (request.target == "/v1/traces") traces.push_back(request);
  }
  ASSERT_EQ(traces.size(), 1U);
  EXPECT_EQ(traces[0].method, "POST");
  EXPECT_EQ(traces[0].header("content-type"), "application/x-protobuf");
  EXPECT_NE(traces[0].body.find("lookup_order"), std::string::npos);
  tracer->shutdown(milliseconds(1000));
}

// The probe connects straight to the loopback; so do the spans, whatever proxy the environment names
// (a proxy would deliver them to its own 127.0.0.1, or fail, while the probe said hh-local runs here).
TEST(HhLocalDetectTest, SpansGoToHhLocalDirectlyWhenTheEnvironmentNamesAProxy) {
  RecordingServer proxy([](const tools::HttpRequest&) { return json_reply("{}", 502); });
  RecordingServer hh_local(fake_hh_local);
  ASSERT_TRUE(proxy.ok());
  ASSERT_TRUE(hh_local.ok());
  const std::string proxy_url = proxy.url("");
  test::ScopedEnv env{{"http_proxy", proxy_url.c_str()},
                      {"HTTP_PROXY", proxy_url.c_str()},
                      {"all_proxy", nullptr},
                      {"ALL_PROXY", nullptr},
                      {"no_proxy", nullptr},
                      {"NO_PROXY", nullptr}};
  auto tracer = HoneyHiveTracer::init(default_rule_config(hh_local.port()));
  ASSERT_NE(tracer, nullptr);
  ASSERT_TRUE(starts_with(tracer->exporter_description(), "hh-local ")) << tracer->exporter_description();
  { Span span = tracer->start_span("lookup_order", EventType::tool); }
  ASSERT_TRUE(tracer->flush(milliseconds(5000)));
  std::size_t traces = 0;
  for (const auto& request : hh_local.requests()) traces += request.target == "/v1/traces" ? 1U : 0U;
  EXPECT_EQ(traces, 1U);
  EXPECT_TRUE(proxy.requests().empty());
  tracer->shutdown(milliseconds(1000));
}

TEST(HhLocalDetectTest, AProtocolTheUserChoseIsKeptForHhLocal) {
  RecordingServer hh_local(fake_hh_local);
  ASSERT_TRUE(hh_local.ok());
  TracerConfig config = default_rule_config(hh_local.port());
  config.otlp_protocol = "http/json";
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_TRUE(starts_with(tracer->exporter_description(), "hh-local " + hh_local.url("/v1/traces") + " (http/json;"))
      << tracer->exporter_description();
  tracer->shutdown(milliseconds(1000));
}

TEST(HhLocalDetectTest, AnotherServiceAnswering200IsNotTakenForHhLocal) {
  // An OpenTelemetry collector or any web app on the port: 200 to everything, but not hh-local's health.
  RecordingServer other([](const tools::HttpRequest&) { return json_reply(R"({"status":"ok"})"); });
  ASSERT_TRUE(other.ok());
  auto tracer = HoneyHiveTracer::init(default_rule_config(other.port()));
  ASSERT_NE(tracer, nullptr);
  EXPECT_TRUE(starts_with(tracer->exporter_description(), "embedded (console tree + honeyhive-traces.jsonl;"))
      << tracer->exporter_description();
  EXPECT_NE(tracer->exporter_description().find("is not hh-local's answer"), std::string::npos);
  tracer->shutdown(milliseconds(1000));
  ASSERT_EQ(other.requests().size(), 1U);  // the probe, nothing else
  EXPECT_EQ(other.requests()[0].target, "/api/health");
}

TEST(HhLocalDetectTest, AServiceWithoutTheHealthEndpointIsNotTakenForHhLocal) {
  RecordingServer collector([](const tools::HttpRequest&) { return json_reply("{}", 404); });
  ASSERT_TRUE(collector.ok());
  auto tracer = HoneyHiveTracer::init(default_rule_config(collector.port()));
  ASSERT_NE(tracer, nullptr);
  EXPECT_NE(tracer->exporter_description().find("answered 404"), std::string::npos) << tracer->exporter_description();
  tracer->shutdown(milliseconds(1000));
}

TEST(HhLocalDetectTest, NothingListeningGivesTheEmbeddedDefaultAndSaysWhy) {
  const std::uint16_t port = closed_port();
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::info);
  auto tracer = HoneyHiveTracer::init(default_rule_config(port));
  ASSERT_NE(tracer, nullptr);
  const std::string expected =
      "embedded (console tree + honeyhive-traces.jsonl; no API key, no OTLP endpoint, "
      "hh-local not running on 127.0.0.1:" +
      std::to_string(port) + ": connection refused)";
  EXPECT_EQ(tracer->exporter_description(), expected);
  EXPECT_TRUE(diagnostics.mentions("exports to " + expected));
  EXPECT_EQ(tracer->config_report_json()["exporter"], expected);
  tracer->shutdown(milliseconds(1000));
}

TEST(HhLocalDetectTest, ASilentListenerCostsAtMostTheProbeBudget) {
  // Accepts, then answers only after 10 s (or when it stops): the probe gives up, init goes on.
  RecordingServer silent([](const tools::HttpRequest&) {
    tools::HttpResponse response = json_reply(R"({"status":"ok","service":"hh-local"})");
    response.delay_ms = 10000;
    return response;
  });
  ASSERT_TRUE(silent.ok());
  auto tracer = HoneyHiveTracer::init(default_rule_config(silent.port()));
  ASSERT_NE(tracer, nullptr);
  EXPECT_NE(tracer->exporter_description().find("hh-local not running on 127.0.0.1:" + std::to_string(silent.port()) +
                                                ": timed out"),
            std::string::npos)
      << tracer->exporter_description();
  tracer->shutdown(milliseconds(1000));
}

TEST(HhLocalDetectTest, DetectionOffMeansNoProbe) {
  RecordingServer hh_local(fake_hh_local);
  ASSERT_TRUE(hh_local.ok());
  TracerConfig config = default_rule_config(hh_local.port());
  config.hh_local_detect = false;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_TRUE(starts_with(tracer->exporter_description(), "embedded ("));
  EXPECT_NE(tracer->exporter_description().find("hh-local detection off"), std::string::npos);
  tracer->shutdown(milliseconds(1000));
  EXPECT_TRUE(hh_local.requests().empty());
}

TEST(HhLocalDetectTest, HhLocalDetectFalseInTheEnvironmentMeansNoProbe) {
  RecordingServer hh_local(fake_hh_local);
  ASSERT_TRUE(hh_local.ok());
  test::ScopedEnv env{{"HH_LOCAL_DETECT", "false"}, {"HH_LOCAL_PORT", std::to_string(hh_local.port()).c_str()}};
  TracerConfig config = default_rule_config(hh_local.port());
  config.hh_local_detect = Param<bool>();  // unset: the environment decides
  config.hh_local_port = Param<int>();
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_NE(tracer->exporter_description().find("hh-local detection off"), std::string::npos);
  EXPECT_EQ(tracer->config().origin_of("hh_local_detect")->origin, "env:HH_LOCAL_DETECT");
  tracer->shutdown(milliseconds(1000));
  EXPECT_TRUE(hh_local.requests().empty());
}

TEST(HhLocalDetectTest, AnEndpointOrACustomExporterMeansNoProbe) {
  RecordingServer hh_local(fake_hh_local);
  ASSERT_TRUE(hh_local.ok());
  {
    TracerConfig config = default_rule_config(hh_local.port());
    config.otlp_endpoint = hh_local.url("/v1/traces");
    auto tracer = HoneyHiveTracer::init(config);
    ASSERT_NE(tracer, nullptr);
    EXPECT_TRUE(starts_with(tracer->exporter_description(), "otlp ")) << tracer->exporter_description();
    tracer->shutdown(milliseconds(1000));
  }
  {
    TracerOptions options;
    options.exporter = std::make_unique<InMemoryExporter>();
    auto tracer = HoneyHiveTracer::init(default_rule_config(hh_local.port()), {}, {}, {}, std::move(options));
    ASSERT_NE(tracer, nullptr);
    EXPECT_EQ(tracer->exporter_description(), "custom exporter");
    tracer->shutdown(milliseconds(1000));
  }
  for (const auto& request : hh_local.requests()) EXPECT_NE(request.target, "/api/health");
}

TEST(HhLocalDetectTest, ConsoleTreePrintsBesideAnyExporter) {
  TracerOptions options;
  auto memory = std::make_unique<InMemoryExporter>();
  InMemoryExporter* spans = memory.get();
  options.exporter = std::move(memory);
  options.console_tree = true;
  TracerConfig config = default_rule_config(closed_port());
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description(), "custom exporter + console tree");
  { Span span = tracer->start_span("printed", EventType::tool); }
  EXPECT_EQ(spans->spans().size(), 1U);
  tracer->shutdown(milliseconds(1000));
}

// --- the probe itself -------------------------------------------------------------------------------

TEST(HhLocalProbeTest, RecognisesHhLocalsHealthAnswer) {
  RecordingServer hh_local(fake_hh_local);
  ASSERT_TRUE(hh_local.ok());
  const detail::HhLocalProbe probe = detail::probe_hh_local(hh_local.port(), milliseconds(5000));
  EXPECT_TRUE(probe.found) << probe.detail;
  ASSERT_EQ(hh_local.requests().size(), 1U);
  EXPECT_EQ(hh_local.requests()[0].method, "GET");
  EXPECT_EQ(hh_local.requests()[0].header("host"), "127.0.0.1:" + std::to_string(hh_local.port()));
}

TEST(HhLocalProbeTest, RejectsHealthAnswersThatAreNotHhLocals) {
  for (const char* body : {R"({"status":"ok"})", R"({"status":"down","service":"hh-local"})",
                           R"({"status":"ok","service":1})", R"(["ok"])", "not json", ""}) {
    RecordingServer server([body](const tools::HttpRequest&) { return json_reply(body); });
    ASSERT_TRUE(server.ok());
    const detail::HhLocalProbe probe = detail::probe_hh_local(server.port(), milliseconds(5000));
    EXPECT_FALSE(probe.found) << body;
    EXPECT_EQ(probe.detail, "GET /api/health is not hh-local's answer") << body;
  }
}

TEST(HhLocalProbeTest, SurvivesMalformedAnswers) {
  struct Case {
    const char* raw_reply;
    const char* detail;
  };
  const Case cases[] = {
      {"garbage\r\n\r\n", "not an HTTP answer"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "chunked answer"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n{}", "answer too large"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{\"status\":\"ok\"}", "answer cut short"},
      {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}", "not an HTTP answer"},
      {"HTTP/1.1 200 OK\r\n", "closed without a complete answer"},
  };
  for (const Case& c : cases) {
    RecordingServer server([&c](const tools::HttpRequest&) {
      tools::HttpResponse response;
      response.raw_reply = c.raw_reply;
      return response;
    });
    ASSERT_TRUE(server.ok());
    const detail::HhLocalProbe probe = detail::probe_hh_local(server.port(), milliseconds(5000));
    EXPECT_FALSE(probe.found) << c.raw_reply;
    EXPECT_EQ(probe.detail, c.detail) << c.raw_reply;
  }
}

TEST(HhLocalProbeTest, ReadsABodyThatEndsWithTheConnection) {
  RecordingServer server([](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.raw_reply = "HTTP/1.0 200 OK\r\n\r\n{\"status\":\"ok\",\"service\":\"hh-local\"}";
    return response;
  });
  ASSERT_TRUE(server.ok());
  const detail::LoopbackResponse response = detail::loopback_http_get(server.port(), "/api/health", milliseconds(5000));
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, R"({"status":"ok","service":"hh-local"})");
}

}  // namespace
}  // namespace honeyhive
