#include "eval/runs_api.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "core/deadline.hpp"
#include "core/json_depth.hpp"
#include "honeyhive/version.hpp"
#include "transport/http_url.hpp"

namespace honeyhive::detail {

std::string url_encode_component(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4U];
      out += kHex[byte & 0x0FU];
    }
  }
  return out;
}

RunsApi::RunsApi(std::string api_url, std::string api_key, std::shared_ptr<HttpClient> client, RetryPolicy retry,
                 std::chrono::milliseconds timeout)
    : api_url_(std::move(api_url)),
      api_key_(std::move(api_key)),
      client_(client ? std::move(client) : std::shared_ptr<HttpClient>(make_curl_http_client())),
      retry_(retry),
      timeout_(timeout) {
  detail::trim_trailing_slashes(api_url_);
}

ApiResult RunsApi::create_run(const nlohmann::json& body) noexcept { return call("POST", "/v1/runs", &body); }

ApiResult RunsApi::update_run(const std::string& run_id, const nlohmann::json& body) noexcept {
  return call("PUT", "/v1/runs/" + url_encode_component(run_id), &body);
}

ApiResult RunsApi::get_dataset(const std::string& dataset_id) noexcept {
  return call("GET", "/v1/datasets?dataset_id=" + url_encode_component(dataset_id), nullptr);
}

ApiResult RunsApi::get_datapoint(const std::string& datapoint_id) noexcept {
  return call("GET", "/v1/datapoints/" + url_encode_component(datapoint_id), nullptr);
}

void RunsApi::limit(std::function<bool()> stop, std::chrono::steady_clock::time_point deadline) noexcept {
  stop_ = std::move(stop);
  deadline_ = deadline;
}

ApiResult RunsApi::call(const char* method, const std::string& path, const nlohmann::json* body) noexcept {
  ApiResult result;
  try {
    if ((stop_ && stop_()) || std::chrono::steady_clock::now() >= deadline_) {
      result.error = std::string(method) + " " + path.substr(0, path.find('?')) + " not sent: the run was stopped";
      return result;
    }
    HttpRequest request;
    request.method = method;
    request.url = detail::append_url_path(api_url_, path);
    request.timeout = timeout_;
    // The reference SDK's REST headers (docs/honeyhive-wire-compat.md section 4), in this SDK's name.
    request.headers = {{"Content-Type", "application/json"},    {"Accept", "application/json"},
                       {"Authorization", "Bearer " + api_key_}, {"hh-client-version", kVersion},
                       {"hh-client-language", "cpp"},           {"hh-client-package", kSdkName}};
    if (body != nullptr) request.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const auto deadline = std::min(detail::deadline_for_attempts(timeout_, retry_.max_retries + 1), deadline_);
    // Backoff waits end early when the run is stopped (false: give up the retries).
    const auto wait = [this](std::chrono::milliseconds duration) {
      const auto until = std::min(detail::deadline_after(duration), deadline_);
      while (std::chrono::steady_clock::now() < until) {
        if (stop_ && stop_()) return false;
        std::this_thread::sleep_for(std::min(std::chrono::milliseconds(20), duration));
      }
      return std::chrono::steady_clock::now() < deadline_;
    };
    const SendOutcome outcome = send_with_retries(*client_, std::move(request), retry_, deadline, wait);
    const HttpResponse& response = outcome.response;
    const std::string what = std::string(method) + " " + path.substr(0, path.find('?'));
    if (response.status < 200 || response.status >= 300) {
      result.error =
          what + " failed: " + (response.status != 0 ? "HTTP " + std::to_string(response.status) : response.error);
      return result;
    }
    // A body nested deeper than any answer of the API could not be copied or dumped later without
    // overflowing the stack (core/json_depth.hpp): it is not read.
    if (!detail::text_nests_at_most(response.body)) {
      result.error = what + " answered with JSON nested more than " + std::to_string(detail::kMaxJsonDepth) +
                     " levels deep; not read";
      return result;
    }
    result.body = nlohmann::json::parse(response.body, nullptr, false);
    if (result.body.is_discarded()) {
      result.error = what + " answered with a body that is not JSON";
      return result;
    }
    result.ok = true;
  } catch (...) {
    result.ok = false;
    try {
      result.error = std::string(method) + " " + path.substr(0, path.find('?')) + " failed (out of memory)";
    } catch (...) {
      result.error.clear();  // not even the message fits; ok == false says it
    }
  }
  return result;
}

}  // namespace honeyhive::detail
