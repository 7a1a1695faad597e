// HoneyHiveTracer::start_session_span: a session beside the tracer's own, carried by its context.
#include <gtest/gtest.h>

#include <thread>

#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "support/recording_tracer.hpp"

namespace honeyhive {
namespace {

using test::make_recording_tracer;
using test::string_attribute;

test::RecordingTracer make_tracer() {
  TracerConfig config;
  config.project = "p";
  return make_recording_tracer(config);
}

TEST(SessionSpanTest, SpansUnderItBelongToItsSessionAndCarryItsBaggage) {
  auto t = make_tracer();
  const std::string own_session = t.tracer->session_id();
  {
    Span session = t.tracer->start_session_span("run-a", "session-1", {{"run_id", "r1", ""}, {"source", "eval", ""}});
    Span child = t.tracer->start_span("child", EventType::chain);
  }
  const auto session = t.named("run-a");
  const auto child = t.named("child");
  ASSERT_NE(session, nullptr);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(string_attribute(*session, "honeyhive_event_type"), "session");
  EXPECT_EQ(string_attribute(*session, "honeyhive.session_name"), "run-a");
  for (const auto& span : {session, child}) {
    EXPECT_EQ(string_attribute(*span, "honeyhive.session_id"), "session-1");
    EXPECT_EQ(string_attribute(*span, "honeyhive_metadata.run_id"), "r1");
    EXPECT_EQ(string_attribute(*span, "honeyhive.source"), "eval");
    EXPECT_EQ(string_attribute(*span, "honeyhive.project"), "p");
  }
  EXPECT_EQ(child->parent_span_id, session->context.span_id());
  EXPECT_EQ(t.tracer->session_id(), own_session);  // the tracer's own session is untouched
}

TEST(SessionSpanTest, StartsANewTraceEvenUnderAnActiveSpan) {
  auto t = make_tracer();
  {
    Span outer = t.tracer->start_span("outer", EventType::chain);
    Span session = t.tracer->start_session_span("run-b", "session-2");
  }
  const auto outer = t.named("outer");
  const auto session = t.named("run-b");
  ASSERT_NE(outer, nullptr);
  ASSERT_NE(session, nullptr);
  EXPECT_FALSE(session->parent_span_id.is_valid());
  EXPECT_FALSE(session->context.trace_id() == outer->context.trace_id());
  EXPECT_EQ(string_attribute(*outer, "honeyhive.session_id"), t.tracer->session_id());
}

TEST(SessionSpanTest, ABoundThreadAndCurrentTracerFollowTheSession) {
  auto t = make_tracer();
  {
    Span session = t.tracer->start_session_span("run-c", "session-3", {{"datapoint_id", "dp-1", ""}});
    std::thread helper(bind_context([] { HH_SPAN(span, "on-helper", tool); }));
    helper.join();
  }
  const auto helper = t.named("on-helper");
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(string_attribute(*helper, "honeyhive.session_id"), "session-3");
  EXPECT_EQ(string_attribute(*helper, "honeyhive_metadata.datapoint_id"), "dp-1");
}

TEST(SessionSpanTest, ADisabledTracerGivesANoOpSpan) {
  TracerConfig config;
  config.disabled = true;
  auto tracer = HoneyHiveTracer::init(config);
  ASSERT_NE(tracer, nullptr);
  Span session = tracer->start_session_span("run", "session");
  EXPECT_FALSE(session.is_recording());
}

}  // namespace
}  // namespace honeyhive
