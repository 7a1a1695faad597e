#pragma once

// Test support for HTTP: a recording server on 127.0.0.1, and gzip decoding of what it received.
// Needs the honeyhive_tools_http library and zlib.
#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/mini_http_server.hpp"

namespace honeyhive::test {

// A server on 127.0.0.1 that answers with `handler` and records each request and the connection
// that carried it.
class RecordingServer {
 public:
  using Handler = std::function<tools::HttpResponse(const tools::HttpRequest&)>;

  explicit RecordingServer(Handler handler)
      : handler_(std::move(handler)), server_(0, [this](const tools::HttpRequest& request) {
          {
            std::lock_guard<std::mutex> lock(mutex_);
            requests_.push_back(request);
            connections_.insert(request.connection);
          }
          arrived_.notify_all();
          return handler_(request);
        }) {}

  bool ok() const { return server_.ok(); }
  std::uint16_t port() const { return server_.port(); }
  std::string url(const std::string& path = "/v1/traces") const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  void stop() { server_.stop(); }

  std::vector<tools::HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::size_t connection_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return connections_.size();
  }
  // Waits (bounded) until at least `count` requests have reached the handler.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }

 private:
  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<tools::HttpRequest> requests_;
  std::set<std::uint64_t> connections_;
  tools::MiniHttpServer server_;  // last: its threads stop before the members above go away
};

// The answer of a collector that takes every request: 200, an empty JSON object.
inline tools::HttpResponse empty_json_answer(const tools::HttpRequest&) {
  tools::HttpResponse response;
  response.content_type = "application/json";
  response.body = "{}";
  return response;
}

// The gzip-decoded `data`, or a "<... failed>" marker that no expected text equals.
// An answer whose status line arrives but whose body is cut short: its Content-Length promises
// `promised` bytes, `sent` arrive, then the connection closes.
inline tools::HttpResponse answer_cut_short(int status, const std::string& sent, std::size_t promised) {
  tools::HttpResponse response;
  response.raw_reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(promised) +
                       "\r\nConnection: close\r\n\r\n" + sent;
  return response;
}

inline std::string gunzip(const std::string& data) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  std::string out;
  char chunk[4096];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - stream.avail_out);
  }
  inflateEnd(&stream);
  return result == Z_STREAM_END ? out : "<inflate failed>";
}

}  // namespace honeyhive::test
