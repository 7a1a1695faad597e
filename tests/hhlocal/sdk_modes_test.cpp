// The SDK pointed at an in-process hh-local, in each export mode: OTLP (with an API key, to the
// HoneyHive OTLP path), client mode with batches, client mode one event per request.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "hhlocal_support.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"

namespace honeyhive::hhlocal {
namespace {

using json = nlohmann::json;

struct Mode {
  const char* export_mode;
  bool disable_batch;
};

class HhLocalSdkModes : public ::testing::TestWithParam<Mode> {};

TEST_P(HhLocalSdkModes, SessionsAndSpanTreesArriveFromTheSdk) {
  test::LocalServer server;
  ASSERT_TRUE(server.ok());
  TracerConfig config;
  config.api_key = "local";
  config.api_url = server.url("");
  config.project = "demo";
  config.session_name = "sdk-session";
  config.export_mode = std::string(GetParam().export_mode);
  config.disable_batch = GetParam().disable_batch;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  const std::string session_id = tracer->session_id();
  ASSERT_FALSE(session_id.empty());
  {
    Span answer = tracer->start_span("answer", EventType::chain);
    answer.set_inputs(json{{"question", "why?"}});
    auto scope = answer.activate();
    Span llm = tracer->start_span("llm", EventType::model);
    llm.set_outputs(json{{"text", "because"}});
  }
  ASSERT_TRUE(tracer->shutdown(std::chrono::milliseconds(10000)));

  const auto detail = server.store().session(session_id);
  ASSERT_TRUE(detail.has_value()) << server.store().sessions({}).dump();
  EXPECT_EQ((*detail)["session"]["session_name"], "sdk-session");
  const json& spans = (*detail)["spans"];
  const json* answer = nullptr;
  const json* llm = nullptr;
  const json* session = nullptr;
  for (const json& span : spans) {
    if (span["name"] == "answer") answer = &span;
    if (span["name"] == "llm") llm = &span;
    if (span["event_type"] == "session") session = &span;
  }
  ASSERT_NE(answer, nullptr) << spans.dump();
  ASSERT_NE(llm, nullptr) << spans.dump();
  ASSERT_NE(session, nullptr) << spans.dump();
  EXPECT_EQ((*answer)["event_type"], "chain");
  EXPECT_EQ((*answer)["inputs"], (json{{"question", "why?"}}));
  EXPECT_EQ((*llm)["event_type"], "model");
  EXPECT_EQ((*llm)["outputs"], (json{{"text", "because"}}));
  EXPECT_EQ((*llm)["parent_span_id"], (*answer)["span_id"]);
}

INSTANTIATE_TEST_SUITE_P(Modes, HhLocalSdkModes,
                         ::testing::Values(Mode{"otlp", false}, Mode{"events", false}, Mode{"events", true}),
                         [](const ::testing::TestParamInfo<Mode>& param_info) {
                           return std::string(param_info.param.export_mode) +
                                  (param_info.param.disable_batch ? "Single" : "Batch");
                         });

// The SDK's default rule (no API key, no OTLP endpoint): it finds this hh-local by its health answer.
TEST(HhLocalAutoDetect, WithoutKeyOrEndpointTheSdkFindsHhLocalAndExportsThere) {
  test::LocalServer server;
  ASSERT_TRUE(server.ok());
  TracerConfig config;
  config.api_key = null;
  config.otlp_endpoint = null;
  config.hh_local_detect = true;
  config.hh_local_port = static_cast<int>(server.port());
  config.project = "demo";
  config.session_name = "detected";
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description().rfind("hh-local " + server.url("/v1/traces"), 0), 0U)
      << tracer->exporter_description();
  { Span step = tracer->start_span("step", EventType::tool); }
  ASSERT_TRUE(tracer->shutdown(std::chrono::milliseconds(10000)));
  const auto detail = server.store().session(tracer->session_id());
  ASSERT_TRUE(detail.has_value()) << server.store().sessions({}).dump();
  EXPECT_EQ((*detail)["session"]["session_name"], "detected");
  EXPECT_EQ((*detail)["session"]["span_count"], 2);  // the session span and "step"
}

}  // namespace
}  // namespace honeyhive::hhlocal
