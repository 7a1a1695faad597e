// The span record pool (src/core/span_record_pool.hpp): records made on some threads and released
// on others are recycled, and a record is never owned by two holders at once. Run under
// ThreadSanitizer by the test command (label "concurrency").
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/span_record_pool.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "honeyhive/export/span_exporter.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"

namespace honeyhive::detail {
namespace {

constexpr std::size_t kWords = sizeof(SpanRecord::control) / sizeof(std::uint64_t);

// Stamps a record: its control bytes and fields of its state.
void fill(SpanRecord* record, std::uint64_t stamp) {
  auto* words = reinterpret_cast<std::uint64_t*>(record->control);
  for (std::size_t i = 0; i < kWords; ++i) words[i] = stamp + i;
  record->state.start_unix_nanos = stamp;
  record->state.name = "record " + std::to_string(stamp);
}

bool intact(const SpanRecord* record, std::uint64_t stamp) {
  const auto* words = reinterpret_cast<const std::uint64_t*>(record->control);
  for (std::size_t i = 0; i < kWords; ++i) {
    if (words[i] != stamp + i) return false;
  }
  return record->state.start_unix_nanos == stamp && record->state.name == "record " + std::to_string(stamp);
}

struct Handoff {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::pair<SpanRecord*, std::uint64_t>> blocks;
  bool done = false;
};

// Producers take records and stamp them; consumers on other threads check the stamp, recycle the
// state and give the records back, as the batch processor's export thread releases the spans
// producers made. A record handed out twice at once would have its stamp overwritten by the other
// owner.
TEST(SpanRecordPoolConcurrency, RecordsReleasedOnOtherThreadsAreReusedWithoutSharing) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 2;
  constexpr std::uint64_t kBlocksPerProducer = 20000;
  Handoff handoff;
  std::atomic<std::uint64_t> corrupted{0};
  std::atomic<std::uint64_t> checked{0};

  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      for (;;) {
        std::unique_lock<std::mutex> lock(handoff.mutex);
        handoff.ready.wait(lock, [&] { return handoff.done || !handoff.blocks.empty(); });
        if (handoff.blocks.empty()) return;
        const auto [block, stamp] = handoff.blocks.front();
        handoff.blocks.pop_front();
        lock.unlock();
        if (!intact(block, stamp)) corrupted.fetch_add(1);
        checked.fetch_add(1);
        block->state.recycle();
        give_span_record(block);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::vector<std::pair<SpanRecord*, std::uint64_t>> own;  // some released on this thread too
      for (std::uint64_t i = 0; i < kBlocksPerProducer; ++i) {
        SpanRecord* block = take_span_record();
        const std::uint64_t stamp = (static_cast<std::uint64_t>(p) << 40) | (i << 8);
        fill(block, stamp);
        if (i % 8 == 0) {
          own.emplace_back(block, stamp);
          continue;
        }
        std::lock_guard<std::mutex> lock(handoff.mutex);
        handoff.blocks.emplace_back(block, stamp);
        handoff.ready.notify_one();
      }
      for (const auto& [block, stamp] : own) {
        if (!intact(block, stamp)) corrupted.fetch_add(1);
        checked.fetch_add(1);
        block->state.recycle();
        give_span_record(block);
      }
    });
  }
  for (auto& producer : producers) producer.join();
  {
    std::lock_guard<std::mutex> lock(handoff.mutex);
    handoff.done = true;
  }
  handoff.ready.notify_all();
  for (auto& consumer : consumers) consumer.join();

  EXPECT_EQ(checked.load(), kProducers * kBlocksPerProducer);
  EXPECT_EQ(corrupted.load(), 0U);
}

// Hands every exported span to the consumers' queue.
struct SpanHandoff {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<SpanDataPtr> spans;
  bool done = false;
};

class HandoffExporter final : public SpanExporter {
 public:
  explicit HandoffExporter(SpanHandoff& handoff) : handoff_(handoff) {}
  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) override {
    std::lock_guard<std::mutex> lock(handoff_.mutex);
    handoff_.spans.insert(handoff_.spans.end(), spans.begin(), spans.end());
    handoff_.ready.notify_one();
    return ExportResult::success;
  }
  bool shutdown(std::chrono::milliseconds) override { return true; }

 private:
  SpanHandoff& handoff_;
};

// The producer `p` of the span named "p-i" set "text" = "value p-i" and, unless i ends in 0 (the
// producers alternate two shapes), "number" = i and "longer.key.than.fifteen" = "and a longer value
// from p-i": exactly these, in this order.
bool holds_what_its_producer_set(const SpanData& span) {
  Attributes expected = {{"text", AttributeValue{"value " + span.name}}};
  if (span.name.back() != '0') {
    const std::int64_t i = std::stoll(span.name.substr(span.name.find('-') + 1));
    expected.push_back({"number", AttributeValue{i}});
    expected.push_back({"longer.key.than.fifteen", AttributeValue{"and a longer value from " + span.name}});
  }
  return span.attributes == expected;
}

// Real spans, with attributes written into recycled slots, made on four threads and released on
// two others (the last reference, and so the recycling, happens there): every span read on the
// releasing side holds exactly what its producer set. Each consumer holds up to `held` spans before
// it releases them all: while they are held, the producers find no records to take, and their
// ending spans prepare their next records (prepare_record_like). Returns how many spans were wrong.
int spans_released_elsewhere_that_were_wrong(std::size_t held) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 2;
  constexpr int kSpansPerProducer = 3000;
  SpanHandoff handoff;
  ProviderOptions options;
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::make_unique<HandoffExporter>(handoff)));
  auto provider = Provider::create(std::move(options));
  auto tracer = provider->get_tracer("record_pool_test");
  std::atomic<int> wrong{0};
  std::atomic<int> checked{0};

  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      std::vector<SpanDataPtr> holding;
      for (;;) {
        std::unique_lock<std::mutex> lock(handoff.mutex);
        handoff.ready.wait(lock, [&] { return handoff.done || !handoff.spans.empty(); });
        if (handoff.spans.empty()) return;
        SpanDataPtr span = std::move(handoff.spans.front());
        handoff.spans.pop_front();
        lock.unlock();
        if (!holds_what_its_producer_set(*span)) wrong.fetch_add(1);
        checked.fetch_add(1);
        // The last reference goes here, now or with the ones held: the record is recycled on this
        // thread.
        holding.push_back(std::move(span));
        if (holding.size() >= held) holding.clear();
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kSpansPerProducer; ++i) {
        const std::string name = std::to_string(p) + "-" + std::to_string(i);
        auto span = tracer->start_span(name);
        span.set_attribute("text", "value " + name);
        if (name.back() != '0') {
          span.set_attribute("number", i);
          span.set_attribute("longer.key.than.fifteen", "and a longer value from " + name);
        }
        span.end();
      }
    });
  }
  for (auto& producer : producers) producer.join();
  {
    std::lock_guard<std::mutex> lock(handoff.mutex);
    handoff.done = true;
  }
  handoff.ready.notify_all();
  for (auto& consumer : consumers) consumer.join();

  EXPECT_EQ(checked.load(), kProducers * kSpansPerProducer);
  return wrong.load();
}

TEST(SpanRecordPoolConcurrency, SpansReleasedOnOtherThreadsKeepTheirOwnAttributes) {
  EXPECT_EQ(spans_released_elsewhere_that_were_wrong(1), 0);
}

// The consumers hold 1,500 spans at a time, more than the pool keeps between them (kSharedRecords):
// the producers run out of records again and again.
TEST(SpanRecordPoolConcurrency, SpansOnRecordsPreparedWhileNoneAreLeftKeepTheirOwnAttributes) {
  const std::uint64_t prepared = prepared_span_records();
  EXPECT_EQ(spans_released_elsewhere_that_were_wrong(1500), 0);
  if (kSpanRecordsRecycled) {
    EXPECT_GT(prepared_span_records(), prepared);
  }
}

}  // namespace
}  // namespace honeyhive::detail
