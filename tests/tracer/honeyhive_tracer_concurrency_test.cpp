// A tracer's session state is read at every span start (its baggage, whether the parent is a
// session span) and changed by start_session on any thread: spans started on two threads while a
// third starts sessions each carry the id of a session the tracer started, and every session span
// is one of its own. The race itself is TSan's to find: this test runs in the TSan stage.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"

namespace honeyhive {
namespace {

const std::string* text_attribute(const SpanData& span, const std::string& key) {
  const AttributeValue* value = span.find_attribute(key);
  return value != nullptr ? std::get_if<std::string>(value) : nullptr;
}

TEST(HoneyHiveTracerConcurrencyTest, SpansStartedDuringNewSessionsCarryASessionOfTheTracer) {
  TracerConfig config;
  config.project = "concurrency";
  config.api_key = null;  // never the network, whatever the environment says
  config.otlp_endpoint = null;
  config.disable_batch = true;
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  TracerOptions options;
  options.exporter = std::move(exporter);
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);

  std::set<std::string> started{tracer->session_id()};
  std::atomic<int> producers_running{2};
  std::thread sessions([&] {
    for (int k = 0; producers_running.load() > 0 || k < 20; ++k) started.insert(tracer->start_session());
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < 2; ++t) {
    producers.emplace_back([&] {
      for (int i = 0; i < 500; ++i) tracer->start_span("work", EventType::tool).end();
      producers_running.fetch_sub(1);
    });
  }
  for (auto& producer : producers) producer.join();
  sessions.join();

  std::size_t work_spans = 0;
  for (const auto& span : memory->spans()) {
    const std::string* session = text_attribute(*span, "honeyhive.session_id");
    ASSERT_NE(session, nullptr) << span->name;
    EXPECT_EQ(started.count(*session), 1U) << *session;
    work_spans += span->name == "work" ? 1U : 0U;
  }
  EXPECT_EQ(work_spans, 1000U);
  tracer->shutdown();
}

}  // namespace
}  // namespace honeyhive
