#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "core/json_depth.hpp"
#include "core/json_text.hpp"
#include "core/structured_sink.hpp"

namespace honeyhive::detail {
namespace {

bool is_scalar(const nlohmann::json& value) { return value.is_boolean() || value.is_number() || value.is_string(); }

// NaN or an infinity: not a score that can be aggregated, or written as JSON (it would become null).
bool is_non_finite(const nlohmann::json& value) {
  return value.is_number_float() && !std::isfinite(value.get<double>());
}

struct Accumulator {
  std::size_t count = 0;
  std::size_t true_count = 0;
  bool all_boolean = true;
  double mean = 0.0;  // kept as a running mean: a sum of large scores could overflow
  double min = 0.0;
  double max = 0.0;
  std::size_t errors = 0;

  void add(double value) {
    min = count == 0 ? value : std::min(min, value);
    max = count == 0 ? value : std::max(max, value);
    ++count;
    const auto n = static_cast<double>(count);
    mean += value / n - mean / n;
  }
};

}  // namespace

std::string add_evaluator_metrics(const std::string& name, const nlohmann::json& raw, nlohmann::json& metrics) {
  const nlohmann::json& value = raw.is_array() && raw.size() == 1 ? raw[0] : raw;
  if (value.is_null()) return "";
  if (is_non_finite(value)) {
    return "returned a score that is not a finite number (" + non_finite_text(value.get<double>()) + ")";
  }
  // A metric another evaluator set (two evaluators of one name, or "judge" returning "tokens" beside
  // an evaluator "judge_tokens") is kept, and the clash said, rather than overwritten unsaid.
  std::string taken;
  const auto put = [&metrics, &taken](const std::string& key, const nlohmann::json& metric) {
    if (metrics.contains(key)) {
      taken += " " + key;
    } else {
      metrics[key] = metric;
    }
  };
  if (is_scalar(value)) {
    put(name, value);
    return taken.empty() ? "" : "metric" + taken + " already set by another evaluator; not overwritten";
  }
  if (!value.is_object()) return "returned an unsupported value (" + std::string(value.type_name()) + ")";
  std::string dropped;
  for (const auto& [key, member] : value.items()) {
    if (is_non_finite(member)) {
      dropped += " " + key + " (not a finite number)";
    } else if (key == "score") {
      if (is_scalar(member)) {
        put(name, member);
      } else if (!member.is_null()) {
        dropped += " score";
      }
    } else if (key == "explanation") {
      // Not a string: its JSON text, with any byte that is not UTF-8 as U+FFFD (dump() would throw,
      // failing the evaluator and losing its score), cut where it nests too deep to dump.
      if (!member.is_null())
        put(name + "_explanation", member.is_string() ? member : nlohmann::json(json_text(copy_within_depth(member))));
    } else if (is_scalar(member)) {
      put(name + "_" + key, member);
    } else if (!member.is_null()) {
      dropped += " " + key;
    }
  }
  std::string problem;
  if (!dropped.empty()) problem = "dropped member(s) that are not scalars or finite numbers:" + dropped;
  if (!taken.empty()) {
    problem += (problem.empty() ? "" : "; ") + std::string("metric(s)") + taken +
               " already set by another evaluator; not overwritten";
  }
  return problem;
}

std::map<std::string, MetricAggregate> aggregate_metrics(const std::vector<DatapointResult>& rows) {
  std::map<std::string, Accumulator> accumulators;
  for (const auto& row : rows) {
    for (const auto& [name, value] : row.metrics.items()) {
      double number = 0.0;
      bool boolean = false;
      if (value.is_boolean()) {
        boolean = true;
        number = value.get<bool>() ? 1.0 : 0.0;
      } else if (value.is_number()) {
        number = value.get<double>();
        if (!std::isfinite(number)) continue;
      } else {
        continue;  // strings (explanations, labels) are not aggregated
      }
      Accumulator& accumulator = accumulators[name];
      accumulator.add(number);
      accumulator.all_boolean = accumulator.all_boolean && boolean;
      if (boolean && number > 0.5) ++accumulator.true_count;
    }
    for (const auto& entry : row.evaluator_errors) ++accumulators[entry.first].errors;
  }
  std::map<std::string, MetricAggregate> aggregates;
  for (const auto& [name, accumulator] : accumulators) {
    MetricAggregate& aggregate = aggregates[name];
    aggregate.count = accumulator.count;
    aggregate.errors = accumulator.errors;
    if (accumulator.count == 0) continue;
    aggregate.mean = accumulator.mean;
    aggregate.min = accumulator.min;
    aggregate.max = accumulator.max;
    if (accumulator.all_boolean) {
      aggregate.pass_rate = static_cast<double>(accumulator.true_count) / static_cast<double>(accumulator.count);
    }
  }
  return aggregates;
}

}  // namespace honeyhive::detail
