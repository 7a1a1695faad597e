#include "honeyhive/transport/retrying_sender.hpp"

#include <new>
#include <utility>

#include "core/deadline.hpp"

namespace honeyhive {

RetryingSender::RetryingSender(std::shared_ptr<HttpClient> client, RetryPolicy policy)
    : client_(client ? std::move(client) : std::shared_ptr<HttpClient>(make_curl_http_client())), policy_(policy) {}

RetryingSender::~RetryingSender() { shutdown(); }

bool RetryingSender::sleep_for(std::chrono::milliseconds duration) noexcept {
  std::unique_lock<std::mutex> lock(sleep_mutex_);
  // Until a saturated deadline: wait_for(duration) adds it to now() and overflows for the largest ones.
  return !sleep_cv_.wait_until(lock, detail::deadline_after(duration),
                               [&] { return shut_down_.load(std::memory_order_acquire); });
}

SendOutcome RetryingSender::send(HttpRequest& request, std::chrono::steady_clock::time_point deadline) noexcept {
  if (is_shut_down() || !client_) {
    SendOutcome outcome;
    outcome.response.cancelled = true;
    outcome.response.error = "shut down";
    return outcome;
  }
  return send_with_retries(
      *client_, request, policy_, deadline, [this](std::chrono::milliseconds wait) { return sleep_for(wait); },
      [this](int attempt) {
        requests_.fetch_add(1, std::memory_order_relaxed);
        if (attempt > 0) retries_.fetch_add(1, std::memory_order_relaxed);
      });
}

void RetryingSender::reset_after_fork() noexcept {
  new (&sleep_mutex_) std::mutex();            // NOLINT: abandoned, possibly held by a parent thread
  new (&sleep_cv_) std::condition_variable();  // NOLINT
  if (client_) client_->reset_after_fork();
}

void RetryingSender::shutdown() noexcept {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    shut_down_.store(true, std::memory_order_release);
  }
  sleep_cv_.notify_all();
  if (client_) client_->cancel();
}

void set_request_body(HttpRequest& request, std::string body, bool gzip) {
  if (gzip) {
    if (auto compressed = gzip_compress(body)) {
      request.body = std::move(*compressed);
      request.headers.emplace_back("Content-Encoding", "gzip");
      return;
    }
  }
  request.body = std::move(body);
}

}  // namespace honeyhive
