// Each failure point the SDK crosses, made to fail: the application keeps running, spans degrade
// to no-ops or lose a field, and the counters account for every span.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <new>
#include <stdexcept>

#include "core/clock_testing.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "lifecycle/lifecycle_support.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/in_memory_provider.hpp"

// An allocator that can be told to fail: while armed, every allocation after the first
// `g_allocations_left` throws std::bad_alloc (the nothrow forms return null).
namespace {
std::atomic<bool> g_armed{false};
std::atomic<long> g_allocations_left{0};

bool allocation_fails() noexcept {
  if (!g_armed.load(std::memory_order_relaxed)) return false;
  return g_allocations_left.fetch_sub(1, std::memory_order_relaxed) <= 0;
}

void* allocate(std::size_t size) {
  if (allocation_fails()) throw std::bad_alloc();
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

struct FailingAllocations {
  explicit FailingAllocations(long allowed) {
    g_allocations_left.store(allowed);
    g_armed.store(true);
  }
  ~FailingAllocations() { g_armed.store(false); }
};
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (allocation_fails()) return nullptr;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  if (allocation_fails()) return nullptr;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace honeyhive {
namespace {

using std::chrono::milliseconds;

// A provider that owns `processor` (always-on sampler), the processor's address, and a tracer.
template <class P>
struct WithProcessor {
  P* processor = nullptr;
  std::shared_ptr<Provider> provider;
  std::shared_ptr<Tracer> tracer;
};
template <class P>
WithProcessor<P> provider_with(std::unique_ptr<P> processor) {
  WithProcessor<P> result;
  result.processor = processor.get();
  ProviderOptions options;
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::move(processor));
  result.provider = Provider::create(std::move(options));
  result.tracer = result.provider->get_tracer("faults");
  return result;
}

TracerConfig local_config() {
  TracerConfig config;
  config.project = "faults";
  config.api_key = null;
  config.otlp_endpoint = null;
  config.start_session = false;
  config.disable_batch = true;
  return config;
}

TEST(FaultInjectionTest, AllocationFailureAtEveryPointOfASpansLifeNeverEscapes) {
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  TracerOptions options;
  options.exporter = std::move(exporter);
  options.diagnostics = DiagnosticSink::off();
  auto tracer = HoneyHiveTracer::init(local_config(), {}, {}, {}, std::move(options));
  ASSERT_NE(tracer, nullptr);
  const nlohmann::json inputs = {{"question", "How long do refunds take?"}, {"k", 3}};
  const nlohmann::json outputs = {{"answer", "Five days."}};
  // Allow 0, 1, 2, ... allocations before failing, until a whole span gets through untouched:
  // every allocation on the path fails once.
  int complete = 0;
  for (long allowed = 0; allowed < 400 && complete < 3; ++allowed) {
    bool finished = false;
    {
      FailingAllocations failing(allowed);
      Span span = tracer->start_span("under_pressure", EventType::tool);
      span.set_inputs(inputs);
      span.set_attribute("k", "v");
      span.set_outputs(outputs);
      span.end();
      finished = true;
    }
    EXPECT_TRUE(finished);
    if (memory->spans().size() > static_cast<std::size_t>(complete)) ++complete;
  }
  EXPECT_GE(complete, 1) << "some allocation budget must be enough for a whole span";
  // After the storm the tracer works normally.
  memory->clear();
  {
    Span span = tracer->start_span("after", EventType::tool);
    span.set_inputs(inputs);
  }
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_NE(spans[0]->find_attribute("honeyhive_inputs.question"), nullptr);
}

// Span records are recycled with their last name, and a span whose name equals it skips the UTF-8
// repair: a repair that ran out of memory must not leave an unrepaired name behind for them.
TEST(FaultInjectionTest, ANameRepairThatRunsOutOfMemoryLeavesNoInvalidNameBehind) {
  auto traced = test::make_in_memory_provider();
  const std::string invalid = std::string(30, 'a') + "\xFF";
  const std::string repaired = std::string(30, 'a') + "\xEF\xBF\xBD";
  for (int i = 0; i < 40; ++i) {
    auto warm = traced.tracer->start_span(std::string(40, 'x'));  // records with room for the name
  }
  traced.exporter->clear();
  for (long allowed = 0; allowed < 20; ++allowed) {
    {
      FailingAllocations failing(allowed);
      auto span = traced.tracer->start_span(invalid);
    }
    traced.exporter->clear();
  }
  for (int i = 0; i < 100; ++i) {
    auto span = traced.tracer->start_span(invalid);
  }
  const auto spans = traced.exporter->spans();
  ASSERT_EQ(spans.size(), 100U);
  for (const auto& span : spans) EXPECT_EQ(span->name, repaired);
}

// A key written into a recycled slot whose value then runs out of memory stays in the slot (not an
// attribute): writing that key again, and again, must still give the span one attribute of that
// key, on this span and on the next one from the same record writing in the same order.
TEST(FaultInjectionTest, AKeyWhoseValueRanOutOfMemoryIsNeverHeldTwice) {
  auto traced = test::make_in_memory_provider();
  const std::string big(100, 'v');  // past the slot's buffer: its write allocates
  int duplicated = 0;
  for (int round = 0; round < 40; ++round) {
    {
      auto first = traced.tracer->start_span("first");
      first.set_attribute("A", 1);
      first.set_attribute("B", 2);
    }
    traced.exporter->clear();
    for (int span_of_round = 0; span_of_round < 2; ++span_of_round) {
      {
        auto second = traced.tracer->start_span("second");
        {
          FailingAllocations failing(0);
          second.set_attribute("X", std::string_view(big));
        }
        second.set_attribute("X", 1);
        second.set_attribute("X", 2);
      }
      const auto spans = traced.exporter->spans();
      ASSERT_EQ(spans.size(), 1U);
      std::size_t xs = 0;
      for (const auto& attribute : spans[0]->attributes) xs += attribute.key == "X" ? 1U : 0U;
      if (xs != 1) ++duplicated;
      EXPECT_EQ(*spans[0]->find_attribute("X"), AttributeValue{std::int64_t{2}});
      traced.exporter->clear();
    }
  }
  EXPECT_EQ(duplicated, 0);
}

TEST(FaultInjectionTest, InitUnderAllocationFailureGivesANoOpTracerOrNullNeverAThrow) {
  for (long allowed = 0; allowed < 300; allowed += 7) {
    std::shared_ptr<HoneyHiveTracer> tracer;
    {
      TracerOptions options;
      options.exporter = std::make_unique<InMemoryExporter>();
      options.diagnostics = DiagnosticSink::off();
      const TracerConfig config = local_config();
      FailingAllocations failing(allowed);
      tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
    }
    if (tracer) {
      Span span = tracer->start_span("s", EventType::tool);  // a no-op or a real span: never a crash
      span.end();
    }
  }
  SUCCEED();
}

TEST(FaultInjectionTest, AThrowingExporterFailsItsSpansCountedAndReported) {
  test::DiagnosticsCapture diagnostics;
  auto exporter = std::make_unique<test::ThrowingExporter>();
  test::ThrowingExporter* thrower = exporter.get();
  BatchSpanProcessorOptions options;
  options.schedule_delay = milliseconds(10);
  auto provider = provider_with(std::make_unique<BatchSpanProcessor>(std::move(exporter), options));
  BatchSpanProcessor& processor = *provider.processor;
  for (int i = 0; i < 10; ++i) provider.tracer->start_span("s").end();
  EXPECT_FALSE(processor.force_flush(milliseconds(5000)));  // the exporter's flush throws
  const auto stats = processor.stats();
  EXPECT_EQ(stats.enqueued, 10U);
  EXPECT_EQ(stats.failed, 10U);
  EXPECT_EQ(stats.exported, 0U);
  EXPECT_GE(thrower->calls(), 1);
  EXPECT_TRUE(diagnostics.mentions("backend exploded"));
  EXPECT_FALSE(processor.shutdown(milliseconds(1000)));  // the exporter's shutdown throws: false, no crash
}

TEST(FaultInjectionTest, AThrowingExporterUnderTheSimpleProcessorFailsOnlyItsSpan) {
  test::DiagnosticsCapture diagnostics;
  auto provider = provider_with(std::make_unique<SimpleSpanProcessor>(std::make_unique<test::ThrowingExporter>()));
  SimpleSpanProcessor& processor = *provider.processor;
  provider.tracer->start_span("s").end();
  provider.tracer->start_span("t").end();
  EXPECT_EQ(processor.failed(), 2U);
  EXPECT_EQ(processor.exported(), 0U);
  EXPECT_TRUE(diagnostics.mentions("exporter threw (backend exploded)"));
}

struct Exploding {
  int value = 0;
};
void to_json(nlohmann::json&, const Exploding&) { throw std::runtime_error("to_json exploded"); }

TEST(FaultInjectionTest, AToJsonThatThrowsLosesOnlyThatField) {
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  TracerOptions options;
  options.exporter = std::move(exporter);
  options.diagnostics = DiagnosticSink::off();
  auto tracer = HoneyHiveTracer::init(local_config(), {}, {}, {}, std::move(options));
  {
    Span span = tracer->start_span("s", EventType::tool);
    span.set_structured("honeyhive_inputs", Exploding{});
    span.set_outputs(nlohmann::json{{"ok", true}});
  }
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_NE(spans[0]->find_attribute("honeyhive_outputs.ok"), nullptr);
}

// A wall clock that jumps back an hour after its first reading.
std::atomic<int> g_wall_readings{0};
constexpr UnixNanos kWallStart = 1'800'000'000'000'000'000ULL;
UnixNanos stepping_back_clock() noexcept {
  return g_wall_readings.fetch_add(1) == 0 ? kWallStart : kWallStart - 3'600'000'000'000ULL;
}

TEST(FaultInjectionTest, AWallClockThatJumpsBackNeitherReversesASpanNorItsEvents) {
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  auto provider = provider_with(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
  g_wall_readings = 0;
  detail::set_wall_clock_for_testing(&stepping_back_clock);
  {
    Span span = provider.tracer->start_span("across_the_step");  // starts at kWallStart
    span.add_event("midway");                                    // the wall clock now reads an hour earlier
  }
  detail::set_wall_clock_for_testing(nullptr);
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_EQ(spans[0]->start_unix_nanos, kWallStart);
  EXPECT_GE(spans[0]->end_unix_nanos, kWallStart);
  EXPECT_LT(spans[0]->end_unix_nanos - kWallStart, 60'000'000'000ULL);  // monotonic duration, not -1 h
  ASSERT_EQ(spans[0]->events.size(), 1U);
  EXPECT_GE(spans[0]->events[0].time_unix_nanos, kWallStart);
  EXPECT_LE(spans[0]->events[0].time_unix_nanos, spans[0]->end_unix_nanos);
}

// A wall clock set for testing is never taken as the anchor of later start times.
UnixNanos clock_in_the_far_future() noexcept { return kWallStart + 100ULL * 365 * 24 * 3'600'000'000'000ULL; }

TEST(FaultInjectionTest, ATestWallClockLeavesNoOffsetBehindForLaterSpans) {
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  auto provider = provider_with(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
  detail::set_wall_clock_for_testing(&clock_in_the_far_future);
  { Span span = provider.tracer->start_span("under_the_test_clock"); }
  detail::set_wall_clock_for_testing(nullptr);
  const UnixNanos before = now_unix_nanos();
  { Span span = provider.tracer->start_span("under_the_real_clock"); }
  const UnixNanos after = now_unix_nanos();
  const auto spans = memory->spans();
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_EQ(spans[0]->start_unix_nanos, clock_in_the_far_future());
  EXPECT_GE(spans[1]->start_unix_nanos + 1'000'000, before);
  EXPECT_LE(spans[1]->start_unix_nanos, after + 1'000'000);
}

TEST(FaultInjectionTest, AFullQueueDropsAndCountsNeverBlocks) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // The first export blocks until the producer is done: the queue fills behind it.
  auto exporter = std::make_unique<test::CallbackExporter>([released] { released.wait(); });
  BatchSpanProcessorOptions options;
  options.max_queue_size = 8;
  options.max_export_batch_size = 8;
  options.schedule_delay = std::chrono::hours(1);
  auto provider = provider_with(std::make_unique<BatchSpanProcessor>(std::move(exporter), options));
  BatchSpanProcessor& processor = *provider.processor;
  for (int i = 0; i < 1000; ++i) provider.tracer->start_span("s").end();  // never blocks
  release.set_value();
  EXPECT_TRUE(processor.force_flush(milliseconds(5000)));
  const auto stats = processor.stats();
  EXPECT_EQ(stats.enqueued, 1000U);
  EXPECT_EQ(stats.exported + stats.dropped + stats.failed, 1000U);
  EXPECT_GT(stats.dropped, 0U);
}

}  // namespace
}  // namespace honeyhive
