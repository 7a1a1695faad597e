#include "honeyhive/eval/evaluate.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <thread>

#include "core/deadline.hpp"
#include "core/json_depth.hpp"
#include "core/json_text.hpp"
#include "eval/metrics.hpp"
#include "eval/runs_api.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "tracer/registry.hpp"

namespace honeyhive {
namespace {

using Clock = std::chrono::steady_clock;

// The reference SDK prefixes ids of datasets that live outside HoneyHive with "EXT-"
// (experiments/utils.py); the backend then keeps the dataset id in the run's metadata.
constexpr const char* kExternalPrefix = "EXT-";

bool is_external(const std::string& dataset_id) { return dataset_id.rfind(kExternalPrefix, 0) == 0; }

std::string external_id(const std::string& id) { return is_external(id) ? id : kExternalPrefix + id; }

// FNV-1a, 64 bits, as 16 hex digits: a stable content id. (The reference SDK uses SHA-256 over Python's
// json.dumps; its ids cannot be reproduced byte for byte outside Python, so we do not try.)
std::string content_hash(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4U) out[static_cast<std::size_t>(i)] = kHex[hash & 0x0FU];
  return out;
}

nlohmann::json datapoint_json(const Datapoint& datapoint) {
  nlohmann::json out = {{"inputs", datapoint.inputs}};
  if (!datapoint.ground_truth.is_null()) out["ground_truth"] = datapoint.ground_truth;
  if (!datapoint.id.empty()) out["id"] = datapoint.id;
  return out;
}

// Gives the inline dataset and its datapoints their ids.
void name_inline_dataset(const std::vector<Datapoint>& dataset, const std::string& requested_id,
                         std::string& dataset_id, std::vector<std::string>& datapoint_ids) {
  nlohmann::json all = nlohmann::json::array();
  for (std::size_t i = 0; i < dataset.size(); ++i) {
    nlohmann::json one = datapoint_json(dataset[i]);
    datapoint_ids.push_back(dataset[i].id.empty()
                                ? kExternalPrefix + content_hash(detail::json_text(one) + std::to_string(i))
                                : external_id(dataset[i].id));
    all.push_back(std::move(one));
  }
  dataset_id =
      requested_id.empty() ? kExternalPrefix + content_hash(detail::json_text(all)) : external_id(requested_id);
}

// Fetches a HoneyHive dataset: its datapoint ids, then each datapoint (the reference SDK's sequence,
// experiments/core.py evaluate()). A datapoint that cannot be fetched is skipped and reported.
bool fetch_dataset(detail::RunsApi& api, const std::string& dataset_id, std::vector<Datapoint>& dataset,
                   std::vector<std::string>& datapoint_ids, std::vector<std::string>& errors,
                   const std::function<bool()>& stop) {
  const detail::ApiResult listing = api.get_dataset(dataset_id);
  if (!listing.ok) {
    errors.push_back("dataset " + dataset_id + ": " + listing.error);
    return false;
  }
  const auto datasets = listing.body.find("datasets");
  if (datasets == listing.body.end() || !datasets->is_array() || datasets->empty() || !(*datasets)[0].is_object()) {
    errors.push_back("dataset " + dataset_id + " not found");
    return false;
  }
  const nlohmann::json& ids = (*datasets)[0].value("datapoints", nlohmann::json::array());
  std::size_t failures = 0;
  std::size_t position = 0;
  for (const auto& id_value : ids) {
    ++position;
    if (stop()) {
      errors.push_back("dataset " + dataset_id + ": fetching stopped (cancelled or out of time) after " +
                       std::to_string(dataset.size()) + " datapoints");
      break;
    }
    if (!id_value.is_string()) {
      if (failures++ == 0) {
        errors.push_back("dataset " + dataset_id + ": datapoint id " + std::to_string(position) + " of " +
                         std::to_string(ids.size()) + " is not a string; skipped");
      }
      continue;
    }
    const std::string id = id_value.get<std::string>();
    const detail::ApiResult answer = api.get_datapoint(id);
    const auto list = answer.ok ? answer.body.find("datapoint") : answer.body.end();
    if (!answer.ok || list == answer.body.end() || !list->is_array() || list->empty() || !(*list)[0].is_object()) {
      if (failures++ == 0) errors.push_back("datapoint " + id + ": " + (answer.ok ? "empty answer" : answer.error));
      continue;
    }
    const nlohmann::json& found = (*list)[0];
    Datapoint datapoint;
    datapoint.inputs = found.value("inputs", nlohmann::json::object());
    if (datapoint.inputs.is_null()) datapoint.inputs = nlohmann::json::object();
    datapoint.ground_truth = found.value("ground_truth", nlohmann::json());
    const auto found_id = found.find("id");
    datapoint.id = found_id != found.end() && found_id->is_string() ? found_id->get<std::string>() : id;
    datapoint_ids.push_back(datapoint.id);
    dataset.push_back(std::move(datapoint));
  }
  if (failures > 1) errors.push_back(std::to_string(failures) + " datapoints of dataset " + dataset_id + " skipped");
  if (dataset.empty() && !ids.empty()) {
    errors.push_back("dataset " + dataset_id + ": no datapoint could be fetched");
    return false;
  }
  return true;
}

// Everything one run shares between its workers (read-only while they run, apart from `next`).
struct RunState {
  const EvaluateOptions& options;
  HoneyHiveTracer& tracer;
  const std::vector<Datapoint>& dataset;
  const std::vector<std::string>& datapoint_ids;
  std::string run_id;
  std::string run_name;
  std::string dataset_id;
  std::optional<Clock::time_point> deadline;
  std::atomic<std::size_t> next{0};

  bool stop_requested() const noexcept {
    return options.cancellation.stop_requested() || (deadline && Clock::now() >= *deadline);
  }
};

std::string evaluator_name(const Evaluator& evaluator, std::size_t index) {
  return evaluator.name.empty() ? "evaluator_" + std::to_string(index) : evaluator.name;
}

void run_evaluators(const RunState& run, const Datapoint& datapoint, SpanRef session, DatapointResult& row) {
  for (std::size_t i = 0; i < run.options.evaluators.size(); ++i) {
    const Evaluator& evaluator = run.options.evaluators[i];
    const std::string name = evaluator_name(evaluator, i);
    std::string problem;
    try {
      if (!evaluator.score) {
        problem = "has no scoring function";
      } else {
        problem = detail::add_evaluator_metrics(
            name, evaluator.score(row.outputs, datapoint.inputs, datapoint.ground_truth), row.metrics);
      }
    } catch (const std::exception& error) {
      const char* what = error.what();
      problem = what != nullptr ? what : "unknown exception";
    } catch (...) {
      problem = "unknown exception";
    }
    if (problem.empty()) continue;
    // Two evaluators of one name: both problems are kept, not the later over the earlier.
    std::string& recorded = row.evaluator_errors[name];
    recorded = recorded.empty() ? problem : recorded + "; " + problem;
    // The datapoint itself succeeded: the evaluator's failure is an event on the session, not its status.
    session.add_event("exception",
                      {{"exception.message", AttributeValue{problem}}, {"honeyhive.evaluator", AttributeValue{name}}});
  }
}

DatapointResult run_datapoint(const RunState& run, std::size_t index) {
  const Clock::time_point started = Clock::now();
  const Datapoint& datapoint = run.dataset[index];
  DatapointResult row;
  row.index = index;
  row.datapoint_id = run.datapoint_ids[index];
  row.session_id = detail::make_uuid_v4();
  {
    // The evaluation keys ride in the baggage of the datapoint's own session context: every span
    // under it, on this thread or a bound one, carries them, and no other datapoint can see them.
    Span session = run.tracer.start_session_span(run.run_name, row.session_id,
                                                 {{"run_id", run.run_id, ""},
                                                  {"dataset_id", run.dataset_id, ""},
                                                  {"datapoint_id", row.datapoint_id, ""},
                                                  {"source", run.options.source, ""}});
    session.set_inputs(datapoint.inputs);
    if (!datapoint.ground_truth.is_null()) session.set_feedback({{"ground_truth", datapoint.ground_truth}});
    try {
      if (run.options.function_with_context) {
        const DatapointContext context{datapoint.inputs,
                                       datapoint.ground_truth,
                                       row.datapoint_id,
                                       row.session_id,
                                       run.run_id,
                                       session.ref(),
                                       [&run] { return run.stop_requested(); }};
        row.outputs = run.options.function_with_context(context);
      } else if (run.options.function) {
        row.outputs = run.options.function(datapoint.inputs, datapoint.ground_truth);
      } else {
        row.error = "no function to evaluate";
      }
    } catch (const std::exception& error) {
      session.record_exception(error);
      const char* what = error.what();
      row.error = what != nullptr && *what != '\0' ? what : "unknown exception";
    } catch (...) {
      row.error = "unknown exception";
      session.set_error(row.error);
    }
    if (row.succeeded()) {
      // Kept, handed to the evaluators and dumped whole: cut where it nests too deep for that.
      row.outputs = detail::copy_within_depth(std::move(row.outputs));
      if (!row.outputs.is_null()) {
        session.set_outputs(row.outputs.is_object() ? row.outputs : nlohmann::json{{"result", row.outputs}});
      }
      run_evaluators(run, datapoint, session.ref(), row);
      if (!row.metrics.empty()) session.set_metrics(row.metrics);
    } else {
      row.outputs = nullptr;
    }
  }
  row.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return row;
}

void worker(RunState& run, std::vector<std::optional<DatapointResult>>& results) noexcept {
  while (!run.stop_requested()) {
    const std::size_t index = run.next.fetch_add(1, std::memory_order_relaxed);
    if (index >= run.dataset.size()) return;
    try {
      results[index] = run_datapoint(run, index);
    } catch (...) {
      // Out of memory while recording: the slot stays empty and the datapoint counts as skipped.
    }
  }
}

int worker_count(int requested, std::size_t datapoints) {
  int workers = requested;
  if (workers <= 0) {
    const unsigned hardware = std::thread::hardware_concurrency();
    workers = std::clamp(static_cast<int>(hardware), 1, EvaluateOptions::kMaxDefaultWorkers);
  }
  return static_cast<int>(
      std::min<std::size_t>(static_cast<std::size_t>(workers), std::max<std::size_t>(datapoints, 1)));
}

void run_pool(RunState& run, int workers, std::vector<std::optional<DatapointResult>>& results) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    try {
      threads.emplace_back([&run, &results] { worker(run, results); });
    } catch (...) {
      break;  // no more threads to be had: run with those that started
    }
  }
  if (threads.empty()) worker(run, results);
  for (auto& thread : threads) thread.join();
}

nlohmann::json run_metadata(const std::string& dataset_id) {
  nlohmann::json metadata = nlohmann::json::object();
  if (is_external(dataset_id)) metadata["offline_dataset_id"] = dataset_id;
  return metadata;
}

void report(EvaluationSummary& summary, std::string message) {
  report_diagnostic(DiagnosticLevel::warning, "evaluate: " + message);
  summary.errors.push_back(std::move(message));
}

}  // namespace

EvaluationSummary evaluate(EvaluateOptions options) noexcept {
  EvaluationSummary summary;
  const Clock::time_point started = Clock::now();
  std::shared_ptr<HoneyHiveTracer> owned;
  try {
    std::shared_ptr<HoneyHiveTracer> tracer = options.tracer;
    if (!tracer) {
      TracerConfig tracer_config = options.tracer_config;
      if (tracer_config.project.is_unset() && !options.project.empty()) tracer_config.project = options.project;
      if (tracer_config.source.is_unset()) tracer_config.source = options.source;
      // Every datapoint opens its own session; the tracer needs none of its own.
      if (tracer_config.start_session.is_unset()) tracer_config.start_session = false;
      owned = HoneyHiveTracer::init(tracer_config);
      tracer = owned ? owned : current_tracer();
    }
    if (!tracer) {
      report(summary, "no tracer could be created (out of memory); nothing was run");
      return summary;
    }
    const ResolvedConfig& config = tracer->config();
    std::optional<detail::RunsApi> api;
    // An API URL that was not one resolved to none (its diagnostic says which): the key goes nowhere.
    const bool no_api_url = !options.offline && !config.api_key.empty() && !config.disabled && config.api_url.empty();
    if (no_api_url) {
      report(summary,
             "api_url is not an http(s) URL (see the tracer's configuration diagnostics); the runs API is "
             "not used");
    } else if (!options.offline && !config.api_key.empty() && !config.disabled) {
      api.emplace(config.api_url, config.api_key, options.http_client, options.retry, options.request_timeout);
      // The cancellation token and the time budget bound the API calls too (the dataset fetch,
      // the run creation), not only the scheduling of datapoints.
      api->limit([&options] { return options.cancellation.stop_requested(); },
                 options.time_budget.count() > 0 ? detail::deadline_after(options.time_budget, started)
                                                 : Clock::time_point::max());
    }

    std::vector<Datapoint> dataset = std::move(options.dataset);
    // A datapoint is copied, hashed and dumped whole: cut where it nests too deep for that
    // (core/json_depth.hpp), and say so.
    for (std::size_t i = 0; i < dataset.size(); ++i) {
      Datapoint& datapoint = dataset[i];
      if (detail::nests_deeper_than(datapoint.inputs, detail::kMaxJsonDepth) ||
          detail::nests_deeper_than(datapoint.ground_truth, detail::kMaxJsonDepth)) {
        datapoint.inputs = detail::copy_within_depth(datapoint.inputs);
        datapoint.ground_truth = detail::copy_within_depth(datapoint.ground_truth);
        report(summary, "datapoint " + std::to_string(i) + ": inputs or ground truth nest more than " +
                            std::to_string(detail::kMaxJsonDepth) + " levels deep; cut there");
      }
    }
    std::vector<std::string> datapoint_ids;
    bool have_dataset = true;
    bool fetch_stopped = false;  // the run was stopped (cancelled, out of time) while fetching its dataset
    if (!options.function && !options.function_with_context) {
      report(summary, "no function to evaluate");
      have_dataset = false;
    } else if (!dataset.empty()) {
      name_inline_dataset(dataset, options.dataset_id, summary.dataset_id, datapoint_ids);
    } else if (options.dataset_id.empty()) {
      report(summary, "no dataset: pass datapoints inline or a HoneyHive dataset_id");
      have_dataset = false;
    } else if (!api) {
      report(summary, "dataset " + options.dataset_id + " is a HoneyHive dataset: fetching it needs an API key" +
                          (no_api_url ? std::string(" and an http(s) api_url") : std::string()));
      have_dataset = false;
    } else {
      summary.dataset_id = options.dataset_id;
      std::vector<std::string> errors;
      const auto stop = [&] {
        fetch_stopped =
            fetch_stopped || options.cancellation.stop_requested() ||
            (options.time_budget.count() > 0 && Clock::now() >= detail::deadline_after(options.time_budget, started));
        return fetch_stopped;
      };
      have_dataset = fetch_dataset(*api, options.dataset_id, dataset, datapoint_ids, errors, stop);
      // The API refuses requests once the run is stopped (the listing too): the fetch failed then.
      if (!have_dataset) stop();
      for (auto& error : errors) report(summary, std::move(error));
    }

    summary.run_id = options.run_id.empty() ? detail::make_uuid_v4() : options.run_id;
    const auto first = options.name.find_first_not_of(" \t\r\n");
    summary.run_name = first == std::string::npos
                           ? "experiment-" + summary.run_id.substr(0, 8)
                           : options.name.substr(first, options.name.find_last_not_of(" \t\r\n") - first + 1);
    summary.datapoints = dataset.size();

    if (have_dataset) {
      const int workers = worker_count(options.max_workers, dataset.size());
      if (api) {
        // The reference SDK's run creation (experiments/core.py evaluate(), experiments/utils.py
        // prepare_run_request_data): a pending run listing the datapoints; the backend's run id wins.
        nlohmann::json evaluator_names = nlohmann::json::array();
        for (std::size_t i = 0; i < options.evaluators.size(); ++i) {
          evaluator_names.push_back(evaluator_name(options.evaluators[i], i));
        }
        nlohmann::json body = {{"run_id", summary.run_id},
                               {"name", summary.run_name},
                               {"status", "pending"},
                               {"event_ids", nlohmann::json::array()},
                               {"datapoint_ids", datapoint_ids},
                               {"configuration", {{"evaluators", evaluator_names}, {"max_workers", workers}}},
                               {"metadata", run_metadata(summary.dataset_id)}};
        if (!is_external(summary.dataset_id)) body["dataset_id"] = summary.dataset_id;
        const detail::ApiResult created = api->create_run(body);
        if (created.ok) {
          summary.api = true;
          const auto id = created.body.find("run_id");
          if (id != created.body.end() && id->is_string() && !id->get<std::string>().empty()) {
            summary.run_id = id->get<std::string>();
          }
        } else {
          report(summary, "the run was not created (" + created.error + "); results are recorded in the traces only");
        }
      }

      std::optional<Clock::time_point> deadline;
      if (options.time_budget.count() > 0) deadline = detail::deadline_after(options.time_budget, started);
      RunState run{options,  *tracer, dataset, datapoint_ids, summary.run_id, summary.run_name, summary.dataset_id,
                   deadline, 0U};
      std::vector<std::optional<DatapointResult>> results(dataset.size());
      run_pool(run, workers, results);
      for (auto& result : results) {
        if (!result) continue;
        (result->succeeded() ? summary.succeeded : summary.failed) += 1;
        summary.rows.push_back(std::move(*result));
      }
      summary.skipped = summary.datapoints - summary.rows.size();
      // A fetch cut short by the stop left datapoints out of the run too.
      summary.cancelled = summary.skipped > 0 || fetch_stopped;
      summary.metrics = detail::aggregate_metrics(summary.rows);
      tracer->flush();

      if (summary.api) {
        // The reference SDK's closing update (experiments/core.py _update_run_with_results): status,
        // name, the sessions as event_ids, and the external dataset id in the metadata.
        nlohmann::json session_ids = nlohmann::json::array();
        for (const auto& row : summary.rows) session_ids.push_back(row.session_id);
        nlohmann::json body = {{"status", summary.cancelled ? "cancelled" : "completed"},
                               {"name", summary.run_name},
                               {"event_ids", std::move(session_ids)}};
        nlohmann::json metadata = run_metadata(summary.dataset_id);
        if (!metadata.empty()) body["metadata"] = std::move(metadata);
        // The closing update goes out even after a cancellation (it says "cancelled"), bounded by one
        // request timeout.
        api->limit({}, detail::deadline_after(options.request_timeout));
        const detail::ApiResult updated = api->update_run(summary.run_id, body);
        if (!updated.ok) report(summary, "the run was not updated (" + updated.error + ")");
      }
    } else if (fetch_stopped) {
      summary.cancelled = true;  // stopped before its dataset was had: nothing ran
    }
  } catch (...) {
    try {
      report(summary, "evaluate stopped early: out of memory");
    } catch (...) {
    }
  }
  if (owned) owned->shutdown();
  summary.wall_time_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return summary;
}

}  // namespace honeyhive
