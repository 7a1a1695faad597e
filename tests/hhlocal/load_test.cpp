// 8 threads x 20k spans through the SDK's BatchSpanProcessor and OtlpHttpExporter into an in-process
// hh-local: every span is stored exactly once.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/sanitizers.hpp"
#include "hhlocal_support.hpp"
#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/span.hpp"
#include "honeyhive/core/tracer.hpp"
#include "honeyhive/export/otlp_http_exporter.hpp"
#include "honeyhive/processing/batch_span_processor.hpp"

namespace honeyhive::hhlocal {
namespace {

// The sanitizer stages build at -O0 (scripts/test.sh), where the full 8 x 20k run took 26 s without any
// sanitizer (Release: about 4 s of CPU): under ASan the spans per thread are cut to a quarter, still
// through 8 threads.
constexpr int kSpansPerThread = detail::kAddressSanitizer || detail::kThreadSanitizer ? 5000 : 20000;

void run_load(OtlpProtocol protocol, int threads, int spans_per_thread) {
  test::LocalServer server;
  ASSERT_TRUE(server.ok());
  OtlpHttpExporterOptions exporter_options;
  exporter_options.endpoint = server.url("/v1/traces");
  exporter_options.protocol = protocol;
  BatchSpanProcessorOptions batch_options;
  // Room for every span: this test is about storage, not about the queue's drop policy.
  batch_options.max_queue_size = static_cast<std::size_t>(threads * spans_per_thread);
  batch_options.max_export_batch_size = 2048;
  batch_options.schedule_delay = std::chrono::milliseconds(50);
  auto processor =
      std::make_unique<BatchSpanProcessor>(std::make_unique<OtlpHttpExporter>(exporter_options), batch_options);
  BatchSpanProcessor* batch = processor.get();
  ProviderOptions options;
  options.sampler = make_always_on_sampler();
  options.processors.push_back(std::move(processor));
  auto provider = Provider::create(std::move(options));
  auto tracer = provider->get_tracer("load");

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&tracer, t, spans_per_thread] {
      const std::string session = "session-" + std::to_string(t);
      for (int i = 0; i < spans_per_thread; ++i) {
        Span span = tracer->start_span(i % 2 == 0 ? "model" : "tool");
        span.set_attribute("honeyhive.session_id", session);
        span.set_attribute("honeyhive_metrics.index", static_cast<std::int64_t>(i));
      }
    });
  }
  for (auto& worker : workers) worker.join();
  ASSERT_TRUE(provider->force_flush(std::chrono::milliseconds(120000)));
  provider->shutdown(std::chrono::milliseconds(5000));

  const auto total = static_cast<std::int64_t>(threads) * spans_per_thread;
  const BatchSpanProcessorStats stats = batch->stats();
  EXPECT_EQ(stats.dropped, 0U);
  EXPECT_EQ(stats.failed, 0U);
  EXPECT_EQ(stats.exported, static_cast<std::uint64_t>(total));
  EXPECT_EQ(server.store().span_count(), total);
  const nlohmann::json sessions = server.store().sessions({});
  ASSERT_EQ(sessions["total"], threads);
  for (const auto& row : sessions["sessions"]) EXPECT_EQ(row["span_count"], spans_per_thread);
}

TEST(HhLocalLoad, EightThreadsOfTwentyThousandSpansAreStoredExactlyOnce) {
  run_load(OtlpProtocol::http_protobuf, 8, kSpansPerThread);
}

TEST(HhLocalLoad, JsonExportsAreStoredExactlyOnceToo) { run_load(OtlpProtocol::http_json, 4, 2000); }

}  // namespace
}  // namespace honeyhive::hhlocal
