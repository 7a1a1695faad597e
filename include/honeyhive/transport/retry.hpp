#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "honeyhive/transport/http_client.hpp"

namespace honeyhive {

// Retries of one export: up to `max_retries` more attempts after the first, on connection errors
// (not permanent ones: HttpResponse::permanent), HTTP 408, 429, 500, 502, 503, 504 (never on other
// 4xx), and a GET whose answer was cut short (never another request the server answered: a 2xx
// took it). The n-th retry waits a random time
// in [0, initial_backoff * 2^(n-1)] ("full jitter"), or what Retry-After says; every wait is capped
// by the time left before the deadline.
struct RetryPolicy {
  int max_retries = 3;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{5000};
};

bool is_retryable_status(int status) noexcept;

// Retry-After as a delay: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3) in any of its
// three forms (IMF-fixdate, and the obsolete rfc850-date and asctime-date a recipient must accept,
// section 5.6.7); nullopt when malformed. A date in the past is a zero delay.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) noexcept;

struct SendOutcome {
  HttpResponse response;  // the last response
  int attempts = 0;
};

// Sends `request` with the policy until success, a non-retryable answer, the deadline, or
// cancellation. `sleep` waits and returns false when cancelled (injectable for tests);
// `on_attempt` is called before each attempt (for counters). Each attempt's timeout is cut to
// what is left of the deadline; `request` is as given again on return, so its caller can reuse
// it (an exporter reuses the body's buffer for the next batch).
SendOutcome send_with_retries(HttpClient& client, HttpRequest& request, const RetryPolicy& policy,
                              std::chrono::steady_clock::time_point deadline,
                              const std::function<bool(std::chrono::milliseconds)>& sleep,
                              const std::function<void(int attempt)>& on_attempt = nullptr) noexcept;
inline SendOutcome send_with_retries(HttpClient& client, HttpRequest&& request, const RetryPolicy& policy,
                                     std::chrono::steady_clock::time_point deadline,
                                     const std::function<bool(std::chrono::milliseconds)>& sleep,
                                     const std::function<void(int attempt)>& on_attempt = nullptr) noexcept {
  return send_with_retries(client, request, policy, deadline, sleep, on_attempt);
}

}  // namespace honeyhive
