#include "store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hhlocal_support.hpp"
#include "records.hpp"

namespace honeyhive::hhlocal {
namespace {

using json = nlohmann::json;
using test::make_span;
using test::open_store;
using test::TempDatabase;

constexpr const char* kTraceA = "0000000000000000000000000000000a";
constexpr const char* kTraceB = "0000000000000000000000000000000b";

std::vector<SpanRecord> records_of(const std::vector<std::shared_ptr<SpanData>>& spans) {
  std::vector<SpanRecord> out;
  for (const auto& span : spans) out.push_back(record_from_span(*span));
  return out;
}

Attributes session_attributes(const std::string& session, const std::string& project) {
  return {{"honeyhive.session_id", session}, {"honeyhive.project", project}, {"honeyhive.source", std::string("dev")}};
}

TEST(HhLocalStore, StoresSpansAndListsSessionsNewestFirst) {
  TempDatabase database;
  auto store = open_store(database.path());
  const WriteResult written =
      store->insert(records_of({make_span(kTraceA, "00000000000000a1", "", "old", 1000, 2000),
                                make_span(kTraceB, "00000000000000b1", "", "new", 5000, 9000),
                                make_span(kTraceB, "00000000000000b2", "00000000000000b1", "child", 6000, 7000)}));
  ASSERT_TRUE(written.ok) << written.error;
  EXPECT_EQ(written.inserted, 3U);
  const json sessions = store->sessions({});
  ASSERT_EQ(sessions["total"], 2);
  ASSERT_EQ(sessions["sessions"].size(), 2U);
  const json& newest = sessions["sessions"][0];
  EXPECT_EQ(newest["session_id"], kTraceB);
  EXPECT_EQ(newest["session_name"], "new");  // a session from a trace is named after its root span
  EXPECT_EQ(newest["span_count"], 2);
  EXPECT_EQ(newest["start_time_ns"], 5000);
  EXPECT_EQ(newest["end_time_ns"], 9000);
  EXPECT_DOUBLE_EQ(newest["duration_ms"].get<double>(), 0.004);
  EXPECT_EQ(newest["project"], "test-service");
  EXPECT_TRUE(newest["run_id"].is_null());
  EXPECT_EQ(sessions["sessions"][1]["session_id"], kTraceA);
}

TEST(HhLocalStore, ARetriedRequestStoresNothingTwice) {
  TempDatabase database;
  auto store = open_store(database.path());
  const auto records = records_of({make_span(kTraceA, "00000000000000a1", "", "root", 1, 2),
                                   make_span(kTraceA, "00000000000000a2", "00000000000000a1", "child", 1, 2)});
  ASSERT_TRUE(store->insert(records).ok);
  const WriteResult again = store->insert(records);
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(again.inserted, 0U);
  EXPECT_EQ(again.duplicates, 2U);
  EXPECT_EQ(store->span_count(), 2);
  EXPECT_EQ(store->sessions({})["sessions"][0]["span_count"], 2);
}

TEST(HhLocalStore, SpansJoinTheSessionNamedByTheirAttributeAndTheExplicitNameWins) {
  TempDatabase database;
  auto store = open_store(database.path());
  Attributes child = session_attributes("s-1", "bot");
  Attributes session_span = session_attributes("s-1", "bot");
  session_span.push_back({"honeyhive.session_name", std::string("checkout-flow")});
  session_span.push_back({"honeyhive_event_type", std::string("session")});
  ASSERT_TRUE(store->insert(records_of({make_span(kTraceA, "00000000000000a1", "", "answer", 10, 20, child)})).ok);
  ASSERT_TRUE(
      store->insert(records_of({make_span(kTraceB, "00000000000000b1", "", "session", 5, 6, session_span)})).ok);
  const json sessions = store->sessions({});
  ASSERT_EQ(sessions["total"], 1);
  const json& row = sessions["sessions"][0];
  EXPECT_EQ(row["session_id"], "s-1");
  EXPECT_EQ(row["session_name"], "checkout-flow");
  EXPECT_EQ(row["project"], "bot");
  EXPECT_EQ(row["source"], "dev");
  EXPECT_EQ(row["span_count"], 2);
  EXPECT_EQ(row["start_time_ns"], 5);
  EXPECT_EQ(row["end_time_ns"], 20);
}

TEST(HhLocalStore, FiltersSessionsByProjectSpanNameAndRunAndPages) {
  TempDatabase database;
  auto store = open_store(database.path());
  std::vector<std::shared_ptr<SpanData>> spans;
  for (int i = 0; i < 5; ++i) {
    Attributes attributes = session_attributes("s" + std::to_string(i), i % 2 == 0 ? "even" : "odd");
    if (i < 2) attributes.push_back({"honeyhive_metadata.run_id", std::string("run-1")});
    char span_hex[17];
    std::snprintf(span_hex, sizeof(span_hex), "%016x", i + 1);
    spans.push_back(make_span(kTraceA, span_hex, "", i == 3 ? "retrieve_docs" : "step", static_cast<UnixNanos>(100 * i),
                              static_cast<UnixNanos>(100 * i + 50), attributes));
  }
  ASSERT_TRUE(store->insert(records_of(spans)).ok);
  SessionQuery even;
  even.project = "even";
  EXPECT_EQ(store->sessions(even)["total"], 3);
  SessionQuery text;
  text.text = "DOCS";  // case-insensitive substring of a span name
  const json found = store->sessions(text);
  ASSERT_EQ(found["total"], 1);
  EXPECT_EQ(found["sessions"][0]["session_id"], "s3");
  SessionQuery wildcard;
  wildcard.text = "%";  // taken literally
  EXPECT_EQ(store->sessions(wildcard)["total"], 0);
  SessionQuery run;
  run.run_id = "run-1";
  EXPECT_EQ(store->sessions(run)["total"], 2);
  SessionQuery page;
  page.limit = 2;
  page.offset = 1;
  const json paged = store->sessions(page);
  EXPECT_EQ(paged["total"], 5);
  ASSERT_EQ(paged["sessions"].size(), 2U);
  EXPECT_EQ(paged["sessions"][0]["session_id"], "s3");
  EXPECT_EQ(paged["sessions"][1]["session_id"], "s2");
  EXPECT_EQ(store->projects()["projects"], (json{"even", "odd"}));
}

TEST(HhLocalStore, SessionDetailRebuildsStructuredFieldsAndKeepsRawAttributes) {
  TempDatabase database;
  auto store = open_store(database.path());
  Attributes attributes = session_attributes("s-1", "bot");
  attributes.push_back({"honeyhive_event_type", std::string("model")});
  attributes.push_back({"honeyhive_inputs.chat_history", std::string("[{\"role\":\"user\"}]")});
  attributes.push_back({"honeyhive_outputs.text", std::string("hi")});
  attributes.push_back({"honeyhive_metadata.user.id", std::int64_t{7}});
  attributes.push_back({"honeyhive_metrics.tokens", std::int64_t{12}});
  attributes.push_back({"honeyhive_config.model", std::string("gpt-4o")});
  attributes.push_back({"honeyhive_feedback.rating", 0.5});
  auto later = make_span(kTraceA, "00000000000000a2", "00000000000000a1", "llm", 30, 40, attributes);
  later->kind = SpanKind::client;
  later->status = Status{StatusCode::error, "rate limited"};
  later->events.push_back(SpanEvent{"retry", 35, {{"attempt", std::int64_t{2}}}, 0});
  auto earlier = make_span(kTraceA, "00000000000000a1", "", "chain", 10, 50, session_attributes("s-1", "bot"));
  ASSERT_TRUE(store->insert(records_of({later, earlier})).ok);

  const auto detail = store->session("s-1");
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ((*detail)["session"]["error_count"], 1);
  const json& spans = (*detail)["spans"];
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_EQ(spans[0]["name"], "chain");  // ordered by start time
  EXPECT_TRUE(spans[0]["parent_span_id"].is_null());
  EXPECT_TRUE(spans[0]["event_type"].is_null());
  const json& llm = spans[1];
  EXPECT_EQ(llm["trace_id"], kTraceA);
  EXPECT_EQ(llm["span_id"], "00000000000000a2");
  EXPECT_EQ(llm["parent_span_id"], "00000000000000a1");
  EXPECT_EQ(llm["event_type"], "model");
  EXPECT_EQ(llm["kind"], "client");
  EXPECT_EQ(llm["status"], "error");
  EXPECT_EQ(llm["status_message"], "rate limited");
  EXPECT_EQ(llm["inputs"], (json{{"chat_history", json::array({{{"role", "user"}}})}}));
  EXPECT_EQ(llm["outputs"], (json{{"text", "hi"}}));
  EXPECT_EQ(llm["metadata"], (json{{"user", {{"id", 7}}}}));
  EXPECT_EQ(llm["metrics"], (json{{"tokens", 12}}));
  EXPECT_EQ(llm["config"], (json{{"model", "gpt-4o"}}));
  EXPECT_EQ(llm["feedback"], (json{{"rating", 0.5}}));
  EXPECT_EQ(llm["attributes"]["honeyhive_metadata.user.id"], 7);
  EXPECT_EQ(llm["attributes"]["honeyhive.session_id"], "s-1");
  EXPECT_EQ(llm["events"], (json::array({{{"name", "retry"}, {"time_ns", 35}, {"attributes", {{"attempt", 2}}}}})));
  EXPECT_FALSE(store->session("nope").has_value());
}

TEST(HhLocalStore, RunsAverageTheNumericMetricsOfTheirSessionSpans) {
  TempDatabase database;
  auto store = open_store(database.path());
  std::vector<std::shared_ptr<SpanData>> spans;
  const double scores[] = {1.0, 0.0, 0.5};
  for (int i = 0; i < 3; ++i) {
    Attributes attributes = session_attributes("d" + std::to_string(i), "bot");
    attributes.push_back({"honeyhive_event_type", std::string("session")});
    attributes.push_back({"honeyhive_metadata.run_id", std::string("run-7")});
    attributes.push_back({"honeyhive_metadata.datapoint_id", "dp" + std::to_string(i)});
    attributes.push_back({"honeyhive_metrics.accuracy", scores[i]});
    attributes.push_back({"honeyhive_metrics.exact", i == 0});
    attributes.push_back({"honeyhive_metrics.explanation", std::string("text is not averaged")});
    char span_hex[17];
    std::snprintf(span_hex, sizeof(span_hex), "%016x", i + 1);
    auto span = make_span(kTraceA, span_hex, "", "run", static_cast<UnixNanos>(10 + i), 100, attributes);
    if (i == 2) span->status = Status{StatusCode::error, "failed"};
    spans.push_back(span);
  }
  ASSERT_TRUE(store->insert(records_of(spans)).ok);
  const json runs = store->runs();
  ASSERT_EQ(runs["runs"].size(), 1U);
  const json& run = runs["runs"][0];
  EXPECT_EQ(run["run_id"], "run-7");
  EXPECT_EQ(run["project"], "bot");
  EXPECT_EQ(run["session_count"], 3);
  EXPECT_EQ(run["error_count"], 1);
  EXPECT_EQ(run["first_start_ns"], 10);
  EXPECT_DOUBLE_EQ(run["evaluators"]["accuracy"]["average"].get<double>(), 0.5);
  EXPECT_EQ(run["evaluators"]["accuracy"]["count"], 3);
  EXPECT_NEAR(run["evaluators"]["exact"]["average"].get<double>(), 1.0 / 3, 1e-12);
  EXPECT_FALSE(run["evaluators"].contains("explanation"));

  const auto detail = store->run("run-7");
  ASSERT_TRUE(detail.has_value());
  ASSERT_EQ((*detail)["sessions"].size(), 3U);
  EXPECT_EQ((*detail)["sessions"][0]["datapoint_id"], "dp2");
  EXPECT_EQ((*detail)["sessions"][0]["metrics"]["accuracy"], 0.5);
  EXPECT_FALSE(store->run("other").has_value());
}

TEST(HhLocalStore, EventUpdatesMergeIntoTheSessionEvent) {
  TempDatabase database;
  auto store = open_store(database.path());
  SpanRecord session;
  std::string error;
  ASSERT_TRUE(record_from_session_start(
      json{{"session_id", "s-9"}, {"session_name", "chat"}, {"start_time", 1000}, {"metadata", {{"a", 1}}}}, session,
      error));
  ASSERT_TRUE(store->insert({session}, true).ok);
  const WriteResult updated =
      store->update_event("s-9", json{{"metrics", {{"score", 0.75}}}, {"metadata", {{"b", 2}}}, {"end_time", 1500}});
  ASSERT_TRUE(updated.ok) << updated.error;
  const auto detail = store->session("s-9");
  ASSERT_TRUE(detail.has_value());
  const json& span = (*detail)["spans"][0];
  EXPECT_EQ(span["event_type"], "session");
  EXPECT_EQ(span["metadata"], (json{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(span["metrics"], (json{{"score", 0.75}}));
  EXPECT_EQ(span["end_time_ns"], 1500000000);
  EXPECT_EQ((*detail)["session"]["session_name"], "chat");
}

TEST(HhLocalStore, AnUpdateBeforeItsSessionLeavesAPlaceholderTheSessionStartFillsIn) {
  TempDatabase database;
  auto store = open_store(database.path());
  ASSERT_TRUE(store->update_event("s-early", json{{"metrics", {{"m", 1}}}}).ok);
  SpanRecord session;
  std::string error;
  ASSERT_TRUE(
      record_from_session_start(json{{"session_id", "s-early"}, {"session_name", "late start"}}, session, error));
  ASSERT_TRUE(store->insert({session}, true).ok);
  const auto detail = store->session("s-early");
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ((*detail)["session"]["session_name"], "late start");
  EXPECT_EQ((*detail)["session"]["span_count"], 1);
  EXPECT_EQ((*detail)["spans"][0]["metrics"], (json{{"m", 1}}));
}

TEST(HhLocalStore, EventsLinkToTheirParentsAndTheSessionEvent) {
  SpanRecord session, root, child;
  std::string error;
  ASSERT_TRUE(record_from_session_start(json{{"session_id", "7f0c3a52-8d2e-4f41-9a77-0c1d2e3f4a5b"}}, session, error));
  ASSERT_TRUE(record_from_event(json{{"event_id", "e-1"},
                                     {"session_id", "7f0c3a52-8d2e-4f41-9a77-0c1d2e3f4a5b"},
                                     {"parent_id", "7f0c3a52-8d2e-4f41-9a77-0c1d2e3f4a5b"},
                                     {"event_type", "chain"},
                                     {"event_name", "answer"},
                                     {"start_time", 1700000000000},
                                     {"duration", 12.5},
                                     {"inputs", {{"q", "?"}}}},
                                "", root, error));
  ASSERT_TRUE(record_from_event(json{{"event_id", "e-2"},
                                     {"session_id", "7f0c3a52-8d2e-4f41-9a77-0c1d2e3f4a5b"},
                                     {"parent_id", "e-1"},
                                     {"event_type", "model"},
                                     {"error", "timeout"}},
                                "", child, error));
  EXPECT_EQ(session.trace_id, "7f0c3a528d2e4f419a770c1d2e3f4a5b");
  EXPECT_EQ(root.trace_id, session.trace_id);
  EXPECT_EQ(root.parent_span_id, session.span_id);
  EXPECT_EQ(child.parent_span_id, root.span_id);
  EXPECT_EQ(root.start_time_ns, 1700000000000000000);
  EXPECT_EQ(root.end_time_ns, 1700000000012500000);
  EXPECT_EQ(root.inputs, (json{{"q", "?"}}));
  EXPECT_EQ(root.attributes["event_id"], "e-1");
  EXPECT_TRUE(child.is_error);
  EXPECT_EQ(child.status_message, "timeout");
  EXPECT_FALSE(record_from_event(json::array(), "", child, error));
}

TEST(HhLocalStore, WhatWasWrittenIsThereAfterReopening) {
  TempDatabase database;
  {
    auto store = open_store(database.path());
    ASSERT_TRUE(store->insert(records_of({make_span(kTraceA, "00000000000000a1", "", "kept", 1, 2)})).ok);
  }
  auto reopened = open_store(database.path());
  EXPECT_EQ(reopened->span_count(), 1);
  EXPECT_EQ(reopened->sessions({})["sessions"][0]["session_name"], "kept");
}

TEST(HhLocalStore, RefusesAFileThatIsNotADatabase) {
  TempDatabase database;
  {
    FILE* file = std::fopen(database.path().c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("this is not an SQLite database, just some text that is long enough to fill a header\n", file);
    std::fclose(file);
  }
  std::string error;
  EXPECT_EQ(Store::open(database.path(), error), nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace honeyhive::hhlocal
