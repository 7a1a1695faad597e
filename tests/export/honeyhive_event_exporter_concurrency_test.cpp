// HoneyHiveEventExporter from many threads at once (run under ThreadSanitizer by the test script).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/mini_http_server.hpp"
#include "honeyhive/export/honeyhive_event_exporter.hpp"
#include "support/http_test_helpers.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;

constexpr int kThreads = 4;
constexpr int kSpansPerThread = 25;

tools::HttpResponse ok(const tools::HttpRequest&) {
  tools::HttpResponse response;
  response.content_type = "application/json";
  response.body = R"({"success":true})";
  return response;
}

// A span of thread `thread`, number `index`: distinct span ids, one session.
SpanDataPtr make_span(int thread, int index) {
  auto span = std::make_shared<SpanData>();
  std::array<std::uint8_t, 8> id{};
  id[0] = static_cast<std::uint8_t>(thread + 1);
  id[7] = static_cast<std::uint8_t>(index + 1);
  span->context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"), SpanId(id),
                              TraceFlags{TraceFlags::kSampled}, false);
  span->name = "work";
  span->attributes.push_back({"honeyhive.session_id", AttributeValue{std::string("s-1")}});
  return span;
}

TEST(HoneyHiveEventExporterConcurrency, ConcurrentExportsAllArriveOncePerSpan) {
  test::RecordingServer api(ok);
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporterOptions options;
  options.api_url = api.url("");
  options.api_key = "k";
  options.request = HoneyHiveEventsRequest::single;
  HoneyHiveEventExporter exporter(options);
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) (void)exporter.stats();
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSpansPerThread; ++i) {
        if (exporter.export_spans({make_span(t, i)}) != ExportResult::success) failures.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  done.store(true);
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  const auto requests = api.requests();
  ASSERT_EQ(requests.size(), static_cast<std::size_t>(kThreads * kSpansPerThread));
  std::set<std::string> ids;
  for (const auto& request : requests) {
    ids.insert(nlohmann::json::parse(request.body, nullptr, false).value("event_id", ""));
  }
  EXPECT_EQ(ids.size(), requests.size());
  EXPECT_EQ(exporter.stats().requests, requests.size());
}

TEST(HoneyHiveEventExporterConcurrency, ShutdownWhileExportingEndsEveryExport) {
  test::RecordingServer api(ok);
  ASSERT_TRUE(api.ok());
  HoneyHiveEventExporterOptions options;
  options.api_url = api.url("");
  HoneyHiveEventExporter exporter(options);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSpansPerThread; ++i) (void)exporter.export_spans({make_span(t, i)});
    });
  }
  exporter.shutdown(milliseconds(100));
  for (auto& thread : threads) thread.join();  // every export returned
  EXPECT_EQ(exporter.export_spans({make_span(0, 0)}), ExportResult::failure);
}

}  // namespace
}  // namespace honeyhive
