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

#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "support/recording_tracer.hpp"

namespace honeyhive {
namespace {

TEST(HoneyHiveTracerConcurrencyTest, SpansStartedDuringNewSessionsCarryASessionOfTheTracer) {
  TracerConfig config;
  config.project = "concurrency";
  const test::RecordingTracer traced = test::make_recording_tracer(config);
  const std::shared_ptr<HoneyHiveTracer>& tracer = traced.tracer;
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
  for (const auto& span : traced.spans()) {
    const std::string* session = test::find_string_attribute(*span, "honeyhive.session_id");
    ASSERT_NE(session, nullptr) << span->name;
    EXPECT_EQ(started.count(*session), 1U) << *session;
    work_spans += span->name == "work" ? 1U : 0U;
  }
  EXPECT_EQ(work_spans, 1000U);
  tracer->shutdown();
}

}  // namespace
}  // namespace honeyhive
