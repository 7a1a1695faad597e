#include "service.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "hhlocal_support.hpp"
#include "honeyhive/export/otlp_http_exporter.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"
#include "honeyhive/transport/http_client.hpp"
#include "support/otlp_bytes.hpp"

namespace honeyhive::hhlocal {
namespace {

using json = nlohmann::json;
using test::make_span;
using test::open_store;
using test::TempDatabase;

std::string gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

class HhLocalService : public ::testing::Test {
 protected:
  HhLocalService() : store_(open_store(database_.path())), service_(*store_, options()) {}

  static ServiceOptions options() {
    ServiceOptions options;
    options.max_body_bytes = 1024 * 1024;
    return options;
  }

  tools::HttpResponse send(const std::string& method, const std::string& target, const std::string& body = "",
                           const std::string& content_type = "application/json", const std::string& encoding = "") {
    tools::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers.emplace_back("content-type", content_type);
    if (!encoding.empty()) request.headers.emplace_back("content-encoding", encoding);
    return service_.handle(request);
  }

  json get_json(const std::string& target, int expected_status = 200) {
    const tools::HttpResponse response = send("GET", target);
    EXPECT_EQ(response.status, expected_status) << target << ": " << response.body;
    EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
    return json::parse(response.body, nullptr, false);
  }

  static std::vector<SpanDataPtr> two_spans() {
    return {make_span("0102030405060708090a0b0c0d0e0f10", "0102030405060708", "", "root", 1000, 5000,
                      {{"honeyhive.session_id", std::string("s-1")}}),
            make_span("0102030405060708090a0b0c0d0e0f10", "1112131415161718", "0102030405060708", "child", 2000, 3000,
                      {{"honeyhive.session_id", std::string("s-1")}})};
  }

  TempDatabase database_;
  std::unique_ptr<Store> store_;
  Service service_;
};

TEST_F(HhLocalService, StoresAnOtlpProtobufRequestAndAnswersWithAnEmptyResponse) {
  std::string body;
  encode_otlp_proto(two_spans(), body);
  const tools::HttpResponse response = send("POST", "/v1/traces", body, "application/x-protobuf");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/x-protobuf");
  const auto partial = decode_otlp_proto_response(response.body);
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->rejected_spans, 0);
  EXPECT_EQ(store_->span_count(), 2);
}

TEST_F(HhLocalService, StoresGzippedOtlpJsonAlsoOnTheHoneyHivePath) {
  std::string body;
  encode_otlp_json(two_spans(), body);
  const tools::HttpResponse response =
      send("POST", "/opentelemetry/v1/traces", gzip(body), "application/json; charset=utf-8", "gzip");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "{}");
  const json session = get_json("/api/sessions/s-1");
  EXPECT_EQ(session["spans"].size(), 2U);
}

TEST_F(HhLocalService, ReportsSpansWithInvalidIdsAsPartialSuccess) {
  auto invalid = make_span("0102030405060708090a0b0c0d0e0f10", "0102030405060708", "", "x", 1, 2);
  invalid->context = SpanContext(TraceId(), invalid->context.span_id(), TraceFlags{1}, false);
  std::string body;
  encode_otlp_proto({invalid, two_spans()[0]}, body);
  const tools::HttpResponse response = send("POST", "/v1/traces", body, "application/x-protobuf");
  EXPECT_EQ(response.status, 200);
  const auto partial = decode_otlp_proto_response(response.body);
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->rejected_spans, 1);
  EXPECT_FALSE(partial->error_message.empty());
  EXPECT_EQ(store_->span_count(), 1);
}

TEST_F(HhLocalService, AnswersAnUndecodableRequestWith400AndSaysWhy) {
  const tools::HttpResponse protobuf = send("POST", "/v1/traces", "\x0a\x05\x12\x03", "application/x-protobuf");
  EXPECT_EQ(protobuf.status, 400);
  EXPECT_NE(protobuf.body.find("claims 5 bytes"), std::string::npos) << protobuf.body;
  const tools::HttpResponse text = send("POST", "/v1/traces", "{\"resourceSpans\":", "application/json");
  EXPECT_EQ(text.status, 400);
  const json status = json::parse(text.body, nullptr, false);
  EXPECT_EQ(status["code"], 3);
  EXPECT_NE(status["message"].get<std::string>().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(send("POST", "/v1/traces", "not gzip", "application/json", "gzip").status, 400);
  EXPECT_EQ(store_->span_count(), 0);
}

TEST_F(HhLocalService, StoresTheDefaultBatchOfArrayAttributes) {
  const std::vector<SpanDataPtr> spans = honeyhive::test::default_batch_of_array_spans();
  std::string body;
  encode_otlp_proto(spans, body);
  const tools::HttpResponse protobuf = send("POST", "/v1/traces", body, "application/x-protobuf");
  EXPECT_EQ(protobuf.status, 200) << protobuf.body;
  EXPECT_EQ(store_->span_count(), 512);
  std::string text_body;
  encode_otlp_json(spans, text_body);
  const tools::HttpResponse text = send("POST", "/v1/traces", text_body, "application/json");
  EXPECT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(store_->span_count(), 512);  // the same ids: stored once
}

TEST_F(HhLocalService, AnswersARequestPastADecodeLimitWith413AndMalformedBytesWith400) {
  ServiceOptions options = HhLocalService::options();
  options.decode_limits.max_elements_absolute = 4;  // fewer than two_spans() holds
  TempDatabase database;
  const auto store = open_store(database.path());
  Service limited(*store, options);
  const auto post = [&limited](const std::string& body, const std::string& content_type) {
    tools::HttpRequest request;
    request.method = "POST";
    request.target = "/v1/traces";
    request.body = body;
    request.headers.emplace_back("content-type", content_type);
    return limited.handle(request);
  };
  std::string body;
  encode_otlp_proto(two_spans(), body);
  const tools::HttpResponse protobuf = post(body, "application/x-protobuf");
  EXPECT_EQ(protobuf.status, 413);
  EXPECT_EQ(protobuf.content_type, "application/x-protobuf");
  EXPECT_NE(protobuf.body.find("too large"), std::string::npos) << protobuf.body;
  EXPECT_NE(protobuf.body.find("more than 4 elements"), std::string::npos) << protobuf.body;

  std::string text_body;
  encode_otlp_json(two_spans(), text_body);
  const tools::HttpResponse text = post(text_body, "application/json");
  EXPECT_EQ(text.status, 413);
  const json status = json::parse(text.body, nullptr, false);
  EXPECT_EQ(status.value("code", 0), 8);  // RESOURCE_EXHAUSTED
  EXPECT_NE(status.value("message", std::string()).find("too large"), std::string::npos) << text.body;
  EXPECT_EQ(store->span_count(), 0);

  EXPECT_EQ(post("\x0a\x05\x12\x03", "application/x-protobuf").status, 400);
  EXPECT_EQ(post("{\"resourceSpans\":", "application/json").status, 400);
  EXPECT_EQ(post("{\"resourceSpans\":[1]}", "application/json").status, 400);
}

TEST_F(HhLocalService, RefusesUnsupportedContentTypesAndEncodings) {
  EXPECT_EQ(send("POST", "/v1/traces", "x", "text/plain").status, 415);
  EXPECT_EQ(send("POST", "/v1/traces", "x", "application/json", "br").status, 415);
}

TEST_F(HhLocalService, RefusesAGzipBodyThatInflatesPastTheLimit) {
  const std::string bomb = gzip(std::string(8 * 1024 * 1024, ' '));
  ASSERT_LT(bomb.size(), 1024U * 1024U);
  EXPECT_EQ(send("POST", "/v1/traces", bomb, "application/json", "gzip").status, 413);
  EXPECT_EQ(send("POST", "/v1/events/batch", bomb, "application/json", "gzip").status, 413);
}

TEST_F(HhLocalService, StoresWhatTheSdkClientModeSends) {
  const std::string session_id = "0b5f3d2a-1c4e-4a6b-8d9f-0e1f2a3b4c5d";
  const tools::HttpResponse started = send(
      "POST", "/v1/sessions",
      json{{"session_id", session_id}, {"session_name", "checkout"}, {"source", "dev"}, {"start_time", 1000}}.dump());
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(json::parse(started.body)["session_id"], session_id);

  const json batch = {{"events",
                       {{{"event_id", "e-1"},
                         {"session_id", session_id},
                         {"parent_id", session_id},
                         {"event_type", "chain"},
                         {"event_name", "answer"},
                         {"start_time", 1001},
                         {"end_time", 1005},
                         {"inputs", {{"q", "?"}}},
                         {"metadata", {{"run_id", "r-1"}}}},
                        {{"event_id", "e-2"},
                         {"session_id", session_id},
                         {"parent_id", "e-1"},
                         {"event_type", "model"},
                         {"start_time", 1002},
                         {"end_time", 1003},
                         {"error", "rate limited"}}}}};
  const tools::HttpResponse stored = send("POST", "/v1/events/batch", batch.dump());
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(json::parse(stored.body)["event_ids"], (json{"e-1", "e-2"}));
  EXPECT_EQ(json::parse(stored.body)["success"], true);
  ASSERT_EQ(send("PUT", "/v1/events/" + session_id, json{{"metrics", {{"accuracy", 1}}}}.dump()).status, 200);

  const json detail = get_json("/api/sessions/" + session_id);
  EXPECT_EQ(detail["session"]["session_name"], "checkout");
  EXPECT_EQ(detail["session"]["span_count"], 3);
  EXPECT_EQ(detail["session"]["error_count"], 1);
  EXPECT_EQ(detail["session"]["run_id"], "r-1");
  const json& spans = detail["spans"];
  ASSERT_EQ(spans.size(), 3U);
  EXPECT_EQ(spans[0]["event_type"], "session");
  EXPECT_EQ(spans[0]["metrics"], (json{{"accuracy", 1}}));
  EXPECT_EQ(spans[1]["name"], "answer");
  EXPECT_EQ(spans[1]["parent_span_id"], spans[0]["span_id"]);
  EXPECT_EQ(spans[2]["parent_span_id"], spans[1]["span_id"]);
  EXPECT_EQ(spans[2]["status"], "error");
  const json runs = get_json("/api/runs");
  ASSERT_EQ(runs["runs"].size(), 1U);
  EXPECT_EQ(runs["runs"][0]["evaluators"]["accuracy"]["average"], 1.0);
}

TEST_F(HhLocalService, AcceptsTheLegacyPathsAndBodies) {
  const tools::HttpResponse started =
      send("POST", "/session/start", json{{"session", {{"project", "p"}, {"session_name", "legacy"}}}}.dump());
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string session_id = json::parse(started.body)["session_id"];
  EXPECT_FALSE(session_id.empty());
  const tools::HttpResponse event =
      send("POST", "/events",
           json{{"event", {{"session_id", session_id}, {"event_type", "tool"}, {"event_name", "t"}}}}.dump());
  ASSERT_EQ(event.status, 200) << event.body;
  EXPECT_EQ(json::parse(event.body)["success"], true);
  ASSERT_EQ(send("POST", "/v1/sessions/" + session_id + "/events/batch",
                 json{{"events", {{{"event_type", "tool"}, {"event_name", "in path"}}}}}.dump())
                .status,
            200);
  ASSERT_EQ(send("PUT", "/events", json{{"event_id", session_id}, {"feedback", {{"ok", true}}}}.dump()).status, 200);
  const json detail = get_json("/api/sessions/" + session_id);
  EXPECT_EQ(detail["session"]["project"], "p");
  EXPECT_EQ(detail["spans"].size(), 3U);
  EXPECT_EQ(get_json("/api/projects")["projects"], (json{"p"}));
}

TEST_F(HhLocalService, AnswersBadEventsApiBodiesWith400) {
  EXPECT_EQ(send("POST", "/v1/events/batch", "{\"events\": 3}").status, 400);
  EXPECT_EQ(send("POST", "/v1/events/batch", "{\"events\": [1]}").status, 400);
  EXPECT_EQ(send("POST", "/v1/events", std::string(100, '[') + std::string(100, ']')).status, 400);
  EXPECT_EQ(send("POST", "/v1/events", "nope").status, 400);
  EXPECT_EQ(send("POST", "/v1/nothing", "{}").status, 404);
}

TEST_F(HhLocalService, AcknowledgesExperimentRuns) {
  const tools::HttpResponse created = send("POST", "/v1/runs", json{{"run_id", "run-1"}, {"name", "x"}}.dump());
  ASSERT_EQ(created.status, 200);
  EXPECT_EQ(json::parse(created.body)["run_id"], "run-1");
  EXPECT_EQ(send("PUT", "/v1/runs/run-1", json{{"status", "completed"}}.dump()).status, 200);
}

TEST_F(HhLocalService, ApiAnswersUnknownIdsWith404AndBadParametersWith400) {
  EXPECT_TRUE(get_json("/api/sessions/missing", 404).contains("error"));
  EXPECT_TRUE(get_json("/api/runs/missing", 404).contains("error"));
  EXPECT_TRUE(get_json("/api/nothing", 404).contains("error"));
  EXPECT_TRUE(get_json("/api/sessions?limit=ten", 400).contains("error"));
  EXPECT_EQ(get_json("/api/health")["status"], "ok");
  EXPECT_EQ(get_json("/api/sessions?limit=5000")["total"], 0);
}

TEST_F(HhLocalService, DecodesQueryParametersAndPathIds) {
  std::string body;
  encode_otlp_proto(
      {make_span("0102030405060708090a0b0c0d0e0f10", "0102030405060708", "", "find me", 1, 2,
                 {{"honeyhive.session_id", std::string("a b/c")}, {"honeyhive.project", std::string("my project")}})},
      body);
  ASSERT_EQ(send("POST", "/v1/traces", body, "application/x-protobuf").status, 200);
  EXPECT_EQ(get_json("/api/sessions?project=my+project&q=find%20me")["total"], 1);
  EXPECT_EQ(get_json("/api/sessions?project=other")["total"], 0);
  EXPECT_EQ(get_json("/api/sessions/a%20b%2Fc")["session"]["session_name"], "find me");
}

TEST_F(HhLocalService, ServesTheEmbeddedUi) {
  const tools::HttpResponse index = send("GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<html"), std::string::npos);
  EXPECT_EQ(send("GET", "/static/index.html").body, index.body);
  EXPECT_EQ(send("GET", "/static/missing.js").status, 404);
  EXPECT_EQ(send("GET", "/elsewhere").status, 404);
  EXPECT_EQ(send("DELETE", "/api/sessions").status, 405);
}

}  // namespace
}  // namespace honeyhive::hhlocal

namespace honeyhive::hhlocal {
namespace {

TEST(HhLocalHttp, RefusesABodyOverTheLimitWith413BeforeReadingIt) {
  ServiceOptions options;
  options.max_body_bytes = 64 * 1024;
  test::LocalServer server(options);
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  HttpRequest request;
  request.url = server.url("/v1/traces");
  request.headers = {{"Content-Type", "application/x-protobuf"}};
  request.body = std::string(65 * 1024, '\0');
  request.timeout = std::chrono::milliseconds(5000);
  EXPECT_EQ(client->send(request).status, 413);
  request.body = std::string();  // an empty request is a valid one, with no spans
  EXPECT_EQ(client->send(request).status, 200);
}

// The SDK's exporter with its defaults against hh-local with its defaults: a batch within every
// default limit is taken whole.
TEST(HhLocalHttp, TakesTheExportersDefaultBatchOfArrayAttributes) {
  test::LocalServer server;
  ASSERT_TRUE(server.ok());
  for (const OtlpProtocol protocol : {OtlpProtocol::http_protobuf, OtlpProtocol::http_json}) {
    OtlpHttpExporterOptions options;
    options.endpoint = server.url("/v1/traces");
    options.protocol = protocol;
    options.retry.max_retries = 0;
    // About acceptance, not speed: a sanitizer build stores these 65,536 attributes slower than the
    // default 10 s timeout allows.
    options.timeout = std::chrono::minutes(5);
    OtlpHttpExporter exporter(options);
    EXPECT_EQ(exporter.export_spans(honeyhive::test::default_batch_of_array_spans()), ExportResult::success);
    EXPECT_EQ(server.store().span_count(), 512);
  }
}

}  // namespace
}  // namespace honeyhive::hhlocal
