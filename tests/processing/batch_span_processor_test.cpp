#include "honeyhive/processing/batch_span_processor.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/thread_count.hpp"
#include "core/usable_cpus.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "processing/span_queue.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/span_queue_testing.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kLongDelay{3600 * 1000};  // a schedule delay that never fires in a test
constexpr milliseconds kPatience{5000};          // how long a bounded wait may take before failing

// --- a controllable exporter ----------------------------------------------------------------

// What the fake exporter did, shared with the test (the processor owns the exporter itself, and
// after a shutdown timeout its export thread may outlive the processor).
struct ExporterControl {
  std::mutex mutex;
  std::condition_variable changed;
  bool blocked = false;                  // exports wait while set
  bool fail = false;                     // exports report failure
  int entered = 0;                       // export calls started
  std::vector<std::size_t> batch_sizes;  // export calls finished, in order
  std::size_t spans_accepted = 0;
  std::vector<milliseconds> time_left;  // deadline - now, as each export started
  int shutdown_calls = 0;
  int force_flush_calls = 0;
  bool shut_down = false;
  ExporterStats stats;
  // Run once, on the export thread, by the next export once it is not blocked (without the lock).
  std::function<void()> in_next_export;
  bool hold_shutdown = false;  // shutdown waits while set
  // Run once by the exporter's shutdown (without the lock).
  std::function<void()> in_shutdown;

  void set_blocked(bool value) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      blocked = value;
    }
    changed.notify_all();
  }
  void set_fail(bool value) {
    std::lock_guard<std::mutex> lock(mutex);
    fail = value;
  }
  bool wait_until_entered(int count) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, kPatience, [&] { return entered >= count; });
  }
  int entered_count() {
    std::lock_guard<std::mutex> lock(mutex);
    return entered;
  }
  std::vector<std::size_t> batches() {
    std::lock_guard<std::mutex> lock(mutex);
    return batch_sizes;
  }
  std::size_t accepted() {
    std::lock_guard<std::mutex> lock(mutex);
    return spans_accepted;
  }
};

class FakeExporter final : public SpanExporter {
 public:
  explicit FakeExporter(std::shared_ptr<ExporterControl> control) : control_(std::move(control)) {}

  ExportResult export_spans(const std::vector<SpanDataPtr>& spans) noexcept override {
    return export_spans_until(spans, Clock::now() + std::chrono::hours(1));
  }
  ExportResult export_spans_until(const std::vector<SpanDataPtr>& spans, Clock::time_point deadline) noexcept override {
    ExporterControl& control = *control_;
    std::unique_lock<std::mutex> lock(control.mutex);
    ++control.entered;
    control.time_left.push_back(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    control.changed.notify_all();
    control.changed.wait(lock, [&] { return !control.blocked; });
    if (auto hook = std::move(control.in_next_export)) {
      control.in_next_export = nullptr;
      lock.unlock();
      hook();
      lock.lock();
    }
    control.batch_sizes.push_back(spans.size());
    if (control.fail || control.shut_down) return ExportResult::failure;
    control.spans_accepted += spans.size();
    return ExportResult::success;
  }
  ExporterStats stats() const noexcept override {
    std::lock_guard<std::mutex> lock(control_->mutex);
    return control_->stats;
  }
  bool force_flush(milliseconds) noexcept override {
    std::lock_guard<std::mutex> lock(control_->mutex);
    ++control_->force_flush_calls;
    return true;
  }
  bool shutdown(milliseconds) noexcept override {
    std::unique_lock<std::mutex> lock(control_->mutex);
    ++control_->shutdown_calls;
    control_->shut_down = true;
    control_->changed.notify_all();
    control_->changed.wait(lock, [&] { return !control_->hold_shutdown; });
    if (auto hook = std::move(control_->in_shutdown)) {
      control_->in_shutdown = nullptr;
      lock.unlock();
      hook();
    }
    return true;
  }

 private:
  std::shared_ptr<ExporterControl> control_;
};

// --- helpers --------------------------------------------------------------------------------

SpanDataPtr make_span(bool sampled = true) {
  auto span = std::make_shared<SpanData>();
  span->context = SpanContext(TraceId::random(), SpanId::random(),
                              TraceFlags{sampled ? TraceFlags::kSampled : std::uint8_t{0}}, false);
  span->name = "work";
  span->start_unix_nanos = 1;
  span->end_unix_nanos = 2;
  return span;
}

BatchSpanProcessorOptions make_options(std::size_t queue, std::size_t batch, milliseconds delay = kLongDelay) {
  BatchSpanProcessorOptions options;
  options.max_queue_size = queue;
  options.max_export_batch_size = batch;
  options.schedule_delay = delay;
  options.export_timeout = milliseconds(30000);
  return options;
}

// A processor over a fake exporter; the test keeps the control.
struct Fixture {
  std::shared_ptr<ExporterControl> control = std::make_shared<ExporterControl>();
  std::unique_ptr<BatchSpanProcessor> processor;

  explicit Fixture(const BatchSpanProcessorOptions& options)
      : processor(std::make_unique<BatchSpanProcessor>(std::make_unique<FakeExporter>(control), options)) {}
  ~Fixture() {
    control->set_blocked(false);  // never leave the export thread stuck
  }

  void end_spans(int count, bool sampled = true) {
    for (int i = 0; i < count; ++i) processor->on_end(make_span(sampled));
  }
};

// Polls `condition` until it holds or kPatience passes.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + kPatience;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return condition();
}

bool identity_holds(const BatchSpanProcessorStats& stats) {
  return stats.enqueued == stats.exported + stats.dropped + stats.failed + stats.queued;
}

std::size_t sum(const std::vector<std::size_t>& values) {
  return std::accumulate(values.begin(), values.end(), std::size_t{0});
}

// --- batching -------------------------------------------------------------------------------

TEST(BatchSpanProcessor, ExportsInBatchesOfAtMostTheMaxExportBatchSize) {
  Fixture fixture(make_options(100, 10));
  fixture.end_spans(35);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  const auto batches = fixture.control->batches();
  EXPECT_EQ(sum(batches), 35U);
  EXPECT_GE(batches.size(), 4U);
  for (const std::size_t size : batches) {
    EXPECT_GT(size, 0U);
    EXPECT_LE(size, 10U);
  }
}

TEST(BatchSpanProcessor, ExportsAFullBatchWithoutWaitingForTheTimer) {
  Fixture fixture(make_options(100, 10));
  fixture.end_spans(30);
  EXPECT_TRUE(eventually([&] { return fixture.processor->stats().exported == 30; }));
  EXPECT_EQ(fixture.control->batches(), (std::vector<std::size_t>{10, 10, 10}));
}

TEST(BatchSpanProcessor, TheScheduleDelayExportsAPartialBatch) {
  Fixture fixture(make_options(2048, 512, milliseconds(50)));
  fixture.end_spans(3);
  EXPECT_TRUE(eventually([&] { return fixture.processor->stats().exported == 3; }));
  EXPECT_EQ(fixture.control->batches(), (std::vector<std::size_t>{3}));
}

TEST(BatchSpanProcessor, ClampsABatchSizeLargerThanTheQueue) {
  Fixture fixture(make_options(16, 64));
  EXPECT_EQ(fixture.processor->options().max_export_batch_size, 16U);
  EXPECT_EQ(fixture.processor->options().max_queue_size, 16U);
  // A full queue is a full batch: it goes out without a flush or the timer.
  fixture.end_spans(16);
  EXPECT_TRUE(eventually([&] { return fixture.processor->stats().exported == 16; }));
  EXPECT_EQ(fixture.processor->stats().dropped, 0U);
}

TEST(BatchSpanProcessor, ExportsWithTheExportTimeoutAsDeadline) {
  auto options = make_options(100, 10);
  options.export_timeout = milliseconds(7000);
  Fixture fixture(options);
  fixture.end_spans(1);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  std::lock_guard<std::mutex> lock(fixture.control->mutex);
  ASSERT_EQ(fixture.control->time_left.size(), 1U);
  EXPECT_LE(fixture.control->time_left[0], milliseconds(7000));
  EXPECT_GT(fixture.control->time_left[0], milliseconds(6000));
}

// An export timeout of 0 (OTEL_BSP_EXPORT_TIMEOUT=0) sets no limit of the processor's own: the
// exporter gets no deadline and applies its own. A deadline of now failed every export unsent.
TEST(BatchSpanProcessor, AnExportTimeoutOfZeroLeavesTheLimitToTheExporter) {
  auto options = make_options(100, 10);
  options.export_timeout = milliseconds(0);
  Fixture fixture(options);
  fixture.end_spans(2);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_EQ(fixture.control->accepted(), 2U);
  std::lock_guard<std::mutex> lock(fixture.control->mutex);
  ASSERT_EQ(fixture.control->time_left.size(), 1U);
  EXPECT_GT(fixture.control->time_left[0], std::chrono::minutes(59));  // FakeExporter's own limit, an hour
}

// A schedule delay of 0 or less is a timer always due: at least 1 ms is used, so the idle export
// thread sleeps between checks instead of spinning.
TEST(BatchSpanProcessor, AScheduleDelayBelowAMillisecondIsOneMillisecond) {
  for (const milliseconds delay : {milliseconds(0), milliseconds(-5)}) {
    auto options = make_options(100, 10);
    options.schedule_delay = delay;
    Fixture fixture(options);
    EXPECT_EQ(fixture.processor->options().schedule_delay, milliseconds(1));
    fixture.end_spans(1);
    EXPECT_TRUE(fixture.processor->force_flush(kPatience));
    EXPECT_EQ(fixture.control->accepted(), 1U);
  }
}

// --- a full queue ---------------------------------------------------------------------------

TEST(BatchSpanProcessor, DropsAndCountsWhenTheQueueIsFullWithoutBlocking) {
  Fixture fixture(make_options(8, 8));
  fixture.control->set_blocked(true);
  fixture.end_spans(8);  // a full batch: the export thread takes it and blocks in the exporter
  ASSERT_TRUE(fixture.control->wait_until_entered(1));
  auto producer = std::async(std::launch::async, [&] { fixture.end_spans(8 + 5); });
  ASSERT_EQ(producer.wait_for(kPatience), std::future_status::ready) << "on_end blocked on a stuck exporter";
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 21U);
  EXPECT_EQ(stats.dropped, 5U);
  EXPECT_EQ(stats.queued, 16U);  // 8 in the blocked export, 8 in the queue
  EXPECT_EQ(stats.exported, 0U);
  EXPECT_TRUE(identity_holds(stats));

  fixture.control->set_blocked(false);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  const auto after = fixture.processor->stats();
  EXPECT_EQ(after.exported, 16U);
  EXPECT_EQ(after.queued, 0U);
  EXPECT_TRUE(identity_holds(after));
}

// A span dropped on a full queue is counted without a word from on_end; the export thread says so
// once, after the export it was waiting for, and shutdown gives the total.
TEST(BatchSpanProcessor, SpansDroppedOnAFullQueueAreReportedOnceAndInTotalAtShutdown) {
  const test::ThreadDiagnosticsCapture diagnostics;  // the processor's sink, its export thread's too
  Fixture fixture(make_options(8, 8));
  fixture.control->set_blocked(true);
  fixture.end_spans(8);
  ASSERT_TRUE(fixture.control->wait_until_entered(1));
  fixture.end_spans(8 + 5);
  fixture.control->set_blocked(false);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_EQ(diagnostics.count_containing("queue (max_queue_size 8) was full, 5 span(s) dropped so far"), 1U);

  fixture.control->set_blocked(true);
  fixture.end_spans(8);
  ASSERT_TRUE(fixture.control->wait_until_entered(3));
  fixture.end_spans(8 + 3);
  fixture.control->set_blocked(false);
  ASSERT_TRUE(fixture.processor->shutdown(kPatience));
  EXPECT_EQ(diagnostics.count_containing("dropped so far"), 1U);
  EXPECT_EQ(diagnostics.count_containing("8 span(s) dropped in all because its queue was full"), 1U);
  EXPECT_EQ(fixture.processor->stats().dropped, 8U);
}

// Spans ended after shutdown are dropped too, but not for a full queue: nothing is said of that.
TEST(BatchSpanProcessor, SpansDroppedAfterShutdownAreNotReportedAsAFullQueue) {
  const test::ThreadDiagnosticsCapture diagnostics;
  Fixture fixture(make_options(8, 8));
  ASSERT_TRUE(fixture.processor->shutdown(kPatience));
  fixture.end_spans(3);
  EXPECT_EQ(fixture.processor->stats().dropped, 3U);
  EXPECT_EQ(diagnostics.count_containing("queue"), 0U);
}

// --- force_flush ----------------------------------------------------------------------------

TEST(BatchSpanProcessor, ForceFlushExportsEverythingEnqueuedBefore) {
  Fixture fixture(make_options(2048, 512));
  fixture.end_spans(5);
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_EQ(fixture.control->accepted(), 5U);
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.exported, 5U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_EQ(stats.export_batches, 1U);
}

// "As long as it takes": the deadline saturates instead of overflowing into the past, where the
// flush would give up at once and return false.
TEST(BatchSpanProcessor, ForceFlushAndShutdownWithTheLargestTimeoutWaitForTheExport) {
  Fixture fixture(make_options(2048, 512));
  fixture.end_spans(3);
  EXPECT_TRUE(fixture.processor->force_flush(milliseconds::max()));
  EXPECT_EQ(fixture.control->accepted(), 3U);
  fixture.end_spans(2);
  EXPECT_TRUE(fixture.processor->shutdown(milliseconds::max()));
  EXPECT_EQ(fixture.control->accepted(), 5U);
}

// The queue's cells are allocated and written up front: a queue of a billion would take tens of
// gigabytes at start. It is cut to the largest allowed, said once, and works.
TEST(BatchSpanProcessor, AQueueAboveTheLargestAllowedIsCutAndSaidSo) {
  const test::ThreadDiagnosticsCapture diagnostics;
  Fixture fixture(make_options(1000000000, 512));
  EXPECT_EQ(detail::span_queue_of(*fixture.processor).capacity(), std::size_t{1} << 21);
  EXPECT_EQ(diagnostics.count_containing("max_queue_size 1000000000 is above the largest allowed; using 2097152"), 1U);
  fixture.end_spans(3);
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_EQ(fixture.control->accepted(), 3U);
}

TEST(BatchSpanProcessor, ForceFlushAlsoFlushesTheExporter) {
  Fixture fixture(make_options(2048, 512));
  fixture.end_spans(1);
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  std::lock_guard<std::mutex> lock(fixture.control->mutex);
  EXPECT_EQ(fixture.control->force_flush_calls, 1);
}

TEST(BatchSpanProcessor, ForceFlushWithAnEmptyQueueSucceeds) {
  Fixture fixture(make_options(2048, 512));
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_TRUE(fixture.control->batches().empty());
}

TEST(BatchSpanProcessor, ForceFlushGivesUpAfterItsTimeoutWhenTheExporterIsBlocked) {
  Fixture fixture(make_options(2048, 512));
  fixture.control->set_blocked(true);
  fixture.end_spans(2);
  auto flush = std::async(std::launch::async, [&] { return fixture.processor->force_flush(milliseconds(100)); });
  ASSERT_EQ(flush.wait_for(kPatience), std::future_status::ready) << "force_flush ignored its timeout";
  EXPECT_FALSE(flush.get());

  fixture.control->set_blocked(false);
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_EQ(fixture.processor->stats().exported, 2U);
}

// --- shutdown -------------------------------------------------------------------------------

TEST(BatchSpanProcessor, ShutdownFlushesAndShutsTheExporterDown) {
  Fixture fixture(make_options(2048, 512));
  fixture.end_spans(5);
  EXPECT_TRUE(fixture.processor->shutdown(kPatience));
  EXPECT_EQ(fixture.control->accepted(), 5U);
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.exported, 5U);
  EXPECT_EQ(stats.queued, 0U);
  std::lock_guard<std::mutex> lock(fixture.control->mutex);
  EXPECT_EQ(fixture.control->shutdown_calls, 1);
}

TEST(BatchSpanProcessor, ShutdownIsIdempotent) {
  Fixture fixture(make_options(2048, 512));
  fixture.end_spans(2);
  EXPECT_TRUE(fixture.processor->shutdown(kPatience));
  EXPECT_TRUE(fixture.processor->shutdown(kPatience));
  EXPECT_EQ(fixture.processor->stats().exported, 2U);
  std::lock_guard<std::mutex> lock(fixture.control->mutex);
  EXPECT_EQ(fixture.control->shutdown_calls, 1);
}

TEST(BatchSpanProcessor, DropsAndCountsSpansAfterShutdown) {
  Fixture fixture(make_options(2048, 512));
  ASSERT_TRUE(fixture.processor->shutdown(kPatience));
  fixture.end_spans(3);
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 3U);
  EXPECT_EQ(stats.dropped, 3U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_TRUE(identity_holds(stats));
  EXPECT_TRUE(fixture.control->batches().empty());
}

// One span's export, started by a flush on `flusher` and held in the exporter until the test
// unblocks it.
void hold_an_export(Fixture& fixture, std::thread& flusher) {
  fixture.control->set_blocked(true);
  fixture.end_spans(1);
  flusher = std::thread([&fixture] { (void)fixture.processor->force_flush(kPatience); });
  ASSERT_TRUE(fixture.control->wait_until_entered(1));
}

// One span exported, then a producer stopped between its claim and its write, then one span
// queued behind it. Returns the stopped producer's position.
std::uint64_t stop_a_producer_behind_an_exported_span(Fixture& fixture) {
  fixture.end_spans(1);
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  const std::uint64_t stalled = detail::SpanQueueTesting::claim(detail::span_queue_of(*fixture.processor));
  fixture.end_spans(1);
  return stalled;
}

// Shutdown closes the queue and waits for producers still writing into positions they claimed
// before: here one never writes. The span behind it cannot be exported either (the queue is read
// in order): both count as failed, and shutdown says it did not export everything.
TEST(BatchSpanProcessor, ShutdownCountsASpanItsProducerNeverWroteAsFailed) {
  Fixture fixture(make_options(16, 8));
  detail::SpanQueue& queue = detail::span_queue_of(*fixture.processor);
  const std::uint64_t stalled = stop_a_producer_behind_an_exported_span(fixture);
  EXPECT_FALSE(fixture.processor->shutdown(milliseconds(1000)));
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 3U);
  EXPECT_EQ(stats.exported, 1U);
  EXPECT_EQ(stats.failed, 2U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_TRUE(identity_holds(stats));
  // The producer writes at last: too late to count twice.
  detail::SpanQueueTesting::write(queue, stalled, make_span());
  EXPECT_EQ(fixture.processor->stats().failed, 2U);
  EXPECT_EQ(fixture.processor->stats().exported, 1U);
}

// The same producer, writing a moment later: shutdown waits for it and exports both spans.
TEST(BatchSpanProcessor, ShutdownWaitsForAProducerStillWritingAClaimedPosition) {
  Fixture fixture(make_options(16, 8));
  detail::SpanQueue& queue = detail::span_queue_of(*fixture.processor);
  const std::uint64_t stalled = stop_a_producer_behind_an_exported_span(fixture);
  std::thread late_writer([&] {
    std::this_thread::sleep_for(milliseconds(50));
    detail::SpanQueueTesting::write(queue, stalled, make_span());
  });
  EXPECT_TRUE(fixture.processor->shutdown(kPatience));
  late_writer.join();
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.exported, 3U);
  EXPECT_EQ(stats.failed, 0U);
  EXPECT_TRUE(identity_holds(stats));
}

// Shut down from an exporter callback (on the export thread, which cannot wait for itself): the
// thread then waits for the producer still writing before its last drain, and exports its span.
TEST(BatchSpanProcessor, ShutdownFromTheExporterWaitsForAProducerStillWriting) {
  auto options = make_options(16, 8);
  options.shutdown_export_timeout = kPatience;
  Fixture fixture(options);
  detail::SpanQueue& queue = detail::span_queue_of(*fixture.processor);
  std::thread flusher;
  ASSERT_NO_FATAL_FAILURE(hold_an_export(fixture, flusher));  // the first span's export, held
  const std::uint64_t stalled = detail::SpanQueueTesting::claim(queue);
  fixture.end_spans(1);
  std::thread late_writer;
  {
    std::lock_guard<std::mutex> lock(fixture.control->mutex);
    fixture.control->in_next_export = [&] {
      EXPECT_TRUE(fixture.processor->shutdown(kPatience));  // returns at once on this thread
      late_writer = std::thread([&] {
        std::this_thread::sleep_for(milliseconds(50));
        detail::SpanQueueTesting::write(queue, stalled, make_span());
      });
    };
  }
  fixture.control->set_blocked(false);
  flusher.join();
  // A second shutdown waits for the export thread's end.
  EXPECT_TRUE(fixture.processor->shutdown(kPatience));
  late_writer.join();
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 3U);
  EXPECT_EQ(stats.exported, 3U);
  EXPECT_EQ(stats.failed, 0U);
  EXPECT_EQ(fixture.control->accepted(), 3U);
  EXPECT_EQ(fixture.control->shutdown_calls, 1);
}

// A second shutdown, while the first is still shutting the exporter down, does not report the
// processor shut down before it is.
TEST(BatchSpanProcessor, ASecondShutdownWaitsForTheFirstToFinish) {
  Fixture fixture(make_options(16, 8));
  fixture.end_spans(3);
  {
    std::lock_guard<std::mutex> lock(fixture.control->mutex);
    fixture.control->hold_shutdown = true;
  }
  std::thread first([&] { EXPECT_TRUE(fixture.processor->shutdown(kPatience)); });
  {
    std::unique_lock<std::mutex> lock(fixture.control->mutex);
    ASSERT_TRUE(
        fixture.control->changed.wait_for(lock, kPatience, [&] { return fixture.control->shutdown_calls > 0; }));
  }
  EXPECT_FALSE(fixture.processor->shutdown(milliseconds(100)));  // the exporter is still shutting down
  {
    std::lock_guard<std::mutex> lock(fixture.control->mutex);
    fixture.control->hold_shutdown = false;
  }
  fixture.control->changed.notify_all();
  EXPECT_TRUE(fixture.processor->shutdown(kPatience));
  first.join();
  EXPECT_EQ(fixture.processor->stats().exported, 3U);
  EXPECT_EQ(fixture.control->shutdown_calls, 1);
}

// Shut down from an exporter callback, with a producer that never writes its position: the export
// thread counts it and the span behind it as failed when it ends, and a later shutdown says the
// processor did not export everything.
TEST(BatchSpanProcessor, ShutdownFromTheExporterCountsWhatItCouldNotExport) {
  auto options = make_options(16, 8);
  options.shutdown_export_timeout = milliseconds(100);
  Fixture fixture(options);
  std::thread flusher;
  ASSERT_NO_FATAL_FAILURE(hold_an_export(fixture, flusher));  // the first span's export, held
  (void)detail::SpanQueueTesting::claim(detail::span_queue_of(*fixture.processor));
  fixture.end_spans(1);
  {
    std::lock_guard<std::mutex> lock(fixture.control->mutex);
    fixture.control->in_next_export = [&] { EXPECT_TRUE(fixture.processor->shutdown(kPatience)); };
  }
  fixture.control->set_blocked(false);
  flusher.join();
  EXPECT_FALSE(fixture.processor->shutdown(kPatience));
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.exported, 1U);
  EXPECT_EQ(stats.failed, 2U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_TRUE(identity_holds(stats));
}

// A shutdown that gave up on an export thread stuck in the exporter: when the thread ends at last,
// it counts what it leaves in the queue (here behind a position never written) as failed, and a
// later shutdown reports the first one's failure.
TEST(BatchSpanProcessor, AnAbandonedExportThreadCountsWhatItLeavesWhenItEnds) {
  Fixture fixture(make_options(16, 8));
  std::thread flusher;
  ASSERT_NO_FATAL_FAILURE(hold_an_export(fixture, flusher));  // the first span's export, held
  fixture.end_spans(1);
  (void)detail::SpanQueueTesting::claim(detail::span_queue_of(*fixture.processor));
  fixture.end_spans(1);
  EXPECT_FALSE(fixture.processor->shutdown(milliseconds(200)));  // the export is held
  fixture.control->set_blocked(false);
  flusher.join();
  // The exporter, shut down, fails the two exports it still gets; the other two were never exportable.
  EXPECT_TRUE(eventually([&] { return fixture.processor->stats().queued == 0; }));
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 4U);
  EXPECT_EQ(stats.failed, 4U);
  EXPECT_TRUE(identity_holds(stats));
  EXPECT_FALSE(fixture.processor->shutdown(kPatience));
}

// An exporter whose shutdown calls back into the processor's: the inner call, inside the first
// shutdown on the same thread, returns at once (false: not shut down yet) instead of waiting for
// the call it is inside.
TEST(BatchSpanProcessor, AShutdownCalledFromInsideTheFirstReturnsAtOnce) {
  Fixture fixture(make_options(16, 8));
  fixture.end_spans(2);
  bool inner_result = true;
  {
    std::lock_guard<std::mutex> lock(fixture.control->mutex);
    fixture.control->in_shutdown = [&] { inner_result = fixture.processor->shutdown(std::chrono::hours(1)); };
  }
  std::promise<bool> outer;
  auto outer_result = outer.get_future();
  std::thread shutting([&] { outer.set_value(fixture.processor->shutdown(kPatience)); });
  if (outer_result.wait_for(2 * kPatience) != std::future_status::ready) {
    shutting.detach();  // stuck for an hour: fail rather than hang
    FAIL() << "the inner shutdown waited for the outer one";
  }
  shutting.join();
  EXPECT_TRUE(outer_result.get());
  EXPECT_FALSE(inner_result);
  EXPECT_EQ(fixture.processor->stats().exported, 2U);
}

// A fork child of a processor already shut down has nothing left to do: its shutdown returns at
// once and true, and its spans are dropped and counted.
TEST(BatchSpanProcessor, AForkChildOfAShutDownProcessorIsShutDownToo) {
  Fixture fixture(make_options(16, 8));
  fixture.end_spans(1);
  ASSERT_TRUE(fixture.processor->shutdown(kPatience));
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No gtest assertions here: the exit code says what held.
    const bool shut = fixture.processor->shutdown(milliseconds(2000));
    fixture.processor->on_end(make_span());
    const auto stats = fixture.processor->stats();
    _exit(shut && stats.dropped == 1 && stats.enqueued == 1 && stats.queued == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(BatchSpanProcessor, ShutdownWithAStuckExporterReturnsFalseWithinItsTimeout) {
  Fixture fixture(make_options(2048, 1));
  fixture.control->set_blocked(true);
  fixture.end_spans(1);  // a full batch of one: exported at once, and stuck
  ASSERT_TRUE(fixture.control->wait_until_entered(1));
  fixture.end_spans(2);
  auto shutdown = std::async(std::launch::async, [&] { return fixture.processor->shutdown(milliseconds(200)); });
  ASSERT_EQ(shutdown.wait_for(kPatience), std::future_status::ready) << "shutdown ignored its timeout";
  EXPECT_FALSE(shutdown.get());

  // Released, the abandoned export thread finishes: every span ends up counted somewhere.
  fixture.control->set_blocked(false);
  EXPECT_TRUE(eventually([&] { return fixture.processor->stats().queued == 0; }));
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 3U);
  EXPECT_EQ(stats.exported + stats.failed, 3U);
  EXPECT_TRUE(identity_holds(stats));
}

// A shutdown that gave up on a stuck export thread is final: a later call (the destructor's, with
// its own 5 s) returns false at once instead of waiting for a thread that was abandoned.
TEST(BatchSpanProcessor, AShutdownAfterOneThatAbandonedTheThreadReturnsAtOnce) {
  Fixture fixture(make_options(2048, 1));
  fixture.control->set_blocked(true);
  fixture.end_spans(1);
  ASSERT_TRUE(fixture.control->wait_until_entered(1));
  EXPECT_FALSE(fixture.processor->shutdown(milliseconds(100)));
  auto again = std::async(std::launch::async, [&] { return fixture.processor->shutdown(std::chrono::hours(1)); });
  const std::future_status status = again.wait_for(kPatience);
  fixture.control->set_blocked(false);  // the thread can end now, whatever happened
  EXPECT_EQ(status, std::future_status::ready) << "waited for the abandoned export thread";
  EXPECT_FALSE(again.get());
}

TEST(BatchSpanProcessor, DestroyingTheProcessorFlushes) {
  auto control = std::make_shared<ExporterControl>();
  {
    BatchSpanProcessor processor(std::make_unique<FakeExporter>(control), make_options(2048, 512));
    for (int i = 0; i < 4; ++i) processor.on_end(make_span());
  }
  EXPECT_EQ(control->accepted(), 4U);
}

// --- accounting -----------------------------------------------------------------------------

TEST(BatchSpanProcessor, CountsFailedExportsAsFailed) {
  Fixture fixture(make_options(2048, 512));
  fixture.control->set_fail(true);
  fixture.end_spans(4);
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.failed, 4U);
  EXPECT_EQ(stats.exported, 0U);
  EXPECT_EQ(stats.export_batches, 1U);
  EXPECT_TRUE(identity_holds(stats));
}

TEST(BatchSpanProcessor, AccountingIdentityHoldsAtQuiescentPoints) {
  Fixture fixture(make_options(16, 4));
  fixture.end_spans(6);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_TRUE(identity_holds(fixture.processor->stats()));

  fixture.control->set_fail(true);
  fixture.end_spans(5);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_TRUE(identity_holds(fixture.processor->stats()));

  fixture.control->set_fail(false);
  fixture.control->set_blocked(true);
  const int entered_before = fixture.control->entered_count();
  fixture.end_spans(4);  // a full batch, stuck in the exporter
  ASSERT_TRUE(fixture.control->wait_until_entered(entered_before + 1));
  fixture.end_spans(16 + 3);  // fills the queue, then 3 are dropped
  EXPECT_TRUE(identity_holds(fixture.processor->stats()));
  fixture.control->set_blocked(false);
  ASSERT_TRUE(fixture.processor->shutdown(kPatience));

  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 6U + 5U + 4U + 19U);
  EXPECT_EQ(stats.exported, 6U + 4U + 16U);
  EXPECT_EQ(stats.failed, 5U);
  EXPECT_EQ(stats.dropped, 3U);
  EXPECT_EQ(stats.queued, 0U);
  EXPECT_TRUE(identity_holds(stats));
}

TEST(BatchSpanProcessor, IgnoresSpansThatAreNotSampled) {
  Fixture fixture(make_options(2048, 512));
  fixture.end_spans(3, /*sampled=*/false);
  ASSERT_TRUE(fixture.processor->force_flush(kPatience));
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.enqueued, 0U);
  EXPECT_EQ(stats.dropped, 0U);
  EXPECT_TRUE(fixture.control->batches().empty());
}

TEST(BatchSpanProcessor, ReportsTheExportersWireCounters) {
  Fixture fixture(make_options(2048, 512));
  {
    std::lock_guard<std::mutex> lock(fixture.control->mutex);
    fixture.control->stats = ExporterStats{7, 3, 2};
  }
  const auto stats = fixture.processor->stats();
  EXPECT_EQ(stats.export_requests, 7U);
  EXPECT_EQ(stats.retries, 3U);
  EXPECT_EQ(stats.rejected_spans, 2U);
}

TEST(BatchSpanProcessor, ExportsSpansEndedThroughAProvider) {
  auto control = std::make_shared<ExporterControl>();
  ProviderOptions options;
  options.sampler = make_always_on_sampler();
  options.processors.push_back(
      std::make_unique<BatchSpanProcessor>(std::make_unique<FakeExporter>(control), make_options(2048, 512)));
  auto provider = Provider::create(std::move(options));
  auto tracer = provider->get_tracer("test");
  for (int i = 0; i < 3; ++i) tracer->start_span("work").end();
  EXPECT_TRUE(provider->force_flush(kPatience));
  EXPECT_EQ(control->accepted(), 3U);
  EXPECT_TRUE(provider->shutdown(kPatience));
}

// --- staying awake between batches ---------------------------------------------------------

// Full batches of 4, each ended once the one before it was exported, so they come a few
// milliseconds apart (eventually() polls every 2 ms); then 2 spans more and a flush. Returns the
// processor's stats.
BatchSpanProcessorStats batches_a_few_ms_apart(std::chrono::microseconds stay_awake_below, int batches) {
  auto options = make_options(64, 4);
  options.stay_awake_below = stay_awake_below;
  Fixture fixture(options);
  for (int i = 0; i < batches; ++i) {
    fixture.end_spans(4);
    const auto expected = static_cast<std::size_t>(4 * (i + 1));
    EXPECT_TRUE(eventually([&] { return fixture.control->accepted() >= expected; }));
  }
  // A flush while the export thread may be waiting awake ends the wait. (A bound, not a speed: the
  // wait itself is at most stay_awake_below, 10 ms at most.)
  fixture.end_spans(2);
  const auto flush_start = Clock::now();
  EXPECT_TRUE(fixture.processor->force_flush(kPatience));
  EXPECT_LT(Clock::now() - flush_start, std::chrono::seconds(1));
  return fixture.processor->stats();
}

TEST(BatchSpanProcessorStayAwake, TheExportThreadStaysAwakeBetweenBatchesThatComeFast) {
  if (detail::usable_cpus() <= detail::live_context_threads()) GTEST_SKIP() << "no CPU to spare for the export thread";
  const auto stats = batches_a_few_ms_apart(std::chrono::microseconds(10000), 10);
  EXPECT_GT(stats.stayed_awake, 0U);
  EXPECT_EQ(stats.exported, 42U);
  EXPECT_EQ(stats.dropped, 0U);
}

TEST(BatchSpanProcessorStayAwake, NeverWhenTurnedOff) {
  const auto stats = batches_a_few_ms_apart(std::chrono::microseconds(0), 10);
  EXPECT_EQ(stats.stayed_awake, 0U);
  EXPECT_EQ(stats.exported, 42U);
}

TEST(BatchSpanProcessorStayAwake, NeverForBatchesFurtherApartThanTheBound) {
  const auto stats = batches_a_few_ms_apart(std::chrono::microseconds(1), 5);
  EXPECT_EQ(stats.stayed_awake, 0U);
  EXPECT_EQ(stats.exported, 22U);
}

// --- options from the environment -----------------------------------------------------------

// Clears the OTEL_BSP_* variables for one test and restores them afterwards.
class BspEnvironment : public test::ScopedEnv {
 public:
  BspEnvironment() {
    for (const char* name : {"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY",
                             "OTEL_BSP_EXPORT_TIMEOUT", "HONEYHIVE_BSP_STAY_AWAKE_US"}) {
      unset(name);
    }
  }
};

TEST(BatchSpanProcessorOptionsFromEnv, DefaultsWithoutVariables) {
  BspEnvironment environment;
  const auto options = BatchSpanProcessorOptions::from_env();
  EXPECT_EQ(options.max_queue_size, 2048U);
  EXPECT_EQ(options.max_export_batch_size, 512U);
  EXPECT_EQ(options.schedule_delay, milliseconds(5000));
  EXPECT_EQ(options.export_timeout, milliseconds(30000));
  EXPECT_EQ(options.stay_awake_below, std::chrono::microseconds(1000));
}

TEST(BatchSpanProcessorOptionsFromEnv, ReadsEveryVariable) {
  BspEnvironment environment;
  environment.set("OTEL_BSP_MAX_QUEUE_SIZE", "100");
  environment.set("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10");
  environment.set("OTEL_BSP_SCHEDULE_DELAY", "250");
  environment.set("OTEL_BSP_EXPORT_TIMEOUT", "1000");
  environment.set("HONEYHIVE_BSP_STAY_AWAKE_US", "250");
  const auto options = BatchSpanProcessorOptions::from_env();
  EXPECT_EQ(options.max_queue_size, 100U);
  EXPECT_EQ(options.max_export_batch_size, 10U);
  EXPECT_EQ(options.schedule_delay, milliseconds(250));
  EXPECT_EQ(options.export_timeout, milliseconds(1000));
  EXPECT_EQ(options.stay_awake_below, std::chrono::microseconds(250));
}

// Past what milliseconds hold, a delay or timeout is "forever": it wrapped to a negative duration,
// and a timer always due made the export thread spin.
TEST(BatchSpanProcessorOptionsFromEnv, MillisecondsPastTheLargestDurationAreTheLargestNotNegative) {
  BspEnvironment environment;
  environment.set("OTEL_BSP_SCHEDULE_DELAY", "18446744073709551615");
  environment.set("OTEL_BSP_EXPORT_TIMEOUT", "9223372036854775808");
  const auto options = BatchSpanProcessorOptions::from_env();
  EXPECT_EQ(options.schedule_delay, milliseconds::max());
  EXPECT_EQ(options.export_timeout, milliseconds::max());
}

TEST(BatchSpanProcessorOptionsFromEnv, StayAwakeOfZeroTurnsItOffAndOneAbove10msIsCutWithADiagnostic) {
  {
    BspEnvironment environment;
    environment.set("HONEYHIVE_BSP_STAY_AWAKE_US", "0");
    EXPECT_EQ(BatchSpanProcessorOptions::from_env().stay_awake_below, std::chrono::microseconds(0));
  }
  BspEnvironment environment;
  test::DiagnosticsCapture diagnostics;
  environment.set("HONEYHIVE_BSP_STAY_AWAKE_US", "250000");
  EXPECT_EQ(BatchSpanProcessorOptions::from_env().stay_awake_below, std::chrono::microseconds(10000));
  EXPECT_TRUE(diagnostics.any_reported());
}

TEST(BatchSpanProcessorOptionsFromEnv, AcceptsAZeroDelayAndTimeout) {
  BspEnvironment environment;
  environment.set("OTEL_BSP_SCHEDULE_DELAY", "0");
  environment.set("OTEL_BSP_EXPORT_TIMEOUT", "0");
  const auto options = BatchSpanProcessorOptions::from_env();
  EXPECT_EQ(options.schedule_delay, milliseconds(0));
  EXPECT_EQ(options.export_timeout, milliseconds(0));
}

TEST(BatchSpanProcessorOptionsFromEnv, RejectsInvalidValuesWithADiagnostic) {
  for (const char* name : {"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY",
                           "OTEL_BSP_EXPORT_TIMEOUT", "HONEYHIVE_BSP_STAY_AWAKE_US"}) {
    for (const char* value : {"abc", "-1", "1.5", "12ms"}) {
      BspEnvironment environment;
      test::DiagnosticsCapture diagnostics;
      environment.set(name, value);
      const auto options = BatchSpanProcessorOptions::from_env();
      EXPECT_EQ(options.max_queue_size, 2048U) << name << "=" << value;
      EXPECT_EQ(options.max_export_batch_size, 512U) << name << "=" << value;
      EXPECT_EQ(options.schedule_delay, milliseconds(5000)) << name << "=" << value;
      EXPECT_EQ(options.export_timeout, milliseconds(30000)) << name << "=" << value;
      EXPECT_EQ(options.stay_awake_below, std::chrono::microseconds(1000)) << name << "=" << value;
      EXPECT_TRUE(diagnostics.any_reported()) << name << "=" << value;
    }
  }
}

TEST(BatchSpanProcessorOptionsFromEnv, RejectsAZeroQueueOrBatchSize) {
  for (const char* name : {"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"}) {
    BspEnvironment environment;
    test::DiagnosticsCapture diagnostics;
    environment.set(name, "0");
    const auto options = BatchSpanProcessorOptions::from_env();
    EXPECT_EQ(options.max_queue_size, 2048U) << name;
    EXPECT_EQ(options.max_export_batch_size, 512U) << name;
    EXPECT_TRUE(diagnostics.any_reported()) << name;
  }
}

TEST(BatchSpanProcessorOptionsFromEnv, ClampsTheBatchSizeToTheQueueSize) {
  BspEnvironment environment;
  environment.set("OTEL_BSP_MAX_QUEUE_SIZE", "100");
  environment.set("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200");
  const auto options = BatchSpanProcessorOptions::from_env();
  EXPECT_EQ(options.max_queue_size, 100U);
  EXPECT_EQ(options.max_export_batch_size, 100U);
}

}  // namespace
}  // namespace honeyhive
