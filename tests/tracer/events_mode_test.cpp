// HoneyHiveTracer in events mode (export_mode "events"), end to end against a fake HoneyHive API
// on 127.0.0.1 that records every request.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/mini_http_server.hpp"
#include "honeyhive/export/honeyhive_event.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "honeyhive/tracer/model_call.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/http_test_helpers.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using test::RecordingServer;

constexpr const char* kApiKey = "hh-events-secret-9876";

// Answers like the API: a session start echoes the session id it was given.
tools::HttpResponse ok_reply(const tools::HttpRequest& request) {
  tools::HttpResponse response;
  response.content_type = "application/json";
  if (request.target == "/v1/sessions") {
    const json session = json::parse(request.body, nullptr, false);
    const std::string id = session.is_object() ? session.value("session_id", "") : "";
    response.body =
        json{{"event_id", id}, {"session_id", id}, {"org_id", "o"}, {"workspace_id", "w"}, {"project_id", "p"}}.dump();
  } else {
    response.body = R"({"success":true,"event_ids":[]})";
  }
  return response;
}

TracerConfig events_config(const std::string& api_url) {
  TracerConfig config;
  config.api_key = kApiKey;
  config.api_url = api_url;
  config.export_mode = "events";
  config.project = "support-bot";
  config.source = "ci";
  config.session_name = "checkout";
  return config;
}

std::vector<json> events_in(const std::vector<tools::HttpRequest>& requests) {
  std::vector<json> events;
  for (const auto& request : requests) {
    if (request.target != "/v1/events/batch") continue;
    const json body = json::parse(request.body);
    for (const auto& event : body["events"]) events.push_back(event);
  }
  return events;
}

// The position of the first request with this method and target, or -1.
int index_of(const std::vector<tools::HttpRequest>& requests, const std::string& method, const std::string& target) {
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].method == method && requests[i].target == target) return static_cast<int>(i);
  }
  return -1;
}

const tools::HttpRequest* find_request(const std::vector<tools::HttpRequest>& requests, const std::string& method,
                                       const std::string& target) {
  for (const auto& request : requests) {
    if (request.method == method && request.target == target) return &request;
  }
  return nullptr;
}

TEST(EventsModeTest, ASessionWithNestedSpansBecomesASessionEventsAndAnUpdate) {
  RecordingServer api(ok_reply);
  ASSERT_TRUE(api.ok());
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  SessionConfig session;
  session.inputs = json{{"customer", "c-7"}};
  session.metadata = json{{"channel", "web"}};
  session.user_properties = json{{"plan", "pro"}};
  auto tracer = HoneyHiveTracer::init(events_config(api.url("")), session);
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description(), "honeyhive-events " + api.url("") + "/v1/events/batch");
  const std::string session_id = tracer->session_id();
  {
    Span chain = tracer->start_span("answer_question", EventType::chain);
    chain.set_inputs(json{{"question", "where is my order?"}, {"history", {{{"role", "user"}, {"content", "hi"}}}}});
    {
      Span tool = tracer->start_span("retrieve", EventType::tool);
      tool.set_outputs(json{{"documents", {"kb-1", "kb-2"}}});
      tool.set_metrics(json{{"hits", 2}});
    }
    {
      Span model = tracer->start_span("generate", EventType::model);
      record_model_call(model, json{{"model", "m-small"}, {"messages", {{{"role", "user"}, {"content", "q"}}}}},
                        json{{"choices", {{{"message", {{"role", "assistant"}, {"content", "soon"}}}}}},
                             {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 1}}}});
      model.set_feedback(json{{"thumbs", "up"}});
      model.set_error("partial answer");
    }
    chain.set_outputs(json{{"answer", "soon"}});
  }
  Enrichment extra;
  extra.metrics = json{{"csat", 5}};
  extra.feedback = json{{"resolved", true}};
  tracer->enrich_session(extra);
  ASSERT_TRUE(tracer->flush(milliseconds(5000)));
  const auto requests = api.requests();

  // The session: POST /v1/sessions with its name, id, source and starting values (no project: the
  // API key names it).
  const auto* start = find_request(requests, "POST", "/v1/sessions");
  ASSERT_NE(start, nullptr);
  json session_body = json::parse(start->body);
  EXPECT_EQ(session_body["session_id"], session_id);
  EXPECT_EQ(session_body["session_name"], "checkout");
  EXPECT_EQ(session_body["source"], "ci");
  EXPECT_EQ(session_body["inputs"], (json{{"customer", "c-7"}}));
  EXPECT_EQ(session_body["metadata"], (json{{"channel", "web"}}));
  EXPECT_EQ(session_body["user_properties"], (json{{"plan", "pro"}}));
  EXPECT_TRUE(session_body["start_time"].is_number_integer());
  EXPECT_FALSE(session_body.contains("project"));
  EXPECT_LT(index_of(requests, "POST", "/v1/sessions"), index_of(requests, "POST", "/v1/events/batch"));

  // The events: one per span, linked chain <- tool, chain <- model, session <- chain.
  std::map<std::string, json> by_name;
  for (const auto& event : events_in(requests)) by_name[event["event_name"].get<std::string>()] = event;
  ASSERT_EQ(by_name.size(), 3U);
  json chain = by_name["answer_question"];
  json tool = by_name["retrieve"];
  json model = by_name["generate"];
  for (json event : {chain, tool, model}) {
    EXPECT_EQ(event["session_id"], session_id);
    EXPECT_EQ(event["source"], "ci");
    EXPECT_EQ(event["event_id"].get<std::string>().size(), 36U);
    EXPECT_TRUE(event["start_time"].is_number_integer());
    EXPECT_TRUE(event["end_time"].is_number_integer());
    EXPECT_GE(event["end_time"].get<std::int64_t>(), event["start_time"].get<std::int64_t>());
    EXPECT_GE(event["duration"].get<double>(), 0.0);
    for (const char* field : {"inputs", "outputs", "metadata", "metrics", "feedback", "config", "user_properties"}) {
      EXPECT_TRUE(event[field].is_object()) << field;
    }
  }
  EXPECT_EQ(chain["event_type"], "chain");
  EXPECT_EQ(chain["parent_id"], session_id);
  EXPECT_EQ(chain["inputs"],
            (json{{"question", "where is my order?"}, {"history", {{{"role", "user"}, {"content", "hi"}}}}}));
  EXPECT_EQ(chain["outputs"], (json{{"answer", "soon"}}));
  EXPECT_FALSE(chain.contains("error"));
  EXPECT_EQ(tool["event_type"], "tool");
  EXPECT_EQ(tool["parent_id"], chain["event_id"]);
  EXPECT_EQ(tool["outputs"], (json{{"documents", {"kb-1", "kb-2"}}}));
  EXPECT_EQ(tool["metrics"], (json{{"hits", 2}}));
  EXPECT_EQ(model["event_type"], "model");
  EXPECT_EQ(model["parent_id"], chain["event_id"]);
  EXPECT_EQ(model["config"]["model"], "m-small");
  EXPECT_EQ(model["inputs"]["chat_history"], (json{{{"role", "user"}, {"content", "q"}}}));
  EXPECT_EQ(model["outputs"]["content"], "soon");
  EXPECT_EQ(model["metrics"]["prompt_tokens"], 5);
  EXPECT_EQ(model["feedback"], (json{{"thumbs", "up"}}));
  EXPECT_EQ(model["error"], "partial answer");
  EXPECT_EQ(model["metadata"]["gen_ai"]["request"]["model"], "m-small");

  // enrich_session: PUT /v1/events/{session_id}.
  const auto* update = find_request(requests, "PUT", "/v1/events/" + session_id);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(json::parse(update->body), (json{{"metrics", {{"csat", 5}}}, {"feedback", {{"resolved", true}}}}));

  // Every request carries the key; no diagnostic does.
  for (const auto& request : requests) EXPECT_EQ(request.header("authorization"), std::string("Bearer ") + kApiKey);
  for (const auto& line : diagnostics.lines()) EXPECT_EQ(line.find(kApiKey), std::string::npos) << line;
  tracer->shutdown(milliseconds(1000));
}

TEST(EventsModeTest, DisableBatchSendsEachEventAsItEnds) {
  RecordingServer api(ok_reply);
  ASSERT_TRUE(api.ok());
  TracerConfig config = events_config(api.url(""));
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description(), "honeyhive-events " + api.url("") + "/v1/events");
  { Span span = tracer->start_span("lookup", EventType::tool); }
  const auto requests = api.requests();  // the simple processor sent before end() returned
  const auto* event = find_request(requests, "POST", "/v1/events");
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(json::parse(event->body)["event_name"], "lookup");
  EXPECT_EQ(json::parse(event->body)["session_id"], tracer->session_id());
  EXPECT_NE(find_request(requests, "POST", "/v1/sessions"), nullptr);
  tracer->shutdown(milliseconds(1000));
}

TEST(EventsModeTest, WhenTheApiIsDownSpansFailAndTheApplicationGoesOn) {
  std::string dead;
  {
    RecordingServer closed(ok_reply);
    dead = closed.url("");
  }
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  TracerConfig config = events_config(dead);
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  const std::string session_id = tracer->session_id();
  EXPECT_EQ(session_id.size(), 36U);  // the local id is kept
  const int answer = tracer->trace("compute", EventType::tool, [] { return 42; });
  EXPECT_EQ(answer, 42);
  EXPECT_EQ(tracer->session_id(), session_id);
  const auto* simple = dynamic_cast<const SimpleSpanProcessor*>(tracer->provider()->processors().back().get());
  ASSERT_NE(simple, nullptr);
  EXPECT_EQ(simple->failed(), 2U);  // the session start and "compute"
  EXPECT_TRUE(diagnostics.mentions("session start"));
  EXPECT_TRUE(diagnostics.mentions("HoneyHive events to"));
  for (const auto& line : diagnostics.lines()) EXPECT_EQ(line.find(kApiKey), std::string::npos) << line;
  tracer->shutdown(milliseconds(500));
}

TEST(EventsModeTest, OtlpStaysTheDefaultWithAnApiKey) {
  RecordingServer api(ok_reply);
  ASSERT_TRUE(api.ok());
  test::ScopedEnv env;
  env.unset("HH_EXPORT_MODE");
  TracerConfig config = events_config(api.url(""));
  config.export_mode = Param<std::string>();  // unset: the default
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description().rfind("honeyhive-otlp ", 0), 0U) << tracer->exporter_description();
  tracer->shutdown(milliseconds(1000));
  ASSERT_FALSE(api.requests().empty());
  EXPECT_EQ(api.requests().front().target, "/opentelemetry/v1/traces");
}

TEST(EventsModeTest, HhExportModeSelectsEventsMode) {
  RecordingServer api(ok_reply);
  ASSERT_TRUE(api.ok());
  test::ScopedEnv env{{"HH_EXPORT_MODE", "events"}};
  TracerConfig config = events_config(api.url(""));
  config.export_mode = Param<std::string>();
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->config().export_mode, "events");
  EXPECT_EQ(tracer->exporter_description().rfind("honeyhive-events ", 0), 0U);
  tracer->shutdown(milliseconds(1000));
}

// An API URL with a query a gateway needs: each request's path goes into the URL's path, and the
// query stays on every request.
TEST(EventsModeTest, TheApiPathsGoBeforeTheQueryOfTheApiUrl) {
  RecordingServer api([](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.content_type = "application/json";
    response.body = R"({"success":true,"event_ids":[]})";
    return response;
  });
  ASSERT_TRUE(api.ok());
  auto tracer = HoneyHiveTracer::init(events_config(api.url("/hh/?tenant=acme#part")));
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description(), "honeyhive-events " + api.url("/hh/v1/events/batch"));
  { Span span = tracer->start_span("step", EventType::tool); }
  ASSERT_TRUE(tracer->flush(milliseconds(5000)));
  const auto requests = api.requests();
  EXPECT_NE(find_request(requests, "POST", "/hh/v1/sessions?tenant=acme"), nullptr);
  EXPECT_NE(find_request(requests, "POST", "/hh/v1/events/batch?tenant=acme"), nullptr);
  for (const auto& request : requests) EXPECT_EQ(request.target.rfind("/hh/v1/", 0), 0U) << request.target;
}

TEST(EventsModeTest, EventsModeWithoutAnApiKeyWarnsAndExportsOverOtlp) {
  RecordingServer collector(ok_reply);
  ASSERT_TRUE(collector.ok());
  test::DiagnosticsCapture diagnostics;
  TracerConfig config;
  config.api_key = null;
  config.otlp_endpoint = collector.url("/v1/traces");
  config.export_mode = "events";
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  EXPECT_EQ(tracer->exporter_description().rfind("otlp " + collector.url("/v1/traces"), 0), 0U);
  EXPECT_TRUE(diagnostics.mentions("export_mode=events needs an API key"));
  tracer->shutdown(milliseconds(1000));
  ASSERT_FALSE(collector.requests().empty());
  EXPECT_EQ(collector.requests().front().target, "/v1/traces");
}

// A tracer told not to start a session (start_session = false) sends no event until a session
// starts: events need one. The line that says so names that cause, not only a foreign span.
TEST(EventsModeTest, SpansBeforeTheFirstSessionAreRejectedNamingStartSession) {
  RecordingServer api(ok_reply);
  ASSERT_TRUE(api.ok());
  auto lines = std::make_shared<test::CapturedLines>();
  TracerOptions options;
  options.diagnostics = DiagnosticSink::make(test::CapturedLines::handler(lines), DiagnosticLevel::warning);
  TracerConfig config = events_config(api.url(""));
  config.start_session = false;
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  { Span span = tracer->start_span("lookup", EventType::tool); }
  tracer->shutdown(milliseconds(1000));
  EXPECT_TRUE(api.requests().empty());
  EXPECT_EQ(lines->count_containing("has no honeyhive.session_id"), 1U);
  EXPECT_EQ(lines->count_containing("start_session"), 1U);
}

TEST(EventsModeTest, ChildrenOfASessionSpanHangUnderTheSessionId) {
  RecordingServer api(ok_reply);
  ASSERT_TRUE(api.ok());
  TracerConfig config = events_config(api.url(""));
  config.start_session = false;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  const std::string session_id = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
  {
    Span session = tracer->start_session_span("datapoint-0", session_id, {}, Context());
    Span step = tracer->start_span("step", EventType::chain);
    { Span leaf = tracer->start_span("leaf", EventType::tool); }
  }
  ASSERT_TRUE(tracer->flush(milliseconds(5000)));
  std::map<std::string, json> by_name;
  for (const auto& event : events_in(api.requests())) by_name[event["event_name"].get<std::string>()] = event;
  ASSERT_EQ(by_name.count("step"), 1U);
  ASSERT_EQ(by_name.count("leaf"), 1U);
  EXPECT_EQ(by_name["step"]["session_id"], session_id);
  EXPECT_EQ(by_name["step"]["parent_id"], session_id);  // the session event's id is the session id
  EXPECT_EQ(by_name["leaf"]["parent_id"], by_name["step"]["event_id"]);
  EXPECT_FALSE(by_name["step"]["metadata"].contains("honeyhive"));
  tracer->shutdown(milliseconds(1000));
}

TEST(EventsModeTest, TheOtlpTimeoutAndCompressionVariablesApplyToEventsMode) {
  RecordingServer api(ok_reply);
  ASSERT_TRUE(api.ok());
  test::ScopedEnv env{{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}};
  TracerConfig config = events_config(api.url(""));
  config.disable_batch = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  { Span span = tracer->start_span("lookup", EventType::tool); }
  const auto requests = api.requests();
  const auto* event = find_request(requests, "POST", "/v1/events");
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->header("content-encoding"), "gzip");
  EXPECT_EQ(json::parse(test::gunzip(event->body), nullptr, false)["event_name"], "lookup");
  tracer->shutdown(milliseconds(1000));
}

}  // namespace
}  // namespace honeyhive
