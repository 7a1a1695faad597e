// What the enrichment processor writes on a span from its parent's baggage and the tracer's
// defaults: each reserved baggage key to its own attributes, every other key to "baggage.<key>".
#include "honeyhive/processing/enrichment_processor.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "support/in_memory_provider.hpp"
#include "support/recording_tracer.hpp"

namespace honeyhive {
namespace {

using test::string_attribute;

class EnrichmentProcessorTest : public ::testing::Test {
 protected:
  // The span started under `parent` by a provider whose enrichment has these defaults.
  static SpanDataPtr span_under(const Context& parent, EnrichmentDefaults defaults) {
    ProviderOptions options;
    options.processors.push_back(std::make_unique<EnrichmentProcessor>(std::move(defaults)));
    test::InMemoryProvider built = test::make_in_memory_provider(std::move(options));
    StartSpanOptions start;
    start.parent = parent;
    { auto span = built.tracer->start_span("enriched", start); }
    return built.last_span();
  }

  static EnrichmentDefaults ours() { return EnrichmentDefaults{"tracer-1", "session-default", "", "dev"}; }

  static std::size_t attributes_named_with_prefix(const SpanData& span, const std::string& prefix) {
    std::size_t count = 0;
    for (const auto& attribute : span.attributes) {
      if (attribute.key.compare(0, prefix.size(), prefix) == 0) ++count;
    }
    return count;
  }
};

// Reserved keys of one length (source and run_id; session_id and dataset_id; datapoint_id and
// session_name) each go where they belong, and none of them is copied as "baggage.<key>".
TEST_F(EnrichmentProcessorTest, EachReservedKeyGoesToItsOwnAttributes) {
  const Context parent = Context().with_all_baggage({{"source", "from-baggage", ""},
                                                     {"run_id", "run-1", ""},
                                                     {"session_id", "session-from-baggage", ""},
                                                     {"dataset_id", "dataset-1", ""},
                                                     {"datapoint_id", "datapoint-1", ""},
                                                     {"session_name", "a name", ""},
                                                     {"project", "project-from-baggage", ""},
                                                     {"parent_id", "event-9", ""},
                                                     {"honeyhive_tracer_id", "tracer-1", ""}});
  const SpanDataPtr span = span_under(parent, ours());
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(string_attribute(*span, "honeyhive.source"), "from-baggage");
  EXPECT_EQ(string_attribute(*span, "traceloop.association.properties.source"), "from-baggage");
  EXPECT_EQ(string_attribute(*span, "honeyhive.session_id"), "session-from-baggage");
  EXPECT_EQ(string_attribute(*span, "traceloop.association.properties.session_id"), "session-from-baggage");
  EXPECT_EQ(string_attribute(*span, "honeyhive.project"), "project-from-baggage");  // the tracer has none
  EXPECT_EQ(string_attribute(*span, "honeyhive.parent_id"), "event-9");
  EXPECT_EQ(string_attribute(*span, "honeyhive_metadata.run_id"), "run-1");
  EXPECT_EQ(string_attribute(*span, "honeyhive_metadata.dataset_id"), "dataset-1");
  EXPECT_EQ(string_attribute(*span, "honeyhive_metadata.datapoint_id"), "datapoint-1");
  EXPECT_EQ(attributes_named_with_prefix(*span, "baggage."), 0U);
}

// Keys as long as a reserved one, but not one, are copied like any other key, in baggage order.
TEST_F(EnrichmentProcessorTest, KeysOfAReservedKeysLengthThatAreNotReservedAreCopied) {
  const Context parent = Context().with_all_baggage({{"sourcE", "1", ""},
                                                     {"run_ix", "2", ""},
                                                     {"session_ix", "3", ""},
                                                     {"datapoint_ix", "4", ""},
                                                     {"honeyhive_tracer_ix", "5", ""},
                                                     {"tenant", "acme", ""}});
  const SpanDataPtr span = span_under(parent, ours());
  ASSERT_NE(span, nullptr);
  std::vector<std::string> copied;
  for (const auto& attribute : span->attributes) {
    if (attribute.key.rfind("baggage.", 0) == 0) copied.push_back(attribute.key);
  }
  EXPECT_EQ(copied,
            (std::vector<std::string>{"baggage.sourcE", "baggage.run_ix", "baggage.session_ix", "baggage.datapoint_ix",
                                      "baggage.honeyhive_tracer_ix", "baggage.tenant"}));
  EXPECT_EQ(string_attribute(*span, "baggage.tenant"), "acme");
  EXPECT_EQ(string_attribute(*span, "honeyhive.source"), "dev");  // the tracer's: no "source" entry
  EXPECT_EQ(string_attribute(*span, "honeyhive.session_id"), "session-default");
}

// A key given twice (baggage from a header may repeat one): the first entry counts.
TEST_F(EnrichmentProcessorTest, TheFirstEntryOfARepeatedKeyCounts) {
  const Context parent = Context().with_all_baggage(
      {{"session_id", "first", ""}, {"run_id", "run-a", ""}, {"session_id", "second", ""}, {"run_id", "run-b", ""}});
  const SpanDataPtr span = span_under(parent, ours());
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(string_attribute(*span, "honeyhive.session_id"), "first");
  EXPECT_EQ(string_attribute(*span, "honeyhive_metadata.run_id"), "run-a");
}

// Baggage another tracer of this process put there: its session, source and parent are not this
// tracer's; the evaluation ids and other keys are still copied.
TEST_F(EnrichmentProcessorTest, AnotherTracersSessionSourceAndParentAreNotTaken) {
  const Context parent = Context().with_all_baggage({{"honeyhive_tracer_id", "tracer-2", ""},
                                                     {"session_id", "their-session", ""},
                                                     {"source", "their-source", ""},
                                                     {"parent_id", "their-event", ""},
                                                     {"run_id", "run-2", ""},
                                                     {"tenant", "acme", ""}});
  EnrichmentDefaults defaults = ours();
  defaults.project = "our-project";
  const SpanDataPtr span = span_under(parent, defaults);
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(string_attribute(*span, "honeyhive.session_id"), "session-default");
  EXPECT_EQ(string_attribute(*span, "honeyhive.source"), "dev");
  EXPECT_EQ(span->find_attribute("honeyhive.parent_id"), nullptr);
  EXPECT_EQ(string_attribute(*span, "honeyhive.project"), "our-project");
  EXPECT_EQ(string_attribute(*span, "honeyhive_metadata.run_id"), "run-2");
  EXPECT_EQ(string_attribute(*span, "baggage.tenant"), "acme");
}

// Spans of two tracers started in turn on one thread each carry their own tracer's defaults, and
// a new session is on the next span of the same thread (the thread keeps a reference to the
// defaults it used last: it must follow both the processor and the session).
TEST_F(EnrichmentProcessorTest, SpansOfTwoProcessorsInTurnOnOneThreadEachCarryTheirOwnDefaults) {
  auto first_owned =
      std::make_unique<EnrichmentProcessor>(EnrichmentDefaults{"tracer-1", "session-1", "project-1", "dev"});
  EnrichmentProcessor* const first = first_owned.get();
  auto second = std::make_unique<EnrichmentProcessor>(EnrichmentDefaults{"tracer-2", "session-2", "project-2", "prod"});
  ProviderOptions first_options;
  first_options.processors.push_back(std::move(first_owned));
  test::InMemoryProvider first_built = test::make_in_memory_provider(std::move(first_options));
  ProviderOptions second_options;
  second_options.processors.push_back(std::move(second));
  test::InMemoryProvider second_built = test::make_in_memory_provider(std::move(second_options));

  const auto span_of = [](test::InMemoryProvider& built) {
    { auto span = built.tracer->start_span("enriched"); }
    return built.last_span();
  };
  for (int round = 0; round < 2; ++round) {
    const SpanDataPtr a = span_of(first_built);
    const SpanDataPtr b = span_of(second_built);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(string_attribute(*a, "honeyhive.project"), "project-1");
    EXPECT_EQ(string_attribute(*a, "honeyhive.session_id"), "session-1");
    EXPECT_EQ(string_attribute(*b, "honeyhive.project"), "project-2");
    EXPECT_EQ(string_attribute(*b, "traceloop.association.properties.source"), "prod");
  }
  first->set_session_id("session-1b");
  const SpanDataPtr after = span_of(first_built);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(string_attribute(*after, "honeyhive.session_id"), "session-1b");
  EXPECT_EQ(string_attribute(*after, "traceloop.association.properties.session_id"), "session-1b");
}

}  // namespace
}  // namespace honeyhive
