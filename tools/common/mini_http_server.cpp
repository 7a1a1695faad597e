#include "mini_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <system_error>

namespace honeyhive::tools {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

std::string lowercase(std::string text) {
  for (auto& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Closing a socket with unread input makes the kernel send a reset, which can destroy the answer
// before the client reads it (RFC 9112 section 9.6): stop writing, then read and discard what the
// client still sends, for at most a second and 64 MiB.
void linger_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[16384];
  std::size_t discarded = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (discarded < 64U * 1024U * 1024U) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd poll_fd{fd, POLLIN, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, sink, sizeof(sink), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    discarded += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::optional<std::string> HttpRequest::header(const std::string& name) const {
  std::optional<std::string> out;
  for (const auto& entry : headers) {
    if (entry.first != name) continue;
    if (out) {
      *out += ',';
      *out += entry.second;
    } else {
      out = entry.second;
    }
  }
  return out;
}

MiniHttpServer::MiniHttpServer(std::uint16_t port, Handler handler, std::size_t max_body_bytes,
                               std::size_t max_connections)
    : handler_(std::move(handler)), max_body_bytes_(max_body_bytes), max_connections_(max_connections) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    error_ = std::strerror(errno);
    return;
  }
  const int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    error_ = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  socklen_t length = sizeof(address);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

MiniHttpServer::~MiniHttpServer() { stop(); }

void MiniHttpServer::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::list<Connection> connections;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Connection& connection : connections_) {
      if (!connection.finished) ::shutdown(connection.fd, SHUT_RDWR);
    }
    connections.swap(connections_);
  }
  for (auto& connection : connections) connection.thread.join();
}

// Joins the threads of connections that have ended (their sockets are closed already).
void MiniHttpServer::reap_finished() {
  std::list<Connection> finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      const auto next = std::next(it);
      if (it->finished) finished.splice(finished.end(), connections_, it);
      it = next;
    }
  }
  for (auto& connection : finished) connection.thread.join();
}

void MiniHttpServer::accept_loop() {
  while (!stopping_.load()) {
    reap_finished();
    pollfd poll_fd{listen_fd_, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, 100);
    if (ready <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_.load()) {
      ::close(fd);
      break;
    }
    std::size_t open = 0;
    for (const Connection& connection : connections_) open += connection.finished ? 0 : 1;
    if (open >= max_connections_) {
      send_all(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      ::close(fd);
      continue;
    }
    connections_.emplace_back();
    Connection& connection = connections_.back();
    connection.fd = fd;
    connection.number = next_connection_;
    const std::uint64_t number = next_connection_++;
    try {
      connection.thread = std::thread([this, fd, number] { serve(fd, number); });
    } catch (const std::system_error&) {  // no thread to be had: refuse this connection, keep serving
      connections_.pop_back();
      send_all(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      ::close(fd);
    }
  }
}

void MiniHttpServer::serve(int fd, std::uint64_t number) {
  std::string buffer;
  char chunk[16384];
  bool keep_alive = true;
  while (keep_alive && !stopping_.load()) {
    std::size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes) {
        send_all(fd, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        keep_alive = false;
        break;
      }
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        keep_alive = false;
        break;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    if (!keep_alive) break;

    HttpRequest request;
    request.connection = number;
    const std::string head = buffer.substr(0, header_end);
    buffer.erase(0, header_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const auto first_space = request_line.find(' ');
    const auto second_space = request_line.find(' ', first_space + 1);
    if (first_space == std::string::npos || second_space == std::string::npos) {
      send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    request.method = request_line.substr(0, first_space);
    request.target = request_line.substr(first_space + 1, second_space - first_space - 1);
    const bool http10 = request_line.compare(second_space + 1, std::string::npos, "HTTP/1.0") == 0;
    std::size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
    while (position < head.size()) {
      std::size_t end = head.find("\r\n", position);
      if (end == std::string::npos) end = head.size();
      const std::string line = head.substr(position, end - position);
      position = end + 2;
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      request.headers.emplace_back(lowercase(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }
    const std::string connection = lowercase(request.header("connection").value_or(""));
    keep_alive = http10 ? connection == "keep-alive" : connection != "close";

    if (request.header("transfer-encoding")) {
      send_all(fd, "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    std::size_t content_length = 0;
    if (const auto length = request.header("content-length")) {
      try {
        content_length = static_cast<std::size_t>(std::stoull(*length));
      } catch (...) {
        send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        break;
      }
    }
    if (content_length > max_body_bytes_) {
      send_all(fd, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      linger_close(fd);
      break;
    }
    // RFC 9110 section 10.1.1: a client that waits for 100 (continue) gets it once the size is accepted.
    if (buffer.size() < content_length && lowercase(request.header("expect").value_or("")) == "100-continue" &&
        !send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
      break;
    }
    while (buffer.size() < content_length) {
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        keep_alive = false;
        break;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    if (buffer.size() < content_length) break;
    request.body = buffer.substr(0, content_length);
    buffer.erase(0, content_length);

    HttpResponse response;
    try {
      response = handler_(request);
    } catch (const std::exception& error) {
      response = HttpResponse{};
      response.status = 500;
      response.body = std::string("handler failed: ") + error.what();
    }
    for (int waited = 0; waited < response.delay_ms && !stopping_.load(); waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (response.reset_connection) {
      linger hard_close{1, 0};  // RST instead of FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard_close, sizeof(hard_close));
      break;
    }
    if (!response.raw_reply.empty()) {
      send_all(fd, response.raw_reply);
      break;
    }
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n";
    out += "Content-Type: " + response.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& header : response.headers) out += header.first + ": " + header.second + "\r\n";
    out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    out += response.body;
    if (!send_all(fd, out)) break;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ::close(fd);
  for (Connection& connection : connections_) {
    if (connection.number == number) connection.finished = true;
  }
}

}  // namespace honeyhive::tools
