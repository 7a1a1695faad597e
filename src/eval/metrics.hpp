#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "honeyhive/eval/evaluate.hpp"

namespace honeyhive::detail {

// Turns one evaluator's answer into flat metrics, the reference SDK's way
// (experiments/core.py, EvaluatorMetricResult.from_raw): a one-element array is unwrapped; a scalar
// (bool, number, string) becomes metrics[name]; an object gives metrics[name] from "score",
// metrics[name + "_explanation"] and metrics[name + "_" + key] for its other scalar members; null gives
// nothing. Adds to `metrics`; returns a description of what had to be dropped ("" when nothing).
std::string add_evaluator_metrics(const std::string& name, const nlohmann::json& raw, nlohmann::json& metrics);

// Per-metric statistics over the rows: numbers and booleans (as 0/1) count, strings do not; an
// evaluator that threw counts as an error of the metric named after it.
std::map<std::string, MetricAggregate> aggregate_metrics(const std::vector<DatapointResult>& rows);

}  // namespace honeyhive::detail
