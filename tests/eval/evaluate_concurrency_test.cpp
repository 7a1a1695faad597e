// evaluate() on many workers: every span stays with its own datapoint. Runs under ThreadSanitizer too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include "honeyhive/eval/evaluate.hpp"
#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "support/recording_tracer.hpp"

namespace honeyhive {
namespace {

constexpr int kDatapoints = 200;
constexpr int kWorkers = 8;
constexpr std::size_t kSpansPerDatapoint = 4;  // session, chain, tool (helper thread), model (helper thread)

std::string text(const SpanData& span, std::string_view key) { return test::string_attribute(span, key); }

bool fails(int n) { return n % 17 == 0; }
bool evaluator_throws(int n) { return n % 23 == 0; }

// The application under test: a chain span here, nested spans on a helper thread of its own; library
// code that only knows current_tracer(). Each span records the input it was started for.
nlohmann::json application(const nlohmann::json& inputs, const nlohmann::json&) {
  const int n = inputs.at("n").get<int>();
  HH_SPAN(chain, "answer", chain);
  chain.set_attribute("test.n", static_cast<std::int64_t>(n));
  std::thread helper(bind_context([n] {
    HH_SPAN(tool, "retrieve", tool);
    tool.set_attribute("test.n", static_cast<std::int64_t>(n));
    std::this_thread::yield();
    HH_SPAN(model, "generate", model);
    model.set_attribute("test.n", static_cast<std::int64_t>(n));
  }));
  helper.join();
  if (fails(n)) throw std::runtime_error("failure " + std::to_string(n));
  return {{"value", n}};
}

TEST(EvaluateConcurrencyTest, EverySpanCarriesExactlyItsOwnDatapointsIdsAndSession) {
  // Each span is exported as it ends (no batch queue that could drop one).
  const test::RecordingTracer recording = test::make_recording_tracer();
  const auto& tracer = recording.tracer;
  InMemoryExporter* memory = recording.memory;
  ASSERT_NE(tracer, nullptr);
  tracer->flush();
  memory->clear();  // the tracer's own first session span

  EvaluateOptions options;
  options.tracer = tracer;
  options.name = "concurrency";
  options.max_workers = kWorkers;
  for (int n = 0; n < kDatapoints; ++n) {
    Datapoint datapoint;
    datapoint.inputs = {{"n", n}};
    datapoint.ground_truth = {{"value", n}};
    datapoint.id = "dp-" + std::to_string(n);
    options.dataset.push_back(std::move(datapoint));
  }
  options.function = application;
  options.evaluators.push_back({"even", [](const nlohmann::json& outputs, const nlohmann::json&,
                                           const nlohmann::json&) { return outputs.at("value").get<int>() % 2 == 0; }});
  options.evaluators.push_back({"tenth", [](const nlohmann::json& outputs, const nlohmann::json&,
                                            const nlohmann::json&) { return outputs.at("value").get<int>() / 10.0; }});
  options.evaluators.push_back(
      {"fragile", [](const nlohmann::json& outputs, const nlohmann::json&, const nlohmann::json&) -> nlohmann::json {
         if (evaluator_throws(outputs.at("value").get<int>())) throw std::logic_error("no");
         return 1;
       }});
  const EvaluationSummary summary = evaluate(std::move(options));

  // The expected results, computed here from the dataset alone.
  std::size_t succeeded = 0;
  std::size_t evens = 0;
  std::size_t fragile_errors = 0;
  double tenth_sum = 0.0;
  double tenth_min = 1e9;
  double tenth_max = -1e9;
  for (int n = 0; n < kDatapoints; ++n) {
    if (fails(n)) continue;
    ++succeeded;
    evens += n % 2 == 0 ? 1U : 0U;
    fragile_errors += evaluator_throws(n) ? 1U : 0U;
    tenth_sum += n / 10.0;
    tenth_min = std::min(tenth_min, n / 10.0);
    tenth_max = std::max(tenth_max, n / 10.0);
  }
  EXPECT_EQ(summary.datapoints, static_cast<std::size_t>(kDatapoints));
  EXPECT_EQ(summary.succeeded, succeeded);
  EXPECT_EQ(summary.failed, static_cast<std::size_t>(kDatapoints) - succeeded);
  EXPECT_EQ(summary.skipped, 0U);
  const MetricAggregate& even = summary.metrics.at("even");
  EXPECT_EQ(even.count, succeeded);
  ASSERT_TRUE(even.pass_rate.has_value());
  EXPECT_DOUBLE_EQ(*even.pass_rate, static_cast<double>(evens) / static_cast<double>(succeeded));
  const MetricAggregate& tenth = summary.metrics.at("tenth");
  EXPECT_EQ(tenth.count, succeeded);
  EXPECT_NEAR(tenth.mean, tenth_sum / static_cast<double>(succeeded), 1e-9);
  EXPECT_DOUBLE_EQ(tenth.min, tenth_min);
  EXPECT_DOUBLE_EQ(tenth.max, tenth_max);
  const MetricAggregate& fragile = summary.metrics.at("fragile");
  EXPECT_EQ(fragile.errors, fragile_errors);
  EXPECT_EQ(fragile.count, succeeded - fragile_errors);

  // Spans: none lost, each with exactly its own datapoint's ids and session.
  ASSERT_EQ(summary.rows.size(), static_cast<std::size_t>(kDatapoints));
  std::map<std::string, const DatapointResult*> by_datapoint;
  for (const auto& row : summary.rows) by_datapoint[row.datapoint_id] = &row;
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), kSpansPerDatapoint * static_cast<std::size_t>(kDatapoints));
  std::map<std::string, std::size_t> spans_per_datapoint;
  std::map<std::string, TraceId> trace_of_session;
  for (const auto& span : spans) {
    const std::string datapoint_id = text(*span, "honeyhive_metadata.datapoint_id");
    const auto row = by_datapoint.find(datapoint_id);
    ASSERT_NE(row, by_datapoint.end()) << span->name << " has datapoint id " << datapoint_id;
    ++spans_per_datapoint[datapoint_id];
    EXPECT_EQ(text(*span, "honeyhive_metadata.run_id"), summary.run_id);
    EXPECT_EQ(text(*span, "honeyhive_metadata.dataset_id"), summary.dataset_id);
    EXPECT_EQ(text(*span, "honeyhive.session_id"), row->second->session_id) << span->name;
    if (span->name == "concurrency") {
      trace_of_session.emplace(row->second->session_id, span->context.trace_id());
    } else {
      // The input the span was started for is the datapoint it is linked to.
      EXPECT_EQ("EXT-dp-" + std::to_string(std::get<std::int64_t>(*span->find_attribute("test.n"))), datapoint_id)
          << span->name;
    }
  }
  EXPECT_EQ(spans_per_datapoint.size(), static_cast<std::size_t>(kDatapoints));
  for (const auto& [datapoint_id, count] : spans_per_datapoint) EXPECT_EQ(count, kSpansPerDatapoint) << datapoint_id;
  ASSERT_EQ(trace_of_session.size(), static_cast<std::size_t>(kDatapoints));
  for (const auto& span : spans) {
    EXPECT_TRUE(span->context.trace_id() == trace_of_session.at(text(*span, "honeyhive.session_id")));
  }
  tracer->shutdown();
}

}  // namespace
}  // namespace honeyhive
