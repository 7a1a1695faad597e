#include "honeyhive/core/context.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/current_context.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/in_memory_provider.hpp"

namespace honeyhive {
namespace {

class ContextTest : public ::testing::Test {
 protected:
  static std::optional<std::string> current_marker() { return Context::current().baggage("marker"); }
  static Context marked(const char* value) { return Context().with_baggage("marker", value); }

  test::DiagnosticsCapture diagnostics_{DiagnosticLevel::debug};
};

// A scope that outlives its thread, ended on a thread whose context stack now sits where the
// exited thread's was (glibc reuses its thread-local storage): it must not end that thread's own
// context. Tokens counted from 1 on every stack made token 1 match the new thread's entry.
TEST_F(ContextTest, AScopeOfAnExitedThreadDoesNotEndAnotherThreadsContext) {
  std::optional<Scope> stale;
  std::thread first([&] { stale.emplace(Context().with_baggage("marker", "dead-thread")); });
  first.join();
  std::optional<std::string> before;
  std::optional<std::string> after;
  std::thread second([&] {
    Scope mine(Context().with_baggage("marker", "mine"));
    before = Context::current().baggage("marker");
    stale.reset();  // the exited thread's scope, ended here
    after = Context::current().baggage("marker");
  });
  second.join();
  EXPECT_EQ(before, "mine");
  EXPECT_EQ(after, "mine");
  EXPECT_TRUE(diagnostics_.mentions("ended on a thread other than the one that attached it"));
}

TEST_F(ContextTest, CurrentIsEmptyByDefault) {
  const Context current = Context::current();
  EXPECT_FALSE(current.span_context().is_valid());
  EXPECT_TRUE(current.all_baggage().empty());
  EXPECT_FALSE(static_cast<bool>(current.span()));
}

TEST_F(ContextTest, ScopeAttachesAndDetachRestoresThePrevious) {
  Scope scope(marked("a"));
  EXPECT_EQ(current_marker(), "a");
  scope.detach();
  EXPECT_EQ(current_marker(), std::nullopt);
}

TEST_F(ContextTest, ScopeDetachesWhenDestroyed) {
  {
    Scope scope = attach_context(marked("a"));
    EXPECT_EQ(current_marker(), "a");
  }
  EXPECT_EQ(current_marker(), std::nullopt);
}

TEST_F(ContextTest, NestedScopesUnwindInReverseOrder) {
  Scope outer(marked("outer"));
  {
    Scope inner(marked("inner"));
    EXPECT_EQ(current_marker(), "inner");
  }
  EXPECT_EQ(current_marker(), "outer");
  outer.detach();
  EXPECT_EQ(current_marker(), std::nullopt);
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(ContextTest, OutOfOrderDetachKeepsTheLaterContextCurrentAndReports) {
  Scope first(marked("a"));
  Scope second(marked("b"));
  first.detach();
  EXPECT_EQ(current_marker(), "b");
  EXPECT_EQ(diagnostics_.count(), 1U);
  EXPECT_TRUE(diagnostics_.mentions("out of order"));
  second.detach();
}

// `scope = Scope(context)` replaces the context a scope holds: not reported as out of order, and
// the context before the scope comes back when it ends.
TEST_F(ContextTest, MoveAssigningAScopeReplacesItsContextWithoutAReport) {
  Scope scope(marked("a"));
  scope = Scope(marked("b"));
  EXPECT_EQ(current_marker(), "b");
  scope = Scope(marked("c"));
  EXPECT_EQ(current_marker(), "c");
  scope.detach();
  EXPECT_EQ(current_marker(), std::nullopt);
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(ContextTest, OutOfOrderDetachRestoresTheOriginalOnceTheLaterScopeEnds) {
  Scope base(marked("base"));
  Scope first(marked("a"));
  Scope second(marked("b"));
  first.detach();
  second.detach();
  EXPECT_EQ(current_marker(), "base");
  base.detach();
  EXPECT_EQ(current_marker(), std::nullopt);
}

// Deeper than any one block of the thread's stack, down and up twice: each level's context is
// current while it is attached, and the one below it again once it ends.
TEST_F(ContextTest, DeeplyNestedScopesUnwindInReverseOrderAtEveryDepth) {
  constexpr int kDepth = 37;
  for (int round = 0; round < 2; ++round) {
    std::vector<Scope> scopes;
    for (int i = 0; i < kDepth; ++i) {
      scopes.emplace_back(marked(std::to_string(i).c_str()));
      ASSERT_EQ(current_marker(), std::to_string(i)) << "round " << round;
    }
    for (int i = kDepth - 1; i >= 0; --i) {
      EXPECT_EQ(current_marker(), std::to_string(i)) << "round " << round;
      scopes.pop_back();
    }
    EXPECT_EQ(current_marker(), std::nullopt);
  }
  EXPECT_EQ(diagnostics_.count(), 0U);
}

// A reference to the current context stays that context while more are attached and ended above it
// (what a span start hands its processors, which may attach scopes of their own). On a new thread,
// so that the thread's stack starts empty and grows here.
TEST_F(ContextTest, TheCurrentContextByReferenceOutlastsScopesAttachedAboveIt) {
  std::thread([] {
    Scope base(marked("base"));
    const Context& held = detail::current_context_ref();
    {
      std::vector<Scope> above;
      for (int i = 0; i < 40; ++i) above.emplace_back(marked("above"));
      EXPECT_EQ(held.baggage("marker"), "base");
      while (!above.empty()) above.pop_back();
    }
    EXPECT_EQ(held.baggage("marker"), "base");
    EXPECT_EQ(&held, &detail::current_context_ref());
  }).join();
}

// A scope below the current one ending out of order leaves the current context where it is: a
// reference to it is still that context, at the same place.
TEST_F(ContextTest, TheCurrentContextByReferenceOutlastsAnOutOfOrderEndBelowIt) {
  std::thread([] {
    std::vector<Scope> below;
    for (int i = 0; i < 12; ++i) below.emplace_back(marked("below"));  // across a block boundary
    Scope top(marked("top"));
    const Context& held = detail::current_context_ref();
    below[3].detach();   // out of order
    below[10].detach();  // out of order, in the top's block
    EXPECT_EQ(held.baggage("marker"), "top");
    EXPECT_EQ(&held, &detail::current_context_ref());
    top.detach();
    EXPECT_EQ(current_marker(), "below");
    while (!below.empty()) below.pop_back();
    EXPECT_EQ(current_marker(), std::nullopt);
  }).join();
}

// A thread that exits with scopes still attached (held by a thread_local made before its stack
// of contexts), in several of the stack's blocks: their contexts are released with the stack and
// the scopes' ends, later, touch nothing.
TEST_F(ContextTest, AThreadExitsWithScopesStillAttachedInSeveralBlocks) {
  auto baggage = std::make_shared<const std::vector<BaggageEntry>>(std::vector<BaggageEntry>{{"marker", "kept", ""}});
  const std::weak_ptr<const std::vector<BaggageEntry>> watched = baggage;
  std::thread([shared = std::move(baggage)]() mutable {
    thread_local std::vector<Scope> kept;  // destroyed after the stack: made before it
    kept.reserve(20);
    for (int i = 0; i < 20; ++i) kept.emplace_back(Context().with_shared_baggage(shared));
    shared.reset();
    EXPECT_EQ(current_marker(), "kept");
  }).join();
  EXPECT_TRUE(watched.expired());  // released with the thread's stack
  EXPECT_EQ(current_marker(), std::nullopt);
}

// Out-of-order ends across the stack's blocks: the scope ended goes, the others keep their order.
TEST_F(ContextTest, OutOfOrderDetachesAcrossManyLevelsKeepTheOthersInOrder) {
  std::vector<Scope> scopes;
  for (int i = 0; i < 20; ++i) scopes.emplace_back(marked(std::to_string(i).c_str()));
  scopes[3].detach();   // in the first block
  scopes[12].detach();  // in another
  EXPECT_EQ(current_marker(), "19");
  EXPECT_EQ(diagnostics_.count(), 2U);
  for (int i = 19; i >= 0; --i) {
    if (i == 3 || i == 12) continue;
    EXPECT_EQ(current_marker(), std::to_string(i));
    scopes[static_cast<std::size_t>(i)].detach();
  }
  EXPECT_EQ(current_marker(), std::nullopt);
  EXPECT_EQ(diagnostics_.count(), 2U);
}

TEST_F(ContextTest, MoveConstructedScopeKeepsTheContextAttached) {
  Scope source(marked("a"));
  Scope target(std::move(source));
  EXPECT_EQ(current_marker(), "a");
  source.detach();  // moved-from: must not detach anything
  EXPECT_EQ(current_marker(), "a");
  target.detach();
  EXPECT_EQ(current_marker(), std::nullopt);
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(ContextTest, MoveAssignedScopeOwnsTheContext) {
  Scope target;
  target = Scope(marked("a"));
  EXPECT_EQ(current_marker(), "a");
  target.detach();
  EXPECT_EQ(current_marker(), std::nullopt);
}

TEST_F(ContextTest, MoveAssignmentEndsTheTargetsPreviousScope) {
  Scope outer(marked("outer"));
  Scope target(marked("old"));
  {
    Scope source(marked("new"));
    target = std::move(source);
  }
  EXPECT_EQ(current_marker(), "new");
  target.detach();
  // "old" was removed when target was reassigned, so "outer" is current again.
  EXPECT_EQ(current_marker(), "outer");
  outer.detach();
}

TEST_F(ContextTest, DetachingTwiceIsHarmless) {
  Scope outer(marked("outer"));
  Scope inner(marked("inner"));
  inner.detach();
  inner.detach();
  EXPECT_EQ(current_marker(), "outer");
  outer.detach();
  EXPECT_EQ(current_marker(), std::nullopt);
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(ContextTest, DefaultScopeDetachIsHarmless) {
  Scope outer(marked("outer"));
  Scope empty;
  empty.detach();
  EXPECT_EQ(current_marker(), "outer");
}

TEST_F(ContextTest, ScopeEndedOnAnotherThreadIsIgnoredAndReported) {
  std::optional<std::string> marker_after;
  std::thread owner([&] {
    Scope scope(marked("a"));
    std::thread other([&scope] { scope.detach(); });
    other.join();
    marker_after = current_marker();
  });
  owner.join();
  EXPECT_EQ(marker_after, "a");
  EXPECT_EQ(diagnostics_.count(), 1U);
  EXPECT_TRUE(diagnostics_.mentions("thread"));
}

TEST_F(ContextTest, BaggageGetReturnsTheValueOfASetKey) {
  const Context context = Context().with_baggage("user", "alice");
  EXPECT_EQ(context.baggage("user"), "alice");
  EXPECT_EQ(context.baggage("missing"), std::nullopt);
}

TEST_F(ContextTest, BaggageKeysAreCaseSensitive) {
  const Context context = Context().with_baggage("User", "alice");
  EXPECT_EQ(context.baggage("user"), std::nullopt);
}

TEST_F(ContextTest, WithBaggageLeavesTheOriginalUnchanged) {
  const Context original = Context().with_baggage("a", "1");
  const Context copy = original.with_baggage("b", "2");
  EXPECT_EQ(original.baggage("b"), std::nullopt);
  EXPECT_EQ(copy.baggage("a"), "1");
  EXPECT_EQ(copy.baggage("b"), "2");
}

// with_shared_baggage on a context kept (a copy, the original unchanged) and on a temporary (its
// parts moved into the result): either way the result has the span and the shared list, as is.
TEST_F(ContextTest, WithSharedBaggageKeepsTheSpanFromAKeptContextAndFromATemporary) {
  auto traced = test::make_in_memory_provider();
  Span span = traced.tracer->start_span("s");
  auto list = std::make_shared<const std::vector<BaggageEntry>>(std::vector<BaggageEntry>{{"tracer", "t1", ""}});
  const Context kept = Context().with_baggage("a", "1").with_span(span);
  const Context from_kept = kept.with_shared_baggage(list);
  EXPECT_EQ(kept.baggage("a"), "1");
  EXPECT_EQ(kept.baggage("tracer"), std::nullopt);
  EXPECT_EQ(kept.span().context(), span.context());
  const Context from_temporary = Context().with_baggage("a", "1").with_span(span).with_shared_baggage(list);
  for (const Context* context : {&from_kept, &from_temporary}) {
    EXPECT_EQ(context->span_context(), span.context());
    EXPECT_EQ(context->span().context(), span.context());
    EXPECT_EQ(&context->all_baggage(), list.get());  // shared, not copied
    EXPECT_EQ(context->baggage("a"), std::nullopt);
  }
  span.end();
}

TEST_F(ContextTest, WithBaggageReplacesAnExistingKeyInPlace) {
  const Context context = Context().with_baggage("a", "1").with_baggage("b", "2").with_baggage("a", "3", "p=q");
  const std::vector<BaggageEntry> expected{{"a", "3", "p=q"}, {"b", "2", ""}};
  EXPECT_EQ(context.all_baggage(), expected);
}

TEST_F(ContextTest, AllBaggageListsEntriesInInsertionOrder) {
  const Context context = Context().with_baggage("a", "1").with_baggage("b", "2", "flag");
  const std::vector<BaggageEntry> expected{{"a", "1", ""}, {"b", "2", "flag"}};
  EXPECT_EQ(context.all_baggage(), expected);
}

TEST_F(ContextTest, WithoutBaggageRemovesOnlyThatKey) {
  const Context context = Context().with_baggage("a", "1").with_baggage("b", "2").without_baggage("a");
  EXPECT_EQ(context.baggage("a"), std::nullopt);
  EXPECT_EQ(context.baggage("b"), "2");
  EXPECT_EQ(context.all_baggage().size(), 1U);
}

TEST_F(ContextTest, WithAllBaggageReplacesTheWholeList) {
  const Context context = Context().with_baggage("old", "1").with_all_baggage({{"x", "9", ""}});
  EXPECT_EQ(context.baggage("old"), std::nullopt);
  EXPECT_EQ(context.baggage("x"), "9");
}

TEST_F(ContextTest, ScopedBaggageAddsEntriesForTheBlockOnly) {
  Scope outer(Context().with_baggage("outer", "1"));
  {
    Scope scope = scoped_baggage({{"request", "42"}, {"tenant", "acme"}});
    const Context current = Context::current();
    EXPECT_EQ(current.baggage("request"), "42");
    EXPECT_EQ(current.baggage("tenant"), "acme");
    EXPECT_EQ(current.baggage("outer"), "1");
  }
  const Context after = Context::current();
  EXPECT_EQ(after.baggage("request"), std::nullopt);
  EXPECT_EQ(after.baggage("tenant"), std::nullopt);
  EXPECT_EQ(after.baggage("outer"), "1");
}

TEST_F(ContextTest, WrapWithContextRunsTheTaskWithThatContextOnAnotherThread) {
  auto task = wrap_with_context(marked("carried"), [](int x) { return std::make_pair(current_marker(), x * 2); });
  std::pair<std::optional<std::string>, int> result;
  std::optional<std::string> marker_after_task;
  std::thread worker([&] {
    result = task(21);
    marker_after_task = current_marker();
  });
  worker.join();
  EXPECT_EQ(result.first, "carried");
  EXPECT_EQ(result.second, 42);
  EXPECT_EQ(marker_after_task, std::nullopt);
}

TEST_F(ContextTest, WrappedTaskCanRunMoreThanOnce) {
  auto task = wrap_with_context(marked("carried"), [] { return current_marker(); });
  EXPECT_EQ(task(), "carried");
  EXPECT_EQ(task(), "carried");
  EXPECT_EQ(current_marker(), std::nullopt);
}

TEST_F(ContextTest, BindCurrentContextCapturesTheCallersContextAtBindTime) {
  std::function<std::optional<std::string>()> task;
  {
    Scope scope(marked("caller"));
    task = bind_current_context([] { return current_marker(); });
  }
  std::optional<std::string> seen;
  std::thread worker([&] { seen = task(); });
  worker.join();
  EXPECT_EQ(seen, "caller");
}

// A provider exporting to memory, for the tests that need real spans.
test::InMemoryProvider make_test_tracer() {
  ProviderOptions options;
  options.resource = Resource();
  return test::make_in_memory_provider(std::move(options), "context-test");
}

TEST_F(ContextTest, SpanReturnsTheActiveSpan) {
  test::InMemoryProvider t = make_test_tracer();
  Span span = t.tracer->start_span("work");
  Scope scope = span.activate();
  const SpanRef active = Context::current().span();
  ASSERT_TRUE(static_cast<bool>(active));
  EXPECT_EQ(active.context(), span.context());
  EXPECT_EQ(Context::current().span_context(), span.context());
}

TEST_F(ContextTest, EnrichmentThroughTheActiveSpanLandsOnThatSpan) {
  test::InMemoryProvider t = make_test_tracer();
  {
    Span span = t.tracer->start_span("work");
    Scope scope = span.activate();
    Context::current().span().set_attribute("enriched", 7);
  }
  const auto spans = t.exporter->spans();
  ASSERT_EQ(spans.size(), 1U);
  const AttributeValue* value = spans[0]->find_attribute("enriched");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, AttributeValue{std::int64_t{7}});
}

TEST_F(ContextTest, ActivatedSpanIsNoLongerCurrentAfterItsScopeEnds) {
  test::InMemoryProvider t = make_test_tracer();
  Span span = t.tracer->start_span("work");
  { Scope scope = span.activate(); }
  EXPECT_FALSE(Context::current().span_context().is_valid());
  EXPECT_FALSE(static_cast<bool>(Context::current().span()));
}

TEST_F(ContextTest, RemoteParentHasASpanContextButNoLocalSpan) {
  const SpanContext remote(TraceId::random(), SpanId::random(), TraceFlags{TraceFlags::kSampled}, true);
  const Context context = Context().with_span_context(remote);
  EXPECT_EQ(context.span_context(), remote);
  EXPECT_FALSE(static_cast<bool>(context.span()));
}

TEST_F(ContextTest, WithSpanContextDropsAPreviousLocalSpan) {
  test::InMemoryProvider t = make_test_tracer();
  Span span = t.tracer->start_span("work");
  const SpanContext remote(TraceId::random(), SpanId::random(), TraceFlags{TraceFlags::kSampled}, true);
  const Context context = Context().with_span(span.ref()).with_span_context(remote);
  EXPECT_FALSE(static_cast<bool>(context.span()));
  EXPECT_EQ(context.span_context(), remote);
}

TEST_F(ContextTest, WithSpanKeepsTheBaggage) {
  test::InMemoryProvider t = make_test_tracer();
  Span span = t.tracer->start_span("work");
  const Context context = Context().with_baggage("k", "v").with_span(span.ref());
  EXPECT_EQ(context.baggage("k"), "v");
  EXPECT_EQ(context.span_context(), span.context());
}

// ScopeBuilder::attach_span (the tracer facade's activation) attaches what
// parent.with_span(span).with_shared_baggage(baggage) would be, or parent.with_span(span) without a
// list; its scope ends like any other and restores the parent.
TEST_F(ContextTest, AttachSpanAttachesTheParentWithTheSpanAndTheSharedBaggage) {
  test::InMemoryProvider t = make_test_tracer();
  Span span = t.tracer->start_span("work");
  const Context parent = Context().with_baggage("tenant", "acme");
  Scope outer(parent);
  const auto shared = std::make_shared<const std::vector<BaggageEntry>>(
      std::vector<BaggageEntry>{BaggageEntry{"honeyhive_tracer_id", "t-1", ""}});
  {
    Scope scope = detail::ScopeBuilder::attach_span(detail::current_context_ref(), span.ref(), shared);
    const Context active = Context::current();
    EXPECT_EQ(active.span_context(), span.context());
    EXPECT_EQ(active.span().context(), span.context());
    EXPECT_EQ(&active.all_baggage(), shared.get());  // the list itself, not a copy
    EXPECT_EQ(active.baggage("tenant"), std::nullopt);
  }
  EXPECT_EQ(current_marker(), std::nullopt);
  EXPECT_EQ(Context::current().baggage("tenant"), "acme");
  EXPECT_FALSE(Context::current().span_context().is_valid());
  {
    Scope scope = detail::ScopeBuilder::attach_span(detail::current_context_ref(), span.ref(), nullptr);
    const Context active = Context::current();
    EXPECT_EQ(active.span_context(), span.context());
    EXPECT_EQ(active.baggage("tenant"), "acme");  // the parent's baggage
  }
  EXPECT_EQ(Context::current().baggage("tenant"), "acme");
}

// Each activation's parent is the context attached before it, read in place on the thread's stack:
// a chain deep enough to fill several of the stack's blocks, each level with baggage of its own
// attached before its span, still sees at every level its parent's span and its own level's
// baggage, and unwinds to each parent in turn.
TEST_F(ContextTest, AttachSpanReadsItsParentInPlaceAcrossTheStacksBlocks) {
  test::InMemoryProvider t = make_test_tracer();
  constexpr int kDepth = 40;
  std::vector<Span> spans;
  std::vector<Scope> scopes;  // per level: its baggage's scope, then its span's
  spans.reserve(kDepth);
  scopes.reserve(2 * kDepth);
  for (int i = 0; i < kDepth; ++i) {
    const std::string level = std::to_string(i);
    scopes.push_back(Scope(Context::current().with_baggage("level", level)));
    const Context& parent = detail::current_context_ref();
    const SpanContext parent_span = parent.span_context();
    spans.push_back(t.tracer->start_span("level"));
    scopes.push_back(detail::ScopeBuilder::attach_span(parent, spans.back().ref(), nullptr));
    const Context& active = detail::current_context_ref();
    ASSERT_EQ(active.span_context(), spans.back().context()) << "level " << i;
    ASSERT_EQ(active.baggage("level"), level);
    if (i > 0) {
      EXPECT_EQ(parent_span, spans[static_cast<std::size_t>(i) - 1].context()) << "level " << i;
      EXPECT_EQ(spans.back().context().trace_id(), spans.front().context().trace_id());
    }
  }
  for (int i = kDepth - 1; i >= 0; --i) {
    scopes.pop_back();  // the span's
    EXPECT_EQ(Context::current().baggage("level"), std::to_string(i));
    scopes.pop_back();  // its level's baggage
    spans.pop_back();
    if (!spans.empty()) {
      EXPECT_EQ(Context::current().span_context(), spans.back().context());
    }
  }
  EXPECT_FALSE(Context::current().span_context().is_valid());
  EXPECT_EQ(Context::current().baggage("level"), std::nullopt);
}

// A span that does not record (its sampler dropped it) is attached as with_span would attach it:
// its span context (valid, not sampled) is the active one, so its children follow the decision.
TEST_F(ContextTest, AttachSpanAttachesASpanThatDoesNotRecord) {
  ProviderOptions options;
  options.resource = Resource();
  options.sampler = make_always_off_sampler();
  test::InMemoryProvider t = test::make_in_memory_provider(std::move(options), "context-test-off");
  Span span = t.tracer->start_span("dropped");
  ASSERT_FALSE(span.is_recording());
  ASSERT_TRUE(span.context().is_valid());
  const Context expected = Context().with_baggage("k", "v").with_span(span.ref());
  Scope outer(Context().with_baggage("k", "v"));
  Scope scope = detail::ScopeBuilder::attach_span(detail::current_context_ref(), span.ref(), nullptr);
  const Context active = Context::current();
  EXPECT_EQ(active.span_context(), expected.span_context());
  EXPECT_FALSE(active.span_context().flags().sampled());
  EXPECT_EQ(active.baggage("k"), "v");
}

}  // namespace
}  // namespace honeyhive
