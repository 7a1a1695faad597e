#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/in_memory_provider.hpp"

namespace honeyhive {
namespace {

// Counts the spans a provider starts and ends (a fake, so record_only spans are observable).
class CountingProcessor final : public SpanProcessor {
 public:
  void on_start(SpanRef&, const Context&) noexcept override { started_.fetch_add(1, std::memory_order_relaxed); }
  void on_end(const SpanDataPtr&) noexcept override { ended_.fetch_add(1, std::memory_order_relaxed); }
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

  int started() const { return started_.load(std::memory_order_relaxed); }
  int ended() const { return ended_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> started_{0};
  std::atomic<int> ended_{0};
};

// Always answers record_only.
class RecordOnlySampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {SamplingDecision::record_only, nullptr};
  }
  std::string description() const override { return "RecordOnly"; }
};

class SpanLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { build(make_always_on_sampler()); }

  // Rebuilds the provider with `sampler`, an in-memory exporter behind a simple processor and a
  // counting processor.
  void build(std::shared_ptr<Sampler> sampler) {
    auto counter = std::make_unique<CountingProcessor>();
    counter_ = counter.get();
    ProviderOptions options;
    options.resource = Resource({{"service.name", AttributeValue{std::string("lifecycle-test")}}});
    options.sampler = std::move(sampler);
    options.processors.push_back(std::move(counter));
    test::InMemoryProvider built = test::make_in_memory_provider(std::move(options), "lifecycle", "1.2.3");
    exporter_ = built.exporter;
    provider_ = std::move(built.provider);
    tracer_ = std::move(built.tracer);
  }

  std::vector<SpanDataPtr> spans() const { return exporter_->spans(); }

  // The only exported span; fails the test when there is not exactly one.
  SpanDataPtr only_span() const {
    const auto all = spans();
    EXPECT_EQ(all.size(), 1U);
    return all.empty() ? nullptr : all.front();
  }

  static StartSpanOptions starting_at(UnixNanos start) {
    StartSpanOptions options;
    options.start_unix_nanos = start;
    return options;
  }

  InMemoryExporter* exporter_ = nullptr;
  CountingProcessor* counter_ = nullptr;
  std::shared_ptr<Provider> provider_;
  std::shared_ptr<Tracer> tracer_;
};

constexpr UnixNanos kStart = 1'700'000'000'000'000'000ULL;

TEST_F(SpanLifecycleTest, EndsOnDestructionExactlyOnce) {
  { Span span = tracer_->start_span("work"); }
  EXPECT_EQ(spans().size(), 1U);
  EXPECT_EQ(counter_->ended(), 1);
}

TEST_F(SpanLifecycleTest, IsNotExportedBeforeItEnds) {
  Span span = tracer_->start_span("work");
  EXPECT_TRUE(spans().empty());
  EXPECT_TRUE(span.is_recording());
  EXPECT_FALSE(span.is_ended());
}

TEST_F(SpanLifecycleTest, EndingTwiceExportsOnce) {
  {
    Span span = tracer_->start_span("work");
    span.end();
    span.end();
    EXPECT_TRUE(span.is_ended());
    EXPECT_FALSE(span.is_recording());
  }
  EXPECT_EQ(spans().size(), 1U);
  EXPECT_EQ(counter_->ended(), 1);
}

TEST_F(SpanLifecycleTest, SecondEndKeepsTheFirstEndTime) {
  {
    Span span = tracer_->start_span("work", starting_at(kStart));
    span.end(kStart + 100);
    span.end(kStart + 999);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->end_unix_nanos, kStart + 100);
}

TEST_F(SpanLifecycleTest, MovedFromSpanIsANoOpAndTheMovedToSpanEndsOnce) {
  {
    Span source = tracer_->start_span("work");
    const SpanContext context = source.context();
    Span target(std::move(source));
    EXPECT_FALSE(static_cast<bool>(source));  // NOLINT(bugprone-use-after-move): testing the moved-from state
    EXPECT_FALSE(source.context().is_valid());
    source.set_attribute("ignored", true);
    source.end();
    EXPECT_TRUE(spans().empty());
    EXPECT_EQ(target.context(), context);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->find_attribute("ignored"), nullptr);
}

TEST_F(SpanLifecycleTest, MoveAssignmentEndsThePreviousSpan) {
  Span target = tracer_->start_span("first");
  Span source = tracer_->start_span("second");
  target = std::move(source);
  auto exported = spans();
  ASSERT_EQ(exported.size(), 1U);
  EXPECT_EQ(exported[0]->name, "first");
  target.end();
  exported = spans();
  ASSERT_EQ(exported.size(), 2U);
  EXPECT_EQ(exported[1]->name, "second");
}

TEST_F(SpanLifecycleTest, SelfMoveAssignmentKeepsTheSpanOpen) {
  Span span = tracer_->start_span("work");
  Span& alias = span;
  span = std::move(alias);
  EXPECT_TRUE(spans().empty());
  EXPECT_TRUE(span.is_recording());
}

TEST_F(SpanLifecycleTest, DefaultSpanIsANoOp) {
  Span span;
  EXPECT_FALSE(static_cast<bool>(span));
  EXPECT_FALSE(span.is_recording());
  EXPECT_FALSE(span.context().is_valid());
  span.set_attribute("k", 1);
  span.set_structured("meta", nlohmann::json{{"a", 1}});
  span.add_event("event");
  span.add_link(SpanContext(TraceId::random(), SpanId::random(), TraceFlags{}, false));
  span.set_status(StatusCode::error, "boom");
  span.update_name("renamed");
  {
    Scope scope = span.activate();
    EXPECT_FALSE(Context::current().span_context().is_valid());
  }
  span.end();
  EXPECT_FALSE(span.ref().is_recording());
  EXPECT_TRUE(spans().empty());
  EXPECT_EQ(counter_->ended(), 0);
}

TEST_F(SpanLifecycleTest, ChildTakesTheTraceAndParentFromTheActiveContext) {
  Span parent = tracer_->start_span("parent");
  {
    Scope scope = parent.activate();
    Span child = tracer_->start_span("child");
  }
  const auto exported = spans();
  ASSERT_EQ(exported.size(), 1U);
  EXPECT_EQ(exported[0]->context.trace_id(), parent.context().trace_id());
  EXPECT_EQ(exported[0]->parent_span_id, parent.context().span_id());
  EXPECT_FALSE(exported[0]->parent_is_remote);
  EXPECT_NE(exported[0]->context.span_id(), parent.context().span_id());
}

TEST_F(SpanLifecycleTest, RootSpanHasNoParent) {
  { Span span = tracer_->start_span("root"); }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_FALSE(span->parent_span_id.is_valid());
  EXPECT_FALSE(span->parent_is_remote);
  EXPECT_TRUE(span->context.is_valid());
  EXPECT_TRUE(span->context.is_sampled());
  EXPECT_FALSE(span->context.is_remote());
}

TEST_F(SpanLifecycleTest, ExplicitParentOverridesTheActiveContext) {
  Span active = tracer_->start_span("active");
  Span chosen = tracer_->start_span("chosen");
  {
    Scope scope = active.activate();
    StartSpanOptions options;
    options.parent = Context().with_span(chosen.ref());
    Span child = tracer_->start_span("child", options);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->context.trace_id(), chosen.context().trace_id());
  EXPECT_EQ(span->parent_span_id, chosen.context().span_id());
}

TEST_F(SpanLifecycleTest, EmptyContextAsParentStartsANewRoot) {
  Span active = tracer_->start_span("active");
  {
    Scope scope = active.activate();
    StartSpanOptions options;
    options.parent.emplace();  // an empty context: no parent
    Span root = tracer_->start_span("root", options);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_NE(span->context.trace_id(), active.context().trace_id());
  EXPECT_FALSE(span->parent_span_id.is_valid());
}

TEST_F(SpanLifecycleTest, RemoteParentIsMarkedRemote) {
  const SpanContext remote(TraceId::random(), SpanId::random(), TraceFlags{TraceFlags::kSampled}, true);
  {
    StartSpanOptions options;
    options.parent = Context().with_span_context(remote);
    Span span = tracer_->start_span("server", options);
    EXPECT_FALSE(span.context().is_remote());
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_TRUE(span->parent_is_remote);
  EXPECT_EQ(span->context.trace_id(), remote.trace_id());
  EXPECT_EQ(span->parent_span_id, remote.span_id());
}

TEST_F(SpanLifecycleTest, ChildKeepsTheParentsTraceState) {
  auto state = std::make_shared<const TraceState>(TraceState().with("vendor", "value"));
  const SpanContext remote(TraceId::random(), SpanId::random(), TraceFlags{TraceFlags::kSampled}, true, state);
  StartSpanOptions options;
  options.parent = Context().with_span_context(remote);
  Span span = tracer_->start_span("server", options);
  EXPECT_EQ(span.context().trace_state().get("vendor"), "value");
}

TEST_F(SpanLifecycleTest, DroppedSpanIsNotRecordingButHasAValidContext) {
  build(make_always_off_sampler());
  Span span = tracer_->start_span("dropped");
  EXPECT_TRUE(static_cast<bool>(span));
  EXPECT_FALSE(span.is_recording());
  EXPECT_TRUE(span.context().is_valid());
  EXPECT_FALSE(span.context().is_sampled());
  EXPECT_EQ(counter_->started(), 0);
}

TEST_F(SpanLifecycleTest, DroppedSpanIsNotExported) {
  build(make_always_off_sampler());
  { Span span = tracer_->start_span("dropped"); }
  EXPECT_TRUE(spans().empty());
  EXPECT_EQ(counter_->ended(), 0);
}

TEST_F(SpanLifecycleTest, ChildOfADroppedSpanSharesItsTrace) {
  build(make_always_off_sampler());
  Span parent = tracer_->start_span("parent");
  Scope scope = parent.activate();
  Span child = tracer_->start_span("child");
  EXPECT_EQ(child.context().trace_id(), parent.context().trace_id());
}

TEST_F(SpanLifecycleTest, RecordOnlySpanRecordsButIsNotExportedByTheSimpleProcessor) {
  build(std::make_shared<RecordOnlySampler>());
  {
    Span span = tracer_->start_span("record-only");
    EXPECT_TRUE(span.is_recording());
    EXPECT_FALSE(span.context().is_sampled());
  }
  EXPECT_EQ(counter_->started(), 1);
  EXPECT_EQ(counter_->ended(), 1);
  EXPECT_TRUE(spans().empty());
}

TEST_F(SpanLifecycleTest, StartAfterShutdownReturnsANoOpSpan) {
  provider_->shutdown();
  Span span = tracer_->start_span("late");
  EXPECT_FALSE(static_cast<bool>(span));
  EXPECT_FALSE(span.is_recording());
  EXPECT_FALSE(span.context().is_valid());
  span.end();
  EXPECT_EQ(counter_->started(), 0);
  EXPECT_EQ(counter_->ended(), 0);
}

TEST_F(SpanLifecycleTest, StartTimeOptionIsHonoured) {
  {
    Span span = tracer_->start_span("work", starting_at(kStart));
    span.end(kStart + 5000);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->start_unix_nanos, kStart);
  EXPECT_EQ(span->end_unix_nanos, kStart + 5000);
  EXPECT_EQ(span->duration_nanos(), 5000U);
}

TEST_F(SpanLifecycleTest, EndBeforeStartIsClampedToStart) {
  {
    Span span = tracer_->start_span("work", starting_at(kStart));
    span.end(kStart - 1);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->end_unix_nanos, kStart);
  EXPECT_EQ(span->duration_nanos(), 0U);
}

// Start times come from the monotonic clock plus an offset to the wall clock read at most a second
// ago (detail::span_start_time): the wall time unless the wall clock was stepped since. The bound
// checked here allows for the offset's reading (two clocks read one after the other).
constexpr UnixNanos kAnchoredWallTolerance = 1'000'000;

TEST_F(SpanLifecycleTest, ImplicitEndIsNotBeforeStart) {
  const UnixNanos before = now_unix_nanos();
  { Span span = tracer_->start_span("work"); }
  const UnixNanos after = now_unix_nanos();
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_GE(span->start_unix_nanos, before - kAnchoredWallTolerance);
  EXPECT_LE(span->start_unix_nanos, after + kAnchoredWallTolerance);
  EXPECT_GE(span->end_unix_nanos, span->start_unix_nanos);
}

// Spans started on other threads are on the same wall timeline, and a span that starts after
// another ends (as a child started on a worker after its parent's start) does not appear to start
// before it.
TEST_F(SpanLifecycleTest, SpansStartedInSequenceOnTwoThreadsKeepTheirOrder) {
  UnixNanos previous_start = 0;
  for (int i = 0; i < 50; ++i) {
    { Span span = tracer_->start_span("main"); }
    std::thread worker([&] { Span span = tracer_->start_span("worker"); });
    worker.join();
  }
  const auto all = spans();
  ASSERT_EQ(all.size(), 100U);
  for (const auto& span : all) {
    EXPECT_GE(span->start_unix_nanos, previous_start) << span->name;
    previous_start = span->start_unix_nanos;
  }
}

// End without a timestamp means "now" (OTel trace API, Span End), also when the start time was
// given explicitly, e.g. for work that began before the span was created.
TEST_F(SpanLifecycleTest, ImplicitEndIsNowWhenTheStartWasGivenInThePast) {
  constexpr UnixNanos kOneHour = 3600ULL * 1'000'000'000ULL;
  const UnixNanos start = now_unix_nanos() - kOneHour;
  { Span span = tracer_->start_span("work", starting_at(start)); }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->start_unix_nanos, start);
  EXPECT_GE(span->duration_nanos(), kOneHour - 60ULL * 1'000'000'000ULL);
}

TEST_F(SpanLifecycleTest, OkStatusIsFinal) {
  {
    Span span = tracer_->start_span("work");
    span.set_status(StatusCode::ok);
    span.set_status(StatusCode::error, "too late");
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->status.code, StatusCode::ok);
  EXPECT_EQ(span->status.description, "");
}

TEST_F(SpanLifecycleTest, UnsetStatusIsIgnored) {
  {
    Span span = tracer_->start_span("work");
    span.set_status(StatusCode::error, "boom");
    span.set_status(StatusCode::unset);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->status.code, StatusCode::error);
  EXPECT_EQ(span->status.description, "boom");
}

TEST_F(SpanLifecycleTest, StatusDescriptionIsOnlyKeptForError) {
  {
    Span span = tracer_->start_span("work");
    span.set_status(StatusCode::ok, "fine");
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->status.code, StatusCode::ok);
  EXPECT_EQ(span->status.description, "");
}

TEST_F(SpanLifecycleTest, OkOverridesAnEarlierError) {
  {
    Span span = tracer_->start_span("work");
    span.set_status(StatusCode::error, "boom");
    span.set_status(StatusCode::ok);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->status.code, StatusCode::ok);
  EXPECT_EQ(span->status.description, "");
}

TEST_F(SpanLifecycleTest, UpdateNameRenamesTheSpan) {
  {
    Span span = tracer_->start_span("before");
    span.update_name("after");
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->name, "after");
}

TEST_F(SpanLifecycleTest, ChangesAfterEndAreIgnored) {
  SpanRef ref;
  {
    Span span = tracer_->start_span("work");
    span.set_attribute("kept", 1);
    ref = span.ref();
  }
  ref.set_attribute("late", 2);
  ref.set_attribute("kept", 3);
  ref.add_event("late-event");
  ref.add_link(SpanContext(TraceId::random(), SpanId::random(), TraceFlags{}, false));
  ref.set_status(StatusCode::error, "late");
  ref.update_name("late-name");
  ref.end(kStart);

  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->name, "work");
  ASSERT_EQ(span->attributes.size(), 1U);
  EXPECT_EQ(span->attributes[0], (Attribute{"kept", AttributeValue{std::int64_t{1}}}));
  EXPECT_TRUE(span->events.empty());
  EXPECT_TRUE(span->links.empty());
  EXPECT_EQ(span->status.code, StatusCode::unset);
  EXPECT_NE(span->end_unix_nanos, kStart);
  EXPECT_EQ(counter_->ended(), 1);
}

TEST_F(SpanLifecycleTest, StartOptionsAttributesLinksAndKindAreRecorded) {
  const SpanContext linked(TraceId::random(), SpanId::random(), TraceFlags{TraceFlags::kSampled}, false);
  {
    StartSpanOptions options;
    options.kind = SpanKind::client;
    options.attributes = {{"http.method", AttributeValue{std::string("GET")}}};
    options.links = {SpanLink{linked, {}, 0}};
    Span span = tracer_->start_span("call", options);
  }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->kind, SpanKind::client);
  const AttributeValue* method = span->find_attribute("http.method");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(*method, AttributeValue{std::string("GET")});
  ASSERT_EQ(span->links.size(), 1U);
  EXPECT_EQ(span->links[0].context, linked);
}

// A finished span must not keep its provider alive: the exporter holding the span is owned by
// the provider, so that would be a cycle, and the provider would never be shut down.
TEST_F(SpanLifecycleTest, ProviderIsReleasedWithItsLastHandleAfterSpansWereExported) {
  { Span span = tracer_->start_span("work"); }
  ASSERT_EQ(spans().size(), 1U);
  const std::weak_ptr<Provider> weak = provider_;
  exporter_ = nullptr;
  counter_ = nullptr;
  tracer_.reset();
  provider_.reset();
  EXPECT_TRUE(weak.expired());
}

TEST_F(SpanLifecycleTest, ProviderIsReleasedWithItsLastHandleWhenNothingWasExported) {
  const std::weak_ptr<Provider> weak = provider_;
  exporter_ = nullptr;
  counter_ = nullptr;
  tracer_.reset();
  provider_.reset();
  EXPECT_TRUE(weak.expired());
}

TEST_F(SpanLifecycleTest, SpanCarriesTheProvidersResourceAndTheTracersScope) {
  { Span span = tracer_->start_span("work"); }
  const auto span = only_span();
  ASSERT_NE(span, nullptr);
  ASSERT_NE(span->resource, nullptr);
  EXPECT_EQ(span->resource->service_name(), "lifecycle-test");
  EXPECT_EQ(span->resource, provider_->resource());
  ASSERT_NE(span->scope, nullptr);
  EXPECT_EQ(span->scope->name, "lifecycle");
  EXPECT_EQ(span->scope->version, "1.2.3");
}

}  // namespace
}  // namespace honeyhive
