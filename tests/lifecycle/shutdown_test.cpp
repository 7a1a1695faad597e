#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "lifecycle/lifecycle_support.hpp"
#include "support/diagnostics_capture.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TracerConfig local_config(bool batch) {
  TracerConfig config;
  config.project = "lifecycle";
  config.api_key = null;
  config.otlp_endpoint = null;
  config.disable_batch = !batch;
  config.start_session = false;
  config.lifecycle_strategy = "standard";
  return config;
}

std::shared_ptr<HoneyHiveTracer> make_tracer(std::unique_ptr<SpanExporter> exporter, bool batch,
                                             std::shared_ptr<DiagnosticSink> diagnostics = nullptr) {
  TracerOptions options;
  options.exporter = std::move(exporter);
  options.diagnostics = std::move(diagnostics);
  return HoneyHiveTracer::init(local_config(batch), {}, {}, {}, std::move(options));
}

TEST(ShutdownTest, FlushesWhatIsPendingThenEverySpanIsANoOpAndFlushReturnsAtOnce) {
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  auto tracer = make_tracer(std::move(exporter), /*batch=*/true);
  { Span span = tracer->start_span("before", EventType::tool); }
  EXPECT_TRUE(tracer->shutdown());
  EXPECT_TRUE(tracer->is_shut_down());
  ASSERT_EQ(memory->spans().size(), 1U);  // delivered by the shutdown's flush
  EXPECT_TRUE(memory->is_shut_down());

  Span after = tracer->start_span("after", EventType::tool);
  EXPECT_FALSE(after.is_recording());
  after.end();
  EXPECT_FALSE(tracer->flush());    // nothing to do: returns at once
  EXPECT_TRUE(tracer->shutdown());  // idempotent, same answer
  EXPECT_EQ(memory->spans().size(), 1U);
}

TEST(ShutdownTest, ConcurrentCallsAllReturnAndTheExporterIsShutDownOnce) {
  auto exporter = std::make_unique<test::CallbackExporter>(nullptr);
  test::CallbackExporter* recorder = exporter.get();
  auto tracer = make_tracer(std::move(exporter), /*batch=*/true);
  for (int i = 0; i < 100; ++i) Span span = tracer->start_span("s", EventType::tool);
  test::with_watchdog("8 concurrent shutdowns and a flush", seconds(60), [&] {
    std::vector<std::thread> threads;
    std::atomic<int> succeeded{0};
    threads.emplace_back([&] { tracer->flush(); });
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        if (tracer->shutdown()) succeeded.fetch_add(1);
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(succeeded.load(), 8);  // the later callers waited for the first and share its result
  });
  EXPECT_EQ(recorder->shutdowns(), 1);
  EXPECT_EQ(recorder->exported(), 100U);
}

TEST(ShutdownTest, ShutdownFromInsideABatchExporterCallbackDoesNotDeadlock) {
  std::weak_ptr<HoneyHiveTracer> weak;
  std::atomic<bool> returned{false};
  auto exporter = std::make_unique<test::CallbackExporter>([&] {
    if (auto tracer = weak.lock()) {
      tracer->shutdown();  // on the export thread: must not wait for itself
      returned = true;
    }
  });
  test::CallbackExporter* recorder = exporter.get();
  auto tracer = make_tracer(std::move(exporter), /*batch=*/true);
  weak = tracer;
  test::with_watchdog("shutdown from a batch exporter callback", seconds(60), [&] {
    for (int i = 0; i < 10; ++i) Span span = tracer->start_span("s", EventType::tool);
    tracer->flush(milliseconds(5000));
    tracer->shutdown();  // waits (bounded) for the one the callback started
  });
  EXPECT_TRUE(returned.load());
  EXPECT_TRUE(tracer->is_shut_down());
  EXPECT_EQ(recorder->exported(), 10U);  // the spans queued when it was called were still delivered
  EXPECT_EQ(recorder->shutdowns(), 1);
}

// A shutdown begun in an exporter callback cannot wait for what it starts: with the batch
// processor, the export thread's drain and the exporter's shutdown; with the simple processor, the
// exporter's shutdown when that export returns, on the thread that ended the span. A later shutdown
// from another thread waits for it: when it returns, every span is exported and the exporter is shut
// down. Another thread ends `spans` spans and flushes; the callback stays in its export a while after
// it calls shutdown, so the later call comes first.
void expect_a_later_shutdown_to_wait_for_one_begun_in_an_export(bool batch, std::size_t spans) {
  std::weak_ptr<HoneyHiveTracer> weak;
  std::atomic<bool> called{false};
  auto exporter = std::make_unique<test::CallbackExporter>([&] {
    if (auto tracer = weak.lock()) {
      tracer->shutdown();
      called = true;
      std::this_thread::sleep_for(milliseconds(200));  // still in the export
    }
  });
  test::CallbackExporter* recorder = exporter.get();
  auto tracer = make_tracer(std::move(exporter), batch);
  weak = tracer;
  test::with_watchdog("a shutdown after one begun in an exporter callback", seconds(60), [&] {
    std::thread worker([&] {
      for (std::size_t i = 0; i < spans; ++i) Span span = tracer->start_span("s", EventType::tool);
      tracer->flush(milliseconds(5000));
    });
    while (!called.load()) std::this_thread::sleep_for(milliseconds(1));
    EXPECT_TRUE(tracer->shutdown(seconds(10)));
    EXPECT_EQ(recorder->shutdowns(), 1);  // before shutdown returned
    EXPECT_EQ(recorder->exported(), spans);
    worker.join();
  });
}

TEST(ShutdownTest, AShutdownAfterOneBegunInAnExporterCallbackWaitsForTheExportThread) {
  expect_a_later_shutdown_to_wait_for_one_begun_in_an_export(/*batch=*/true, 10);
}

TEST(ShutdownTest, AShutdownAfterOneBegunInASimpleExporterCallbackWaitsForThatExport) {
  expect_a_later_shutdown_to_wait_for_one_begun_in_an_export(/*batch=*/false, 1);
}

TEST(ShutdownTest, ShutdownFromInsideASimpleExporterCallbackDoesNotDeadlock) {
  std::weak_ptr<HoneyHiveTracer> weak;
  auto exporter = std::make_unique<test::CallbackExporter>([&] {
    if (auto tracer = weak.lock()) tracer->shutdown();
  });
  test::CallbackExporter* recorder = exporter.get();
  auto tracer = make_tracer(std::move(exporter), /*batch=*/false);
  weak = tracer;
  test::with_watchdog("shutdown from a simple exporter callback", seconds(60), [&] {
    { Span span = tracer->start_span("first", EventType::tool); }  // its export calls shutdown
    { Span span = tracer->start_span("second", EventType::tool); }
  });
  EXPECT_TRUE(tracer->is_shut_down());
  EXPECT_EQ(recorder->exported(), 1U);  // the first span; the second started after shutdown
  EXPECT_EQ(recorder->shutdowns(), 1);  // once the first export had returned
}

// An exporter whose shutdown shuts "its" tracer down (a wrapper that owns both): the inner call,
// on the thread of the shutdown it is part of, returns at once instead of waiting for itself.
class ShutsItsTracerDownExporter final : public SpanExporter {
 public:
  explicit ShutsItsTracerDownExporter(std::weak_ptr<HoneyHiveTracer>* tracer) : tracer_(tracer) {}
  ExportResult export_spans(const std::vector<SpanDataPtr>&) override { return ExportResult::success; }
  bool shutdown(milliseconds) override {
    if (auto tracer = tracer_->lock()) {
      inner_result = tracer->shutdown(std::chrono::hours(1));
      inner_called = true;
    }
    return true;
  }
  std::weak_ptr<HoneyHiveTracer>* tracer_;
  std::atomic<bool> inner_called{false};
  std::atomic<bool> inner_result{true};
};

TEST(ShutdownTest, AShutdownReenteredFromTheExportersShutdownDoesNotWaitForItself) {
  for (const bool batch : {true, false}) {
    std::weak_ptr<HoneyHiveTracer> weak;
    auto exporter = std::make_unique<ShutsItsTracerDownExporter>(&weak);
    ShutsItsTracerDownExporter* inner = exporter.get();
    auto tracer = make_tracer(std::move(exporter), batch);
    weak = tracer;
    { Span span = tracer->start_span("s", EventType::tool); }
    bool outer = false;
    test::with_watchdog("a shutdown re-entered from the exporter's shutdown", seconds(60),
                        [&] { outer = tracer->shutdown(seconds(5)); });
    EXPECT_TRUE(outer) << batch;
    EXPECT_TRUE(inner->inner_called) << batch;
    EXPECT_FALSE(inner->inner_result) << batch;  // not shut down yet when it was asked
    EXPECT_TRUE(tracer->is_shut_down()) << batch;
  }
}

TEST(ShutdownTest, DroppingTheLastReferenceShutsTheTracerDownAndUnregistersIt) {
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryExporter* memory = exporter.get();
  auto tracer = make_tracer(std::move(exporter), /*batch=*/true);
  const std::string id = tracer->id();
  { Span span = tracer->start_span("pending", EventType::tool); }
  auto keep_exporter_alive = tracer->provider();  // the exporter lives as long as the provider
  EXPECT_EQ(find_tracer(id), tracer);
  tracer.reset();
  EXPECT_EQ(find_tracer(id), nullptr);  // the registry held it weakly
  EXPECT_EQ(memory->spans().size(), 1U);
  EXPECT_TRUE(memory->is_shut_down());
}

TEST(ShutdownTest, TracerIdsAreUnique) {
  std::set<std::string> ids;
  std::vector<std::shared_ptr<HoneyHiveTracer>> tracers;
  for (int i = 0; i < 50; ++i) {
    tracers.push_back(make_tracer(std::make_unique<InMemoryExporter>(), /*batch=*/false));
    ids.insert(tracers.back()->id());
  }
  EXPECT_EQ(ids.size(), 50U);
}

TEST(DiagnosticsSinkTest, EachTracerHasItsOwnSinkForItsCallsAndItsExportThread) {
  std::vector<std::string> lines_a;
  std::vector<std::string> lines_b;
  std::mutex mutex;
  auto sink_a = DiagnosticSink::make([&](DiagnosticLevel, std::string_view line) {
    std::lock_guard<std::mutex> lock(mutex);
    lines_a.emplace_back(line);
  });
  auto sink_b = DiagnosticSink::make([&](DiagnosticLevel, std::string_view line) {
    std::lock_guard<std::mutex> lock(mutex);
    lines_b.emplace_back(line);
  });
  test::DiagnosticsCapture process_sink;
  auto a = make_tracer(std::make_unique<test::ThrowingExporter>(), /*batch=*/true, sink_a);
  auto b = make_tracer(std::make_unique<InMemoryExporter>(), /*batch=*/true, sink_b);
  { Span span = a->start_span("doomed", EventType::tool); }
  a->flush(milliseconds(5000));  // the export thread reports the exporter's exception
  { Span span = b->start_span("fine", EventType::tool); }
  b->flush(milliseconds(5000));
  std::lock_guard<std::mutex> lock(mutex);
  bool a_saw_throw = false;
  for (const auto& line : lines_a) a_saw_throw = a_saw_throw || line.find("backend exploded") != std::string::npos;
  EXPECT_TRUE(a_saw_throw);
  for (const auto& line : lines_b) EXPECT_EQ(line.find("backend exploded"), std::string::npos) << line;
  EXPECT_FALSE(process_sink.mentions("backend exploded"));
}

TEST(DiagnosticsSinkTest, AnOffSinkSilencesOneTracerOnly) {
  test::DiagnosticsCapture process_sink;
  auto quiet = make_tracer(std::make_unique<test::ThrowingExporter>(), /*batch=*/false, DiagnosticSink::off());
  { Span span = quiet->start_span("doomed", EventType::tool); }
  EXPECT_FALSE(process_sink.mentions("backend exploded"));
  auto loud = make_tracer(std::make_unique<test::ThrowingExporter>(), /*batch=*/false);
  { Span span = loud->start_span("doomed", EventType::tool); }
  EXPECT_TRUE(process_sink.mentions("backend exploded"));
}

TEST(DiagnosticsSinkTest, ASinkRateLimitsAStormToAHandfulOfLinesAndACount) {
  std::atomic<int> delivered{0};
  auto sink = DiagnosticSink::make([&](DiagnosticLevel, std::string_view) { delivered.fetch_add(1); });
  for (int i = 0; i < 1000; ++i) sink->report(DiagnosticLevel::error, "storm");
  EXPECT_EQ(delivered.load(), 20);
  EXPECT_EQ(sink->suppressed(), 980U);
}

// The lines a sink of its own delivers for one error reporting `message`.
std::vector<std::string> lines_of_one_error(std::string_view message) {
  std::vector<std::string> lines;
  auto sink = DiagnosticSink::make([&](DiagnosticLevel, std::string_view line) { lines.emplace_back(line); });
  sink->report(DiagnosticLevel::error, message);
  return lines;
}

TEST(DiagnosticsSinkTest, ALineCarriesOutsideTextAsOnePrintableValidLine) {
  // A backend's error message with a terminal escape, a forged second line, a tab, a DEL and a byte
  // that is not UTF-8.
  const std::vector<std::string> lines =
      lines_of_one_error("backend said: \x1b[31mred\r\n[honeyhive] error: forged\tline \xff\x7f end");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(
      lines[0],
      "[honeyhive] error: backend said: \\x1b[31mred\\r\\n[honeyhive] error: forged\\tline \xef\xbf\xbd\\x7f end");
}

TEST(DiagnosticsSinkTest, ALineEscapesC1ControlsAndBackslashesAndKeepsOtherTextAsItIs) {
  // NEL (U+0085) breaks lines in some log tools and CSI (U+009B) starts a terminal escape; accented
  // letters and symbols are text.
  const std::vector<std::string> lines = lines_of_one_error("caf\u00e9 \u2713 a\u0085b\u009b31m C:\\temp\\n done");
  ASSERT_EQ(lines.size(), 1U);
  // A backslash is doubled, so the text \n is not mistaken for an escaped newline.
  EXPECT_EQ(lines[0], "[honeyhive] error: caf\u00e9 \u2713 a\\u0085b\\u009b31m C:\\\\temp\\\\n done");
}

TEST(DiagnosticsSinkTest, ALineEscapesBidirectionalControlsAndLineSeparators) {
  // A right-to-left override makes "txt.exe" show as "exe.txt"; isolates, marks and the Arabic letter
  // mark reorder or hide text too; U+2028 and U+2029 break lines in some log viewers. Their
  // neighbours (an em dash U+2014, a check mark U+2713, per mille U+2030, U+2065) are text.
  const std::vector<std::string> lines = lines_of_one_error(
      "file \u202etxt.exe\u202c \u2066a\u2069 \u200e\u200f \u202a\u202b\u202d \u061c "
      "one\u2028two\u2029three \u2014\u2713\u2030\u2065");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0],
            "[honeyhive] error: file \\u202etxt.exe\\u202c \\u2066a\\u2069 \\u200e\\u200f \\u202a\\u202b\\u202d "
            "\\u061c one\\u2028two\\u2029three \u2014\u2713\u2030\u2065");
}

TEST(DiagnosticsSinkTest, ALineEscapesInvisibleFormatCharactersAndKeepsJoiners) {
  // Tag characters carry invisible ASCII (here "hi" after the flag tag U+E0001); a byte order mark,
  // a word joiner, interlinear annotation and the deprecated format characters hide text too. The
  // zero width joiner in an emoji sequence and accented letters are text.
  const std::vector<std::string> lines = lines_of_one_error(
      "ok\U000E0001\U000E0068\U000E0069 \ufeffa\u2060b \ufff9x\ufffay\ufffb \u206a\u206f \u180e "
      "\U0001F469\u200D\U0001F4BB caf\u00e9");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0],
            "[honeyhive] error: ok\\U000e0001\\U000e0068\\U000e0069 \\ufeffa\\u2060b \\ufff9x\\ufffay\\ufffb "
            "\\u206a\\u206f \\u180e \U0001F469\u200D\U0001F4BB caf\u00e9");
}

TEST(DiagnosticsSinkTest, ALineEscapesCharactersThatShowAsNothing) {
  // "api" U+200B "key" reads as "apikey"; a soft hyphen or a Hangul filler hides where a word
  // breaks or what a blank holds. A hyphen, a no-break space U+00A0 and a Hangul letter are text.
  const std::vector<std::string> lines = lines_of_one_error(
      "api\u200bkey se\u00adcret a\u034fb \u115f\u1160 \u17b4\u17b5 [\u3164] [\uffa0] "
      "a-b \u00a0 \ud55c");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0],
            "[honeyhive] error: api\\u200bkey se\\u00adcret a\\u034fb \\u115f\\u1160 \\u17b4\\u17b5 [\\u3164] "
            "[\\uffa0] a-b \u00a0 \ud55c");
}

TEST(DiagnosticsSinkTest, VerboseTurnsOnDebugLinesForThatTracer) {
  test::DiagnosticsCapture process_sink;  // the process sink stays at warning
  TracerConfig config = local_config(false);
  config.verbose = true;
  TracerOptions options;
  options.exporter = std::make_unique<InMemoryExporter>();
  auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  EXPECT_TRUE(process_sink.mentions("exports to custom exporter"));  // an info line, shown because verbose
}

}  // namespace
}  // namespace honeyhive

namespace honeyhive {
namespace {

TEST(ShutdownTest, ShuttingDownAnotherTracerFromAnExportCallbackShutsItsExporterDownAtOnce) {
  auto b_exporter = std::make_unique<test::CallbackExporter>(nullptr);
  test::CallbackExporter* b_recorder = b_exporter.get();
  auto b = make_tracer(std::move(b_exporter), /*batch=*/false);
  auto a = make_tracer(std::make_unique<test::CallbackExporter>([&] { b->shutdown(); }), /*batch=*/false);
  { Span span = a->start_span("a", EventType::tool); }  // A's export shuts B down
  EXPECT_TRUE(b->is_shut_down());
  EXPECT_EQ(b_recorder->shutdowns(), 1);  // not deferred: B was not the one exporting
}

TEST(ShutdownTest, ShutdownFromAnExporterWhileASessionStartsReallyShutsTheTracerDown) {
  std::weak_ptr<HoneyHiveTracer> weak;
  std::atomic<bool> armed{false};
  auto exporter = std::make_unique<test::CallbackExporter>(nullptr);
  test::CallbackExporter* recorder = exporter.get();
  struct ShutsDownWhenArmed final : public SpanExporter {
    std::weak_ptr<HoneyHiveTracer>* tracer;
    std::atomic<bool>* armed;
    std::unique_ptr<SpanExporter> inner;
    ExportResult export_spans(const std::vector<SpanDataPtr>& spans) override {
      if (armed->exchange(false)) {
        if (auto t = tracer->lock()) t->shutdown();
      }
      return inner->export_spans(spans);
    }
    bool shutdown(std::chrono::milliseconds timeout) override { return inner->shutdown(timeout); }
  };
  auto wrapper = std::make_unique<ShutsDownWhenArmed>();
  wrapper->tracer = &weak;
  wrapper->armed = &armed;
  wrapper->inner = std::move(exporter);
  auto tracer = make_tracer(std::move(wrapper), /*batch=*/false);
  weak = tracer;
  test::with_watchdog("shutdown from an exporter during start_session", seconds(60), [&] {
    armed = true;
    tracer->start_session();  // its session span's export calls shutdown
  });
  EXPECT_TRUE(tracer->is_shut_down());
  Span after = tracer->start_span("after", EventType::tool);
  EXPECT_FALSE(after.is_recording());  // shut down means shut down
  after.end();
  EXPECT_EQ(recorder->shutdowns(), 1);
}

}  // namespace
}  // namespace honeyhive
