#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "honeyhive/transport/http_client.hpp"
#include "honeyhive/transport/retry.hpp"

namespace honeyhive {

// One HTTP client with a retry policy, as the exporters use it: send_with_retries with counted
// attempts, and a shutdown that cancels the request in flight and any backoff wait. Thread-safe.
class RetryingSender {
 public:
  // `client` null = libcurl.
  RetryingSender(std::shared_ptr<HttpClient> client, RetryPolicy policy);
  ~RetryingSender();
  RetryingSender(const RetryingSender&) = delete;
  RetryingSender& operator=(const RetryingSender&) = delete;

  // Sends `request` with the policy until `deadline`. After shutdown: a cancelled response, no request.
  // `request` is as given again on return (see send_with_retries): its body's buffer can be reused.
  SendOutcome send(HttpRequest& request, std::chrono::steady_clock::time_point deadline) noexcept;
  SendOutcome send(HttpRequest&& request, std::chrono::steady_clock::time_point deadline) noexcept {
    return send(request, deadline);
  }
  // Cancels a request in flight and any backoff wait; later sends fail at once. Idempotent.
  void shutdown() noexcept;
  bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }
  // In a fork() child, before other threads run: fresh locks and a client without the parent's
  // connections.
  void reset_after_fork() noexcept;

  std::uint64_t requests() const noexcept { return requests_.load(std::memory_order_relaxed); }
  std::uint64_t retries() const noexcept { return retries_.load(std::memory_order_relaxed); }
  const RetryPolicy& policy() const noexcept { return policy_; }

 private:
  bool sleep_for(std::chrono::milliseconds duration) noexcept;

  std::shared_ptr<HttpClient> client_;
  RetryPolicy policy_;
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
};

// Puts `body` into `request`, gzip-compressed with a Content-Encoding header when `gzip` is set
// (sent uncompressed if zlib fails).
void set_request_body(HttpRequest& request, std::string body, bool gzip);

}  // namespace honeyhive
