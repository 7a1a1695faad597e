#include "honeyhive/transport/retrying_sender.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace honeyhive {
namespace {

using std::chrono::milliseconds;

// Answers `failures` times with `status`, then 200; counts the requests and the cancellations.
class CountingClient final : public HttpClient {
 public:
  CountingClient(int failures, int status, HttpHeaders headers = {})
      : failures_(failures), status_(status), headers_(std::move(headers)) {}

  HttpResponse send(const HttpRequest&) noexcept override {
    HttpResponse response;
    response.status = sent.fetch_add(1) < failures_ ? status_ : 200;
    if (response.status != 200) response.headers = headers_;
    return response;
  }
  void cancel() noexcept override { cancels.fetch_add(1); }

  std::atomic<int> sent{0};
  std::atomic<int> cancels{0};

 private:
  int failures_;
  int status_;
  HttpHeaders headers_;
};

RetryPolicy quick_policy() {
  RetryPolicy policy;
  policy.initial_backoff = milliseconds(1);
  policy.max_backoff = milliseconds(2);
  return policy;
}

std::chrono::steady_clock::time_point generous_deadline() {
  return std::chrono::steady_clock::now() + milliseconds(60000);
}

TEST(RetryingSender, CountsRequestsAndRetries) {
  auto client = std::make_shared<CountingClient>(2, 503);
  RetryingSender sender(client, quick_policy());
  const SendOutcome outcome = sender.send(HttpRequest{}, generous_deadline());
  EXPECT_EQ(outcome.response.status, 200);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(sender.requests(), 3U);
  EXPECT_EQ(sender.retries(), 2U);
}

TEST(RetryingSender, ShutdownCancelsTheClientAndLaterSendsMakeNoRequest) {
  auto client = std::make_shared<CountingClient>(0, 200);
  RetryingSender sender(client, quick_policy());
  sender.shutdown();
  EXPECT_TRUE(sender.is_shut_down());
  EXPECT_EQ(client->cancels.load(), 1);
  const SendOutcome outcome = sender.send(HttpRequest{}, generous_deadline());
  EXPECT_TRUE(outcome.response.cancelled);
  EXPECT_EQ(client->sent.load(), 0);
}

TEST(RetryingSender, ShutdownEndsABackoffWait) {
  // The server asks for a 50 s pause; only shutdown can end the send before the deadline.
  auto client = std::make_shared<CountingClient>(1, 429, HttpHeaders{{"retry-after", "50"}});
  RetryingSender sender(client, quick_policy());
  auto sending = std::async(std::launch::async, [&] { return sender.send(HttpRequest{}, generous_deadline()); });
  while (client->sent.load() == 0) std::this_thread::yield();
  sender.shutdown();
  const SendOutcome outcome = sending.get();
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.response.status, 429);
}

// A server asking to retry after a date centuries away is waited for (until shutdown ends the
// wait): wait_for(duration) added the pause to now() in nanoseconds, which overflowed into the past
// and returned at once, so the retry went out without a pause.
TEST(RetryingSender, AFarRetryAfterDateIsWaitedForUntilShutdown) {
  auto client =
      std::make_shared<CountingClient>(100, 429, HttpHeaders{{"retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"}});
  RetryingSender sender(client, quick_policy());
  auto sending = std::async(std::launch::async,
                            [&] { return sender.send(HttpRequest{}, std::chrono::steady_clock::time_point::max()); });
  while (client->sent.load() == 0) std::this_thread::yield();
  // Still waiting when shutdown comes (a wait that ended at once would have retried by then).
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(client->sent.load(), 1);
  sender.shutdown();
  const SendOutcome outcome = sending.get();
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.response.status, 429);
}

TEST(SetRequestBody, GzipsOnlyWhenAsked) {
  HttpRequest plain;
  set_request_body(plain, "hello", false);
  EXPECT_EQ(plain.body, "hello");
  EXPECT_TRUE(plain.headers.empty());
  HttpRequest compressed;
  set_request_body(compressed, "hello", true);
  ASSERT_EQ(compressed.headers.size(), 1U);
  EXPECT_EQ(compressed.headers[0], (std::pair<std::string, std::string>("Content-Encoding", "gzip")));
  EXPECT_EQ(compressed.body.substr(0, 2), "\x1f\x8b");  // the gzip magic
}

}  // namespace
}  // namespace honeyhive
