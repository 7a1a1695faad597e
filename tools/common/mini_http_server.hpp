#pragma once

// A small HTTP/1.1 server bound to 127.0.0.1, for the project's tools and tests (not part of the
// SDK). One thread accepts; each connection gets a thread (joined as soon as the connection ends, so a
// long-running server does not pile up finished threads); keep-alive, Content-Length bodies, and
// `Expect: 100-continue`. Chunked requests are refused (411). Limits: 64 KiB of headers,
// `max_body_bytes` of body (413 before the body is read), `max_connections` open connections (more get
// 503 and are closed). The handler runs on the connection's thread: it must be thread-safe.
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace honeyhive::tools {

struct HttpRequest {
  std::string method;
  std::string target;                                        // path and query as received
  std::uint64_t connection = 0;                              // numbers the connections, from 1
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order received
  std::string body;

  // All values of `name` (lowercase) joined with ",", as RFC 9110 section 5.3 allows; nullopt if absent.
  std::optional<std::string> header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Misbehaviour, for tests of clients: wait before answering (the wait ends early when the server
  // stops); close the connection without any answer; or send `raw_reply` bytes as-is and close.
  int delay_ms = 0;
  bool reset_connection = false;
  std::string raw_reply;
};

class MiniHttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Binds 127.0.0.1:port (0 = an ephemeral port). Check ok() / port() after construction.
  MiniHttpServer(std::uint16_t port, Handler handler, std::size_t max_body_bytes = 16 * 1024 * 1024,
                 std::size_t max_connections = 256);
  ~MiniHttpServer();
  MiniHttpServer(const MiniHttpServer&) = delete;
  MiniHttpServer& operator=(const MiniHttpServer&) = delete;

  bool ok() const noexcept { return listen_fd_ >= 0; }
  std::uint16_t port() const noexcept { return port_; }
  const std::string& error() const noexcept { return error_; }
  void stop();

 private:
  struct Connection {
    std::thread thread;
    std::uint64_t number = 0;
    int fd = -1;
    bool finished = false;
  };

  void accept_loop();
  void serve(int fd, std::uint64_t number);
  void reap_finished();

  Handler handler_;
  std::size_t max_body_bytes_;
  std::size_t max_connections_;
  std::uint64_t next_connection_ = 1;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string error_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;  // guards connections_
  std::list<Connection> connections_;
};

}  // namespace honeyhive::tools
