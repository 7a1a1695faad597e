// hh-local under concurrent writers and readers (run under ThreadSanitizer by the test command).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hhlocal_support.hpp"
#include "honeyhive/export/otlp_http_exporter.hpp"
#include "honeyhive/transport/http_client.hpp"

namespace honeyhive::hhlocal {
namespace {

TEST(HhLocalConcurrency, ConcurrentExportsAndReadsStoreEverySpanOnce) {
  test::LocalServer server;
  ASSERT_TRUE(server.ok());
  constexpr int kWriters = 4;
  constexpr int kBatches = 10;
  constexpr int kSpansPerBatch = 50;
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    auto client = make_curl_http_client();
    while (writing.load()) {
      for (const char* path : {"/api/sessions?limit=10", "/api/runs", "/api/projects", "/api/sessions/w0"}) {
        HttpRequest request;
        request.method = "GET";
        request.url = server.url(path);
        request.timeout = std::chrono::milliseconds(5000);
        const HttpResponse response = client->send(request);
        if (response.status != 200 && response.status != 404) failures.fetch_add(1);
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      OtlpHttpExporterOptions options;
      options.endpoint = server.url("/v1/traces");
      OtlpHttpExporter exporter(options);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<SpanDataPtr> spans;
        for (int i = 0; i < kSpansPerBatch; ++i) {
          char span_hex[17];
          std::snprintf(span_hex, sizeof(span_hex), "%016x", (w * kBatches + b) * kSpansPerBatch + i + 1);
          spans.push_back(test::make_span("0102030405060708090a0b0c0d0e0f10", span_hex, "", "span", 1, 2,
                                          {{"honeyhive.session_id", "w" + std::to_string(w)},
                                           {"honeyhive_metadata.run_id", std::string("run")},
                                           {"honeyhive_event_type", std::string("session")},
                                           {"honeyhive_metrics.score", 1.0}}));
        }
        // Every batch twice: a retry must not store anything twice.
        if (exporter.export_spans(spans) != ExportResult::success) failures.fetch_add(1);
        if (exporter.export_spans(spans) != ExportResult::success) failures.fetch_add(1);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  writing.store(false);
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server.store().span_count(), kWriters * kBatches * kSpansPerBatch);
  const auto run = server.store().run("run");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ((*run)["run"]["session_count"], kWriters);
}

}  // namespace
}  // namespace honeyhive::hhlocal
