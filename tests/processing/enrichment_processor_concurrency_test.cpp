// The enrichment processor's defaults are read at every span start and replaced whole by a new
// session (set_session_id) on another thread: every span carries one whole session id of those set,
// the same in both of its session attributes (one snapshot per span). The race itself is TSan's to
// find: this test runs in the TSan stage.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "honeyhive/core/span_data.hpp"
#include "honeyhive/processing/enrichment_processor.hpp"
#include "support/in_memory_provider.hpp"
#include "support/recording_tracer.hpp"

namespace honeyhive {
namespace {

std::string session_name(int k) {
  return "session-" + std::to_string(k) + std::string(static_cast<std::size_t>(k % 40), 'x');
}

TEST(EnrichmentProcessorConcurrencyTest, SpansStartedDuringNewSessionsCarryOneWholeSessionId) {
  EnrichmentDefaults defaults;
  defaults.tracer_id = "tracer-1";
  defaults.session_id = session_name(0);
  defaults.project = "project";
  auto enrichment = std::make_unique<EnrichmentProcessor>(defaults);
  EnrichmentProcessor* processor = enrichment.get();
  ProviderOptions options;
  options.processors.push_back(std::move(enrichment));
  test::InMemoryProvider traced = test::make_in_memory_provider(std::move(options));

  // New sessions for as long as the producers run (at least 50), so the two overlap.
  constexpr int kSpansPerThread = 1500;
  std::atomic<int> producers_running{2};
  std::atomic<int> sessions_set{0};
  std::thread sessions([&] {
    for (int k = 1; producers_running.load() > 0 || k <= 50; ++k) {
      processor->set_session_id(session_name(k));
      sessions_set.store(k);
    }
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < 2; ++t) {
    producers.emplace_back([&] {
      for (int i = 0; i < kSpansPerThread; ++i) traced.tracer->start_span("s").end();
      producers_running.fetch_sub(1);
    });
  }
  for (auto& producer : producers) producer.join();
  sessions.join();
  const int sessions_count = sessions_set.load();

  std::set<std::string> valid;
  for (int k = 0; k <= sessions_count; ++k) valid.insert(session_name(k));
  const auto spans = traced.exporter->spans();
  ASSERT_EQ(spans.size(), 2U * kSpansPerThread);
  for (const auto& span : spans) {
    const std::string* own = test::find_string_attribute(*span, "honeyhive.session_id");
    const std::string* traceloop = test::find_string_attribute(*span, "traceloop.association.properties.session_id");
    ASSERT_NE(own, nullptr);
    ASSERT_NE(traceloop, nullptr);
    EXPECT_EQ(*own, *traceloop);
    EXPECT_EQ(valid.count(*own), 1U) << *own;
  }
  EXPECT_EQ(processor->defaults().session_id, session_name(sessions_count));
}

}  // namespace
}  // namespace honeyhive
