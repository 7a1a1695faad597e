#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "honeyhive/transport/http_client.hpp"
#include "honeyhive/transport/retry.hpp"

namespace honeyhive::detail {

// The answer to one API call: the parsed JSON body on success, else a message fit for diagnostics
// (method, path and status; never a header value).
struct ApiResult {
  bool ok = false;
  nlohmann::json body;
  std::string error;
};

// The HoneyHive REST endpoints evaluate() uses (docs/honeyhive-evaluation.md gives their sources):
// experiment runs and dataset fetch. JSON over the shared HttpClient with send_with_retries.
// Thread-safe as far as the client is; no method throws.
class RunsApi {
 public:
  RunsApi(std::string api_url, std::string api_key, std::shared_ptr<HttpClient> client, RetryPolicy retry,
          std::chrono::milliseconds timeout);

  ApiResult create_run(const nlohmann::json& body) noexcept;                             // POST /v1/runs
  ApiResult update_run(const std::string& run_id, const nlohmann::json& body) noexcept;  // PUT /v1/runs/{run_id}
  ApiResult get_dataset(const std::string& dataset_id) noexcept;                         // GET /v1/datasets?dataset_id=
  ApiResult get_datapoint(const std::string& datapoint_id) noexcept;                     // GET /v1/datapoints/{id}

  // Bounds every later call by `deadline` and stops it (retries and backoff waits included) as soon
  // as `stop` returns true: the run's cancellation token and time budget.
  void limit(std::function<bool()> stop, std::chrono::steady_clock::time_point deadline) noexcept;

 private:
  ApiResult call(const char* method, const std::string& path, const nlohmann::json* body) noexcept;

  std::string api_url_;
  std::string api_key_;
  std::shared_ptr<HttpClient> client_;
  RetryPolicy retry_;
  std::chrono::milliseconds timeout_;
  std::function<bool()> stop_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

// `value` with every byte outside RFC 3986 "unreserved" percent-encoded: safe as a path segment or
// a query value.
std::string url_encode_component(std::string_view value);

}  // namespace honeyhive::detail
