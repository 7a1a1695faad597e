#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/config/tracer_config.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/transport/http_client.hpp"
#include "honeyhive/transport/retry.hpp"

namespace honeyhive {

class HoneyHiveTracer;

// One row of a dataset.
struct Datapoint {
  nlohmann::json inputs = nlohmann::json::object();
  nlohmann::json ground_truth;  // null = none
  std::string id;               // empty = derived from the content; an inline id is sent as "EXT-<id>"
};

// Lets another thread stop a running evaluate(): no new datapoint starts once a stop is requested
// (the ones running finish). Copies share one flag. Thread-safe.
class CancellationToken {
 public:
  void request_stop() const noexcept { flag_->store(true, std::memory_order_release); }
  bool stop_requested() const noexcept { return flag_->load(std::memory_order_acquire); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
};

// What the function under test sees of its datapoint (the richer form of the function).
struct DatapointContext {
  const nlohmann::json& inputs;
  const nlohmann::json& ground_truth;
  const std::string& datapoint_id;
  const std::string& session_id;
  const std::string& run_id;
  mutable SpanRef session;  // the datapoint's session span, to enrich (a handle: recording through it is allowed)
  // True once the run is cancelled or out of time: a long function may return early.
  std::function<bool()> stop_requested;
};

// The function under test. It runs on a worker thread, under the datapoint's session: spans it starts
// (directly, through current_tracer(), or on threads it starts with bind_context) belong to that
// datapoint. It is called concurrently for different datapoints, so it must be thread-safe. An
// exception it throws is recorded as the datapoint's error.
using EvaluatedFunction =
    std::function<nlohmann::json(const nlohmann::json& inputs, const nlohmann::json& ground_truth)>;
using EvaluatedFunctionWithContext = std::function<nlohmann::json(const DatapointContext& datapoint)>;

// A named evaluator: scores the function's outputs. Returns a score (number, bool or string) recorded
// as metric <name>; or an object {"score": s, "explanation": "...", "<key>": scalar...} recorded as
// <name>, <name>_explanation and <name>_<key> (the reference SDK's shape); null records nothing.
// Called concurrently for different datapoints; an exception is recorded, the run goes on.
struct Evaluator {
  std::string name;
  std::function<nlohmann::json(const nlohmann::json& outputs, const nlohmann::json& inputs,
                               const nlohmann::json& ground_truth)>
      score;
};

// What evaluate() runs, over which data, with which tracer, and when it stops.
struct EvaluateOptions {
  // The function under test; `function_with_context` wins when both are set.
  EvaluatedFunction function;
  EvaluatedFunctionWithContext function_with_context;

  // The dataset: inline datapoints, or (when `dataset` is empty) the HoneyHive dataset `dataset_id`,
  // fetched through the API (needs an API key). With an inline dataset, `dataset_id` names it
  // ("EXT-" is prepended when missing; default "EXT-<hash of the content>").
  std::vector<Datapoint> dataset;
  std::string dataset_id;

  std::vector<Evaluator> evaluators;

  std::string name;     // the run's name, also each datapoint session's; default "experiment-<run id[:8]>"
  std::string run_id;   // default: a new UUID v4 (in API mode the backend's answer wins)
  std::string project;  // for the tracer evaluate() creates (ignored with `tracer`)
  std::string source = "evaluation";  // the source of every datapoint's spans (as the reference SDK)
  int max_workers = 0;                // 0 = hardware threads, at most kMaxDefaultWorkers

  // The tracer to record with. Null: evaluate() creates one from `tracer_config` (+ project) and shuts
  // it down at the end.
  std::shared_ptr<HoneyHiveTracer> tracer;
  TracerConfig tracer_config;

  // Cancellation: either stops scheduling datapoints; evaluate() returns a partial summary.
  CancellationToken cancellation;
  std::chrono::milliseconds time_budget{0};  // 0 = no limit

  // The runs API (POST/PUT /v1/runs, dataset fetch) is used when the tracer has an API key, unless offline.
  bool offline = false;
  std::shared_ptr<HttpClient> http_client;  // null = libcurl
  RetryPolicy retry;
  std::chrono::milliseconds request_timeout{10000};

  static constexpr int kMaxDefaultWorkers = 16;
};

// Statistics of one metric over the datapoints that produced it.
struct MetricAggregate {
  std::size_t count = 0;  // numeric or boolean values (booleans count as 0/1)
  double mean = 0.0;
  double min = 0.0;
  double max = 0.0;
  std::optional<double> pass_rate;  // when every value is boolean: the fraction that is true
  std::size_t errors = 0;           // datapoints on which this evaluator threw
};

// The result of one datapoint.
struct DatapointResult {
  std::size_t index = 0;  // position in the dataset
  std::string datapoint_id;
  std::string session_id;
  nlohmann::json outputs;                               // null when the function failed
  nlohmann::json metrics = nlohmann::json::object();    // metric name -> value
  std::string error;                                    // the function's error; empty = succeeded
  std::map<std::string, std::string> evaluator_errors;  // evaluator name -> message
  double duration_ms = 0.0;

  bool succeeded() const noexcept { return error.empty(); }
};

// What evaluate() returns.
struct EvaluationSummary {
  std::string run_id;
  std::string run_name;
  std::string dataset_id;
  std::size_t datapoints = 0;  // in the dataset
  std::size_t succeeded = 0;
  std::size_t failed = 0;   // the function threw
  std::size_t skipped = 0;  // never started (cancelled or out of time)
  bool cancelled = false;
  bool api = false;                                // the run was recorded through the HoneyHive API
  std::map<std::string, MetricAggregate> metrics;  // by metric name
  std::vector<DatapointResult> rows;               // datapoints that ran, in dataset order
  std::vector<std::string> errors;                 // run-level problems (dataset fetch, runs API)
  double wall_time_ms = 0.0;

  nlohmann::json to_json() const;
  // A compact text table: the counts, one line per metric, then up to `max_rows` datapoints.
  std::string table(std::size_t max_rows = 20) const;
  void print(std::FILE* out = stdout, std::size_t max_rows = 20) const noexcept;
};

// Runs the function over the dataset on a bounded thread pool, one session per datapoint whose
// context carries the evaluation baggage (run_id, dataset_id, datapoint_id, session_id), scores each
// result with the evaluators, and records outputs, ground truth and metrics on the session. Never
// throws: failures of the function, the evaluators or the API are recorded in the summary. The spans
// are flushed to the tracer's exporter before it returns. See docs/honeyhive-evaluation.md.
EvaluationSummary evaluate(EvaluateOptions options) noexcept;

}  // namespace honeyhive
