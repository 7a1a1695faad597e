// The parent a span processor is handed in on_start, when the span starts as a child of this
// thread's current context: processors may attach contexts of their own while they run (a scope
// for the work they do), and the parent must stay the span's parent all the same, for them and for
// the processors after them.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "honeyhive/processing/span_processor.hpp"

namespace honeyhive {
namespace {

// What a processor saw of the parent.
struct SeenParent {
  std::string span_id;
  std::optional<std::string> tenant;
  std::optional<std::string> work;  // ScopeReplacingProcessor's baggage
};

SeenParent seen(const Context& parent) {
  return SeenParent{parent.span_context().span_id().to_hex(), parent.baggage("tenant"),
                    parent.baggage("processor.work")};
}

// In on_start, attaches `depth` contexts one inside the other (enough for this thread's stack of
// contexts to grow), reads the parent while they are attached, and ends them in order.
class AttachingProcessor final : public SpanProcessor {
 public:
  explicit AttachingProcessor(int depth) : depth_(depth) {}
  void on_start(SpanRef&, const Context& parent) noexcept override {
    std::vector<Scope> scopes;
    scopes.reserve(static_cast<std::size_t>(depth_));
    for (int i = 0; i < depth_; ++i) {
      scopes.emplace_back(Context::current().with_baggage("processor.depth", std::to_string(i)));
    }
    while_attached.push_back(seen(parent));
    while (!scopes.empty()) scopes.pop_back();  // innermost first
  }
  void on_end(const SpanDataPtr&) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

  std::vector<SeenParent> while_attached;

 private:
  int depth_;
};

// Keeps a scope of its own attached between spans and replaces it at each span start: ending the
// earlier one, by then below the caller's scope, out of order, then attaching another on top.
class ScopeReplacingProcessor final : public SpanProcessor {
 public:
  void on_start(SpanRef&, const Context&) noexcept override {
    work_ = Scope(Context().with_baggage("processor.work", std::to_string(++starts_)));
  }
  void on_end(const SpanDataPtr&) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
  void end_work() { work_.detach(); }

 private:
  Scope work_;
  int starts_ = 0;
};

// Records the parent it is handed.
class ParentRecorder final : public SpanProcessor {
 public:
  void on_start(SpanRef&, const Context& parent) noexcept override { parents.push_back(seen(parent)); }
  void on_end(const SpanDataPtr&) noexcept override {}
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

  std::vector<SeenParent> parents;
};

// A provider with `first` and then a ParentRecorder as its processors, and a tracer of it; the
// processors stay reachable through `first_view` and `recorder`.
template <class First>
struct Pipeline {
  explicit Pipeline(std::unique_ptr<First> first) : first_view(first.get()) {
    auto recorded = std::make_unique<ParentRecorder>();
    recorder = recorded.get();
    ProviderOptions options;
    options.sampler = make_always_on_sampler();
    options.processors.push_back(std::move(first));
    options.processors.push_back(std::move(recorded));
    provider = Provider::create(std::move(options));
    tracer = provider->get_tracer("processor-parent");
  }

  First* first_view;
  ParentRecorder* recorder = nullptr;
  std::shared_ptr<Provider> provider;
  std::shared_ptr<Tracer> tracer;
};

// On a new thread, so that the thread's stack of contexts starts empty and grows during the test.
void start_children_under_an_attaching_processor() {
  Pipeline<AttachingProcessor> pipeline(std::make_unique<AttachingProcessor>(64));
  AttachingProcessor* attaching_view = pipeline.first_view;
  ParentRecorder* recorder_view = pipeline.recorder;
  Tracer* tracer = pipeline.tracer.get();

  auto outer = tracer->start_span("outer");
  const std::string outer_id = outer.context().span_id().to_hex();
  Scope outer_scope(Context::current().with_span(outer).with_baggage("tenant", "acme"));
  // Several children: the first grows the thread's stack of contexts, the others reuse its room.
  for (int i = 0; i < 3; ++i) {
    auto child = tracer->start_span("child");
    EXPECT_EQ(child.context().trace_id(), outer.context().trace_id());
  }

  ASSERT_EQ(attaching_view->while_attached.size(), 4U);  // outer too, with no parent
  ASSERT_EQ(recorder_view->parents.size(), 4U);
  EXPECT_FALSE(recorder_view->parents[0].tenant.has_value());  // the outer span: no parent
  EXPECT_EQ(recorder_view->parents[0].span_id, "0000000000000000");
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(attaching_view->while_attached[i].span_id, outer_id) << "child " << i;
    EXPECT_EQ(attaching_view->while_attached[i].tenant, std::optional<std::string>("acme")) << "child " << i;
    EXPECT_EQ(recorder_view->parents[i].span_id, outer_id) << "child " << i;
    EXPECT_EQ(recorder_view->parents[i].tenant, std::optional<std::string>("acme")) << "child " << i;
  }
  // The processor's contexts are gone again: the current one is the outer span's.
  EXPECT_EQ(Context::current().span_context().span_id().to_hex(), outer_id);
  pipeline.provider->shutdown();
}

TEST(ProcessorParentTest, AParentStaysTheSpansParentWhileAProcessorAttachesContextsOfItsOwn) {
  std::thread(start_children_under_an_attaching_processor).join();
}

// A processor ending a scope below the caller's (out of order) and attaching another while a span
// starts: the processors after it are still handed the caller's context.
void start_a_child_under_a_scope_replacing_processor() {
  Pipeline<ScopeReplacingProcessor> pipeline(std::make_unique<ScopeReplacingProcessor>());
  ScopeReplacingProcessor* replacing_view = pipeline.first_view;
  ParentRecorder* recorder_view = pipeline.recorder;
  Tracer* tracer = pipeline.tracer.get();

  auto outer = tracer->start_span("outer");  // the processor's first scope, left attached
  Scope outer_scope(Context().with_span(outer).with_baggage("tenant", "acme"));  // above it
  // The processor attaches its second scope, then ends the first, below outer_scope: out of order.
  { auto child = tracer->start_span("child"); }
  ASSERT_EQ(recorder_view->parents.size(), 2U);
  EXPECT_EQ(recorder_view->parents[1].span_id, outer.context().span_id().to_hex());
  EXPECT_EQ(recorder_view->parents[1].tenant, std::optional<std::string>("acme"));
  replacing_view->end_work();
  EXPECT_EQ(Context::current().baggage("tenant"), std::optional<std::string>("acme"));
  pipeline.provider->shutdown();
}

TEST(ProcessorParentTest, AParentStaysTheSpansParentWhenAProcessorEndsAScopeBelowItOutOfOrder) {
  std::thread(start_a_child_under_a_scope_replacing_processor).join();
}

// The processor's own scope is the current context when a span starts, and it ends that scope (the
// span's parent's) while the span starts: the processors after it are handed an empty context, not
// one that was destroyed.
void start_a_span_whose_parent_a_processor_ends() {
  Pipeline<ScopeReplacingProcessor> pipeline(std::make_unique<ScopeReplacingProcessor>());
  ScopeReplacingProcessor* replacing_view = pipeline.first_view;
  ParentRecorder* recorder_view = pipeline.recorder;
  Tracer* tracer = pipeline.tracer.get();

  { auto first = tracer->start_span("first"); }    // leaves the processor's scope current
  { auto second = tracer->start_span("second"); }  // its parent: that scope, which the processor ends
  ASSERT_EQ(recorder_view->parents.size(), 2U);
  EXPECT_EQ(recorder_view->parents[0].work, std::nullopt);  // "first" had no parent
  EXPECT_EQ(recorder_view->parents[1].span_id, "0000000000000000");
  EXPECT_EQ(recorder_view->parents[1].work, std::nullopt);  // ended: an empty context now
  EXPECT_EQ(Context::current().baggage("processor.work"), std::optional<std::string>("2"));
  replacing_view->end_work();
  EXPECT_EQ(Context::current().baggage("processor.work"), std::nullopt);
  pipeline.provider->shutdown();
}

TEST(ProcessorParentTest, AProcessorEndingTheParentsOwnScopeLeavesTheNextProcessorsAnEmptyParent) {
  std::thread(start_a_span_whose_parent_a_processor_ends).join();
}

}  // namespace
}  // namespace honeyhive
