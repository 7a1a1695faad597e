#include <cstdio>
#include <string>

#include "honeyhive/eval/evaluate.hpp"

namespace honeyhive {
namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

// `text` in `width` bytes: padded, or cut with "~" at the end, never inside a UTF-8 character.
std::string pad(std::string text, std::size_t width) {
  if (text.size() > width) {
    std::size_t cut = width - 1;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;  // a continuation byte
    return text.substr(0, cut) + "~";
  }
  text.resize(width, ' ');
  return text;
}

// A number in a 9-character column: fixed point while it fits ("-9999.999" to "99999.999"), else
// in exponent form ("-1.2e+300").
std::string column(double value) { return format(value > -1e4 && value < 1e5 ? "%9.3f" : "%9.1e", value); }

std::string compact(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return format("%.3g", value.get<double>());
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json EvaluationSummary::to_json() const {
  nlohmann::json out = {{"run_id", run_id},
                        {"run_name", run_name},
                        {"dataset_id", dataset_id},
                        {"datapoints", datapoints},
                        {"succeeded", succeeded},
                        {"failed", failed},
                        {"skipped", skipped},
                        {"cancelled", cancelled},
                        {"api", api},
                        {"wall_time_ms", wall_time_ms}};
  nlohmann::json aggregates = nlohmann::json::object();
  for (const auto& [name, aggregate] : metrics) {
    nlohmann::json entry = {{"count", aggregate.count},
                            {"mean", aggregate.mean},
                            {"min", aggregate.min},
                            {"max", aggregate.max},
                            {"errors", aggregate.errors}};
    if (aggregate.pass_rate) entry["pass_rate"] = *aggregate.pass_rate;
    aggregates[name] = std::move(entry);
  }
  out["metrics"] = std::move(aggregates);
  nlohmann::json datapoint_rows = nlohmann::json::array();
  for (const auto& row : rows) {
    datapoint_rows.push_back({{"index", row.index},
                              {"datapoint_id", row.datapoint_id},
                              {"session_id", row.session_id},
                              {"outputs", row.outputs},
                              {"metrics", row.metrics},
                              {"error", row.succeeded() ? nlohmann::json() : nlohmann::json(row.error)},
                              {"evaluator_errors", row.evaluator_errors},
                              {"duration_ms", row.duration_ms}});
  }
  out["rows"] = std::move(datapoint_rows);
  out["errors"] = errors;
  return out;
}

std::string EvaluationSummary::table(std::size_t max_rows) const {
  std::string out =
      "run " + run_name + "  (id " + run_id + ", dataset " + dataset_id + (api ? ", HoneyHive API" : "") + ")\n";
  out += std::to_string(datapoints) + " datapoints: " + std::to_string(succeeded) + " succeeded, " +
         std::to_string(failed) + " failed, " + std::to_string(skipped) + " skipped" +
         (cancelled ? " (cancelled)" : "") + ", " + format("%.1f", wall_time_ms) + " ms\n";
  for (const auto& error : errors) out += "error: " + error + "\n";
  if (!metrics.empty()) {
    out += "\n" + pad("metric", 24) + "count      mean       min       max     pass  errors\n";
    for (const auto& [name, aggregate] : metrics) {
      char counts[32];
      std::snprintf(counts, sizeof(counts), "%5zu ", aggregate.count);
      char tail[48];
      std::snprintf(tail, sizeof(tail), " %8s %7zu\n",
                    aggregate.pass_rate ? format("%.1f%%", *aggregate.pass_rate * 100.0).c_str() : "-",
                    aggregate.errors);
      out += pad(name, 24) + counts + column(aggregate.mean) + " " + column(aggregate.min) + " " +
             column(aggregate.max) + tail;
    }
  }
  if (!rows.empty() && max_rows > 0) {
    out += "\n" + pad("datapoint", 24) + pad("status", 8) + "      ms  metrics / error\n";
    std::size_t shown = 0;
    for (const auto& row : rows) {
      if (shown++ == max_rows) {
        out += "... " + std::to_string(rows.size() - max_rows) + " more\n";
        break;
      }
      std::string cells;
      if (!row.succeeded()) {
        cells = row.error;
      } else {
        for (const auto& [name, value] : row.metrics.items()) {
          const bool explanation = name.size() > 12 && name.compare(name.size() - 12, 12, "_explanation") == 0;
          if (!explanation) cells += name + "=" + compact(value) + " ";  // explanations are in to_json()
        }
        for (const auto& [name, message] : row.evaluator_errors) cells += name + "!(" + message + ") ";
      }
      out += pad(row.datapoint_id, 24) + pad(row.succeeded() ? "ok" : "error", 8) + format("%8.1f", row.duration_ms) +
             "  " + cells + "\n";
    }
  }
  return out;
}

void EvaluationSummary::print(std::FILE* out, std::size_t max_rows) const noexcept {
  try {
    const std::string text = table(max_rows);
    std::fwrite(text.data(), 1, text.size(), out != nullptr ? out : stdout);
  } catch (...) {
  }
}

}  // namespace honeyhive
