#include "honeyhive/transport/retry.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <string>

#include "core/random.hpp"
#include "transport/http_headers.hpp"

namespace honeyhive {
namespace {

std::chrono::milliseconds full_jitter(std::chrono::milliseconds ceiling) noexcept {
  if (ceiling.count() <= 0) return std::chrono::milliseconds(0);
  const auto span = static_cast<std::uint64_t>(ceiling.count()) + 1;
  return std::chrono::milliseconds(static_cast<std::int64_t>(detail::random_u64() % span));
}

int month_index(std::string_view name) noexcept {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i;
  }
  return -1;
}

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (the only form senders may generate), in
// seconds since the epoch. (Not a system_clock time point: one in nanoseconds ends in 2262, and a
// date after it would overflow.)
std::optional<std::time_t> parse_http_date(std::string_view text) {
  if (text.size() != 29 || text[3] != ',' || text.substr(26) != "GMT") return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t digits) -> int {
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const char c = text[at + i];
      if (c < '0' || c > '9') return -1;
      value = value * 10 + (c - '0');
    }
    return value;
  };
  std::tm tm{};
  tm.tm_mday = number(5, 2);
  tm.tm_mon = month_index(text.substr(8, 3));
  tm.tm_year = number(12, 4) - 1900;
  tm.tm_hour = number(17, 2);
  tm.tm_min = number(20, 2);
  tm.tm_sec = number(23, 2);
  if (tm.tm_mday < 1 || tm.tm_mon < 0 || tm.tm_year < 70 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
      tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  const std::tm asked = tm;
  const std::time_t seconds = timegm(&tm);
  if (seconds < 0) return std::nullopt;
  // timegm normalises day 31 of a 30-day month into the next month: reject such dates.
  std::tm back{};
  gmtime_r(&seconds, &back);
  if (back.tm_mday != asked.tm_mday || back.tm_mon != asked.tm_mon || back.tm_year != asked.tm_year)
    return std::nullopt;
  return seconds;
}

// The longest pause taken from Retry-After: a longer one (an absurd number, a date years away) is
// "very long" (the deadline gives up first), and stays far from overflowing any clock.
constexpr std::chrono::milliseconds kLongestRetryAfter = std::chrono::hours(24 * 365);

}  // namespace

bool is_retryable_status(int status) noexcept {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) noexcept {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return kLongestRetryAfter;  // absurd: "very long"
    std::int64_t seconds = 0;
    for (char c : value) seconds = seconds * 10 + (c - '0');
    return std::chrono::milliseconds(seconds * 1000);
  }
  try {
    const auto date = parse_http_date(value);
    if (!date) return std::nullopt;
    // Compared in whole seconds, then the sub-second part of now taken off.
    const std::time_t now_seconds = std::chrono::system_clock::to_time_t(now);
    if (*date < now_seconds) return std::chrono::milliseconds(0);
    if (*date - now_seconds > std::chrono::duration_cast<std::chrono::seconds>(kLongestRetryAfter).count()) {
      return kLongestRetryAfter;
    }
    const auto at = std::chrono::system_clock::from_time_t(*date);
    if (at <= now) return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  } catch (...) {
    return std::nullopt;
  }
}

namespace {

// The retry loop of send_with_retries; shortens request.timeout to what is left of the deadline.
SendOutcome send_until_done(HttpClient& client, HttpRequest& request, const RetryPolicy& policy,
                            std::chrono::steady_clock::time_point deadline,
                            const std::function<bool(std::chrono::milliseconds)>& sleep,
                            const std::function<void(int attempt)>& on_attempt) noexcept {
  using std::chrono::milliseconds;
  SendOutcome outcome;
  // A request whose headers cannot be sent as they are fails at once: no attempt, and no retry,
  // which could not help (see transport/http_headers.hpp).
  try {
    if (std::string problem = detail::header_problem(request.headers); !problem.empty()) {
      outcome.response.error = std::move(problem) + "; not sent";
      return outcome;
    }
    // Values go to the client without surrounding whitespace (not part of a value in HTTP): any
    // client, not only ours, then gets "Bearer k" for a key read with its trailing newline.
    for (auto& header : request.headers) {
      const std::string_view trimmed = detail::trim_header_value(header.second);
      if (trimmed.size() != header.second.size()) header.second = std::string(trimmed);
    }
  } catch (...) {
    outcome.response.error = "out of memory checking the request's headers; not sent";
    return outcome;
  }
  const milliseconds base_timeout = request.timeout;
  for (int attempt = 0;; ++attempt) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (outcome.attempts == 0) outcome.response.error = "deadline passed before the first attempt";
      return outcome;
    }
    request.timeout = std::min(base_timeout, left);
    if (on_attempt) on_attempt(attempt);
    outcome.response = client.send(request);
    ++outcome.attempts;
    const HttpResponse& response = outcome.response;
    if (response.cancelled) return outcome;
    // A GET whose answer was cut short (not at the size cap, which a second read would meet again)
    // is read again: a read changes nothing on the server. Any other request the server answered
    // stands, whatever became of its body (a 2xx took it; sent again, it would be stored twice).
    const bool read_again =
        response.body_truncated && request.method == "GET" && response.body.size() < HttpClient::kMaxResponseBytes;
    const bool success = response.status >= 200 && response.status < 300 && !read_again;
    const bool retryable =
        read_again || (response.status == 0 && !response.permanent) || is_retryable_status(response.status);
    if (success || !retryable || attempt >= policy.max_retries) return outcome;

    // initial * 2^attempt, saturating at max_backoff without overflowing the shift.
    const std::int64_t initial = std::max<std::int64_t>(policy.initial_backoff.count(), 0);
    const std::int64_t maximum = policy.max_backoff.count();
    const auto ceiling = milliseconds(attempt >= 62 || initial > (maximum >> attempt) ? maximum : initial << attempt);
    milliseconds wait = full_jitter(ceiling);
    if (const auto retry_after = response.header("retry-after")) {
      if (const auto delay = parse_retry_after(*retry_after, std::chrono::system_clock::now())) wait = *delay;
    }
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (wait >= remaining) return outcome;  // the server asks for more time than we have: give up now
    if (wait.count() > 0 && !sleep(wait)) return outcome;
  }
}

}  // namespace

SendOutcome send_with_retries(HttpClient& client, HttpRequest& request, const RetryPolicy& policy,
                              std::chrono::steady_clock::time_point deadline,
                              const std::function<bool(std::chrono::milliseconds)>& sleep,
                              const std::function<void(int attempt)>& on_attempt) noexcept {
  const std::chrono::milliseconds timeout = request.timeout;
  SendOutcome outcome = send_until_done(client, request, policy, deadline, sleep, on_attempt);
  request.timeout = timeout;
  return outcome;
}

}  // namespace honeyhive
