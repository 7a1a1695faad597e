#pragma once

// A bounded HTTP GET to 127.0.0.1, for probing a local service at init (hh-local). Plain POSIX
// sockets, not libcurl: no proxy variables apply, no TLS, nothing but the loopback address is ever
// contacted, and a closed port costs one refused connect, without initialising libcurl.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace honeyhive::detail {

struct LoopbackResponse {
  int status = 0;     // 0 when no complete HTTP response arrived (see error)
  std::string body;   // at most max_body_bytes; a longer answer is an error
  std::string error;  // "connection refused", "timed out", ... when status == 0
};

// GET http://127.0.0.1:<port><path> with `Connection: close`. Returns within `timeout` in total
// (connect, send, read), at once when nothing listens on the port. Reads a Content-Length body or
// one that ends with the connection (no chunked encoding). Never throws; thread-safe.
LoopbackResponse loopback_http_get(std::uint16_t port, std::string_view path, std::chrono::milliseconds timeout,
                                   std::size_t max_body_bytes = 16 * 1024) noexcept;

}  // namespace honeyhive::detail
