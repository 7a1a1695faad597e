#include "honeyhive/transport/retry.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace honeyhive {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// "Sun, 06 Nov 1994 08:49:37 GMT", the RFC 9110 example, is 784111777 s after the epoch.
const std::chrono::system_clock::time_point kExampleDate = std::chrono::system_clock::from_time_t(784111777);

HttpResponse response_with(int status, HttpHeaders headers = {}) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  if (status == 0) response.error = "Couldn't connect to server";
  return response;
}

// An HttpClient that answers from a script (the last answer repeats) and records what it was sent.
class ScriptedClient final : public HttpClient {
 public:
  explicit ScriptedClient(std::vector<HttpResponse> script) : script_(script.begin(), script.end()) {}

  HttpResponse send(const HttpRequest& request) noexcept override {
    requests.push_back(request);
    if (script_.size() > 1) {
      HttpResponse next = script_.front();
      script_.pop_front();
      return next;
    }
    return script_.empty() ? HttpResponse{} : script_.front();
  }
  void cancel() noexcept override {}

  std::vector<HttpRequest> requests;

 private:
  std::deque<HttpResponse> script_;
};

// One recorded backoff wait: before which retry, and how long.
struct Wait {
  std::size_t sends_before = 0;
  milliseconds duration{0};
};

// A sleep that records its waits and returns at once (or reports a cancellation).
struct FakeSleep {
  const ScriptedClient* client = nullptr;
  bool cancelled = false;
  std::vector<Wait> waits;

  std::function<bool(milliseconds)> function() {
    return [this](milliseconds duration) {
      waits.push_back({client->requests.size(), duration});
      return !cancelled;
    };
  }
};

HttpRequest make_request() {
  HttpRequest request;
  request.url = "http://127.0.0.1:1/v1/traces";
  request.headers = {{"Content-Type", "application/x-protobuf"}};
  request.body = "payload";
  request.timeout = milliseconds(10000);
  return request;
}

Clock::time_point far_deadline() { return Clock::now() + std::chrono::hours(1); }

SendOutcome send(ScriptedClient& client, FakeSleep& sleep, Clock::time_point deadline = far_deadline(),
                 RetryPolicy policy = RetryPolicy{}) {
  sleep.client = &client;
  return send_with_retries(client, make_request(), policy, deadline, sleep.function());
}

// --- is_retryable_status --------------------------------------------------------------------

TEST(IsRetryableStatus, RetriesOnlyTimeoutsThrottlingAndTransientServerErrors) {
  for (const int status : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(is_retryable_status(status)) << status;
  for (const int status : {200, 201, 204, 301, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 501, 505, 599}) {
    EXPECT_FALSE(is_retryable_status(status)) << status;
  }
}

// --- parse_retry_after ----------------------------------------------------------------------

TEST(ParseRetryAfter, ReadsDeltaSeconds) {
  EXPECT_EQ(parse_retry_after("0", kExampleDate), milliseconds(0));
  EXPECT_EQ(parse_retry_after("2", kExampleDate), milliseconds(2000));
  EXPECT_EQ(parse_retry_after("120", kExampleDate), milliseconds(120000));
}

TEST(ParseRetryAfter, ReadsAFutureImfFixdateAsTheDelayUntilIt) {
  const auto now = kExampleDate - std::chrono::seconds(30);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(30000));
}

TEST(ParseRetryAfter, ReadsAPastImfFixdateAsNoDelay) {
  const auto now = kExampleDate + std::chrono::hours(2);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(0));
}

// A date past 2262 (where a nanosecond clock ends) or years away is "very long", a year, as an
// absurd number of seconds is: it overflowed the clock and came out as garbage, often no pause.
TEST(ParseRetryAfter, ReadsADateYearsAwayAsAYear) {
  const milliseconds year = std::chrono::hours(24 * 365);
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kExampleDate), year);
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:00:00 GMT", kExampleDate), year);
  EXPECT_EQ(parse_retry_after("99999999999", kExampleDate), year);
  const auto now = kExampleDate - std::chrono::hours(24 * 364);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), std::chrono::hours(24 * 364));
}

TEST(ParseRetryAfter, RejectsGarbage) {
  for (const char* value : {"",
                            "soon",
                            "1.5",
                            "-1",
                            "2s",
                            "0x10",
                            "Sun, 06 Nov 1994 08:49:37 PST",
                            "Sun, 06 Foo 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 25:49:37 GMT",
                            "Sun, 06 Nov 1994 08:49:37 GMT extra",
                            "Xyz, 06 Nov 1994 08:49:37 GMT",
                            "Sun,  6 Nov 1994 08:49:37 GMT",
                            "Sunday, 06-Nov-1994 08:49:37 GMT",
                            "Sunday, 06-Nov-94 08:49:37 PST",
                            "Sunday, 06 Nov 94 08:49:37 GMT",
                            "Funday, 06-Nov-94 08:49:37 GMT",
                            "Sun, 06-Nov-94 08:49:37 GMT",
                            "Sun Nov 6 08:49:37 1994",
                            "Sun Nov  6 08:49:37 94",
                            "Sun Nov  6 08:49 37 1994",
                            "Sunday Nov  6 08:49:37 1994"}) {
    EXPECT_FALSE(parse_retry_after(value, kExampleDate).has_value()) << "'" << value << "'";
  }
}

// RFC 9110 section 5.6.7: a recipient must accept the two obsolete forms as well.
TEST(ParseRetryAfter, ReadsTheObsoleteRfc850AndAsctimeForms) {
  const auto now = kExampleDate - std::chrono::seconds(30);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), milliseconds(30000));
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), milliseconds(30000));
  EXPECT_EQ(parse_retry_after("Sun Nov 06 08:49:37 1994", now), milliseconds(30000));
  EXPECT_EQ(parse_retry_after("\tSun Nov  6 08:49:37 1994 ", now), milliseconds(30000));
  const auto later = std::chrono::system_clock::from_time_t(784111777 + 24 * 3600 * 9);  // Tue, 15 Nov 1994
  EXPECT_EQ(parse_retry_after("Wednesday, 16-Nov-94 08:49:37 GMT", later), std::chrono::hours(24));
  EXPECT_EQ(parse_retry_after("Wed Nov 16 08:49:37 1994", later), std::chrono::hours(24));
}

// rfc850-date's two-digit year is in the current century, unless that is more than 50 years ahead:
// then it is the century before.
TEST(ParseRetryAfter, PlacesATwoDigitYearWithinFiftyYearsOfNow) {
  const auto in_2026 = std::chrono::system_clock::from_time_t(1767225600 + 3600);  // Thu, 01 Jan 2026 01:00:00
  EXPECT_EQ(parse_retry_after("Thursday, 01-Jan-26 01:00:10 GMT", in_2026), milliseconds(10000));
  // 2094 is more than 50 years ahead: 1994, in the past, so no pause.
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", in_2026), milliseconds(0));
  // 2076 is exactly 50 years ahead: still this century, so a far date (a year, the longest pause).
  EXPECT_EQ(parse_retry_after("Wednesday, 01-Jan-76 00:00:00 GMT", in_2026), std::chrono::hours(24 * 365));
  // The dates are compared, not the years: the end of 2076 is more than 50 years ahead, so 1976.
  EXPECT_EQ(parse_retry_after("Friday, 31-Dec-76 23:59:59 GMT", in_2026), milliseconds(0));
}

TEST(ParseRetryAfter, RejectsADateWithAnImpossibleDayOfMonth) {
  // RFC 9110 section 5.6.7: day is 2DIGIT of a real calendar date; 99 is not one.
  EXPECT_FALSE(parse_retry_after("Sun, 99 Nov 1994 08:49:37 GMT", kExampleDate).has_value());
  EXPECT_FALSE(parse_retry_after("Thursday, 31-Nov-94 08:49:37 GMT", kExampleDate).has_value());
  EXPECT_FALSE(parse_retry_after("Thu Nov 31 08:49:37 1994", kExampleDate).has_value());
}

// --- send_with_retries: which answers are retried -------------------------------------------

TEST(SendWithRetries, RetriesRetryableStatusesUpToMaxRetriesThenGivesUp) {
  for (const int status : {408, 429, 500, 502, 503, 504}) {
    ScriptedClient client({response_with(status)});
    FakeSleep sleep;
    const SendOutcome outcome = send(client, sleep);
    EXPECT_EQ(outcome.attempts, 4) << status;
    EXPECT_EQ(client.requests.size(), 4U) << status;
    EXPECT_EQ(outcome.response.status, status);
  }
}

TEST(SendWithRetries, RetriesConnectionErrorsUpToMaxRetries) {
  ScriptedClient client({response_with(0)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep);
  EXPECT_EQ(outcome.attempts, 4);
  EXPECT_EQ(outcome.response.status, 0);
  EXPECT_FALSE(outcome.response.error.empty());
}

// An error the same request would meet again (a malformed URL, a certificate that fails
// verification) is not retried.
TEST(SendWithRetries, DoesNotRetryAPermanentTransportError) {
  HttpResponse permanent = response_with(0);
  permanent.permanent = true;
  ScriptedClient client({permanent});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(client.requests.size(), 1U);
  EXPECT_TRUE(outcome.response.permanent);
}

// A GET whose answer was cut short is read again; a POST the server answered is not sent again
// (a 2xx took it), and neither is a GET whose answer is longer than the client reads.
TEST(SendWithRetries, ReadsAGetWhoseAnswerWasCutShortAgainButNeverResendsAnAnsweredPost) {
  HttpResponse cut = response_with(200);
  cut.body = "{\"datap";
  cut.body_truncated = true;
  HttpResponse whole = response_with(200);
  whole.body = "{}";
  {
    ScriptedClient client({cut, whole});
    FakeSleep sleep;
    sleep.client = &client;
    HttpRequest get = make_request();
    get.method = "GET";
    const SendOutcome outcome = send_with_retries(client, get, RetryPolicy{}, far_deadline(), sleep.function());
    EXPECT_EQ(outcome.attempts, 2);
    EXPECT_EQ(outcome.response.body, "{}");
  }
  {
    ScriptedClient client({cut, whole});
    FakeSleep sleep;
    const SendOutcome outcome = send(client, sleep);  // a POST
    EXPECT_EQ(outcome.attempts, 1);
    EXPECT_TRUE(outcome.response.body_truncated);
  }
  {
    HttpResponse over_cap = response_with(200);
    over_cap.body.assign(HttpClient::kMaxResponseBytes, 'x');
    over_cap.body_truncated = true;
    ScriptedClient client({over_cap, whole});
    FakeSleep sleep;
    sleep.client = &client;
    HttpRequest get = make_request();
    get.method = "GET";
    EXPECT_EQ(send_with_retries(client, get, RetryPolicy{}, far_deadline(), sleep.function()).attempts, 1);
  }
}

// A header that cannot be sent fails the request at once: no attempt reaches the client, and no
// retry could help.
TEST(SendWithRetries, MakesNoAttemptWithAHeaderThatCannotBeSent) {
  ScriptedClient client({response_with(200)});
  FakeSleep sleep;
  sleep.client = &client;
  HttpRequest request = make_request();
  request.headers.emplace_back("authorization", "Bearer sk-secret\r\nx-injected: 1");
  const SendOutcome outcome = send_with_retries(client, request, RetryPolicy{}, far_deadline(), sleep.function());
  EXPECT_EQ(outcome.attempts, 0);
  EXPECT_TRUE(client.requests.empty());
  EXPECT_TRUE(sleep.waits.empty());
  EXPECT_EQ(outcome.response.status, 0);
  EXPECT_NE(outcome.response.error.find("header 'authorization' has a line break"), std::string::npos)
      << outcome.response.error;
  EXPECT_EQ(outcome.response.error.find("secret"), std::string::npos) << outcome.response.error;
}

// Any client gets header values without surrounding whitespace, not only the curl one.
TEST(SendWithRetries, HandsTheClientHeaderValuesWithoutSurroundingWhitespace) {
  ScriptedClient client({response_with(200)});
  FakeSleep sleep;
  sleep.client = &client;
  HttpRequest request = make_request();
  request.headers.emplace_back("authorization", "Bearer key-1\r\n");
  request.headers.emplace_back("x-tabbed", "\t a\tb ");
  EXPECT_EQ(send_with_retries(client, request, RetryPolicy{}, far_deadline(), sleep.function()).attempts, 1);
  ASSERT_EQ(client.requests.size(), 1U);
  EXPECT_EQ(client.requests[0].headers,
            (HttpHeaders{
                {"Content-Type", "application/x-protobuf"}, {"authorization", "Bearer key-1"}, {"x-tabbed", "a\tb"}}));
}

TEST(SendWithRetries, HonoursASmallerMaxRetries) {
  ScriptedClient client({response_with(503)});
  FakeSleep sleep;
  RetryPolicy policy;
  policy.max_retries = 1;
  EXPECT_EQ(send(client, sleep, far_deadline(), policy).attempts, 2);
}

TEST(SendWithRetries, NeverRetriesClientErrors) {
  for (const int status : {400, 401, 403, 404, 413}) {
    ScriptedClient client({response_with(status)});
    FakeSleep sleep;
    const SendOutcome outcome = send(client, sleep);
    EXPECT_EQ(outcome.attempts, 1) << status;
    EXPECT_EQ(outcome.response.status, status);
    EXPECT_TRUE(sleep.waits.empty()) << status;
  }
}

TEST(SendWithRetries, DoesNotRetryASuccess) {
  ScriptedClient client({response_with(200)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.response.status, 200);
}

TEST(SendWithRetries, SucceedsOnALaterAttempt) {
  ScriptedClient client({response_with(503), response_with(0), response_with(200)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(outcome.response.status, 200);
}

TEST(SendWithRetries, ResendsTheSameRequestOnEveryAttempt) {
  ScriptedClient client({response_with(503), response_with(200)});
  FakeSleep sleep;
  send(client, sleep);
  ASSERT_EQ(client.requests.size(), 2U);
  for (const HttpRequest& request : client.requests) {
    EXPECT_EQ(request.url, "http://127.0.0.1:1/v1/traces");
    EXPECT_EQ(request.body, "payload");
    EXPECT_EQ(request.headers, (HttpHeaders{{"Content-Type", "application/x-protobuf"}}));
  }
}

TEST(SendWithRetries, ReportsEachAttemptNumber) {
  ScriptedClient client({response_with(500)});
  FakeSleep sleep;
  sleep.client = &client;
  std::vector<int> attempts;
  send_with_retries(client, make_request(), RetryPolicy{}, far_deadline(), sleep.function(),
                    [&](int attempt) { attempts.push_back(attempt); });
  EXPECT_EQ(attempts, (std::vector<int>{0, 1, 2, 3}));
}

// --- send_with_retries: how long it waits ---------------------------------------------------

TEST(SendWithRetries, BackoffWaitsStayWithinTheFullJitterBounds) {
  // The n-th retry waits in [0, 500ms * 2^(n-1)]. Many runs, so a wrong ceiling shows up.
  milliseconds longest_third_wait{0};
  for (int run = 0; run < 200; ++run) {
    ScriptedClient client({response_with(503)});
    FakeSleep sleep;
    send(client, sleep);
    ASSERT_LE(sleep.waits.size(), 3U);
    for (const Wait& wait : sleep.waits) {
      ASSERT_GE(wait.sends_before, 1U);
      ASSERT_LE(wait.sends_before, 3U);
      const milliseconds ceiling(500LL << (wait.sends_before - 1));
      EXPECT_GE(wait.duration.count(), 0);
      EXPECT_LE(wait.duration, ceiling) << "before retry " << wait.sends_before;
      if (wait.sends_before == 3 && wait.duration > longest_third_wait) longest_third_wait = wait.duration;
    }
  }
  // 200 draws from [0, 2000ms] all at or under 1000ms would mean the ceiling did not double.
  EXPECT_GT(longest_third_wait, milliseconds(1000));
}

TEST(SendWithRetries, BackoffIsCappedByMaxBackoff) {
  RetryPolicy policy;
  policy.max_retries = 6;
  policy.initial_backoff = milliseconds(100);
  policy.max_backoff = milliseconds(250);
  for (int run = 0; run < 50; ++run) {
    ScriptedClient client({response_with(503)});
    FakeSleep sleep;
    send(client, sleep, far_deadline(), policy);
    for (const Wait& wait : sleep.waits) EXPECT_LE(wait.duration, milliseconds(250));
  }
}

TEST(SendWithRetries, BackoffStaysCappedAndNonZeroOverManyRetries) {
  // initial_backoff * 2^(n-1) outgrows 64 bits long before n = 70: the cap must still hold,
  // and the backoff must not collapse to nothing (a hot retry loop).
  RetryPolicy policy;
  policy.max_retries = 70;
  policy.initial_backoff = milliseconds(500);
  policy.max_backoff = milliseconds(5000);
  ScriptedClient client({response_with(503)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep, far_deadline(), policy);
  EXPECT_EQ(outcome.attempts, 71);
  for (const Wait& wait : sleep.waits) EXPECT_LE(wait.duration, milliseconds(5000)) << "retry " << wait.sends_before;
  // A legitimate draw of 0 ms (no sleep call) has probability 1/5001 per retry.
  EXPECT_GE(sleep.waits.size(), 68U);
}

TEST(SendWithRetries, WaitsExactlyWhatRetryAfterSays) {
  ScriptedClient client({response_with(429, {{"retry-after", "2"}}), response_with(200)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep);
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(outcome.response.status, 200);
  ASSERT_EQ(sleep.waits.size(), 1U);
  EXPECT_EQ(sleep.waits[0].duration, milliseconds(2000));
}

TEST(SendWithRetries, GivesUpWithoutWaitingWhenRetryAfterOutlastsTheDeadline) {
  ScriptedClient client({response_with(503, {{"retry-after", "5"}}), response_with(200)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep, Clock::now() + std::chrono::seconds(1));
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.response.status, 503);
  EXPECT_TRUE(sleep.waits.empty());
}

TEST(SendWithRetries, StopsWhenTheSleepIsCancelled) {
  // Retry-After guarantees a non-zero wait, so the sleep is certainly called.
  ScriptedClient client({response_with(503, {{"retry-after", "1"}}), response_with(200)});
  FakeSleep sleep;
  sleep.cancelled = true;
  const SendOutcome outcome = send(client, sleep);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(sleep.waits.size(), 1U);
}

TEST(SendWithRetries, StopsWhenTheClientReportsCancellation) {
  HttpResponse cancelled = response_with(0);
  cancelled.cancelled = true;
  ScriptedClient client({cancelled, response_with(200)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_TRUE(outcome.response.cancelled);
}

// --- send_with_retries: the deadline --------------------------------------------------------

TEST(SendWithRetries, MakesNoAttemptWhenTheDeadlineHasPassed) {
  ScriptedClient client({response_with(200)});
  FakeSleep sleep;
  const SendOutcome outcome = send(client, sleep, Clock::now() - milliseconds(1));
  EXPECT_EQ(outcome.attempts, 0);
  EXPECT_TRUE(client.requests.empty());
  EXPECT_EQ(outcome.response.status, 0);
  EXPECT_FALSE(outcome.response.error.empty());
}

TEST(SendWithRetries, CapsTheRequestTimeoutByTheTimeLeft) {
  ScriptedClient client({response_with(200)});
  FakeSleep sleep;
  send(client, sleep, Clock::now() + milliseconds(2000));
  ASSERT_EQ(client.requests.size(), 1U);
  EXPECT_GT(client.requests[0].timeout, milliseconds(0));
  EXPECT_LE(client.requests[0].timeout, milliseconds(2000));
}

TEST(SendWithRetries, KeepsTheRequestTimeoutWhenTimeIsAmple) {
  ScriptedClient client({response_with(200)});
  FakeSleep sleep;
  send(client, sleep);
  ASSERT_EQ(client.requests.size(), 1U);
  EXPECT_EQ(client.requests[0].timeout, milliseconds(10000));
}

TEST(SendWithRetries, LeavesTheCallersRequestAsItWasSoItsBodyCanBeReused) {
  ScriptedClient client({response_with(503), response_with(200)});
  FakeSleep sleep;
  sleep.client = &client;
  HttpRequest request = make_request();
  const SendOutcome outcome =
      send_with_retries(client, request, RetryPolicy{}, Clock::now() + milliseconds(2000), sleep.function());
  EXPECT_EQ(outcome.attempts, 2);
  ASSERT_EQ(client.requests.size(), 2U);
  EXPECT_LE(client.requests[1].timeout, milliseconds(2000));  // cut to the time left while sending
  EXPECT_EQ(request.timeout, milliseconds(10000));            // and restored after
  EXPECT_EQ(request.body, "payload");
  EXPECT_EQ(request.url, "http://127.0.0.1:1/v1/traces");
}

}  // namespace
}  // namespace honeyhive
