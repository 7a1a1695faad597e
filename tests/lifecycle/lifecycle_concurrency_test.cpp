#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "honeyhive/processing/batch_span_processor.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "lifecycle/lifecycle_support.hpp"

namespace honeyhive {
namespace {

// init, spans from 4 threads, shutdown, 1000 times: never a hang, every span accounted for.
TEST(LifecycleConcurrencyTest, AThousandInitSpansShutdownCyclesNeverHang) {
  constexpr int kIterations = 1000;
  constexpr int kThreads = 4;
  constexpr int kSpansPerThread = 10;
  std::size_t exported_total = 0;
  test::with_watchdog("1000 init/spans/shutdown cycles", std::chrono::seconds(600), [&] {
    for (int iteration = 0; iteration < kIterations; ++iteration) {
      TracerConfig config;
      config.project = "stress";
      config.api_key = null;
      config.otlp_endpoint = null;
      config.start_session = false;
      config.disable_batch = (iteration % 4 == 3);  // mostly batch, sometimes simple
      TracerOptions options;
      auto exporter = std::make_unique<test::CallbackExporter>(nullptr);
      test::CallbackExporter* recorder = exporter.get();
      options.exporter = std::move(exporter);
      auto tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
      ASSERT_NE(tracer, nullptr);
      auto keep = tracer->provider();  // keeps the exporter alive to read it after shutdown
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&tracer] {
          for (int i = 0; i < kSpansPerThread; ++i) {
            Span span = tracer->start_span("work", EventType::tool);
            span.set_attribute("i", static_cast<std::int64_t>(i));
          }
        });
      }
      // Shut down while the producers may still run on odd iterations.
      if (iteration % 2 == 0) {
        for (auto& thread : threads) thread.join();
        EXPECT_TRUE(tracer->shutdown());
        EXPECT_EQ(recorder->exported(), static_cast<std::size_t>(kThreads * kSpansPerThread));
      } else {
        tracer->shutdown();
        for (auto& thread : threads) thread.join();
        EXPECT_LE(recorder->exported(), static_cast<std::size_t>(kThreads * kSpansPerThread));
      }
      EXPECT_EQ(recorder->shutdowns(), 1);
      for (const auto& processor : keep->processors()) {
        if (const auto* batch = dynamic_cast<const BatchSpanProcessor*>(processor.get())) {
          const auto stats = batch->stats();  // every span the threads ended is accounted for
          EXPECT_EQ(stats.enqueued, stats.exported + stats.dropped + stats.failed);
          EXPECT_EQ(stats.exported, recorder->exported());
        }
      }
      exported_total += recorder->exported();
    }
  });
  EXPECT_GT(exported_total, 0U);
}

}  // namespace
}  // namespace honeyhive
