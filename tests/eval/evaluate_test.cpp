#include "honeyhive/eval/evaluate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "honeyhive/core/structured.hpp"
#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "lifecycle/lifecycle_support.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/http_test_helpers.hpp"
#include "support/recording_tracer.hpp"

namespace honeyhive {
namespace {

std::string text(const SpanData& span, std::string_view key) { return test::string_attribute(span, key); }

// A tracer recording to memory; its spans read back without the tracer's own first session.
struct Recorded {
  std::shared_ptr<HoneyHiveTracer> tracer;
  InMemoryExporter* memory = nullptr;

  std::vector<SpanDataPtr> spans() const {
    tracer->flush();
    std::vector<SpanDataPtr> out;
    for (const auto& span : memory->spans()) {
      if (text(*span, "honeyhive.session_id") != tracer->session_id()) out.push_back(span);
    }
    return out;
  }
  SpanDataPtr session_of(const std::string& session_id) const {
    for (const auto& span : spans()) {
      if (text(*span, "honeyhive_event_type") == "session" && text(*span, "honeyhive.session_id") == session_id) {
        return span;
      }
    }
    return nullptr;
  }
};

Recorded make_tracer(TracerConfig config = {}) {
  config.project = "eval-tests";
  test::RecordingTracer recording = test::make_recording_tracer(config);
  return Recorded{recording.tracer, recording.memory};
}

// x -> {"answer": 2x}; ground truth {"answer": ...}.
std::vector<Datapoint> doubling_dataset(int size) {
  std::vector<Datapoint> dataset;
  for (int x = 0; x < size; ++x) {
    Datapoint datapoint;
    datapoint.inputs = {{"x", x}};
    datapoint.ground_truth = {{"answer", x % 3 == 0 ? 2 * x + 1 : 2 * x}};  // every third one is "wrong"
    datapoint.id = "dp-" + std::to_string(x);
    dataset.push_back(std::move(datapoint));
  }
  return dataset;
}

EvaluateOptions doubling_options(const Recorded& t, int size) {
  EvaluateOptions options;
  options.tracer = t.tracer;
  options.name = "doubling";
  options.max_workers = 2;
  options.dataset = doubling_dataset(size);
  options.function = [](const nlohmann::json& inputs, const nlohmann::json&) {
    return nlohmann::json{{"answer", inputs.at("x").get<int>() * 2}};
  };
  options.evaluators.push_back({"exact", [](const nlohmann::json& outputs, const nlohmann::json&,
                                            const nlohmann::json& truth) { return outputs == truth; }});
  options.evaluators.push_back({"half", [](const nlohmann::json& outputs, const nlohmann::json&,
                                           const nlohmann::json&) { return outputs.at("answer").get<int>() / 2.0; }});
  return options;
}

TEST(EvaluateTest, ScoresEveryDatapointAndAggregatesEachEvaluator) {
  auto t = make_tracer();
  const EvaluationSummary summary = evaluate(doubling_options(t, 6));
  EXPECT_EQ(summary.datapoints, 6U);
  EXPECT_EQ(summary.succeeded, 6U);
  EXPECT_EQ(summary.failed, 0U);
  EXPECT_EQ(summary.skipped, 0U);
  EXPECT_FALSE(summary.cancelled);
  EXPECT_EQ(summary.run_name, "doubling");
  EXPECT_EQ(summary.run_id.size(), 36U);
  ASSERT_EQ(summary.rows.size(), 6U);
  for (std::size_t i = 0; i < summary.rows.size(); ++i) {
    EXPECT_EQ(summary.rows[i].index, i);
    EXPECT_EQ(summary.rows[i].datapoint_id, "EXT-dp-" + std::to_string(i));
    EXPECT_EQ(summary.rows[i].outputs, (nlohmann::json{{"answer", 2 * static_cast<int>(i)}}));
    EXPECT_EQ(summary.rows[i].metrics.at("exact"), i % 3 != 0);
  }
  // x = 0..5: exact is false for 0 and 3; half = x.
  const MetricAggregate& exact = summary.metrics.at("exact");
  EXPECT_EQ(exact.count, 6U);
  ASSERT_TRUE(exact.pass_rate.has_value());
  EXPECT_DOUBLE_EQ(*exact.pass_rate, 4.0 / 6.0);
  const MetricAggregate& half = summary.metrics.at("half");
  EXPECT_EQ(half.count, 6U);
  EXPECT_DOUBLE_EQ(half.mean, 2.5);
  EXPECT_DOUBLE_EQ(half.min, 0.0);
  EXPECT_DOUBLE_EQ(half.max, 5.0);
  EXPECT_FALSE(half.pass_rate.has_value());
}

TEST(EvaluateTest, EachDatapointIsASessionCarryingItsIdsInputsOutputsAndMetrics) {
  auto t = make_tracer();
  const EvaluationSummary summary = evaluate(doubling_options(t, 2));
  ASSERT_EQ(summary.rows.size(), 2U);
  const DatapointResult& row = summary.rows[1];
  const auto session = t.session_of(row.session_id);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->name, "doubling");
  EXPECT_FALSE(session->parent_span_id.is_valid());
  EXPECT_EQ(text(*session, "honeyhive_metadata.run_id"), summary.run_id);
  EXPECT_EQ(text(*session, "honeyhive_metadata.dataset_id"), summary.dataset_id);
  EXPECT_EQ(text(*session, "honeyhive_metadata.datapoint_id"), "EXT-dp-1");
  EXPECT_EQ(text(*session, "honeyhive.source"), "evaluation");
  EXPECT_EQ(std::get<std::int64_t>(*session->find_attribute("honeyhive_inputs.x")), 1);
  EXPECT_EQ(std::get<std::int64_t>(*session->find_attribute("honeyhive_outputs.answer")), 2);
  EXPECT_EQ(std::get<std::int64_t>(*session->find_attribute("honeyhive_feedback.ground_truth.answer")), 2);
  EXPECT_EQ(std::get<bool>(*session->find_attribute("honeyhive_metrics.exact")), true);
  EXPECT_DOUBLE_EQ(std::get<double>(*session->find_attribute("honeyhive_metrics.half")), 1.0);
  EXPECT_NE(row.session_id, summary.rows[0].session_id);
  EXPECT_NE(row.session_id, t.tracer->session_id());
}

TEST(EvaluateTest, AFunctionThatThrowsIsRecordedAndTheRunGoesOn) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 4);
  options.function = [](const nlohmann::json& inputs, const nlohmann::json&) -> nlohmann::json {
    if (inputs.at("x") == 2) throw std::runtime_error("model timed out");
    return {{"answer", inputs.at("x").get<int>() * 2}};
  };
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_EQ(summary.succeeded, 3U);
  EXPECT_EQ(summary.failed, 1U);
  ASSERT_EQ(summary.rows.size(), 4U);
  const DatapointResult& failed = summary.rows[2];
  EXPECT_FALSE(failed.succeeded());
  EXPECT_EQ(failed.error, "model timed out");
  EXPECT_TRUE(failed.outputs.is_null());
  EXPECT_TRUE(failed.metrics.empty());  // evaluators do not score a failed datapoint
  EXPECT_EQ(summary.metrics.at("half").count, 3U);
  const auto session = t.session_of(failed.session_id);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->status.code, StatusCode::error);
  EXPECT_EQ(text(*session, "honeyhive_error"), "model timed out");
}

TEST(EvaluateTest, AnEvaluatorThatThrowsIsRecordedAndTheOthersStillScore) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 3);
  options.evaluators.push_back(
      {"fragile", [](const nlohmann::json& outputs, const nlohmann::json&, const nlohmann::json&) -> nlohmann::json {
         if (outputs.at("answer") == 2) throw std::invalid_argument("cannot judge");
         return 1;
       }});
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_EQ(summary.succeeded, 3U);  // an evaluator's failure is not the datapoint's
  const DatapointResult& row = summary.rows[1];
  EXPECT_EQ(row.evaluator_errors.at("fragile"), "cannot judge");
  EXPECT_TRUE(row.metrics.contains("exact"));
  EXPECT_FALSE(row.metrics.contains("fragile"));
  EXPECT_EQ(summary.metrics.at("fragile").errors, 1U);
  EXPECT_EQ(summary.metrics.at("fragile").count, 2U);
  const auto session = t.session_of(row.session_id);
  ASSERT_NE(session, nullptr);
  EXPECT_NE(session->status.code, StatusCode::error);
  const auto event = std::find_if(session->events.begin(), session->events.end(),
                                  [](const SpanEvent& e) { return e.name == "exception"; });
  ASSERT_NE(event, session->events.end());
  EXPECT_NE(std::find(event->attributes.begin(), event->attributes.end(),
                      Attribute{"honeyhive.evaluator", AttributeValue{std::string("fragile")}}),
            event->attributes.end());
}

TEST(EvaluateTest, EvaluatorObjectsBecomeTheReferenceSdksFlatMetrics) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 1);
  options.evaluators.clear();
  options.evaluators.push_back({"judge", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) {
                                  return nlohmann::json{{"score", 0.5}, {"explanation", "half right"}, {"tokens", 12}};
                                }});
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 1U);
  EXPECT_EQ(summary.rows[0].metrics,
            (nlohmann::json{{"judge", 0.5}, {"judge_explanation", "half right"}, {"judge_tokens", 12}}));
  EXPECT_EQ(summary.metrics.count("judge_explanation"), 0U);  // strings are not aggregated
  EXPECT_EQ(summary.metrics.at("judge_tokens").count, 1U);
}

// An explanation that is not a string is kept as its JSON text; a byte that is not UTF-8 in it (a
// model's raw output, say) becomes U+FFFD there instead of failing the evaluator and losing its score.
TEST(EvaluateTest, AnExplanationWithInvalidUtf8IsRepairedNotAnEvaluatorError) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 1);
  options.evaluators.clear();
  options.evaluators.push_back({"judge", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) {
                                  return nlohmann::json{{"score", 1}, {"explanation", {{"raw", "ok \xff"}}}};
                                }});
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 1U);
  const DatapointResult& row = summary.rows[0];
  EXPECT_TRUE(row.evaluator_errors.empty());
  EXPECT_EQ(row.metrics, (nlohmann::json{{"judge", 1}, {"judge_explanation", "{\"raw\":\"ok \xef\xbf\xbd\"}"}}));
  EXPECT_EQ(summary.metrics.at("judge").errors, 0U);
}

// The largest time budget means no limit, not a budget spent before the first datapoint.
TEST(EvaluateTest, TheLargestTimeBudgetRunsEveryDatapoint) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 3);
  options.time_budget = std::chrono::milliseconds::max();
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_EQ(summary.succeeded, 3U);
  EXPECT_EQ(summary.skipped, 0U);
  EXPECT_FALSE(summary.cancelled);
}

// nlohmann::json nested 200,000 deep: copying or dumping it whole overflows the stack.
nlohmann::json nested_too_deep() {
  nlohmann::json value = 1;
  for (int i = 0; i < 200000; ++i) {
    nlohmann::json outer = nlohmann::json::array();
    outer.push_back(std::move(value));
    value = std::move(outer);
  }
  return value;
}

// An inline datapoint (hashed for its id, copied, recorded) and a function's output nested too
// deep are cut at kMaxJsonDepth levels, marked, and the datapoint is reported; the run goes on.
TEST(EvaluateTest, ValuesNestedTooDeepAreCutAndReportedNotCopiedWhole) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 1);
  Datapoint datapoint;
  datapoint.inputs = nlohmann::json{{"deep", nested_too_deep()}};
  options.dataset.push_back(std::move(datapoint));
  options.function = [](const nlohmann::json&, const nlohmann::json&) { return nested_too_deep(); };
  options.evaluators.clear();
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 2U);
  EXPECT_EQ(summary.succeeded, 2U);
  ASSERT_EQ(summary.errors.size(), 1U);
  EXPECT_EQ(summary.errors[0], "datapoint 1: inputs or ground truth nest more than 256 levels deep; cut there");
  const nlohmann::json* level = &summary.rows[1].outputs;
  for (std::size_t i = 0; i < 256; ++i) level = &level->at(0);
  EXPECT_EQ(*level, nlohmann::json(kMaxDepthMarker));
}

// Scores near the largest double: their mean is the mean, not an overflowed sum's infinity.
// An explanation nested too deep is kept as the JSON text of its cut copy: dumping it whole would
// overflow the stack.
TEST(EvaluateTest, AnExplanationNestedTooDeepIsCutNotDumpedWhole) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 1);
  options.evaluators.clear();
  options.evaluators.push_back({"judge", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) {
                                  return nlohmann::json{{"score", 1}, {"explanation", nested_too_deep()}};
                                }});
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 1U);
  const DatapointResult& row = summary.rows[0];
  EXPECT_TRUE(row.evaluator_errors.empty());
  EXPECT_EQ(row.metrics.value("judge", 0), 1);
  const std::string explanation = row.metrics.value("judge_explanation", "");
  EXPECT_NE(explanation.find(kMaxDepthMarker), std::string::npos);
}

TEST(EvaluateTest, TheMeanOfHugeScoresIsFinite) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 2);
  options.evaluators.clear();
  options.evaluators.push_back({"big", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) {
                                  return nlohmann::json(1e308);
                                }});
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.metrics.count("big"), 1U);
  EXPECT_EQ(summary.metrics.at("big").count, 2U);
  EXPECT_DOUBLE_EQ(summary.metrics.at("big").mean, 1e308);
}

// NaN or an infinity is no score: it is an evaluator error on that datapoint, counted and said,
// not a metric that silently vanishes from the summary.
TEST(EvaluateTest, ANonFiniteScoreIsAnEvaluatorErrorNotASilentGap) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 2);
  options.evaluators.clear();
  options.evaluators.push_back(
      {"judge", [](const nlohmann::json&, const nlohmann::json& inputs, const nlohmann::json&) {
         return inputs["x"] == 0 ? nlohmann::json(std::nan("")) : nlohmann::json{{"score", 1}, {"tokens", INFINITY}};
       }});
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 2U);
  EXPECT_EQ(summary.rows[0].evaluator_errors.at("judge"), "returned a score that is not a finite number (NaN)");
  EXPECT_EQ(summary.rows[0].metrics, nlohmann::json::object());
  EXPECT_EQ(summary.rows[1].evaluator_errors.at("judge"),
            "dropped member(s) that are not scalars or finite numbers: tokens (not a finite number)");
  EXPECT_EQ(summary.rows[1].metrics, (nlohmann::json{{"judge", 1}}));
  EXPECT_EQ(summary.metrics.at("judge").errors, 2U);
  EXPECT_EQ(summary.metrics.at("judge").count, 1U);
}

TEST(EvaluateTest, TheTableKeepsHugeNumbersAndLongUtf8NamesInTheirColumns) {
  EvaluationSummary summary;
  MetricAggregate huge;
  huge.count = 1;
  huge.mean = huge.min = 1e300;
  huge.max = -1.234e300;  // (not a real aggregate: the widest numbers, in their columns)
  huge.errors = 7;
  summary.metrics["huge"] = huge;
  MetricAggregate next;
  next.count = 1;
  next.mean = next.max = 1.0;
  next.min = -9999.999;
  summary.metrics["next"] = next;
  DatapointResult row;
  row.datapoint_id = std::string(22, 'x') + "\xc3\xa9\xc3\xa9";  // the cut falls inside the first é
  summary.rows.push_back(row);
  const std::string table = summary.table();
  EXPECT_NE(table.find("huge                        1  1.0e+300  1.0e+300 -1.2e+300        -       7\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("next                        1     1.000 -9999.999     1.000"), std::string::npos) << table;
  EXPECT_NE(table.find("\nnext "), std::string::npos) << table;
  EXPECT_NE(table.find(std::string(22, 'x') + "~"), std::string::npos) << table;
  EXPECT_NO_THROW((void)nlohmann::json(table).dump());  // valid UTF-8
}

// Evaluator "judge" returning "tokens" and an evaluator named "judge_tokens" both make the metric
// judge_tokens: the first stays, and the clash is an error of the second, not an overwrite unsaid.
TEST(EvaluateTest, AMetricNameTwoEvaluatorsMakeKeepsTheFirstAndSaysSo) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 1);
  options.evaluators.clear();
  options.evaluators.push_back({"judge", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) {
                                  return nlohmann::json{{"score", 1}, {"tokens", 12}};
                                }});
  options.evaluators.push_back({"judge_tokens", [](const nlohmann::json&, const nlohmann::json&,
                                                   const nlohmann::json&) { return nlohmann::json(99); }});
  options.evaluators.push_back({"judge", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) {
                                  return nlohmann::json{{"score", 0}, {"extra", true}, {"nested", {1, {2}}}};
                                }});
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 1U);
  const DatapointResult& row = summary.rows[0];
  EXPECT_EQ(row.metrics, (nlohmann::json{{"judge", 1}, {"judge_tokens", 12}, {"judge_extra", true}}));
  EXPECT_EQ(row.evaluator_errors.at("judge_tokens"),
            "metric judge_tokens already set by another evaluator; not overwritten");
  EXPECT_EQ(row.evaluator_errors.at("judge"),
            "dropped member(s) that are not scalars or finite numbers: nested; metric(s) judge already set by another "
            "evaluator; not overwritten");
}

// Two evaluators of one name that both fail: both problems are recorded under that name.
TEST(EvaluateTest, TwoFailingEvaluatorsOfOneNameKeepBothProblems) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 1);
  options.evaluators.clear();
  options.evaluators.push_back(
      {"judge", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) -> nlohmann::json {
         throw std::runtime_error("first failed");
       }});
  options.evaluators.push_back(
      {"judge", [](const nlohmann::json&, const nlohmann::json&, const nlohmann::json&) -> nlohmann::json {
         throw std::runtime_error("second failed");
       }});
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 1U);
  EXPECT_EQ(summary.rows[0].evaluator_errors.at("judge"), "first failed; second failed");
}

TEST(EvaluateTest, CancellingStopsSchedulingAndReturnsAPartialSummary) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 10);
  options.max_workers = 1;
  CancellationToken token = options.cancellation;
  options.function = [token](const nlohmann::json& inputs, const nlohmann::json&) {
    if (inputs.at("x") == 2) token.request_stop();
    return nlohmann::json{{"answer", inputs.at("x").get<int>() * 2}};
  };
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_TRUE(summary.cancelled);
  EXPECT_EQ(summary.rows.size(), 3U);  // the one that asked finishes; no new one starts
  EXPECT_EQ(summary.succeeded, 3U);
  EXPECT_EQ(summary.skipped, 7U);
  EXPECT_EQ(summary.metrics.at("half").count, 3U);
}

TEST(EvaluateTest, AUsedUpTimeBudgetStartsNoMoreDatapoints) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 10);
  options.max_workers = 1;
  options.time_budget = std::chrono::milliseconds(1);
  options.function = [](const nlohmann::json& inputs, const nlohmann::json&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // longer than the whole budget
    return nlohmann::json{{"answer", inputs.at("x").get<int>() * 2}};
  };
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_TRUE(summary.cancelled);
  EXPECT_LE(summary.rows.size(), 1U);
  EXPECT_EQ(summary.skipped + summary.rows.size(), 10U);
}

TEST(EvaluateTest, TheFunctionWithContextRunsInsideItsDatapointsSession) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 3);
  options.function = nullptr;
  options.function_with_context = [](const DatapointContext& datapoint) {
    HH_SPAN(library, "library_call", tool);  // code that only knows current_tracer()
    library.set_attribute("test.session_seen", Context::current().baggage("session_id").value_or(""));
    datapoint.session.set_metadata(nlohmann::json{{"seen_datapoint", datapoint.datapoint_id}});
    return nlohmann::json{{"answer", datapoint.inputs.at("x").get<int>() * 2}};
  };
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.succeeded, 3U);
  for (const auto& row : summary.rows) {
    const auto session = t.session_of(row.session_id);
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(text(*session, "honeyhive_metadata.seen_datapoint"), row.datapoint_id);
    std::size_t library_spans = 0;
    for (const auto& span : t.spans()) {
      if (span->name != "library_call" || text(*span, "honeyhive.session_id") != row.session_id) continue;
      ++library_spans;
      EXPECT_EQ(text(*span, "test.session_seen"), row.session_id);
      EXPECT_EQ(text(*span, "honeyhive_metadata.datapoint_id"), row.datapoint_id);
      EXPECT_EQ(text(*span, "honeyhive_metadata.run_id"), summary.run_id);
      EXPECT_EQ(span->parent_span_id, session->context.span_id());
    }
    EXPECT_EQ(library_spans, 1U);
  }
}

TEST(EvaluateTest, InlineIdsAreExternalAndStable) {
  auto t = make_tracer();
  auto run = [&](std::string dataset_id) {
    EvaluateOptions options = doubling_options(t, 3);
    for (auto& datapoint : options.dataset) datapoint.id.clear();
    options.dataset[1].id = "EXT-kept";
    options.dataset_id = std::move(dataset_id);
    return evaluate(std::move(options));
  };
  const EvaluationSummary first = run("");
  const EvaluationSummary second = run("");
  EXPECT_EQ(first.dataset_id.rfind("EXT-", 0), 0U);
  EXPECT_EQ(first.dataset_id.size(), 4U + 16U);
  EXPECT_EQ(first.dataset_id, second.dataset_id);
  ASSERT_EQ(first.rows.size(), 3U);
  EXPECT_EQ(first.rows[0].datapoint_id, second.rows[0].datapoint_id);
  EXPECT_NE(first.rows[0].datapoint_id, first.rows[2].datapoint_id);
  EXPECT_EQ(first.rows[1].datapoint_id, "EXT-kept");
  EXPECT_NE(first.run_id, second.run_id);
  EXPECT_EQ(run("golden-set").dataset_id, "EXT-golden-set");
}

TEST(EvaluateTest, MissingFunctionOrDatasetIsReportedNotThrown) {
  auto t = make_tracer();
  test::DiagnosticsCapture diagnostics;
  EvaluateOptions no_function = doubling_options(t, 2);
  no_function.function = nullptr;
  const EvaluationSummary a = evaluate(std::move(no_function));
  EXPECT_TRUE(a.rows.empty());
  ASSERT_EQ(a.errors.size(), 1U);
  EXPECT_NE(a.errors[0].find("no function"), std::string::npos);

  EvaluateOptions no_dataset = doubling_options(t, 0);
  const EvaluationSummary b = evaluate(std::move(no_dataset));
  ASSERT_EQ(b.errors.size(), 1U);
  EXPECT_NE(b.errors[0].find("no dataset"), std::string::npos);

  EvaluateOptions offline_dataset = doubling_options(t, 0);
  offline_dataset.dataset_id = "ds-1";
  const EvaluationSummary c = evaluate(std::move(offline_dataset));
  ASSERT_EQ(c.errors.size(), 1U);
  EXPECT_NE(c.errors[0].find("needs an API key"), std::string::npos);
  EXPECT_TRUE(t.spans().empty());
}

TEST(EvaluateTest, SummaryJsonAndTableShowCountsMetricsAndRows) {
  auto t = make_tracer();
  const EvaluationSummary summary = evaluate(doubling_options(t, 3));
  const nlohmann::json json = summary.to_json();
  EXPECT_EQ(json.at("run_id"), summary.run_id);
  EXPECT_EQ(json.at("succeeded"), 3);
  EXPECT_EQ(json.at("metrics").at("exact").at("count"), 3);
  EXPECT_TRUE(json.at("metrics").at("exact").contains("pass_rate"));
  EXPECT_FALSE(json.at("metrics").at("half").contains("pass_rate"));
  ASSERT_EQ(json.at("rows").size(), 3U);
  EXPECT_EQ(json.at("rows")[0].at("session_id"), summary.rows[0].session_id);
  EXPECT_TRUE(json.at("rows")[0].at("error").is_null());
  const std::string table = summary.table();
  EXPECT_NE(table.find("3 succeeded"), std::string::npos);
  EXPECT_NE(table.find("exact"), std::string::npos);
  EXPECT_NE(table.find("66.7%"), std::string::npos);
  EXPECT_NE(table.find("EXT-dp-2"), std::string::npos);
  EXPECT_NE(summary.table(1).find("... 2 more"), std::string::npos);
}

TEST(EvaluateTest, WithoutATracerItMakesItsOwnFromTheConfig) {
  TracerConfig config;
  config.api_key = null;
  config.otlp_endpoint = null;
  config.disabled = true;  // nothing written anywhere; the run itself still happens
  EvaluateOptions options;
  options.tracer_config = config;
  options.dataset = doubling_dataset(2);
  options.function = [](const nlohmann::json& inputs, const nlohmann::json&) { return inputs; };
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_EQ(summary.succeeded, 2U);
  EXPECT_FALSE(summary.api);
}

// --- API mode, against a fake HoneyHive API on 127.0.0.1 -------------------------------------------

constexpr const char* kApiKey = "hh-secret-test-key-7731";

// A tracer whose API key turns the runs API on, against `server` (spans go to memory).
Recorded api_tracer(const test::RecordingServer& server) {
  TracerConfig config;
  config.api_key = kApiKey;
  config.api_url = "http://127.0.0.1:" + std::to_string(server.port());
  return make_tracer(config);
}

// A fake HoneyHive API serving dataset `id`: its listing, and the datapoints by id (others {}).
std::unique_ptr<test::RecordingServer> dataset_api(const std::string& id, std::string listing,
                                                   std::map<std::string, std::string> datapoints) {
  return std::make_unique<test::RecordingServer>(
      [id, listing = std::move(listing), datapoints = std::move(datapoints)](const tools::HttpRequest& request) {
        tools::HttpResponse response;
        response.content_type = "application/json";
        response.body = "{}";
        if (request.method == "GET" && request.target == "/v1/datasets?dataset_id=" + id) {
          response.body = listing;
        } else if (request.method == "GET" && request.target.rfind("/v1/datapoints/", 0) == 0) {
          const auto found = datapoints.find(request.target.substr(std::string("/v1/datapoints/").size()));
          if (found != datapoints.end()) response.body = found->second;
        } else if (request.method == "POST") {
          response.body = R"({"run_id":"r-1"})";
        }
        return response;
      });
}

struct FakeApi {
  test::RecordingServer server{[](const tools::HttpRequest& request) {
    tools::HttpResponse response;
    response.content_type = "application/json";
    if (request.method == "POST" && request.target == "/v1/runs") {
      response.body = R"({"run_id":"server-run-1","evaluation":{}})";
    } else if (request.method == "PUT" && request.target == "/v1/runs/server-run-1") {
      response.body = R"({"evaluation":{}})";
    } else if (request.method == "GET" && request.target == "/v1/datasets?dataset_id=ds-42") {
      response.body = R"({"datasets":[{"id":"ds-42","name":"golden","datapoints":["a1","b2"]}]})";
    } else if (request.method == "GET" && request.target == "/v1/datapoints/a1") {
      response.body = R"({"datapoint":[{"id":"a1","inputs":{"x":1},"ground_truth":{"answer":2}}]})";
    } else if (request.method == "GET" && request.target == "/v1/datapoints/b2") {
      response.body = R"({"datapoint":[{"id":"b2","inputs":{"x":4},"ground_truth":{"answer":9}}]})";
    } else {
      response.status = 404;
      response.body = "{}";
    }
    return response;
  }};

  Recorded tracer() const { return api_tracer(server); }
  std::vector<tools::HttpRequest> requests(const std::string& method) const {
    std::vector<tools::HttpRequest> out;
    for (const auto& request : server.requests()) {
      if (request.method == method) out.push_back(request);
    }
    return out;
  }
};

// The largest request timeout means no limit: the run is still created and completed (the deadline
// overflowed into the past, and no request was sent).
TEST(EvaluateApiTest, TheLargestRequestTimeoutStillSendsTheRunRequests) {
  FakeApi api;
  ASSERT_TRUE(api.server.ok());
  auto t = api.tracer();
  EvaluateOptions options = doubling_options(t, 1);
  options.request_timeout = std::chrono::milliseconds::max();
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_TRUE(summary.api);
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_EQ(api.requests("POST").size(), 1U);
  EXPECT_EQ(api.requests("PUT").size(), 1U);
}

// A backend answering with JSON nested deeper than any real answer (600 KB of brackets, under the
// 1 MiB response cap) is refused as an answer, not parsed and copied until the stack overflows.
TEST(EvaluateApiTest, ADatapointNestedTooDeepToCopyIsRefusedAndReported) {
  constexpr std::size_t kDepth = 300000;
  const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  const auto server =
      dataset_api("ds-8", R"({"datasets":[{"id":"ds-8","datapoints":["a1","b2"]}]})",
                  {{"a1", R"({"datapoint":[{"id":"a1","inputs":{"x":1},"ground_truth":)" + deep + "}]}"},
                   {"b2", R"({"datapoint":[{"id":"b2","inputs":{"x":4}}]})"}});
  ASSERT_TRUE(server->ok());
  auto t = api_tracer(*server);
  EvaluateOptions options = doubling_options(t, 0);
  options.dataset_id = "ds-8";
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 1U);  // b2
  EXPECT_EQ(summary.rows[0].datapoint_id, "b2");
  ASSERT_FALSE(summary.errors.empty());
  EXPECT_NE(summary.errors[0].find("nested more than 256 levels deep; not read"), std::string::npos)
      << summary.errors[0];
}

// Datapoint ids in a dataset listing that are not strings are skipped and said, not lost unsaid.
TEST(EvaluateApiTest, DatapointIdsThatAreNotStringsAreReported) {
  const auto server =
      dataset_api("ds-7", R"({"datasets":[{"id":"ds-7","datapoints":["a1",42,{"id":"b2"}]}]})",
                  {{"a1", R"({"datapoint":[{"id":"a1","inputs":{"x":1},"ground_truth":{"answer":2}}]})"}});
  ASSERT_TRUE(server->ok());
  auto t = api_tracer(*server);
  EvaluateOptions options = doubling_options(t, 0);
  options.dataset_id = "ds-7";
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_EQ(summary.rows.size(), 1U);
  ASSERT_EQ(summary.errors.size(), 2U);
  EXPECT_EQ(summary.errors[0], "dataset ds-7: datapoint id 2 of 3 is not a string; skipped");
  EXPECT_EQ(summary.errors[1], "2 datapoints of dataset ds-7 skipped");
}

TEST(EvaluateApiTest, CreatesAPendingRunThenCompletesItWithTheSessions) {
  FakeApi api;
  ASSERT_TRUE(api.server.ok());
  auto t = api.tracer();
  const std::string own_run_id = "6f1c2a9e-0000-4000-8000-000000000001";
  EvaluateOptions options = doubling_options(t, 3);
  options.run_id = own_run_id;
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_TRUE(summary.api);
  EXPECT_TRUE(summary.errors.empty());
  EXPECT_EQ(summary.run_id, "server-run-1");  // the backend's id wins

  const auto posts = api.requests("POST");
  ASSERT_EQ(posts.size(), 1U);
  EXPECT_EQ(posts[0].target, "/v1/runs");
  EXPECT_EQ(posts[0].header("authorization"), std::string("Bearer ") + kApiKey);
  EXPECT_EQ(posts[0].header("content-type"), "application/json");
  const auto created = nlohmann::json::parse(posts[0].body);
  EXPECT_EQ(created.at("run_id"), own_run_id);
  EXPECT_EQ(created.at("name"), "doubling");
  EXPECT_EQ(created.at("status"), "pending");
  EXPECT_EQ(created.at("datapoint_ids"), (nlohmann::json{"EXT-dp-0", "EXT-dp-1", "EXT-dp-2"}));
  EXPECT_EQ(created.at("event_ids"), nlohmann::json::array());
  EXPECT_FALSE(created.contains("dataset_id"));  // an external dataset travels in the metadata
  EXPECT_EQ(created.at("metadata").at("offline_dataset_id"), summary.dataset_id);
  EXPECT_EQ(created.at("configuration").at("evaluators"), (nlohmann::json{"exact", "half"}));

  const auto puts = api.requests("PUT");
  ASSERT_EQ(puts.size(), 1U);
  EXPECT_EQ(puts[0].target, "/v1/runs/server-run-1");
  EXPECT_EQ(puts[0].header("authorization"), std::string("Bearer ") + kApiKey);
  const auto updated = nlohmann::json::parse(puts[0].body);
  EXPECT_EQ(updated.at("status"), "completed");
  EXPECT_EQ(updated.at("name"), "doubling");
  EXPECT_EQ(updated.at("metadata").at("offline_dataset_id"), summary.dataset_id);
  std::set<std::string> sessions;
  for (const auto& row : summary.rows) sessions.insert(row.session_id);
  EXPECT_EQ(updated.at("event_ids").get<std::set<std::string>>(), sessions);

  // The spans carry the run id the backend knows.
  for (const auto& row : summary.rows) {
    const auto session = t.session_of(row.session_id);
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(text(*session, "honeyhive_metadata.run_id"), "server-run-1");
  }
}

TEST(EvaluateApiTest, FetchesAHoneyHiveDatasetAndLinksTheRunToIt) {
  FakeApi api;
  ASSERT_TRUE(api.server.ok());
  auto t = api.tracer();
  EvaluateOptions options = doubling_options(t, 0);
  options.dataset_id = "ds-42";
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_TRUE(summary.errors.empty());
  ASSERT_EQ(summary.rows.size(), 2U);
  EXPECT_EQ(summary.rows[0].datapoint_id, "a1");
  EXPECT_EQ(summary.rows[1].datapoint_id, "b2");
  EXPECT_EQ(summary.rows[0].metrics.at("exact"), true);   // 2*1 == 2
  EXPECT_EQ(summary.rows[1].metrics.at("exact"), false);  // 2*4 != 9
  const auto created = nlohmann::json::parse(api.requests("POST").at(0).body);
  EXPECT_EQ(created.at("dataset_id"), "ds-42");
  EXPECT_EQ(created.at("datapoint_ids"), (nlohmann::json{"a1", "b2"}));
  EXPECT_FALSE(created.at("metadata").contains("offline_dataset_id"));
  const auto session = t.session_of(summary.rows[1].session_id);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(text(*session, "honeyhive_metadata.dataset_id"), "ds-42");
  EXPECT_EQ(text(*session, "honeyhive_metadata.datapoint_id"), "b2");
}

TEST(EvaluateApiTest, ARefusedRunIsReportedWithoutTheKeyAndTheDatapointsStillRun) {
  test::RecordingServer server([](const tools::HttpRequest&) {
    tools::HttpResponse response;
    response.status = 401;
    response.body = R"({"error":"unauthorized"})";
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto t = api_tracer(server);
  test::DiagnosticsCapture diagnostics;
  const EvaluationSummary summary = evaluate(doubling_options(t, 2));
  EXPECT_FALSE(summary.api);
  EXPECT_EQ(summary.succeeded, 2U);
  ASSERT_EQ(summary.errors.size(), 1U);
  EXPECT_NE(summary.errors[0].find("HTTP 401"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1U);  // no update of a run that does not exist
  for (const auto& line : diagnostics.lines()) EXPECT_EQ(line.find("secret-test-key"), std::string::npos);
  EXPECT_EQ(summary.to_json().dump().find("secret-test-key"), std::string::npos);
}

TEST(EvaluateApiTest, OfflineNeverCallsTheApi) {
  FakeApi api;
  ASSERT_TRUE(api.server.ok());
  auto t = api.tracer();
  EvaluateOptions options = doubling_options(t, 2);
  options.offline = true;
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_EQ(summary.succeeded, 2U);
  EXPECT_FALSE(summary.api);
  EXPECT_TRUE(api.server.requests().empty());
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

// A huge dataset whose datapoints the server never serves (503, retried): cancelling stops the
// fetch itself, not only the scheduling of datapoints.
TEST(EvaluateApiTest, CancellingStopsAHugeDatasetFetch) {
  std::atomic<int> datapoint_requests{0};
  test::RecordingServer server([&](const tools::HttpRequest& request) {
    tools::HttpResponse response;
    response.content_type = "application/json";
    if (request.target.rfind("/v1/datasets", 0) == 0) {
      nlohmann::json ids = nlohmann::json::array();
      for (int i = 0; i < 5000; ++i) ids.push_back("dp-" + std::to_string(i));
      response.body = nlohmann::json{{"datasets", {{{"id", "huge"}, {"datapoints", ids}}}}}.dump();
    } else {
      datapoint_requests.fetch_add(1);
      response.status = 503;  // retryable: each datapoint would take retries and backoff
      response.body = "{}";
    }
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto t = api_tracer(server);
  EvaluateOptions options = doubling_options(t, 0);
  options.dataset_id = "huge";
  CancellationToken token;
  options.cancellation = token;
  std::thread canceller([token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    token.request_stop();
  });
  EvaluationSummary summary;
  test::with_watchdog("evaluate with a cancelled dataset fetch", std::chrono::seconds(120),
                      [&] { summary = evaluate(std::move(options)); });
  canceller.join();
  EXPECT_LT(datapoint_requests.load(), 5000);  // it stopped fetching
  bool said_so = false;
  for (const auto& error : summary.errors) said_so = said_so || error.find("stopped") != std::string::npos;
  EXPECT_TRUE(said_so);
  EXPECT_TRUE(summary.cancelled);
}

// A datapoint whose answer is cut short (the connection ended mid-body) is read again: a read
// changes nothing on the server.
TEST(EvaluateApiTest, ADatapointWhoseAnswerWasCutShortIsReadAgain) {
  std::atomic<int> datapoint_reads{0};
  test::RecordingServer server([&](const tools::HttpRequest& request) {
    tools::HttpResponse response;
    response.content_type = "application/json";
    response.body = R"({"run_id":"r-1"})";
    if (request.target == "/v1/datasets?dataset_id=ds-cut") {
      response.body = R"({"datasets":[{"id":"ds-cut","datapoints":["a1"]}]})";
    } else if (request.target == "/v1/datapoints/a1") {
      const std::string whole = R"({"datapoint":[{"id":"a1","inputs":{"x":1}}]})";
      if (datapoint_reads.fetch_add(1) == 0) return test::answer_cut_short(200, whole.substr(0, 10), whole.size());
      response.body = whole;
    }
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto t = api_tracer(server);
  EvaluateOptions options = doubling_options(t, 0);
  options.dataset_id = "ds-cut";
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_EQ(datapoint_reads.load(), 2);
  ASSERT_EQ(summary.rows.size(), 1U);
  EXPECT_EQ(summary.rows[0].datapoint_id, "a1");
}

// A run stopped before its HoneyHive dataset was fetched says it was cancelled, as one over an
// inline dataset does.
TEST(EvaluateApiTest, ARunStoppedBeforeItsDatasetIsFetchedSaysCancelled) {
  const auto server = dataset_api("ds-c", R"({"datasets":[{"id":"ds-c","datapoints":["a1","b2"]}]})",
                                  {{"a1", R"({"datapoint":[{"id":"a1","inputs":{"x":1}}]})"},
                                   {"b2", R"({"datapoint":[{"id":"b2","inputs":{"x":2}}]})"}});
  ASSERT_TRUE(server->ok());
  auto t = api_tracer(*server);
  EvaluateOptions options = doubling_options(t, 0);
  options.dataset_id = "ds-c";
  options.cancellation.request_stop();
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_TRUE(summary.rows.empty());
  EXPECT_TRUE(summary.cancelled);
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

// Library code that knows nothing of evaluate() calls enrich_session(): it enriches the datapoint's
// session, not the tracer's own.
TEST(EvaluateTest, EnrichSessionInsideTheFunctionEnrichesTheDatapointsSession) {
  auto t = make_tracer();
  EvaluateOptions options = doubling_options(t, 3);
  options.function = [](const nlohmann::json& inputs, const nlohmann::json&) {
    Enrichment extra;
    extra.metadata = nlohmann::json{{"seen_x", inputs.at("x")}};
    enrich_session(extra);
    return nlohmann::json{{"answer", inputs.at("x").get<int>() * 2}};
  };
  const EvaluationSummary summary = evaluate(std::move(options));
  ASSERT_EQ(summary.rows.size(), 3U);
  std::set<std::string> enriched_sessions;
  for (const auto& span : t.spans()) {
    if (span->name == "session_enrichment") enriched_sessions.insert(text(*span, "honeyhive.session_id"));
  }
  std::set<std::string> datapoint_sessions;
  for (const auto& row : summary.rows) datapoint_sessions.insert(row.session_id);
  EXPECT_EQ(enriched_sessions, datapoint_sessions);
}

// An HttpClient that sends nothing and records what it was asked to send.
class UrlRecordingClient final : public HttpClient {
 public:
  HttpResponse send(const HttpRequest& request) noexcept override {
    try {
      urls.push_back(request.url);
    } catch (...) {
    }
    HttpResponse response;
    response.error = "not sent (test)";
    response.permanent = true;
    return response;
  }
  void cancel() noexcept override {}
  std::vector<std::string> urls;
};

// An API URL that is not one: no request goes anywhere with the key, and the summary says why.
TEST(EvaluateApiTest, AnApiUrlThatIsNotAUrlCallsNoApiAndSaysSo) {
  TracerConfig config;
  config.api_key = kApiKey;
  config.api_url = "not a url";
  auto t = make_tracer(config);
  ASSERT_EQ(t.tracer->config().api_url, "");
  auto client = std::make_shared<UrlRecordingClient>();
  EvaluateOptions options = doubling_options(t, 1);
  options.http_client = client;
  const EvaluationSummary summary = evaluate(std::move(options));
  EXPECT_TRUE(client->urls.empty()) << "first request to '" << client->urls.front() << "'";
  EXPECT_FALSE(summary.api);
  EXPECT_EQ(summary.succeeded, 1U);  // the datapoint still ran, offline
  bool said = false;
  for (const auto& error : summary.errors)
    said = said || error.find("api_url is not an http(s) URL") != std::string::npos;
  EXPECT_TRUE(said);
}

// An API URL with a query: the dataset fetch keeps one query, the dataset's id first.
TEST(EvaluateApiTest, AnApiUrlWithAQueryFetchesTheDatasetWithOneQuery) {
  auto client = std::make_shared<UrlRecordingClient>();
  TracerConfig config;
  config.api_key = kApiKey;
  config.api_url = "http://127.0.0.1:9/?gw=1";
  auto t = make_tracer(config);
  EvaluateOptions options = doubling_options(t, 0);
  options.dataset_id = "ds-42";
  options.http_client = client;
  static_cast<void>(evaluate(std::move(options)));
  bool fetched = false;
  for (const auto& url : client->urls) {
    if (url.find("/v1/datasets") == std::string::npos) continue;
    fetched = true;
    EXPECT_EQ(url, "http://127.0.0.1:9/v1/datasets?dataset_id=ds-42&gw=1");
  }
  EXPECT_TRUE(fetched);
}

}  // namespace
}  // namespace honeyhive
