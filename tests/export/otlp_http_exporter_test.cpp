#include "honeyhive/export/otlp_http_exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/mini_http_server.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/export/otlp_json.hpp"
#include "honeyhive/export/otlp_proto.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/http_test_helpers.hpp"
#include "support/otlp_bytes.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

using test::json_of;
using test::proto_of;

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// --- a local OTLP endpoint ------------------------------------------------------------------

using test::RecordingServer;

tools::HttpResponse reply(int status, std::string body = "", std::string content_type = "application/x-protobuf") {
  tools::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

// Answers with `first` once, then with `rest`.
RecordingServer::Handler first_then(tools::HttpResponse first, tools::HttpResponse rest) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  return [=](const tools::HttpRequest&) { return calls->fetch_add(1) == 0 ? first : rest; };
}

// The URL of a port nothing listens on (a server that was bound there has closed).
std::string dead_endpoint() {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  return collector.url();
}

// --- spans and options ----------------------------------------------------------------------

std::vector<SpanDataPtr> make_spans(int count = 2) {
  auto resource = std::make_shared<const Resource>(Attributes{{"service.name", AttributeValue{std::string("svc")}}});
  auto scope = std::make_shared<const InstrumentationScope>(InstrumentationScope{"lib", "1.0"});
  std::vector<SpanDataPtr> spans;
  for (int i = 0; i < count; ++i) {
    auto span = std::make_shared<SpanData>();
    span->context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                                *SpanId::from_hex("00f067aa0ba902b" + std::to_string(i % 10)),
                                TraceFlags{TraceFlags::kSampled}, false);
    span->name = "span-" + std::to_string(i);
    span->start_unix_nanos = 1700000000000000000ULL;
    span->end_unix_nanos = 1700000000000001000ULL;
    span->resource = resource;
    span->scope = scope;
    spans.push_back(std::move(span));
  }
  return spans;
}

OtlpHttpExporterOptions options_for(const std::string& endpoint) {
  OtlpHttpExporterOptions options;
  options.endpoint = endpoint;
  options.timeout = milliseconds(5000);
  options.retry.initial_backoff = milliseconds(10);  // keeps retry tests quick
  options.retry.max_backoff = milliseconds(40);
  return options;
}

// --- what is sent ---------------------------------------------------------------------------

TEST(OtlpHttpExporter, SendsProtobufToV1Traces) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const auto spans = make_spans();
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/traces");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-protobuf");
  ASSERT_FALSE(requests[0].body.empty());
  EXPECT_EQ(requests[0].body[0], '\x0a');  // field 1 (resource_spans), length-delimited
  EXPECT_EQ(requests[0].body, proto_of(spans));
  EXPECT_FALSE(requests[0].header("content-encoding").has_value());
}

TEST(OtlpHttpExporter, SendsJsonWhenAsked) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200, "{}", "application/json"); });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.protocol = OtlpProtocol::http_json;
  OtlpHttpExporter exporter(options);
  const auto spans = make_spans();
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  const auto body = nlohmann::json::parse(requests[0].body, nullptr, false);
  ASSERT_FALSE(body.is_discarded());
  ASSERT_TRUE(body.contains("resourceSpans"));
  EXPECT_EQ(body["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 2U);
  EXPECT_EQ(requests[0].body, json_of(spans));
}

TEST(OtlpHttpExporter, SendsTheConfiguredHeaders) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.headers = {{"authorization", "Bearer sk-secret-123"}, {"x-honeyhive-project", "demo project"}};
  OtlpHttpExporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::success);
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("authorization"), "Bearer sk-secret-123");
  EXPECT_EQ(requests[0].header("x-honeyhive-project"), "demo project");
  ASSERT_TRUE(requests[0].header("user-agent").has_value());
  EXPECT_EQ(requests[0].header("user-agent")->rfind("honeyhive-cpp/", 0), 0U);
}

// A header value with a line break inside would inject headers: nothing is sent or retried, and
// the one diagnostic names the header, not its value.
TEST(OtlpHttpExporter, AHeaderWithALineBreakSendsNothingAndSaysWhy) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  const test::ThreadDiagnosticsCapture diagnostics;
  auto options = options_for(collector.url());
  options.headers = {{"authorization", "Bearer sk-secret-123\r\nx-injected: 1"}};
  OtlpHttpExporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::failure);
  EXPECT_TRUE(collector.requests().empty());
  const auto lines = diagnostics.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("failed after 0 attempt(s): header 'authorization' has a line break"), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].find("sk-secret-123"), std::string::npos) << lines[0];
}

TEST(OtlpHttpExporter, GzipsTheBodyWhenAsked) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.gzip = true;
  OtlpHttpExporter exporter(options);
  const auto spans = make_spans(50);
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("content-encoding"), "gzip");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-protobuf");
  EXPECT_EQ(test::gunzip(requests[0].body), proto_of(spans));
}

TEST(OtlpHttpExporter, EachBatchIsSentAsItsOwnEncodingThoughTheBufferIsReused) {
  // A large batch, a small one, a retried one, then the large one again, each with and without
  // gzip: no bytes of an earlier batch may leak into a later body.
  for (const bool gzip : {false, true}) {
    RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
    ASSERT_TRUE(collector.ok());
    auto options = options_for(collector.url());
    options.gzip = gzip;
    OtlpHttpExporter exporter(options);
    const auto large = make_spans(300);
    const auto small = make_spans(1);
    EXPECT_EQ(exporter.export_spans(large), ExportResult::success);
    EXPECT_EQ(exporter.export_spans(small), ExportResult::success);
    EXPECT_EQ(exporter.export_spans(small), ExportResult::success);
    EXPECT_EQ(exporter.export_spans(large), ExportResult::success);
    const auto requests = collector.requests();
    ASSERT_EQ(requests.size(), 4U);
    const auto body = [&](std::size_t i) { return gzip ? test::gunzip(requests[i].body) : requests[i].body; };
    EXPECT_TRUE(body(0) == proto_of(large));
    EXPECT_TRUE(body(1) == proto_of(small));
    EXPECT_TRUE(body(2) == proto_of(small));
    EXPECT_TRUE(body(3) == proto_of(large));
  }
}

TEST(OtlpHttpExporter, ARetryResendsTheSameBody) {
  RecordingServer collector(first_then(reply(503), reply(200)));
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const auto spans = make_spans(20);
  EXPECT_EQ(exporter.export_spans(spans), ExportResult::success);
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_TRUE(requests[0].body == proto_of(spans));
  EXPECT_TRUE(requests[1].body == proto_of(spans));
}

TEST(OtlpHttpExporter, SendsNothingForAnEmptyBatch) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  EXPECT_EQ(exporter.export_spans({}), ExportResult::success);
  EXPECT_TRUE(collector.requests().empty());
  EXPECT_EQ(exporter.stats().requests, 0U);
}

// --- retries --------------------------------------------------------------------------------

TEST(OtlpHttpExporter, RetriesA503ThenSucceeds) {
  RecordingServer collector(first_then(reply(503), reply(200)));
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::success);
  EXPECT_EQ(collector.requests().size(), 2U);
  EXPECT_EQ(exporter.stats().requests, 2U);
  EXPECT_EQ(exporter.stats().retries, 1U);
}

TEST(OtlpHttpExporter, HonoursRetryAfterOnA429) {
  tools::HttpResponse throttled = reply(429);
  throttled.headers = {{"Retry-After", "1"}};
  RecordingServer collector(first_then(throttled, reply(200)));
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const auto started = Clock::now();
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::success);
  // The backoff alone would be at most 10 ms: a wait of about a second came from Retry-After.
  EXPECT_GE(Clock::now() - started, milliseconds(900));
  EXPECT_EQ(exporter.stats().requests, 2U);
  EXPECT_EQ(exporter.stats().retries, 1U);
}

TEST(OtlpHttpExporter, DoesNotRetryA400AndFails) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(400, "bad"); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::failure);
  EXPECT_EQ(collector.requests().size(), 1U);
  EXPECT_EQ(exporter.stats().requests, 1U);
  EXPECT_EQ(exporter.stats().retries, 0U);
}

// An endpoint given without the signal's path (the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT
// takes it) is used as given; the 404 it gets says where OTLP/HTTP receivers take traces.
TEST(OtlpHttpExporter, A404FromAnEndpointWithoutV1TracesSaysWhereTracesGo) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(404, "not found", "text/plain"); });
  ASSERT_TRUE(collector.ok());
  const test::ThreadDiagnosticsCapture diagnostics;
  OtlpHttpExporter exporter(options_for(collector.url("")));
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::failure);
  EXPECT_EQ(diagnostics.count_containing("HTTP 404"), 1U);
  EXPECT_EQ(diagnostics.count_containing("/v1/traces"), 1U);
}

TEST(OtlpHttpExporter, A404FromAV1TracesEndpointGivesNoPathHint) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(404, "not found", "text/plain"); });
  ASSERT_TRUE(collector.ok());
  const test::ThreadDiagnosticsCapture diagnostics;
  OtlpHttpExporter exporter(options_for(collector.url("/v1/traces?tenant=a")));
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::failure);
  EXPECT_EQ(diagnostics.count_containing("HTTP 404"), 1U);
  EXPECT_EQ(diagnostics.count_containing("receivers take"), 0U);
}

// The largest timeout (OTEL_EXPORTER_OTLP_TIMEOUT can say so) means no limit: the deadline of an
// export (timeout x attempts) overflowed into the past, and every export failed unsent.
TEST(OtlpHttpExporter, TheLargestTimeoutStillSends) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.timeout = milliseconds::max();
  OtlpHttpExporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::success);
  EXPECT_EQ(collector.requests().size(), 1U);
}

TEST(OtlpHttpExporter, FailsWithinTheDeadlineWhenNothingListens) {
  auto options = options_for(dead_endpoint());
  options.retry = RetryPolicy{};  // the real backoff: the deadline must cut it short
  OtlpHttpExporter exporter(options);
  const auto started = Clock::now();
  EXPECT_EQ(exporter.export_spans_until(make_spans(), started + milliseconds(1500)), ExportResult::failure);
  EXPECT_LT(Clock::now() - started, milliseconds(1500 + 1000));
  EXPECT_GE(exporter.stats().requests, 1U);
}

// --- partial success ------------------------------------------------------------------------

TEST(OtlpHttpExporter, CountsSpansRejectedInAProtobufPartialSuccess) {
  // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1): 5 } }
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200, std::string("\x0a\x02\x08\x05", 4)); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  EXPECT_EQ(exporter.export_spans(make_spans(8)), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 5U);
  EXPECT_EQ(exporter.export_spans(make_spans(8)), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 10U);
}

TEST(OtlpHttpExporter, ABackendClaimingMoreRejectedSpansThanItWasSentCountsTheBatch) {
  // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1): 1000 } }, for 2 spans
  RecordingServer collector(
      [](const tools::HttpRequest&) { return reply(200, std::string("\x0a\x03\x08\xe8\x07", 5)); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const test::ThreadDiagnosticsCapture diagnostics;
  EXPECT_EQ(exporter.export_spans(make_spans(2)), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 2U);
  EXPECT_EQ(diagnostics.count_containing("rejected 2 of 2 span(s) (it claimed 1000)"), 1U);
}

TEST(OtlpHttpExporter, CountsSpansRejectedInAJsonPartialSuccess) {
  RecordingServer collector([](const tools::HttpRequest&) {
    return reply(200, R"({"partialSuccess":{"rejectedSpans":"5","errorMessage":"too old"}})", "application/json");
  });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.protocol = OtlpProtocol::http_json;
  OtlpHttpExporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans(8)), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 5U);
}

TEST(OtlpHttpExporter, ANegativeRejectedCountIsReportedAndNotCounted) {
  RecordingServer collector([](const tools::HttpRequest&) {
    return reply(200, R"({"partialSuccess":{"rejectedSpans":-3}})", "application/json");
  });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.protocol = OtlpProtocol::http_json;
  OtlpHttpExporter exporter(options);
  const test::ThreadDiagnosticsCapture diagnostics;
  EXPECT_EQ(exporter.export_spans(make_spans(2)), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 0U);
  EXPECT_EQ(diagnostics.count_containing("invalid rejected span count (-3)"), 1U);
}

// A 2xx whose body is cut short: the backend took the batch. Sending it again would store it twice.
TEST(OtlpHttpExporter, ABatchTakenWithAnAnswerCutShortIsExportedOnceAndSaysSo) {
  RecordingServer collector([](const tools::HttpRequest&) { return test::answer_cut_short(200, "abc", 100); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const test::ThreadDiagnosticsCapture diagnostics;
  EXPECT_EQ(exporter.export_spans(make_spans(3)), ExportResult::success);
  EXPECT_EQ(exporter.export_spans(make_spans(3)), ExportResult::success);
  EXPECT_EQ(collector.requests().size(), 2U);
  EXPECT_EQ(exporter.stats().retries, 0U);
  EXPECT_EQ(diagnostics.count_containing("took a batch of 3 span(s) (HTTP 200) but its answer was not read whole"), 1U);
}

// ExportTraceServiceResponse { partial_success (1) { rejected_spans (1): 5, error_message (2): the
// message } }, the message `message_size` bytes long.
std::string partial_success_with_message(std::size_t message_size) {
  const auto varint = [](std::size_t value) {
    std::string out;
    for (; value >= 0x80; value >>= 7) out += static_cast<char>((value & 0x7f) | 0x80);
    return out + static_cast<char>(value);
  };
  const std::string inner = std::string("\x08\x05\x12", 3) + varint(message_size) + std::string(message_size, 'm');
  return "\x0a" + varint(inner.size()) + inner;
}

// Over the client's 1 MiB, the rejected count at the start of the answer is still counted.
TEST(OtlpHttpExporter, CountsRejectedSpansOfAPartialSuccessLongerThanTheClientReads) {
  const std::string body = partial_success_with_message(2 * HttpClient::kMaxResponseBytes);
  RecordingServer collector([&](const tools::HttpRequest&) { return reply(200, body); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const test::ThreadDiagnosticsCapture diagnostics;
  EXPECT_EQ(exporter.export_spans(make_spans(8)), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 5U);
  EXPECT_EQ(collector.requests().size(), 1U);
  EXPECT_EQ(diagnostics.count_containing("rejected 5 of 8 span(s)"), 1U);
  EXPECT_EQ(diagnostics.count_containing("was not read whole"), 1U);
}

// A JSON answer that is too long to read whole cannot be parsed: the warning says what may be
// missing from the counts.
TEST(OtlpHttpExporter, AJsonAnswerTooLongToReadIsReported) {
  const std::string body = R"({"partialSuccess":{"rejectedSpans":"5","errorMessage":")" +
                           std::string(2 * HttpClient::kMaxResponseBytes, 'x') + R"("}})";
  RecordingServer collector([&](const tools::HttpRequest&) { return reply(200, body, "application/json"); });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.protocol = OtlpProtocol::http_json;
  OtlpHttpExporter exporter(options);
  const test::ThreadDiagnosticsCapture diagnostics;
  EXPECT_EQ(exporter.export_spans(make_spans(8)), ExportResult::success);
  EXPECT_EQ(diagnostics.count_containing("rejected spans it may have reported past what was read are not counted"), 1U);
}

// The answer is read in the encoding its Content-Type names, whatever the request's was.
TEST(OtlpHttpExporter, ReadsAnAnswerInTheEncodingItsContentTypeNames) {
  RecordingServer collector([](const tools::HttpRequest&) {
    return reply(200, R"({"partialSuccess":{"rejectedSpans":"5"}})", "application/json; charset=utf-8");
  });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));  // protobuf requests
  EXPECT_EQ(exporter.export_spans(make_spans(8)), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 5U);
}

// A 2xx whose answer is not an OTLP response (a proxy's page, a backend that says "OK"): exported,
// and a debug line, once, says the answer was not understood.
TEST(OtlpHttpExporter, AnAnswerThatIsNotAnOtlpResponseIsADebugLineOnce) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200, "<html>OK</html>", "text/html"); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const test::ThreadDiagnosticsCapture warnings;
  {
    const test::ThreadDiagnosticsCapture debug(DiagnosticLevel::debug);
    EXPECT_EQ(exporter.export_spans(make_spans(2)), ExportResult::success);
    EXPECT_EQ(exporter.export_spans(make_spans(2)), ExportResult::success);
    EXPECT_EQ(debug.count_containing("is not an OTLP protobuf response; the spans count as exported"), 1U);
  }
  EXPECT_EQ(exporter.stats().rejected_spans, 0U);
}

TEST(OtlpHttpExporter, AnEmptySuccessResponseRejectsNothing) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 0U);
}

// --- shutdown -------------------------------------------------------------------------------

TEST(OtlpHttpExporter, ShutdownInterruptsARetryAfterWait) {
  tools::HttpResponse throttled = reply(503);
  throttled.headers = {{"Retry-After", "30"}};
  RecordingServer collector([=](const tools::HttpRequest&) { return throttled; });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  const auto spans = make_spans();
  auto pending = std::async(
      std::launch::async, [&] { return exporter.export_spans_until(spans, Clock::now() + std::chrono::seconds(60)); });
  ASSERT_TRUE(collector.wait_for_requests(1));
  exporter.shutdown(milliseconds(1000));
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "shutdown did not interrupt";
  EXPECT_EQ(pending.get(), ExportResult::failure);
  EXPECT_EQ(collector.requests().size(), 1U);
}

TEST(OtlpHttpExporter, ShutdownAbortsARequestToAHungServer) {
  tools::HttpResponse hung = reply(200);
  hung.delay_ms = 30000;
  RecordingServer collector([=](const tools::HttpRequest&) { return hung; });
  ASSERT_TRUE(collector.ok());
  auto options = options_for(collector.url());
  options.timeout = milliseconds(60000);
  OtlpHttpExporter exporter(options);
  const auto spans = make_spans();
  auto pending = std::async(
      std::launch::async, [&] { return exporter.export_spans_until(spans, Clock::now() + std::chrono::seconds(60)); });
  ASSERT_TRUE(collector.wait_for_requests(1));
  exporter.shutdown(milliseconds(1000));
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "shutdown did not abort";
  EXPECT_EQ(pending.get(), ExportResult::failure);
}

TEST(OtlpHttpExporter, ExportsAfterShutdownFailWithoutARequest) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(collector.ok());
  OtlpHttpExporter exporter(options_for(collector.url()));
  EXPECT_TRUE(exporter.shutdown(milliseconds(100)));
  EXPECT_TRUE(exporter.shutdown(milliseconds(100)));
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::failure);
  EXPECT_TRUE(collector.requests().empty());
}

// --- secrets stay out of diagnostics --------------------------------------------------------

// The exporter reports on the calling thread: a capture of that thread's lines with a rate limit of
// its own sees every line, so a check of no lines at all cannot pass for a check of the lines.
void expect_no_secret(const test::ThreadDiagnosticsCapture& diagnostics) {
  const auto lines = diagnostics.lines();
  ASSERT_FALSE(lines.empty());
  for (const auto& message : lines) {
    EXPECT_EQ(message.find("sk-secret-123"), std::string::npos) << message;
    EXPECT_EQ(message.find("url-secret"), std::string::npos) << message;
    EXPECT_EQ(message.find("query-secret"), std::string::npos) << message;
  }
}

TEST(OtlpHttpExporter, DiagnosticsOfARejectedExportCarryNoSecrets) {
  RecordingServer collector([](const tools::HttpRequest&) { return reply(401, "unauthorized"); });
  ASSERT_TRUE(collector.ok());
  const test::ThreadDiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  const std::string port_and_path = collector.url().substr(std::string("http://").size());
  auto options = options_for("http://user:url-secret@" + port_and_path + "?token=query-secret");
  options.headers = {{"authorization", "Bearer sk-secret-123"}};
  OtlpHttpExporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::failure);
  ASSERT_EQ(collector.requests().size(), 1U);  // the secrets did reach the server
  expect_no_secret(diagnostics);
}

TEST(OtlpHttpExporter, DiagnosticsOfAnUnreachableEndpointCarryNoSecrets) {
  const test::ThreadDiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  const std::string dead = dead_endpoint();
  auto options =
      options_for("http://user:url-secret@" + dead.substr(std::string("http://").size()) + "?token=query-secret");
  options.headers = {{"authorization", "Bearer sk-secret-123"}};
  options.retry.max_retries = 1;
  OtlpHttpExporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans()), ExportResult::failure);
  expect_no_secret(diagnostics);
}

// --- configuration from the environment -----------------------------------------------------

// Clears the OTLP exporter variables for one test and restores them afterwards.
class OtlpEnvironment : public test::ScopedEnv {
 public:
  OtlpEnvironment() {
    for (const char* name :
         {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
          "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
          "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION",
          "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"}) {
      unset(name);
    }
  }
};

TEST(OtlpHttpExporterOptionsFromEnv, DefaultsWithoutVariables) {
  OtlpEnvironment environment;
  const auto options = OtlpHttpExporterOptions::from_env();
  EXPECT_EQ(options.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(options.protocol, OtlpProtocol::http_protobuf);
  EXPECT_TRUE(options.headers.empty());
  EXPECT_EQ(options.timeout, milliseconds(10000));
  EXPECT_FALSE(options.gzip);
}

TEST(OtlpHttpExporterOptionsFromEnv, AppendsV1TracesToTheGeneralEndpoint) {
  OtlpEnvironment environment;
  environment.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().endpoint, "http://collector:4318/v1/traces");
  environment.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().endpoint, "http://collector:4318/v1/traces");
  environment.set("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318/otlp");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().endpoint, "https://collector:4318/otlp/v1/traces");
}

TEST(OtlpHttpExporterOptionsFromEnv, UsesTheTracesEndpointAsIsAndPrefersIt) {
  OtlpEnvironment environment;
  environment.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:4318");
  environment.set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom/path");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().endpoint, "http://traces:9999/custom/path");
}

TEST(OtlpHttpExporterOptionsFromEnv, IgnoresAnEndpointThatIsNotHttp) {
  OtlpEnvironment environment;
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  environment.set("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().endpoint, "http://localhost:4318/v1/traces");
  EXPECT_TRUE(diagnostics.any_reported());
}

TEST(OtlpHttpExporterOptionsFromEnv, ReadsTheProtocolWithTheTracesFormWinning) {
  OtlpEnvironment environment;
  environment.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().protocol, OtlpProtocol::http_json);
  environment.set("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().protocol, OtlpProtocol::http_protobuf);
}

TEST(OtlpHttpExporterOptionsFromEnv, AnUnsupportedProtocolFallsBackToProtobuf) {
  OtlpEnvironment environment;
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  environment.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().protocol, OtlpProtocol::http_protobuf);
  EXPECT_TRUE(diagnostics.any_reported());
}

TEST(OtlpHttpExporterOptionsFromEnv, PercentDecodesHeaders) {
  OtlpEnvironment environment;
  environment.set("OTEL_EXPORTER_OTLP_HEADERS", "x-key=a%20b, authorization=Bearer%20sk-secret-123");
  const auto options = OtlpHttpExporterOptions::from_env();
  EXPECT_EQ(options.headers, (HttpHeaders{{"x-key", "a b"}, {"authorization", "Bearer sk-secret-123"}}));
}

// OTEL_EXPORTER_OTLP_HEADERS is percent-decoded: an encoded line break would inject a header. (A
// trailing one is harmless: values are sent without surrounding whitespace.) A bad header is named
// by its position only: "Authorization: Bearer sk-..." (a colon for '=') is all name.
TEST(OtlpHttpExporterOptionsFromEnv, IgnoresHeadersWithAnEncodedLineBreakOrANameThatIsNotAToken) {
  OtlpEnvironment environment;
  const test::ThreadDiagnosticsCapture diagnostics;
  for (const char* headers :
       {"x-ok=1,authorization=Bearer%20sk-secret-123%0D%0Ax-injected%3A%201", "authorization=sk-secret-123%00",
        "x y=sk-secret-123", "x-ok=1,,Authorization: Bearer sk-secret-123",
        "Authorization: Basic sk-secret-123=", "x-ok=1,sk-secret-123"}) {
    environment.set("OTEL_EXPORTER_OTLP_HEADERS", headers);
    EXPECT_TRUE(OtlpHttpExporterOptions::from_env().headers.empty()) << headers;
  }
  const auto lines = diagnostics.lines();
  ASSERT_EQ(lines.size(), 6U);
  EXPECT_NE(lines[0].find("OTEL_EXPORTER_OTLP_HEADERS: header 2 is malformed"), std::string::npos) << lines[0];
  EXPECT_NE(lines[2].find("header 1 is malformed"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("header 2 is malformed"), std::string::npos) << lines[3];
  EXPECT_NE(lines[5].find("header 2 is malformed"), std::string::npos) << lines[5];
  for (const auto& line : lines) EXPECT_EQ(line.find("sk-secret-123"), std::string::npos) << line;
  environment.set("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20sk-secret-123%0A");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().headers.size(), 1U);
}

TEST(OtlpHttpExporterOptionsFromEnv, TheTracesHeadersWin) {
  OtlpEnvironment environment;
  environment.set("OTEL_EXPORTER_OTLP_HEADERS", "x-general=1");
  environment.set("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-traces=2");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().headers, (HttpHeaders{{"x-traces", "2"}}));
}

TEST(OtlpHttpExporterOptionsFromEnv, IgnoresMalformedHeadersWithoutEchoingValues) {
  OtlpEnvironment environment;
  const test::ThreadDiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  environment.set("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20sk-secret-123,missing-equals");
  EXPECT_TRUE(OtlpHttpExporterOptions::from_env().headers.empty());
  environment.set("OTEL_EXPORTER_OTLP_HEADERS", "authorization=sk-secret-123%zz");
  EXPECT_TRUE(OtlpHttpExporterOptions::from_env().headers.empty());
  const auto lines = diagnostics.lines();
  ASSERT_EQ(lines.size(), 2U);  // one per malformed variable
  for (const auto& message : lines) {
    EXPECT_EQ(message.find("sk-secret-123"), std::string::npos) << message;
    EXPECT_EQ(message.find("Bearer"), std::string::npos) << message;
  }
}

TEST(OtlpHttpExporterOptionsFromEnv, ReadsTheTimeoutInMilliseconds) {
  OtlpEnvironment environment;
  environment.set("OTEL_EXPORTER_OTLP_TIMEOUT", "2500");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().timeout, milliseconds(2500));
  environment.set("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700");
  EXPECT_EQ(OtlpHttpExporterOptions::from_env().timeout, milliseconds(700));
}

TEST(OtlpHttpExporterOptionsFromEnv, IgnoresAnInvalidTimeout) {
  OtlpEnvironment environment;
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  for (const char* value : {"abc", "-5", "0", "1.5"}) {
    environment.set("OTEL_EXPORTER_OTLP_TIMEOUT", value);
    EXPECT_EQ(OtlpHttpExporterOptions::from_env().timeout, milliseconds(10000)) << value;
  }
  EXPECT_TRUE(diagnostics.any_reported());
}

TEST(OtlpHttpExporterOptionsFromEnv, ReadsCompression) {
  OtlpEnvironment environment;
  environment.set("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
  EXPECT_TRUE(OtlpHttpExporterOptions::from_env().gzip);
  environment.set("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none");
  EXPECT_FALSE(OtlpHttpExporterOptions::from_env().gzip);
}

TEST(OtlpHttpExporterOptionsFromEnv, IgnoresAnUnsupportedCompression) {
  OtlpEnvironment environment;
  test::DiagnosticsCapture diagnostics(DiagnosticLevel::debug);
  environment.set("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd");
  EXPECT_FALSE(OtlpHttpExporterOptions::from_env().gzip);
  EXPECT_TRUE(diagnostics.any_reported());
}

}  // namespace
}  // namespace honeyhive
