#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/mini_http_server.hpp"
#include "honeyhive/transport/http_client.hpp"
#include "support/http_test_helpers.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using test::RecordingServer;

tools::HttpResponse reply(int status, std::string body = "") {
  tools::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpRequest post(const std::string& url, std::string body = "hello", milliseconds timeout = milliseconds(5000)) {
  HttpRequest request;
  request.url = url;
  request.body = std::move(body);
  request.timeout = timeout;
  return request;
}

// --- requests and responses -----------------------------------------------------------------

TEST(CurlHttpClient, PostsTheBodyAndHeaders) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  HttpRequest request = post(server.url(), std::string("binary\0body", 11));
  request.headers = {{"Content-Type", "application/x-protobuf"}, {"X-Custom", "value 1"}};
  const HttpResponse response = client->send(request);
  EXPECT_EQ(response.status, 200) << response.error;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/traces");
  EXPECT_EQ(requests[0].body, std::string("binary\0body", 11));
  EXPECT_EQ(requests[0].header("content-type"), "application/x-protobuf");
  EXPECT_EQ(requests[0].header("x-custom"), "value 1");
  EXPECT_EQ(requests[0].header("content-length"), "11");
}

// The environment of a machine behind a proxy that does not exempt the loopback (no no_proxy).
test::ScopedEnv proxied_through(const RecordingServer& proxy) {
  const std::string url = proxy.url("");
  return test::ScopedEnv{{"http_proxy", url.c_str()}, {"HTTP_PROXY", url.c_str()}, {"all_proxy", nullptr},
                         {"ALL_PROXY", nullptr},      {"no_proxy", nullptr},       {"NO_PROXY", nullptr}};
}

TEST(CurlHttpClient, TheProxyVariablesApplyByDefault) {
  RecordingServer proxy([](const tools::HttpRequest&) { return reply(200); });
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(proxy.ok());
  ASSERT_TRUE(server.ok());
  const auto env = proxied_through(proxy);
  auto client = make_curl_http_client();
  EXPECT_EQ(client->send(post(server.url())).status, 200);
  ASSERT_EQ(proxy.requests().size(), 1U);
  EXPECT_EQ(proxy.requests()[0].target, server.url());  // a proxy request names the whole URL
  EXPECT_TRUE(server.requests().empty());
}

TEST(CurlHttpClient, WithoutTheProxyVariablesItConnectsDirectly) {
  RecordingServer proxy([](const tools::HttpRequest&) { return reply(502); });
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(proxy.ok());
  ASSERT_TRUE(server.ok());
  const auto env = proxied_through(proxy);
  CurlHttpClientOptions options;
  options.use_proxy_variables = false;
  auto client = make_curl_http_client(options);
  EXPECT_EQ(client->send(post(server.url())).status, 200);
  EXPECT_EQ(server.requests().size(), 1U);
  EXPECT_TRUE(proxy.requests().empty());
}

TEST(CurlHttpClient, DoesNotAskFor100Continue) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  EXPECT_EQ(client->send(post(server.url(), std::string(64 * 1024, 'x'))).status, 200);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_FALSE(requests[0].header("expect").has_value());
}

TEST(CurlHttpClient, ReturnsStatusBodyAndLowercasedHeaders) {
  RecordingServer server([](const tools::HttpRequest&) {
    tools::HttpResponse response = reply(201, "created");
    response.headers = {{"X-Reply-Header", "Some Value"}, {"Retry-After", "7"}};
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  const HttpResponse response = client->send(post(server.url()));
  EXPECT_EQ(response.status, 201) << response.error;
  EXPECT_EQ(response.body, "created");
  EXPECT_EQ(response.header("x-reply-header"), "Some Value");
  EXPECT_EQ(response.header("retry-after"), "7");
  EXPECT_FALSE(response.header("X-Reply-Header").has_value());
  EXPECT_TRUE(response.error.empty());
  EXPECT_FALSE(response.cancelled);
}

TEST(CurlHttpClient, ReturnsErrorStatusesWithTheirBody) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(503, "busy"); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  const HttpResponse response = client->send(post(server.url()));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "busy");
}

TEST(CurlHttpClient, ReusesOneConnectionForSeveralRequests) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(200, "ok"); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client->send(post(server.url())).status, 200);
  EXPECT_EQ(server.requests().size(), 5U);
  EXPECT_EQ(server.connection_count(), 1U);
}

TEST(CurlHttpClient, TruncatesAResponseBodyToTheMaximum) {
  const std::string big(HttpClient::kMaxResponseBytes + 100 * 1024, 'b');
  RecordingServer server([&](const tools::HttpRequest&) { return reply(200, big); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  const HttpResponse response = client->send(post(server.url()));
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body.size(), HttpClient::kMaxResponseBytes);
  EXPECT_EQ(response.body, big.substr(0, HttpClient::kMaxResponseBytes));
  EXPECT_TRUE(response.body_truncated);
  EXPECT_NE(response.error.find("the rest was not read"), std::string::npos) << response.error;
}

// The body of an answer that arrived whole is not marked.
TEST(CurlHttpClient, AWholeBodyIsNotMarkedTruncated) {
  RecordingServer server([&](const tools::HttpRequest&) { return reply(200, "whole"); });
  ASSERT_TRUE(server.ok());
  const HttpResponse response = make_curl_http_client()->send(post(server.url()));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "whole");
  EXPECT_FALSE(response.body_truncated);
  EXPECT_EQ(response.error, "");
}

// A status that arrived stands when its body is cut short: a 2xx means the server took the
// request, and reporting status 0 would have it sent again (stored twice).
TEST(CurlHttpClient, AnAnswerCutShortKeepsItsStatus) {
  for (const int status : {200, 503}) {
    RecordingServer server([&](const tools::HttpRequest&) { return test::answer_cut_short(status, "abc", 100); });
    ASSERT_TRUE(server.ok());
    const HttpResponse response = make_curl_http_client()->send(post(server.url()));
    EXPECT_EQ(response.status, status);
    EXPECT_EQ(response.body, "abc");
    EXPECT_TRUE(response.body_truncated);
    EXPECT_NE(response.error.find("answer cut short"), std::string::npos) << response.error;
    EXPECT_FALSE(response.permanent);
  }
}

// Whatever error follows the status line (here a Content-Length curl cannot read), the status stands.
TEST(CurlHttpClient, AnyErrorAfterTheStatusKeepsIt) {
  RecordingServer server([&](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.raw_reply = "HTTP/1.1 200 OK\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}";
    return response;
  });
  ASSERT_TRUE(server.ok());
  const HttpResponse response = make_curl_http_client()->send(post(server.url()));
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_TRUE(response.body_truncated);
}

// An answer that claims a huge body is read up to the cap, not until the timeout.
TEST(CurlHttpClient, StopsReadingAnEndlessBodyAtTheCap) {
  RecordingServer server([&](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.raw_reply = "HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\nConnection: close\r\n\r\n" +
                         std::string(HttpClient::kMaxResponseBytes + 4096, 'z');
    response.delay_ms = 0;
    return response;
  });
  ASSERT_TRUE(server.ok());
  const HttpResponse response = make_curl_http_client()->send(post(server.url()));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), HttpClient::kMaxResponseBytes);
  EXPECT_TRUE(response.body_truncated);
  EXPECT_NE(response.error.find("the rest was not read"), std::string::npos) << response.error;
}

// Errors the same request would meet again are marked permanent (not retried); a refused
// connection is not.
TEST(CurlHttpClient, MarksAMalformedUrlAndAnUnsupportedSchemePermanent) {
  auto client = make_curl_http_client();
  for (const char* url : {"http://127.0.0.1:99999/v1/traces", "ftp://127.0.0.1:9/v1/traces"}) {
    const HttpResponse response = client->send(post(url));
    EXPECT_EQ(response.status, 0) << url;
    EXPECT_TRUE(response.permanent) << url << ": " << response.error;
    EXPECT_FALSE(response.error.empty());
  }
}

// --- transport failures ---------------------------------------------------------------------

TEST(CurlHttpClient, ConnectionRefusedIsStatusZeroWithAnError) {
  std::string url;
  {
    RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
    ASSERT_TRUE(server.ok());
    url = server.url();
  }  // closed: nothing listens on that port any more
  auto client = make_curl_http_client();
  const HttpResponse response = client->send(post(url));
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.error.empty());
  EXPECT_FALSE(response.cancelled);
  EXPECT_FALSE(response.permanent);  // the server may be back on the next attempt
}

TEST(CurlHttpClient, ASlowServerTimesOutAsStatusZero) {
  RecordingServer server([](const tools::HttpRequest&) {
    tools::HttpResponse response = reply(200);
    response.delay_ms = 5000;
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  const auto started = Clock::now();
  const HttpResponse response = client->send(post(server.url(), "hello", milliseconds(200)));
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.error.empty());
  // Bounded: it gave up well before the server would have answered.
  EXPECT_LT(Clock::now() - started, milliseconds(4000));
}

TEST(CurlHttpClient, AResetConnectionIsStatusZero) {
  RecordingServer server([](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.reset_connection = true;
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  const HttpResponse response = client->send(post(server.url()));
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.error.empty());
}

TEST(CurlHttpClient, AGarbageReplyIsStatusZeroWithAnError) {
  RecordingServer server([](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.raw_reply = "NOT HTTP\r\n\r\n";
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  const HttpResponse response = client->send(post(server.url()));
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.error.empty());
}

TEST(CurlHttpClient, RecoversOnTheNextRequestAfterAFailure) {
  std::atomic<int> calls{0};
  RecordingServer server([&](const tools::HttpRequest&) {
    tools::HttpResponse response = reply(200, "fine");
    if (calls.fetch_add(1) == 0) response.reset_connection = true;
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  EXPECT_EQ(client->send(post(server.url())).status, 0);
  const HttpResponse second = client->send(post(server.url()));
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(second.body, "fine");
}

// --- cancellation ---------------------------------------------------------------------------

TEST(CurlHttpClient, CancelAbortsARequestWaitingOnASlowServer) {
  RecordingServer server([](const tools::HttpRequest&) {
    tools::HttpResponse response = reply(200);
    response.delay_ms = 20000;
    return response;
  });
  ASSERT_TRUE(server.ok());
  std::shared_ptr<HttpClient> client = make_curl_http_client();
  auto pending =
      std::async(std::launch::async, [&] { return client->send(post(server.url(), "hello", milliseconds(30000))); });
  ASSERT_TRUE(server.wait_for_requests(1));
  client->cancel();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "cancel did not abort";
  const HttpResponse response = pending.get();
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.cancelled);
}

TEST(CurlHttpClient, SendsAfterCancelFailAtOnceWithoutContactingTheServer) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  client->cancel();
  const HttpResponse response = client->send(post(server.url()));
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.cancelled);
  EXPECT_TRUE(server.requests().empty());
}

// --- header lines ---------------------------------------------------------------------------

// A line break inside a header value would end the header line there and make the rest another
// header: the request is refused before anything is sent, and the error never shows the value.
TEST(CurlHttpClient, RefusesAHeaderValueWithALineBreakWithoutSendingIt) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  const std::vector<std::string> values = {"Bearer sk-secret\r\nx-injected: 1", "a\nb",    "a\rb",
                                           std::string("nul\0byte", 8),         "del\x7f", "bell\a"};
  for (const std::string& value : values) {
    HttpRequest request = post(server.url());
    request.headers = {{"x-ok", "1"}, {"authorization", value}};
    const HttpResponse response = client->send(request);
    EXPECT_EQ(response.status, 0);
    EXPECT_FALSE(response.cancelled);
    EXPECT_NE(response.error.find("header 'authorization'"), std::string::npos) << response.error;
    EXPECT_EQ(response.error.find("secret"), std::string::npos) << response.error;
  }
  EXPECT_TRUE(server.requests().empty());
  // The client still sends a good request afterwards.
  EXPECT_EQ(client->send(post(server.url())).status, 200);
}

TEST(CurlHttpClient, RefusesAHeaderNameThatIsNotAToken) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  for (const char* name : {"", "x b", "x:y", "x\r\ny", "authorization: Bearer sk-secret"}) {
    HttpRequest request = post(server.url());
    request.headers = {{name, "v"}};
    const HttpResponse response = client->send(request);
    EXPECT_EQ(response.status, 0) << name;
    EXPECT_NE(response.error.find("header 1 of 1 has a name that is not an HTTP token"), std::string::npos)
        << response.error;
    EXPECT_EQ(response.error.find("secret"), std::string::npos) << response.error;
  }
  EXPECT_TRUE(server.requests().empty());
}

// Surrounding whitespace is not part of a header value (RFC 9110 section 5.5): an API key read from
// a file with its trailing newline is sent without it, rather than breaking the request.
TEST(CurlHttpClient, SendsHeaderValuesWithoutSurroundingWhitespace) {
  RecordingServer server([](const tools::HttpRequest&) { return reply(200); });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_http_client();
  HttpRequest request = post(server.url());
  request.headers = {{"authorization", "Bearer key-1\n"}, {"x-tabbed", "\t a\tb \r\n"}, {"x-after", "2"}};
  EXPECT_EQ(client->send(request).status, 200);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("authorization"), "Bearer key-1");
  EXPECT_EQ(requests[0].header("x-tabbed"), "a\tb");
  EXPECT_EQ(requests[0].header("x-after"), "2");
  EXPECT_EQ(requests[0].body, "hello");
}

// --- gzip and redaction ---------------------------------------------------------------------

TEST(GzipCompress, OutputInflatesBackToTheInput) {
  std::string input;
  for (int i = 0; i < 5000; ++i) input += "span-" + std::to_string(i) + ",";
  input += std::string("\0\xff binary", 9);
  const auto compressed = gzip_compress(input);
  ASSERT_TRUE(compressed.has_value());
  EXPECT_LT(compressed->size(), input.size());
  ASSERT_GE(compressed->size(), 2U);
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[0]), 0x1fU);  // gzip magic (RFC 1952)
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[1]), 0x8bU);
  EXPECT_EQ(test::gunzip(*compressed), input);
}

TEST(GzipCompress, EmptyInputRoundTrips) {
  const auto compressed = gzip_compress("");
  ASSERT_TRUE(compressed.has_value());
  EXPECT_EQ(test::gunzip(*compressed), "");
}

TEST(RedactUrl, StripsCredentialsAndQuery) {
  EXPECT_EQ(redact_url("https://user:pass@api.example.com:4318/v1/traces?api_key=secret#frag"),
            "https://api.example.com:4318/v1/traces");
  EXPECT_EQ(redact_url("http://token@127.0.0.1:4318/v1/traces"), "http://127.0.0.1:4318/v1/traces");
  EXPECT_EQ(redact_url("http://127.0.0.1:4318/v1/traces?x=1"), "http://127.0.0.1:4318/v1/traces");
}

TEST(RedactUrl, KeepsAPlainUrl) {
  EXPECT_EQ(redact_url("http://localhost:4318/v1/traces"), "http://localhost:4318/v1/traces");
  EXPECT_EQ(redact_url("https://api.honeyhive.ai"), "https://api.honeyhive.ai");
}

// A password with '/', '?' or '#' in it is not a URL libcurl reads: only the scheme is shown, never
// a part of what may be the password.
TEST(RedactUrl, ShowsOnlyTheSchemeOfAUrlWhoseCredentialsCannotBeRead) {
  EXPECT_EQ(redact_url("https://hh-user:pa/ss-secret@127.0.0.1:8443/base"), "https://****");
  EXPECT_EQ(redact_url("http://otel-user:pa#ss-secret@127.0.0.1:4318/v1/traces"), "http://****");
  EXPECT_EQ(redact_url("http://u:pa?ss-secret@127.0.0.1/x"), "http://****");
  EXPECT_EQ(redact_url("not a url"), "****");
  EXPECT_EQ(redact_url(""), "");                                              // none: nothing hidden
  EXPECT_EQ(redact_url("http://u:p%2Fw@127.0.0.1/x"), "http://127.0.0.1/x");  // the encoded form reads
}

TEST(RedactUrl, StripsAQueryThatFollowsTheHostDirectly) {
  EXPECT_EQ(redact_url("https://collector.example.com:4318?api_key=secret"), "https://collector.example.com:4318");
  EXPECT_EQ(redact_url("https://user:pass@collector.example.com#secret"), "https://collector.example.com");
}

}  // namespace
}  // namespace honeyhive
