#include "honeyhive/processing/simple_span_processor.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"

namespace honeyhive {
namespace {

// Records what it is given and answers with configurable results.
class ScriptedExporter final : public SpanExporter {
 public:
  struct Log {
    std::mutex mutex;
    std::vector<std::vector<SpanDataPtr>> batches;
    int shutdown_calls = 0;
    int force_flush_calls = 0;
    std::chrono::milliseconds last_flush_timeout{-1};
  };

  ScriptedExporter(std::shared_ptr<Log> log, ExportResult result, bool flush_result = true)
      : log_(std::move(log)), result_(result), flush_result_(flush_result) {}

  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override {
    std::lock_guard<std::mutex> lock(log_->mutex);
    log_->batches.push_back(spans);
    return result_;
  }

  bool force_flush(std::chrono::milliseconds timeout) noexcept override {
    std::lock_guard<std::mutex> lock(log_->mutex);
    ++log_->force_flush_calls;
    log_->last_flush_timeout = timeout;
    return flush_result_;
  }

  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::lock_guard<std::mutex> lock(log_->mutex);
    ++log_->shutdown_calls;
    return true;
  }

 private:
  std::shared_ptr<Log> log_;
  ExportResult result_;
  bool flush_result_;
};

// Records every span but exports none (OTel RECORD_ONLY).
class RecordOnlySampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return SamplingResult{SamplingDecision::record_only, nullptr};
  }
  std::string description() const override { return "RecordOnly"; }
};

class SimpleSpanProcessorTest : public ::testing::Test {
 protected:
  void start(ExportResult result, std::shared_ptr<Sampler> sampler = make_always_on_sampler(),
             bool flush_result = true) {
    auto processor =
        std::make_unique<SimpleSpanProcessor>(std::make_unique<ScriptedExporter>(log_, result, flush_result));
    processor_ = processor.get();
    ProviderOptions options;
    options.sampler = std::move(sampler);
    options.limits = SpanLimits{};
    options.processors.push_back(std::move(processor));
    provider_ = Provider::create(std::move(options));
    tracer_ = provider_->get_tracer("simple_span_processor_test");
  }

  std::size_t batch_count() {
    std::lock_guard<std::mutex> lock(log_->mutex);
    return log_->batches.size();
  }

  std::shared_ptr<ScriptedExporter::Log> log_ = std::make_shared<ScriptedExporter::Log>();
  SimpleSpanProcessor* processor_ = nullptr;
  std::shared_ptr<Provider> provider_;
  std::shared_ptr<Tracer> tracer_;
};

TEST_F(SimpleSpanProcessorTest, ExportsEachSampledSpanOnceWhenItEnds) {
  start(ExportResult::success);
  auto first = tracer_->start_span("first");
  auto second = tracer_->start_span("second");
  EXPECT_EQ(batch_count(), 0U);
  first.end();
  second.end();
  ASSERT_EQ(log_->batches.size(), 2U);
  ASSERT_EQ(log_->batches[0].size(), 1U);
  ASSERT_EQ(log_->batches[1].size(), 1U);
  EXPECT_EQ(log_->batches[0][0]->name, "first");
  EXPECT_EQ(log_->batches[1][0]->name, "second");
}

TEST_F(SimpleSpanProcessorTest, EndingASpanTwiceExportsItOnce) {
  start(ExportResult::success);
  auto span = tracer_->start_span("once");
  span.end();
  span.end();
  EXPECT_EQ(batch_count(), 1U);
  EXPECT_EQ(processor_->exported(), 1U);
}

TEST_F(SimpleSpanProcessorTest, CountsSuccessfulExports) {
  start(ExportResult::success);
  tracer_->start_span("a").end();
  tracer_->start_span("b").end();
  EXPECT_EQ(processor_->exported(), 2U);
  EXPECT_EQ(processor_->failed(), 0U);
}

TEST_F(SimpleSpanProcessorTest, CountsFailedExports) {
  start(ExportResult::failure);
  tracer_->start_span("a").end();
  tracer_->start_span("b").end();
  EXPECT_EQ(batch_count(), 2U);
  EXPECT_EQ(processor_->failed(), 2U);
  EXPECT_EQ(processor_->exported(), 0U);
}

TEST_F(SimpleSpanProcessorTest, DoesNotExportRecordedButUnsampledSpans) {
  start(ExportResult::success, std::make_shared<RecordOnlySampler>());
  auto span = tracer_->start_span("recorded");
  EXPECT_TRUE(span.is_recording());
  span.end();
  EXPECT_EQ(batch_count(), 0U);
  EXPECT_EQ(processor_->exported(), 0U);
  EXPECT_EQ(processor_->dropped(), 0U);
}

TEST_F(SimpleSpanProcessorTest, SpansEndingAfterShutdownAreDroppedNotExported) {
  start(ExportResult::success);
  auto span = tracer_->start_span("late");
  ASSERT_TRUE(processor_->shutdown(std::chrono::milliseconds(100)));
  span.end();
  EXPECT_EQ(batch_count(), 0U);
  EXPECT_EQ(processor_->dropped(), 1U);
  EXPECT_EQ(processor_->exported(), 0U);
}

TEST_F(SimpleSpanProcessorTest, ShutdownShutsTheExporterDown) {
  start(ExportResult::success);
  EXPECT_TRUE(processor_->shutdown(std::chrono::milliseconds(100)));
  EXPECT_EQ(log_->shutdown_calls, 1);
}

// An exporter whose shutdown waits until released, and fails or succeeds as told.
class HeldShutdownExporter final : public SpanExporter {
 public:
  struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool entered = false;
    bool released = false;
    bool result = true;
  };
  explicit HeldShutdownExporter(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  ExportResult export_spans(const std::vector<SpanDataPtr>&) noexcept override { return ExportResult::success; }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    std::unique_lock<std::mutex> lock(gate_->mutex);
    gate_->entered = true;
    gate_->changed.notify_all();
    gate_->changed.wait(lock, [&] { return gate_->released; });
    return gate_->result;
  }

 private:
  std::shared_ptr<Gate> gate_;
};

// A second shutdown while the first is still shutting the exporter down waits for it (within its
// own timeout) and returns its result: it returned true at once, before the exporter was shut down.
TEST(SimpleSpanProcessorShutdown, ASecondShutdownWaitsForTheFirstAndReturnsItsResult) {
  auto gate = std::make_shared<HeldShutdownExporter::Gate>();
  gate->result = false;  // the exporter's shutdown fails (a last batch it could not send)
  SimpleSpanProcessor processor(std::make_unique<HeldShutdownExporter>(gate));
  std::thread first([&] { EXPECT_FALSE(processor.shutdown(std::chrono::seconds(5))); });
  {
    std::unique_lock<std::mutex> lock(gate->mutex);
    gate->changed.wait(lock, [&] { return gate->entered; });
  }
  // The first is inside the exporter's shutdown: a second one with a short timeout gives up.
  EXPECT_FALSE(processor.shutdown(std::chrono::milliseconds(20)));
  {
    std::lock_guard<std::mutex> lock(gate->mutex);
    gate->released = true;
  }
  gate->changed.notify_all();
  first.join();
  // Once the first has finished, a later one returns its result at once.
  EXPECT_FALSE(processor.shutdown(std::chrono::seconds(5)));
}

TEST_F(SimpleSpanProcessorTest, ShutdownIsIdempotent) {
  start(ExportResult::success);
  EXPECT_TRUE(processor_->shutdown(std::chrono::milliseconds(100)));
  EXPECT_TRUE(processor_->shutdown(std::chrono::milliseconds(100)));
  provider_->shutdown(std::chrono::milliseconds(100));
  EXPECT_EQ(log_->shutdown_calls, 1);
}

TEST_F(SimpleSpanProcessorTest, ForceFlushForwardsToTheExporterWithTheTimeout) {
  start(ExportResult::success);
  EXPECT_TRUE(processor_->force_flush(std::chrono::milliseconds(1234)));
  EXPECT_EQ(log_->force_flush_calls, 1);
  EXPECT_EQ(log_->last_flush_timeout, std::chrono::milliseconds(1234));
}

TEST_F(SimpleSpanProcessorTest, ForceFlushReportsTheExporterFailure) {
  start(ExportResult::success, make_always_on_sampler(), /*flush_result=*/false);
  EXPECT_FALSE(processor_->force_flush(std::chrono::milliseconds(100)));
  EXPECT_EQ(log_->force_flush_calls, 1);
}

TEST(SimpleSpanProcessorStandaloneTest, OnEndExportsASampledSpanDataDirectly) {
  auto log = std::make_shared<ScriptedExporter::Log>();
  SimpleSpanProcessor processor(std::make_unique<ScriptedExporter>(log, ExportResult::success));
  auto data = std::make_shared<SpanData>();
  data->name = "direct";
  data->context =
      SpanContext(TraceId(std::array<std::uint8_t, TraceId::kSize>{1}),
                  SpanId(std::array<std::uint8_t, SpanId::kSize>{1}), TraceFlags{TraceFlags::kSampled}, false);
  processor.on_end(data);
  ASSERT_EQ(log->batches.size(), 1U);
  ASSERT_EQ(log->batches[0].size(), 1U);
  EXPECT_EQ(log->batches[0][0], data);
  EXPECT_EQ(processor.exported(), 1U);
}

SpanDataPtr sampled_span_data(const std::string& name) {
  auto data = std::make_shared<SpanData>();
  data->name = name;
  data->context =
      SpanContext(TraceId(std::array<std::uint8_t, TraceId::kSize>{1}),
                  SpanId(std::array<std::uint8_t, SpanId::kSize>{1}), TraceFlags{TraceFlags::kSampled}, false);
  return data;
}

// Each span goes to the exporter alone, and the processor holds no reference to it afterwards
// (the batch a thread reuses from span to span is emptied after each export).
TEST(SimpleSpanProcessorStandaloneTest, EachSpanIsExportedAloneAndNotHeldAfterItsExport) {
  auto log = std::make_shared<ScriptedExporter::Log>();
  SimpleSpanProcessor processor(std::make_unique<ScriptedExporter>(log, ExportResult::success));
  std::vector<std::weak_ptr<const SpanData>> exported;
  for (int i = 0; i < 3; ++i) {
    SpanDataPtr data = sampled_span_data("span " + std::to_string(i));
    processor.on_end(data);
    exported.push_back(data);
  }
  log->batches.clear();  // the exporter's own copies
  ASSERT_EQ(exported.size(), 3U);
  for (const auto& span : exported) EXPECT_TRUE(span.expired());
  EXPECT_EQ(processor.exported(), 3U);
}

// An exporter that ends spans on the exporting thread, of its own processor's provider and of
// another's: each of those spans is exported in a batch of its own, and the batch the outer export
// was given still holds exactly its span when the inner exports are over.
TEST(SimpleSpanProcessorStandaloneTest, AnExporterEndingSpansOnItsThreadLeavesItsBatchAsGiven) {
  class EndingExporter final : public SpanExporter {
   public:
    explicit EndingExporter(std::shared_ptr<Tracer>& same, std::shared_ptr<Tracer>& other)
        : same_(same), other_(other) {}
    ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override {
      seen.push_back({});
      for (const auto& span : spans) seen.back().push_back(span->name);
      if (spans.size() == 1 && spans[0]->name == "outer") {
        same_->start_span("inner, same provider").end();
        other_->start_span("inner, other provider").end();
        after_inner.clear();
        for (const auto& span : spans) after_inner.push_back(span->name);
      }
      return ExportResult::success;
    }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
    std::vector<std::vector<std::string>> seen;
    std::vector<std::string> after_inner;

   private:
    std::shared_ptr<Tracer>& same_;
    std::shared_ptr<Tracer>& other_;
  };
  std::shared_ptr<Tracer> same;
  std::shared_ptr<Tracer> other;
  auto exporter = std::make_unique<EndingExporter>(same, other);
  EndingExporter* ending = exporter.get();
  ProviderOptions options;
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
  auto provider = Provider::create(std::move(options));
  same = provider->get_tracer("same");
  auto other_log = std::make_shared<ScriptedExporter::Log>();
  ProviderOptions other_options;
  other_options.sampler = make_always_on_sampler();
  other_options.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<ScriptedExporter>(other_log, ExportResult::success)));
  auto other_provider = Provider::create(std::move(other_options));
  other = other_provider->get_tracer("other");

  same->start_span("outer").end();
  const std::vector<std::vector<std::string>> expected_seen = {{"outer"}, {"inner, same provider"}};
  EXPECT_EQ(ending->seen, expected_seen);
  EXPECT_EQ(ending->after_inner, std::vector<std::string>{"outer"});
  ASSERT_EQ(other_log->batches.size(), 1U);
  ASSERT_EQ(other_log->batches[0].size(), 1U);
  EXPECT_EQ(other_log->batches[0][0]->name, "inner, other provider");

  // And the thread's batch serves the next span as before.
  same->start_span("next").end();
  ASSERT_EQ(ending->seen.size(), 3U);
  EXPECT_EQ(ending->seen[2], std::vector<std::string>{"next"});
}

// A span ended by a thread-specific key's destructor, which runs after the thread's C++ destructors:
// it is exported, and the thread's batch, first made then, is freed with the thread (LeakSanitizer
// checks this in the sanitizer build: a thread_local batch made that late would never be destroyed).
SimpleSpanProcessor* g_exiting_thread_processor = nullptr;

TEST(SimpleSpanProcessorStandaloneTest, ASpanEndedWhileItsThreadExitsIsExportedAndItsBatchFreed) {
  auto log = std::make_shared<ScriptedExporter::Log>();
  SimpleSpanProcessor processor(std::make_unique<ScriptedExporter>(log, ExportResult::success));
  g_exiting_thread_processor = &processor;
  pthread_key_t key;
  ASSERT_EQ(pthread_key_create(&key, [](void*) { g_exiting_thread_processor->on_end(sampled_span_data("at exit")); }),
            0);
  for (int i = 0; i < 4; ++i) {
    std::thread([key] { pthread_setspecific(key, &key); }).join();
  }
  pthread_key_delete(key);
  g_exiting_thread_processor = nullptr;
  ASSERT_EQ(log->batches.size(), 4U);
  for (const auto& batch : log->batches) {
    ASSERT_EQ(batch.size(), 1U);
    EXPECT_EQ(batch[0]->name, "at exit");
  }
  EXPECT_EQ(processor.exported(), 4U);
}

TEST(SimpleSpanProcessorStandaloneTest, OnEndSkipsAnUnsampledSpanData) {
  auto log = std::make_shared<ScriptedExporter::Log>();
  SimpleSpanProcessor processor(std::make_unique<ScriptedExporter>(log, ExportResult::success));
  auto data = std::make_shared<SpanData>();
  data->context = SpanContext(TraceId(std::array<std::uint8_t, TraceId::kSize>{1}),
                              SpanId(std::array<std::uint8_t, SpanId::kSize>{1}), TraceFlags{0}, false);
  processor.on_end(data);
  EXPECT_TRUE(log->batches.empty());
  EXPECT_EQ(processor.exported(), 0U);
}

}  // namespace
}  // namespace honeyhive
