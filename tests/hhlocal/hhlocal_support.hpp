#pragma once

// Test support for hh-local: temporary databases, hand-made spans, and an in-process hh-local
// (Store + Service + MiniHttpServer on an ephemeral 127.0.0.1 port).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "common/mini_http_server.hpp"
#include "honeyhive/core/span_data.hpp"
#include "service.hpp"
#include "store.hpp"

namespace honeyhive::hhlocal::test {

// A database path under the test temp dir, removed (with its -wal and -shm files) on destruction.
class TempDatabase {
 public:
  TempDatabase() {
    static std::atomic<int> counter{0};
    path_ = ::testing::TempDir() + "hh_local_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter.fetch_add(1)) + ".db";
    remove_files();
  }
  ~TempDatabase() { remove_files(); }
  TempDatabase(const TempDatabase&) = delete;
  TempDatabase& operator=(const TempDatabase&) = delete;

  const std::string& path() const { return path_; }

 private:
  void remove_files() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  std::string path_;
};

inline std::unique_ptr<Store> open_store(const std::string& path) {
  std::string error;
  auto store = Store::open(path, error);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

// A finished span with the given ids ("" parent = root) and attributes.
inline std::shared_ptr<SpanData> make_span(const std::string& trace_hex, const std::string& span_hex,
                                           const std::string& parent_hex, std::string name, UnixNanos start,
                                           UnixNanos end, Attributes attributes = {}) {
  auto span = std::make_shared<SpanData>();
  span->context = SpanContext(*TraceId::from_hex(trace_hex), *SpanId::from_hex(span_hex), TraceFlags{1}, false);
  if (!parent_hex.empty()) span->parent_span_id = *SpanId::from_hex(parent_hex);
  span->name = std::move(name);
  span->start_unix_nanos = start;
  span->end_unix_nanos = end;
  span->attributes = std::move(attributes);
  span->resource = std::make_shared<const Resource>(Attributes{{"service.name", std::string("test-service")}});
  span->scope = std::make_shared<const InstrumentationScope>(InstrumentationScope{"test", ""});
  return span;
}

// hh-local in this process, on an ephemeral port.
class LocalServer {
 public:
  explicit LocalServer(ServiceOptions options = {})
      : store_(open_store(database_.path())),
        service_(*store_, options),
        server_(
            0, [this](const tools::HttpRequest& request) { return service_.handle(request); }, options.max_body_bytes) {
  }

  Store& store() { return *store_; }
  Service& service() { return service_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server_.port()) + path; }
  bool ok() const { return server_.ok(); }
  std::uint16_t port() const { return server_.port(); }

 private:
  TempDatabase database_;
  std::unique_ptr<Store> store_;
  Service service_;
  tools::MiniHttpServer server_;  // last: stops before the store goes away
};

}  // namespace honeyhive::hhlocal::test
