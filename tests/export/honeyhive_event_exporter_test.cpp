#include "honeyhive/export/honeyhive_event_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/mini_http_server.hpp"
#include "honeyhive/export/honeyhive_event.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/http_test_helpers.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using test::RecordingServer;

constexpr const char* kApiKey = "hh-secret-key-0123456789";
constexpr const char* kSession = "0b7c2c4e-8d2f-4a6e-9b1d-3f5e7a9c1d2e";

tools::HttpResponse api_reply(int status, std::string body = R"({"success":true})") {
  tools::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = "application/json";
  return response;
}

RecordingServer::Handler always(tools::HttpResponse response) {
  return [=](const tools::HttpRequest&) { return response; };
}

// Answers with `first` `times` times, then with `rest`.
RecordingServer::Handler first_then(tools::HttpResponse first, int times, tools::HttpResponse rest) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  return [=](const tools::HttpRequest&) { return calls->fetch_add(1) < times ? first : rest; };
}

constexpr auto kNoDeadline = std::chrono::steady_clock::time_point::max();

const TraceId kTrace = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");

SpanDataPtr make_span(const std::string& name, const std::string& type, const std::string& span_hex,
                      const std::string& parent_hex = "", const std::string& session = kSession) {
  auto span = std::make_shared<SpanData>();
  span->context = SpanContext(kTrace, *SpanId::from_hex(span_hex), TraceFlags{TraceFlags::kSampled}, false);
  if (!parent_hex.empty()) span->parent_span_id = *SpanId::from_hex(parent_hex);
  span->name = name;
  span->start_unix_nanos = 1700000000000000000ULL;
  span->end_unix_nanos = 1700000000250000000ULL;
  if (!session.empty()) span->attributes.push_back({"honeyhive.session_id", AttributeValue{session}});
  span->attributes.push_back({"honeyhive.source", AttributeValue{std::string("test")}});
  span->attributes.push_back({"honeyhive_event_type", AttributeValue{type}});
  span->attributes.push_back({"honeyhive_event_name", AttributeValue{name}});
  span->attributes.push_back({"honeyhive_inputs.q", AttributeValue{std::string("hi")}});
  return span;
}

HoneyHiveEventExporterOptions options_for(const RecordingServer& server) {
  HoneyHiveEventExporterOptions options;
  options.api_url = server.url("");
  options.api_key = kApiKey;
  options.timeout = milliseconds(5000);
  options.retry.initial_backoff = milliseconds(10);  // keeps retry tests quick
  options.retry.max_backoff = milliseconds(40);
  return options;
}

json body_of(const tools::HttpRequest& request) { return json::parse(request.body, nullptr, false); }

// --- what is sent ---------------------------------------------------------------------------

TEST(HoneyHiveEventExporter, BatchesEventsToV1EventsBatch) {
  RecordingServer api(always(api_reply(200, R"({"event_ids":["a","b"],"success":true})")));
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  const std::vector<SpanDataPtr> spans = {make_span("retrieve", "tool", "1111111111111111", "2222222222222222"),
                                          make_span("answer", "chain", "2222222222222222")};
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/events/batch");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  const json body = body_of(requests[0]);
  ASSERT_TRUE(body["events"].is_array());
  ASSERT_EQ(body["events"].size(), 2U);
  EXPECT_EQ(body["events"][0], span_to_honeyhive_event(*spans[0]));
  EXPECT_EQ(body["events"][1], span_to_honeyhive_event(*spans[1]));
  EXPECT_EQ(body["events"][0]["parent_id"], body["events"][1]["event_id"]);
  EXPECT_EQ(body["events"][1]["parent_id"], kSession);
}

TEST(HoneyHiveEventExporter, SendsTheBearerKeyAndClientHeaders) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  ASSERT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("authorization"), std::string("Bearer ") + kApiKey);
  EXPECT_EQ(requests[0].header("accept"), "application/json");
  EXPECT_EQ(requests[0].header("hh-client-language"), "cpp");
  EXPECT_EQ(requests[0].header("hh-client-package"), "honeyhive-cpp");
  EXPECT_TRUE(requests[0].header("hh-client-version").has_value());
}

// An API key read from a file keeps its trailing newline: it is sent without it.
TEST(HoneyHiveEventExporter, SendsAKeyWithATrailingNewlineWithoutIt) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  auto options = options_for(api);
  options.api_key = std::string(kApiKey) + "\n";
  HoneyHiveEventExporter exporter(options);
  ASSERT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("authorization"), std::string("Bearer ") + kApiKey);
  EXPECT_EQ(requests[0].header("accept"), "application/json");
}

// A key with a line break inside would inject headers: nothing is sent, the spans fail, and the
// one diagnostic names the header, not the key.
TEST(HoneyHiveEventExporter, AKeyWithALineBreakInsideSendsNothingAndSaysWhy) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  const test::ThreadDiagnosticsCapture diagnostics;
  auto options = options_for(api);
  options.api_key = std::string(kApiKey) + "\r\nx-injected: 1";
  HoneyHiveEventExporter exporter(options);
  EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::failure);
  EXPECT_TRUE(api.requests().empty());
  EXPECT_EQ(exporter.stats().requests, 0U);
  const auto lines = diagnostics.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("failed after 0 attempt(s): header 'Authorization' has a line break"), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].find(kApiKey), std::string::npos) << lines[0];
}

// The largest timeout means no limit: the deadline (timeout x attempts) overflowed into the past,
// and every export failed with "deadline passed before the first attempt".
TEST(HoneyHiveEventExporter, TheLargestTimeoutStillSends) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  auto options = options_for(api);
  options.timeout = milliseconds::max();
  HoneyHiveEventExporter exporter(options);
  EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::success);
  EXPECT_EQ(api.requests().size(), 1U);
}

TEST(HoneyHiveEventExporter, SendsOneBareEventPerRequestWhenBatchingIsOff) {
  RecordingServer api(always(api_reply(200, R"({"success":true,"event_id":"x"})")));
  ASSERT_TRUE(api.ok());
  auto options = options_for(api);
  options.request = HoneyHiveEventsRequest::single;
  HoneyHiveEventExporter exporter(options);
  const std::vector<SpanDataPtr> spans = {make_span("a", "tool", "1111111111111111"),
                                          make_span("b", "model", "2222222222222222")};
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(requests[i].method, "POST");
    EXPECT_EQ(requests[i].target, "/v1/events");
    EXPECT_EQ(body_of(requests[i]), span_to_honeyhive_event(*spans[i]));
  }
}

TEST(HoneyHiveEventExporter, SessionBatchPathSendsOneRequestPerSession) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  auto options = options_for(api);
  options.request = HoneyHiveEventsRequest::session_batch;
  HoneyHiveEventExporter exporter(options);
  const std::string other = "11111111-2222-4333-8444-555555555555";
  const std::vector<SpanDataPtr> spans = {make_span("a", "tool", "1111111111111111"),
                                          make_span("b", "tool", "2222222222222222", "", other),
                                          make_span("c", "tool", "3333333333333333")};
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].target, std::string("/v1/sessions/") + kSession + "/events/batch");
  EXPECT_EQ(body_of(requests[0])["events"].size(), 2U);
  EXPECT_EQ(requests[1].target, "/v1/sessions/" + other + "/events/batch");
  EXPECT_EQ(body_of(requests[1])["events"].size(), 1U);
}

TEST(HoneyHiveEventExporter, GzipsTheBodyWhenAsked) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  auto options = options_for(api);
  options.gzip = true;
  HoneyHiveEventExporter exporter(options);
  const auto span = make_span("t", "tool", "1111111111111111");
  ASSERT_EQ(exporter.export_spans({span}), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("content-encoding"), "gzip");
  EXPECT_EQ(json::parse(test::gunzip(requests[0].body), nullptr, false)["events"][0], span_to_honeyhive_event(*span));
}

TEST(HoneyHiveEventExporter, SessionSpanStartsTheSessionBeforeItsEventsAndEnrichmentUpdatesIt) {
  RecordingServer api(always(api_reply(200, std::string(R"({"event_id":")") + kSession + R"(","session_id":")" +
                                                kSession + R"(","org_id":"o","workspace_id":"w","project_id":"p"})")));
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  auto session = std::make_shared<SpanData>(*make_span("checkout", "session", "1111111111111111"));
  session->attributes.push_back({"honeyhive.session_name", AttributeValue{std::string("checkout")}});
  auto enrich = std::make_shared<SpanData>(*make_span("session_enrichment", "session", "3333333333333333"));
  enrich->attributes.push_back({"honeyhive.session_enrichment", AttributeValue{true}});
  enrich->attributes.push_back({"honeyhive_metrics.score", AttributeValue{0.9}});
  const std::vector<SpanDataPtr> spans = {session, enrich, make_span("step", "tool", "2222222222222222")};
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/sessions");
  EXPECT_EQ(body_of(requests[0]), span_to_honeyhive_session(*session));
  EXPECT_EQ(body_of(requests[0])["session_id"], kSession);
  EXPECT_EQ(requests[1].target, "/v1/events/batch");
  EXPECT_EQ(body_of(requests[1])["events"].size(), 1U);
  EXPECT_EQ(requests[2].method, "PUT");
  EXPECT_EQ(requests[2].target, std::string("/v1/events/") + kSession);
  EXPECT_EQ(body_of(requests[2]), (json{{"metrics", {{"score", 0.9}}}, {"metadata", {{"inputs", {{"q", "hi"}}}}}}));
  for (const auto& request : requests) EXPECT_EQ(request.header("authorization"), std::string("Bearer ") + kApiKey);
}

TEST(HoneyHiveEventExporter, SpansWithoutASessionAreNotSentAndCountedAsRejected) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  test::DiagnosticsCapture diagnostics;
  HoneyHiveEventExporter exporter(options_for(api));
  EXPECT_EQ(exporter.export_spans({make_span("orphan", "tool", "1111111111111111", "", "")}), ExportResult::success);
  EXPECT_TRUE(api.requests().empty());
  EXPECT_EQ(exporter.stats().rejected_spans, 1U);
  EXPECT_TRUE(diagnostics.mentions("no honeyhive.session_id"));
}

// --- failures -------------------------------------------------------------------------------

TEST(HoneyHiveEventExporter, RetriesA429And5xxThenSucceeds) {
  for (const int status : {429, 500, 502, 503, 504}) {
    RecordingServer api(first_then(api_reply(status, "{}"), 2, api_reply(200)));
    ASSERT_TRUE(api.ok());
    HoneyHiveEventExporter exporter(options_for(api));
    EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::success) << status;
    const auto requests = api.requests();
    ASSERT_EQ(requests.size(), 3U) << status;
    EXPECT_EQ(requests[2].body, requests[0].body) << status;  // the same events, the same event ids
    EXPECT_EQ(exporter.stats().requests, 3U);
    EXPECT_EQ(exporter.stats().retries, 2U);
  }
}

// A 2xx whose body is cut short: the events were taken; sending them again would store them twice.
TEST(HoneyHiveEventExporter, EventsTakenWithAnAnswerCutShortAreExportedOnceAndSaySo) {
  RecordingServer api([](const tools::HttpRequest&) { return test::answer_cut_short(200, "{\"succ", 100); });
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  const test::ThreadDiagnosticsCapture diagnostics;
  const ExportCounts counts = exporter.export_spans_counted(
      {make_span("t", "tool", "1111111111111111"), make_span("u", "tool", "2222222222222222")}, kNoDeadline);
  EXPECT_EQ(counts.exported, 2U);
  EXPECT_EQ(counts.failed, 0U);
  EXPECT_EQ(api.requests().size(), 1U);
  EXPECT_EQ(exporter.stats().retries, 0U);
  EXPECT_EQ(diagnostics.count_containing("but the answer was not read whole"), 1U);
  EXPECT_EQ(diagnostics.count_containing(kApiKey), 0U);
}

// The API answers an accepted batch with a JSON object: a 2xx page of HTML is someone else (a web
// app answering 200 to everything), and the user hears of it once.
TEST(HoneyHiveEventExporter, A2xxAnswerThatIsNotTheApisJsonIsReportedOnce) {
  RecordingServer api([](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.content_type = "text/html";
    response.body = "<!doctype html><html><body>HoneyHive</body></html>";
    return response;
  });
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  const test::ThreadDiagnosticsCapture diagnostics;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::success);
  }
  EXPECT_EQ(diagnostics.count_containing("without the API's JSON answer: is api_url the HoneyHive API"), 1U);
  EXPECT_EQ(diagnostics.count_containing(kApiKey), 0U);
}

TEST(HoneyHiveEventExporter, DoesNotRetryA400AndFails) {
  RecordingServer api(always(api_reply(400, R"({"error":"bad"})")));
  ASSERT_TRUE(api.ok());
  test::DiagnosticsCapture diagnostics;
  HoneyHiveEventExporter exporter(options_for(api));
  EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::failure);
  EXPECT_EQ(api.requests().size(), 1U);
  EXPECT_TRUE(diagnostics.mentions("HTTP 400"));
}

TEST(HoneyHiveEventExporter, ASuccessFalseAnswerIsAFailure) {
  RecordingServer api(always(api_reply(200, R"({"event_ids":[],"success":false})")));
  ASSERT_TRUE(api.ok());
  test::DiagnosticsCapture diagnostics;
  HoneyHiveEventExporter exporter(options_for(api));
  EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::failure);
}

TEST(HoneyHiveEventExporter, FailsWhenTheApiIsDownAndSaysSoOnceWithoutTheKey) {
  std::string dead;
  {
    RecordingServer closed(always(api_reply(200)));
    dead = closed.url("");
  }
  // The exporter reports on the calling thread: this capture sees every line (its own rate limit).
  const test::ThreadDiagnosticsCapture diagnostics;
  HoneyHiveEventExporterOptions options;
  options.api_url = dead;
  options.api_key = kApiKey;
  options.retry.max_retries = 1;
  options.retry.initial_backoff = milliseconds(1);
  HoneyHiveEventExporter exporter(options);
  EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::failure);
  EXPECT_EQ(exporter.export_spans({make_span("u", "tool", "2222222222222222")}), ExportResult::failure);
  EXPECT_EQ(exporter.stats().requests, 4U);
  const auto lines = diagnostics.lines();
  ASSERT_EQ(lines.size(), 1U);  // once, not once per failed export
  EXPECT_EQ(diagnostics.count_containing("HoneyHive events to"), 1U);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(kApiKey), std::string::npos) << line;
    EXPECT_EQ(line.find("Bearer"), std::string::npos) << line;
  }
}

TEST(HoneyHiveEventExporter, AFailedSessionStartIsReportedOnceAndTheEventsStillGo) {
  RecordingServer api([](const tools::HttpRequest& request) {
    return request.target == "/v1/sessions" ? api_reply(400, "{}") : api_reply(200);
  });
  ASSERT_TRUE(api.ok());
  test::DiagnosticsCapture diagnostics;
  HoneyHiveEventExporter exporter(options_for(api));
  auto session = std::make_shared<SpanData>(*make_span("s", "session", "1111111111111111"));
  session->attributes.push_back({"honeyhive.session_name", AttributeValue{std::string("s")}});
  const ExportCounts counts =
      exporter.export_spans_counted({session, make_span("t", "tool", "2222222222222222")}, kNoDeadline);
  EXPECT_EQ(counts.exported, 1U);  // the event went
  EXPECT_EQ(counts.failed, 1U);    // the session start did not
  EXPECT_EQ(exporter.export_spans({session}), ExportResult::failure);
  EXPECT_EQ(api.requests().size(), 3U);
  EXPECT_EQ(exporter.stats().rejected_spans, 0U);
  EXPECT_EQ(diagnostics.count(), 1U);
  EXPECT_TRUE(diagnostics.mentions("session start"));
  EXPECT_TRUE(diagnostics.mentions(kSession));  // the local id it keeps
}

TEST(HoneyHiveEventExporter, ExportsAfterShutdownFailWithoutARequest) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  exporter.shutdown(milliseconds(100));
  EXPECT_EQ(exporter.export_spans({make_span("t", "tool", "1111111111111111")}), ExportResult::failure);
  EXPECT_TRUE(api.requests().empty());
}

TEST(HoneyHiveEventExporter, ASessionSpansOutputsAndTimesGoInTheSessionAndItsMetricsFeedbackAndErrorInAnUpdate) {
  RecordingServer api(always(api_reply(200, std::string(R"({"session_id":")") + kSession + R"("})")));
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  auto session = std::make_shared<SpanData>(*make_span("datapoint", "session", "1111111111111111"));
  session->attributes.push_back({"honeyhive.session_name", AttributeValue{std::string("datapoint")}});
  session->attributes.push_back({"honeyhive_outputs.answer", AttributeValue{std::string("42")}});
  session->attributes.push_back({"honeyhive_metrics.accuracy", AttributeValue{0.75}});
  session->attributes.push_back({"honeyhive_feedback.rating", AttributeValue{std::int64_t{4}}});
  session->attributes.push_back({"honeyhive_error", AttributeValue{std::string("evaluator failed")}});
  EXPECT_EQ(exporter.export_spans({session}), ExportResult::success);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].target, "/v1/sessions");
  const json start = body_of(requests[0]);
  EXPECT_EQ(start["outputs"], (json{{"answer", "42"}}));
  EXPECT_EQ(start["end_time"], 1700000000250);
  EXPECT_DOUBLE_EQ(start["duration"].get<double>(), 250.0);
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].target, std::string("/v1/events/") + kSession);
  EXPECT_EQ(body_of(requests[1]), (json{{"metrics", {{"accuracy", 0.75}}},
                                        {"feedback", {{"rating", 4}}},
                                        {"metadata", {{"error", "evaluator failed"}}}}));
}

TEST(HoneyHiveEventExporter, ASessionSpanWithNothingMoreToSaySendsNoUpdate) {
  RecordingServer api(always(api_reply(200)));
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporter exporter(options_for(api));
  auto session = std::make_shared<SpanData>(*make_span("s", "session", "1111111111111111"));
  session->attributes.push_back({"honeyhive.session_name", AttributeValue{std::string("s")}});
  EXPECT_EQ(exporter.export_spans({session}), ExportResult::success);
  ASSERT_EQ(api.requests().size(), 1U);
  EXPECT_EQ(api.requests()[0].target, "/v1/sessions");
}

// --- counting -------------------------------------------------------------------------------

TEST(HoneyHiveEventExporter, EverySpanIsExportedFailedOrRejectedExactlyOnceUnderTheSimpleProcessor) {
  RecordingServer api([](const tools::HttpRequest& request) {
    return request.target == "/v1/sessions" ? api_reply(400, "{}") : api_reply(200);
  });
  ASSERT_TRUE(api.ok());
  test::DiagnosticsCapture diagnostics;
  auto owned = std::make_unique<HoneyHiveEventExporter>(options_for(api));
  const HoneyHiveEventExporter& exporter = *owned;
  SimpleSpanProcessor processor(std::move(owned));
  auto session = std::make_shared<SpanData>(*make_span("s", "session", "1111111111111111"));
  session->attributes.push_back({"honeyhive.session_name", AttributeValue{std::string("s")}});
  const std::vector<SpanDataPtr> spans = {make_span("a", "tool", "2222222222222222"), session,
                                          make_span("orphan", "tool", "3333333333333333", "", ""),
                                          make_span("b", "model", "4444444444444444")};
  for (const auto& span : spans) processor.on_end(span);
  EXPECT_EQ(processor.exported(), 2U);
  EXPECT_EQ(processor.failed(), 1U);  // the session start the API refused
  EXPECT_EQ(exporter.stats().rejected_spans, 1U);
  EXPECT_EQ(processor.exported() + processor.failed() + exporter.stats().rejected_spans, spans.size());
}

TEST(HoneyHiveEventExporter, AFailedRequestFailsOnlyTheSpansItCarriedUnderTheBatchProcessor) {
  const std::string other = "11111111-2222-4333-8444-555555555555";
  RecordingServer api([other](const tools::HttpRequest& request) {
    if (request.target == "/v1/sessions") return api_reply(400, "{}");
    return request.target == "/v1/sessions/" + other + "/events/batch" ? api_reply(400, "{}") : api_reply(200);
  });
  ASSERT_TRUE(api.ok());
  test::DiagnosticsCapture diagnostics;
  auto options = options_for(api);
  options.request = HoneyHiveEventsRequest::session_batch;
  BatchSpanProcessorOptions batch;
  batch.max_export_batch_size = 16;
  BatchSpanProcessor processor(std::make_unique<HoneyHiveEventExporter>(options), batch);
  auto session = std::make_shared<SpanData>(*make_span("s", "session", "1111111111111111"));
  session->attributes.push_back({"honeyhive.session_name", AttributeValue{std::string("s")}});
  const std::vector<SpanDataPtr> spans = {
      make_span("a", "tool", "2222222222222222"), make_span("b", "tool", "3333333333333333", "", other), session,
      make_span("orphan", "tool", "4444444444444444", "", ""), make_span("c", "chain", "5555555555555555")};
  for (const auto& span : spans) processor.on_end(span);
  ASSERT_TRUE(processor.force_flush(milliseconds(10000)));
  const BatchSpanProcessorStats stats = processor.stats();
  EXPECT_EQ(stats.exported, 2U);  // a and c
  EXPECT_EQ(stats.failed, 2U);    // b (its session's batch failed) and the session start
  EXPECT_EQ(stats.rejected_spans, 1U);
  EXPECT_EQ(stats.exported + stats.failed + stats.rejected_spans, spans.size());
  processor.shutdown(milliseconds(1000));
}

}  // namespace
}  // namespace honeyhive
