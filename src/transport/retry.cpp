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

// Whether `name` is a day name: "Sun" ("Mon", ...) or, with `long_form`, "Sunday" ("Monday", ...).
bool is_day_name(std::string_view name, bool long_form) noexcept {
  static constexpr const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  for (const std::string_view day : kDays) {
    if (name == (long_form ? day : day.substr(0, 3))) return true;
  }
  return false;
}

// The number written in text[at, at + digits), or -1 unless those are all digits (a leading space
// counts as a zero where `space_first` allows one: asctime's " 6").
int read_number(std::string_view text, std::size_t at, std::size_t digits, bool space_first = false) noexcept {
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[at + i];
    if (i == 0 && space_first && c == ' ' && digits > 1) continue;
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// "08:49:37" at text[at] into `tm`; false when it is not a time of day.
bool read_time_of_day(std::string_view text, std::size_t at, std::tm& tm) noexcept {
  if (text[at + 2] != ':' || text[at + 5] != ':') return false;
  tm.tm_hour = read_number(text, at, 2);
  tm.tm_min = read_number(text, at + 3, 2);
  tm.tm_sec = read_number(text, at + 6, 2);
  return tm.tm_hour >= 0 && tm.tm_hour <= 23 && tm.tm_min >= 0 && tm.tm_min <= 59 && tm.tm_sec >= 0 && tm.tm_sec <= 60;
}

// The fields of an HTTP-date in any of the three forms a recipient must accept (RFC 9110 section
// 5.6.7), tm_year as the full year:
//   IMF-fixdate   "Sun, 06 Nov 1994 08:49:37 GMT" (the only form senders may generate)
//   rfc850-date   "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete; a two-digit year)
//   asctime-date  "Sun Nov  6 08:49:37 1994" (obsolete; the day padded with a space)
// `two_digit_year` is set for rfc850-date, whose century the caller decides.
std::optional<std::tm> read_http_date(std::string_view text, bool& two_digit_year) {
  std::tm tm{};
  two_digit_year = false;
  if (text.size() == 29 && text[3] == ',' && is_day_name(text.substr(0, 3), false)) {
    if (text[4] != ' ' || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text.substr(25) != " GMT") {
      return std::nullopt;
    }
    tm.tm_mday = read_number(text, 5, 2);
    tm.tm_mon = month_index(text.substr(8, 3));
    tm.tm_year = read_number(text, 12, 4);
    if (!read_time_of_day(text, 17, tm)) return std::nullopt;
  } else if (text.size() == 24 && text[3] == ' ' && is_day_name(text.substr(0, 3), false)) {
    if (text[7] != ' ' || text[10] != ' ' || text[19] != ' ') return std::nullopt;
    tm.tm_mon = month_index(text.substr(4, 3));
    tm.tm_mday = read_number(text, 8, 2, true);
    if (!read_time_of_day(text, 11, tm)) return std::nullopt;
    tm.tm_year = read_number(text, 20, 4);
  } else if (const auto comma = text.find(',');
             comma != std::string_view::npos && text.size() == comma + 24 && is_day_name(text.substr(0, comma), true)) {
    const std::string_view rest = text.substr(comma + 1);  // " 06-Nov-94 08:49:37 GMT"
    if (rest[0] != ' ' || rest[3] != '-' || rest[7] != '-' || rest[10] != ' ' || rest.substr(19) != " GMT") {
      return std::nullopt;
    }
    tm.tm_mday = read_number(rest, 1, 2);
    tm.tm_mon = month_index(rest.substr(4, 3));
    tm.tm_year = read_number(rest, 8, 2);
    if (!read_time_of_day(rest, 11, tm)) return std::nullopt;
    two_digit_year = true;
  } else {
    return std::nullopt;
  }
  if (tm.tm_mday < 1 || tm.tm_mon < 0 || tm.tm_year < 0) return std::nullopt;
  return tm;
}

// An HTTP-date in seconds since the epoch. (Not a system_clock time point: one in nanoseconds ends
// in 2262, and a date after it would overflow.) `now` places rfc850-date's two-digit year: in
// this century unless the date is then more than 50 years ahead, else in the one before (RFC 9110
// section 5.6.7).
std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now) {
  bool two_digit_year = false;
  auto fields = read_http_date(text, two_digit_year);
  if (!fields) return std::nullopt;
  std::tm tm = *fields;
  if (two_digit_year) {
    // The date in this century; when that moment is more than 50 years after now (the date and
    // time compared, not only the years), the same date a century earlier.
    std::tm today{};
    gmtime_r(&now, &today);
    const int this_year = today.tm_year + 1900;
    tm.tm_year = this_year - this_year % 100 + tm.tm_year - 1900;
    std::tm candidate = tm;
    std::tm fifty_years_on = today;
    fifty_years_on.tm_year += 50;
    if (timegm(&candidate) > timegm(&fifty_years_on)) tm.tm_year -= 100;
    tm.tm_year += 1900;
  }
  tm.tm_year -= 1900;
  if (tm.tm_year < 70) return std::nullopt;
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
  // Optional whitespace (spaces and tabs) around the value is not part of it.
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return kLongestRetryAfter;  // absurd: "very long"
    std::int64_t seconds = 0;
    for (char c : value) seconds = seconds * 10 + (c - '0');
    return std::chrono::milliseconds(seconds * 1000);
  }
  try {
    // Compared in whole seconds, then the sub-second part of now taken off.
    const std::time_t now_seconds = std::chrono::system_clock::to_time_t(now);
    const auto date = parse_http_date(value, now_seconds);
    if (!date) return std::nullopt;
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
