#include "honeyhive/export/honeyhive_event.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "support/in_memory_provider.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;

// A span recorded through the real setters and ended, as the exporter receives it.
SpanDataPtr record(const std::function<void(Span&)>& fill) {
  auto p = test::make_in_memory_provider();
  {
    Span span = p.tracer->start_span("step");
    fill(span);
  }
  return p.last_span();
}

TEST(HoneyHiveEvent, EventIdIsAVersion8UuidThatDependsOnTraceAndSpan) {
  const auto trace = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  const auto span = *SpanId::from_hex("00f067aa0ba902b7");
  const std::string id = honeyhive_event_id(trace, span);
  ASSERT_EQ(id.size(), 36U);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[13], '-');
  EXPECT_EQ(id[18], '-');
  EXPECT_EQ(id[23], '-');
  EXPECT_EQ(id[14], '8');                                          // version 8
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // RFC 9562 variant
  EXPECT_EQ(id, honeyhive_event_id(trace, span));                  // deterministic
  EXPECT_NE(id, honeyhive_event_id(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4737"), span));
}

TEST(HoneyHiveEvent, EventIdsStayDistinctWhenSpanIdsDifferOnlyInVersionAndVariantBits) {
  const auto trace = *TraceId::from_hex("00000000000000000000000000000000");
  // Span id bytes 0 and 6 are the ones whose bits the version and variant overwrite in one copy.
  std::set<std::string> ids;
  for (const char* hex : {"0000000000000000", "c000000000000000", "000000000000f000", "c00000000000f000"}) {
    ids.insert(honeyhive_event_id(trace, *SpanId::from_hex(hex)));
  }
  EXPECT_EQ(ids.size(), 4U);
}

TEST(HoneyHiveEvent, NestedInputsRoundTripThroughAttributes) {
  json inputs = {
      {"question", "where is my order?"},
      {"user", {{"id", 42}, {"tier", "gold"}, {"tags", {"a", "b"}}}},
      {"chat_history", {{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", "hello"}}}},
      {"scores", {0.5, 1.5}},
      {"flags", {true, false}},
      {"empty", json::object()},
      {"mixed", {1, "two"}},
      {"ok", true}};
  const auto span = record([&](Span& s) { s.set_inputs(inputs); });
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span_to_honeyhive_event(*span)["inputs"], inputs);
}

TEST(HoneyHiveEvent, EveryStructuredFieldComesBackAsAnObject) {
  const auto span = record([](Span& s) {
    s.set_outputs(json{{"answer", "soon"}});
    s.set_metadata(json{{"retriever", {{"name", "bm25"}}}});
    s.set_metrics(json{{"hits", 3}});
    s.set_feedback(json{{"rating", 5}});
    s.set_config(json{{"model", "m1"}, {"temperature", 0.2}});
    s.set_user_properties(json{{"plan", "pro"}});
  });
  json event = span_to_honeyhive_event(*span);
  EXPECT_EQ(event["inputs"], json::object());
  EXPECT_EQ(event["outputs"], (json{{"answer", "soon"}}));
  EXPECT_EQ(event["metadata"], (json{{"retriever", {{"name", "bm25"}}}}));
  EXPECT_EQ(event["metrics"], (json{{"hits", 3}}));
  EXPECT_EQ(event["feedback"], (json{{"rating", 5}}));
  EXPECT_EQ(event["config"], (json{{"model", "m1"}, {"temperature", 0.2}}));
  EXPECT_EQ(event["user_properties"], (json{{"plan", "pro"}}));
}

TEST(HoneyHiveEvent, AScalarValueIsWrappedUnderValue) {
  const auto span = record([](Span& s) { s.set_outputs(json("plain text")); });
  EXPECT_EQ(span_to_honeyhive_event(*span)["outputs"], (json{{"value", "plain text"}}));
}

TEST(HoneyHiveEvent, OtherAttributesTravelInMetadataWithoutOverwritingTheUsersKeys) {
  const auto span = record([](Span& s) {
    s.set_metadata(json{{"gen_ai", {{"system", "mine"}}}});
    s.set_attribute("gen_ai.system", "openai");
    s.set_attribute("gen_ai.request.model", "gpt-x");
    s.set_attribute("baggage.tenant", "t1");
    s.set_attribute("traceloop.association.properties.session_id", "dup");
  });
  json metadata = span_to_honeyhive_event(*span)["metadata"];
  EXPECT_EQ(metadata["gen_ai"]["system"], "mine");
  EXPECT_EQ(metadata["gen_ai"]["request"]["model"], "gpt-x");
  EXPECT_EQ(metadata["baggage"]["tenant"], "t1");
  EXPECT_FALSE(metadata.contains("traceloop"));
}

TEST(HoneyHiveEvent, TimesAreUnixMillisecondsAndDurationMilliseconds) {
  SpanData span;
  span.context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                             *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{TraceFlags::kSampled}, false);
  span.start_unix_nanos = 1700000000123456789ULL;
  span.end_unix_nanos = 1700000001623456789ULL;
  span.attributes = {{"honeyhive.session_id", AttributeValue{std::string("s-1")}}};
  json event = span_to_honeyhive_event(span);
  EXPECT_EQ(event["start_time"], 1700000000123);
  EXPECT_EQ(event["end_time"], 1700000001623);
  EXPECT_DOUBLE_EQ(event["duration"].get<double>(), 1500.0);
}

TEST(HoneyHiveEvent, RootSpanHangsUnderItsSessionAndChildUnderItsParentEvent) {
  SpanData root;
  root.context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                             *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{TraceFlags::kSampled}, false);
  root.attributes = {{"honeyhive.session_id", AttributeValue{std::string("sess")}}};
  SpanData child = root;
  child.context = SpanContext(root.context.trace_id(), *SpanId::from_hex("1111111111111111"),
                              TraceFlags{TraceFlags::kSampled}, false);
  child.parent_span_id = root.context.span_id();
  EXPECT_EQ(span_to_honeyhive_event(root)["parent_id"], "sess");
  EXPECT_EQ(span_to_honeyhive_event(child)["parent_id"], span_to_honeyhive_event(root)["event_id"]);
}

TEST(HoneyHiveEvent, TypeNameSourceAndErrorComeFromTheTracerAttributes) {
  const auto span = record([](Span& s) {
    s.set_attribute("honeyhive_event_type", "model");
    s.set_attribute("honeyhive_event_name", "generate");
    s.set_attribute("honeyhive.source", "prod");
    s.set_error("rate limited", "RateLimitError");
  });
  json event = span_to_honeyhive_event(*span);
  EXPECT_EQ(event["event_type"], "model");
  EXPECT_EQ(event["event_name"], "generate");
  EXPECT_EQ(event["source"], "prod");
  EXPECT_EQ(event["error"], "rate limited");
  EXPECT_EQ(event["metadata"]["honeyhive_error_type"], "RateLimitError");
}

TEST(HoneyHiveEvent, UnknownTypeBecomesToolAndTheSpanNameIsTheDefaultEventName) {
  const auto span = record([](Span& s) { s.set_attribute("honeyhive_event_type", "generic"); });
  json event = span_to_honeyhive_event(*span);
  EXPECT_EQ(event["event_type"], "tool");
  EXPECT_EQ(event["event_name"], "step");
  EXPECT_FALSE(event.contains("error"));
  EXPECT_FALSE(event.contains("project"));  // /v1 events take no project: the API key names it
}

TEST(HoneyHiveEvent, SessionSpansAreRecognisedAndMappedToSessionAndUpdateBodies) {
  const auto start = record([](Span& s) {
    s.set_attribute("honeyhive_event_type", "session");
    s.set_attribute("honeyhive.session_name", "checkout");
    s.set_attribute("honeyhive.session_id", "sess-1");
    s.set_inputs(json{{"cart", 3}});
  });
  EXPECT_EQ(honeyhive_span_role(*start), HoneyHiveSpanRole::session_start);
  json session = span_to_honeyhive_session(*start);
  EXPECT_EQ(session["session_id"], "sess-1");
  EXPECT_EQ(session["session_name"], "checkout");
  EXPECT_EQ(session["inputs"], (json{{"cart", 3}}));

  const auto enrich = record([](Span& s) {
    s.set_attribute("honeyhive_event_type", "session");
    s.set_attribute("honeyhive.session_enrichment", true);
    s.set_inputs(json{{"late", true}});
    s.set_feedback(json{{"rating", 4}});
  });
  EXPECT_EQ(honeyhive_span_role(*enrich), HoneyHiveSpanRole::session_enrichment);
  json update = span_to_honeyhive_event_update(*enrich);
  EXPECT_EQ(update["feedback"], (json{{"rating", 4}}));
  EXPECT_EQ(update["metadata"]["inputs"], (json{{"late", true}}));  // PUT takes no inputs
  EXPECT_FALSE(update.contains("inputs"));
}

// A bare span of session "sess" with `attributes`, as the exporter receives it.
SpanData span_with(Attributes attributes) {
  SpanData span;
  span.context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                             *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{TraceFlags::kSampled}, false);
  span.attributes = std::move(attributes);
  span.attributes.push_back({"honeyhive.session_id", AttributeValue{std::string("sess")}});
  return span;
}

// A key running through a value that is not an object keeps the rest of its path as one key at
// that level: neither the user's value nor the attribute is lost.
TEST(HoneyHiveEvent, AKeyThroughAValueThatIsNotAnObjectKeepsItsPathJoined) {
  const json event =
      span_to_honeyhive_event(span_with({{"honeyhive_inputs.a", AttributeValue{std::int64_t{1}}},
                                         {"honeyhive_inputs.a.b", AttributeValue{std::string("second")}},
                                         {"honeyhive_metadata.gen_ai", AttributeValue{std::string("mine")}},
                                         {"gen_ai.request.model", AttributeValue{std::string("model-xyz")}}}));
  EXPECT_EQ(event.value("inputs", json()), (json{{"a", 1}, {"a.b", "second"}}));
  EXPECT_EQ(event.at("metadata").value("gen_ai", ""), "mine");
  EXPECT_EQ(event.at("metadata").value("gen_ai.request.model", ""), "model-xyz");
  // The other order: the value goes into the object already there, as "value".
  const json reversed =
      span_to_honeyhive_event(span_with({{"honeyhive_inputs.a.b", AttributeValue{std::string("second")}},
                                         {"honeyhive_inputs.a", AttributeValue{std::int64_t{1}}}}));
  EXPECT_EQ(reversed.value("inputs", json()), (json{{"a", {{"b", "second"}, {"value", 1}}}}));
}

// The event's own fields set with a value that is not a string are its text, not dropped.
TEST(HoneyHiveEvent, AnErrorOrNameThatIsNotAStringIsItsText) {
  const json event = span_to_honeyhive_event(span_with({{"honeyhive_error", AttributeValue{std::int64_t{7777777}}},
                                                        {"honeyhive_event_name", AttributeValue{true}},
                                                        {"honeyhive.source", AttributeValue{std::int64_t{3}}}}));
  EXPECT_EQ(event.value("error", ""), "7777777");
  EXPECT_EQ(event.value("event_name", ""), "true");
  EXPECT_EQ(event.value("source", ""), "3");
}

// The session update carries inputs and error in metadata: beside the user's own metadata keys
// of those names, never over them.
TEST(HoneyHiveEvent, TheSessionUpdateKeepsTheUsersMetadataInputsAndError) {
  const auto enrich = record([](Span& s) {
    s.set_attribute("honeyhive_event_type", "session");
    s.set_attribute("honeyhive.session_enrichment", true);
    s.set_metadata(json{{"inputs", "user-inputs"}, {"error", "user-error"}, {"honeyhive_error", "user-too"}});
    s.set_inputs(json{{"late", true}});
    s.set_error("boom");
  });
  const json update = span_to_honeyhive_event_update(*enrich);
  EXPECT_EQ(update.value("metadata", json()), (json{{"inputs", "user-inputs"},
                                                    {"error", "user-error"},
                                                    {"honeyhive_error", "user-too"},
                                                    {"honeyhive_inputs", {{"late", true}}},
                                                    {"honeyhive_error_", "boom"}}));
}

// The session start's update (PUT of the session event) is merged into the session's metadata by the
// API: its error goes beside the user's own "error" key, never over it.
TEST(HoneyHiveEvent, TheSessionStartUpdateKeepsTheUsersMetadataError) {
  const auto session = record([](Span& s) {
    s.set_attribute("honeyhive_event_type", "session");
    s.set_attribute("honeyhive.session_name", "checkout");
    s.set_metadata(json{{"error", "user-error"}});
    s.set_error("boom");
  });
  ASSERT_EQ(honeyhive_span_role(*session), HoneyHiveSpanRole::session_start);
  EXPECT_EQ(span_to_honeyhive_session(*session)["metadata"], (json{{"error", "user-error"}}));
  EXPECT_EQ(span_to_honeyhive_session_update(*session)["metadata"], (json{{"honeyhive_error", "boom"}}));
  // Without a user key of that name, the error is "error", as before.
  const auto plain = record([](Span& s) {
    s.set_attribute("honeyhive_event_type", "session");
    s.set_attribute("honeyhive.session_name", "checkout");
    s.set_error("boom");
  });
  EXPECT_EQ(span_to_honeyhive_session_update(*plain)["metadata"], (json{{"error", "boom"}}));
}

// A failed span is a failed event, with or without a description: over OTLP its status says so, and
// the API reads an event without an error text as a success.
TEST(HoneyHiveEvent, AnErrorStatusWithoutADescriptionStillGivesTheEventAnError) {
  const auto bare = record([](Span& s) { s.set_status(StatusCode::error); });
  EXPECT_EQ(span_to_honeyhive_event(*bare).value("error", ""), "error");
  const auto thrown = record([](Span& s) {
    s.record_exception(std::runtime_error("disk full"));
    s.set_status(StatusCode::error);
  });
  EXPECT_EQ(span_to_honeyhive_event(*thrown).value("error", ""), "disk full");
  const auto session = record([](Span& s) {
    s.set_attribute("honeyhive_event_type", "session");
    s.set_attribute("honeyhive.session_name", "checkout");
    s.set_status(StatusCode::error);
  });
  EXPECT_EQ(span_to_honeyhive_session_update(*session)["metadata"], (json{{"error", "error"}}));
  // Not an error: no error field.
  const auto ok = record([](Span& s) { s.set_status(StatusCode::ok); });
  EXPECT_FALSE(span_to_honeyhive_event(*ok).contains("error"));
}

TEST(HoneyHiveEvent, DottedKeysNestAtMost16LevelsAndTheRestStaysOneKey) {
  std::string path;
  for (int i = 0; i < 40; ++i) path += (i == 0 ? "k" : ".k") + std::to_string(i);
  const json outputs =
      span_to_honeyhive_event(span_with({{"honeyhive_outputs." + path, AttributeValue{std::string("v")}}}))["outputs"];
  const json* node = &outputs;
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(node->is_object() && node->size() == 1U) << "level " << i;
    node = &node->at("k" + std::to_string(i));
  }
  std::string rest;
  for (int i = 15; i < 40; ++i) rest += (i == 15 ? "k" : ".k") + std::to_string(i);
  EXPECT_EQ(*node, (json{{rest, "v"}}));
}

TEST(HoneyHiveEvent, AHugeDottedKeyOrADeepArrayStringEncodesWithoutOverflowingTheStack) {
  constexpr int kHuge = 100000;
  std::string key = "honeyhive_metrics";
  for (int i = 0; i < kHuge; ++i) key += ".a";
  const std::string deep = std::string(kHuge, '[') + std::string(kHuge, ']');
  const json event = span_to_honeyhive_event(
      span_with({{key, AttributeValue{1.0}}, {"honeyhive_outputs.deep", AttributeValue{deep}}}));
  EXPECT_EQ(event["outputs"]["deep"], deep);  // too deep to be an array: kept as the string it was
  EXPECT_FALSE(event.dump().empty());         // dump() recurses once per level
}

TEST(HoneyHiveEvent, ArrayStringsWithin16LevelsStillComeBackAsArrays) {
  const std::string nested = std::string(16, '[') + "1" + std::string(16, ']');
  const json event = span_to_honeyhive_event(span_with({{"honeyhive_outputs.x", AttributeValue{nested}}}));
  EXPECT_EQ(event["outputs"]["x"], json::parse(nested));
}

TEST(HoneyHiveEvent, AChildOfASessionSpanHangsUnderTheSessionIdAndTheMarkerStaysOutOfMetadata) {
  SpanData child = span_with({{"honeyhive.parent_is_session", AttributeValue{true}}});
  child.parent_span_id = *SpanId::from_hex("1111111111111111");
  const json event = span_to_honeyhive_event(child);
  EXPECT_EQ(event["parent_id"], "sess");
  EXPECT_FALSE(event["metadata"].contains("honeyhive"));
}

}  // namespace
}  // namespace honeyhive
