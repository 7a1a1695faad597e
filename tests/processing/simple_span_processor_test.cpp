#include "honeyhive/processing/simple_span_processor.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
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
