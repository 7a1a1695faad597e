#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/ids.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "support/in_memory_provider.hpp"

namespace honeyhive {
namespace {

constexpr int kThreads = 8;

// Runs body(thread_index) on kThreads threads that start together, and joins them.
template <class Body>
void run_together(int threads, Body body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      body(t);
    });
  }
  for (auto& worker : workers) worker.join();
}

// A provider exporting to memory with roomy limits, for the span tests.
test::InMemoryProvider make_test_tracer(SpanLimits limits = SpanLimits{}) {
  ProviderOptions options;
  options.resource = Resource();
  options.limits = limits;
  return test::make_in_memory_provider(std::move(options), "concurrency-test");
}

// The bytes of `per_thread` random ids of type `Id` drawn on each of kThreads threads at once, sorted.
template <class Id>
std::vector<std::array<std::uint8_t, Id::kSize>> sorted_ids_drawn_together(int per_thread) {
  std::vector<std::vector<std::array<std::uint8_t, Id::kSize>>> drawn(kThreads);
  run_together(kThreads, [&](int t) {
    auto& mine = drawn[static_cast<std::size_t>(t)];
    mine.reserve(static_cast<std::size_t>(per_thread));
    for (int i = 0; i < per_thread; ++i) mine.push_back(Id::random().bytes());
  });
  std::vector<std::array<std::uint8_t, Id::kSize>> all;
  for (const auto& mine : drawn) all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  return all;
}

TEST(IdConcurrencyTest, TraceIdsAreUniqueAcrossThreads) {
  constexpr int kPerThread = 10000;
  const auto all = sorted_ids_drawn_together<TraceId>(kPerThread);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(IdConcurrencyTest, SpanIdsAreUniqueAcrossThreads) {
  const auto all = sorted_ids_drawn_together<SpanId>(10000);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

TEST(ContextConcurrencyTest, EachThreadHasItsOwnContextStack) {
  constexpr int kRounds = 200;
  std::atomic<int> mismatches{0};
  run_together(kThreads, [&](int t) {
    const std::string mine = "thread-" + std::to_string(t);
    if (Context::current().baggage("owner").has_value()) mismatches.fetch_add(1);
    for (int round = 0; round < kRounds; ++round) {
      Scope outer(Context().with_baggage("owner", mine));
      {
        Scope inner = scoped_baggage({{"round", std::to_string(round)}});
        const Context current = Context::current();
        if (current.baggage("owner") != mine || current.baggage("round") != std::to_string(round)) {
          mismatches.fetch_add(1);
        }
      }
      if (Context::current().baggage("round").has_value()) mismatches.fetch_add(1);
      std::this_thread::yield();
      if (Context::current().baggage("owner") != mine) mismatches.fetch_add(1);
    }
    if (Context::current().baggage("owner").has_value()) mismatches.fetch_add(1);
  });
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_TRUE(Context::current().all_baggage().empty());
}

TEST(ContextConcurrencyTest, ActiveSpanOnOneThreadIsNotCurrentOnAnother) {
  test::InMemoryProvider t = make_test_tracer();
  Span span = t.tracer->start_span("main");
  Scope scope = span.activate();
  bool other_sees_a_span = true;
  std::thread other([&] { other_sees_a_span = Context::current().span_context().is_valid(); });
  other.join();
  EXPECT_FALSE(other_sees_a_span);
  EXPECT_EQ(Context::current().span_context(), span.context());
}

TEST(SpanConcurrencyTest, ConcurrentEnrichmentKeepsEveryAttributeAndEvent) {
  constexpr int kPerThread = 50;
  SpanLimits limits;
  limits.attribute_count = 1000;
  limits.event_count = 1000;
  test::InMemoryProvider t = make_test_tracer(limits);
  {
    Span span = t.tracer->start_span("shared");
    const SpanRef shared = span.ref();
    run_together(kThreads, [&](int thread) {
      SpanRef ref = shared;
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = "t" + std::to_string(thread) + ".k" + std::to_string(i);
        ref.set_attribute(key, i);
        ref.set_attribute("shared.key", thread);
        ref.add_event(key);
      }
    });
  }
  const auto spans = t.exporter->spans();
  ASSERT_EQ(spans.size(), 1U);
  const SpanData& data = *spans[0];
  EXPECT_EQ(data.attributes.size(), static_cast<std::size_t>(kThreads * kPerThread + 1));
  EXPECT_EQ(data.dropped_attributes_count, 0U);
  EXPECT_EQ(data.events.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(data.dropped_events_count, 0U);
  std::set<std::string> keys;
  for (const auto& attribute : data.attributes) keys.insert(attribute.key);
  EXPECT_EQ(keys.size(), data.attributes.size());
}

TEST(SpanConcurrencyTest, ConcurrentEnrichmentPastTheLimitsCountsEveryDrop) {
  constexpr int kPerThread = 50;
  SpanLimits limits;
  limits.attribute_count = 64;
  limits.event_count = 32;
  test::InMemoryProvider t = make_test_tracer(limits);
  {
    Span span = t.tracer->start_span("shared");
    const SpanRef shared = span.ref();
    run_together(kThreads, [&](int thread) {
      SpanRef ref = shared;
      for (int i = 0; i < kPerThread; ++i) {
        ref.set_attribute("t" + std::to_string(thread) + ".k" + std::to_string(i), i);
        ref.add_event("event");
      }
    });
  }
  const auto spans = t.exporter->spans();
  ASSERT_EQ(spans.size(), 1U);
  const SpanData& data = *spans[0];
  constexpr std::size_t kTotal = kThreads * kPerThread;
  EXPECT_EQ(data.attributes.size(), 64U);
  EXPECT_EQ(data.attributes.size() + data.dropped_attributes_count, kTotal);
  EXPECT_EQ(data.events.size(), 32U);
  EXPECT_EQ(data.events.size() + data.dropped_events_count, kTotal);
}

TEST(SpanConcurrencyTest, EnrichmentRacingWithEndNeverCrashesAndExportsOnce) {
  test::InMemoryProvider t = make_test_tracer();
  Span span = t.tracer->start_span("raced");
  const SpanRef shared = span.ref();
  run_together(4, [&](int thread) {
    SpanRef ref = shared;
    if (thread == 0) {
      ref.end();
      return;
    }
    for (int i = 0; i < 200; ++i) {
      ref.set_attribute("k" + std::to_string(i % 16), i);
      ref.add_event("e");
      ref.set_status(StatusCode::error, "x");
    }
  });
  span.end();
  const auto spans = t.exporter->spans();
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_LE(spans[0]->attributes.size(), 16U);
  EXPECT_LE(spans[0]->events.size() + spans[0]->dropped_events_count, 3U * 200U);
}

TEST(SpanConcurrencyTest, SpansEndedOnManyThreadsAreEachExportedOnce) {
  constexpr int kPerThread = 250;
  test::InMemoryProvider t = make_test_tracer();
  run_together(kThreads, [&](int) {
    for (int i = 0; i < kPerThread; ++i) {
      Span span = t.tracer->start_span("work");
      Scope scope = span.activate();
      Span child = t.tracer->start_span("child");
    }
  });
  const auto spans = t.exporter->spans();
  ASSERT_EQ(spans.size(), static_cast<std::size_t>(2 * kThreads * kPerThread));
  std::set<std::array<std::uint8_t, SpanId::kSize>> ids;
  for (const auto& span : spans) ids.insert(span->context.span_id().bytes());
  EXPECT_EQ(ids.size(), spans.size());
}

TEST(SpanConcurrencyTest, SpanEndedByManyThreadsAtOnceIsExportedOnce) {
  constexpr int kSpans = 100;
  test::InMemoryProvider t = make_test_tracer();
  std::vector<Span> spans;
  std::vector<SpanRef> refs;
  spans.reserve(kSpans);
  for (int i = 0; i < kSpans; ++i) {
    spans.push_back(t.tracer->start_span("contended"));
    refs.push_back(spans.back().ref());
  }
  run_together(4, [&](int) {
    for (SpanRef ref : refs) ref.end();
  });
  spans.clear();
  const auto exported = t.exporter->spans();
  ASSERT_EQ(exported.size(), static_cast<std::size_t>(kSpans));
  std::set<std::array<std::uint8_t, SpanId::kSize>> ids;
  for (const auto& span : exported) ids.insert(span->context.span_id().bytes());
  EXPECT_EQ(ids.size(), exported.size());
}

}  // namespace
}  // namespace honeyhive
