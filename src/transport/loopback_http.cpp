#include "transport/loopback_http.hpp"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>

#include "core/deadline.hpp"

namespace honeyhive::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;

class Socket {
 public:
  Socket() noexcept : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or the deadline passes: 1 ready, 0 timed out, -1 error.
int wait_until(int fd, short events, Clock::time_point deadline) noexcept {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd entry{fd, events, 0};
    // At most INT_MAX ms at a time: a far deadline would truncate to a negative or zero timeout.
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, std::numeric_limits<int>::max())));
    if (ready < 0 && errno == EINTR) continue;
    return ready < 0 ? -1 : ready;
  }
}

std::string describe_errno(int error) {
  switch (error) {
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset";
    case ETIMEDOUT: return "timed out";
    default: return "socket error " + std::to_string(error);
  }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Optional whitespace (spaces and tabs) off both ends of a header value.
std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The parts of a response head this client needs.
struct Head {
  int status = 0;
  bool chunked = false;
  bool has_length = false;
  std::size_t content_length = 0;
};

// Parses "HTTP/1.x NNN reason\r\n" and the headers; false when it is not an HTTP/1 response head.
bool parse_head(std::string_view head, Head& out) noexcept {
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 || status_line[8] != ' ') return false;
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(status_line[i]))) return false;
    status = status * 10 + (status_line[i] - '0');
  }
  out.status = status;
  std::size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (at < head.size()) {
    std::size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 18) return false;
      std::size_t length = 0;
      for (char c : value) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        length = length * 10 + static_cast<std::size_t>(c - '0');
      }
      out.has_length = true;
      out.content_length = length;
    } else if (iequals(name, "transfer-encoding") && !iequals(value, "identity")) {
      out.chunked = true;
    }
  }
  return true;
}

LoopbackResponse failure(std::string error) {
  LoopbackResponse response;
  response.error = std::move(error);
  return response;
}

}  // namespace

LoopbackResponse loopback_http_get(std::uint16_t port, std::string_view path, std::chrono::milliseconds timeout,
                                   std::size_t max_body_bytes) noexcept {
  try {
    const Clock::time_point deadline = detail::deadline_after(timeout);
    Socket socket;
    if (socket.fd() < 0) return failure(describe_errno(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Non-blocking: a refused loopback connect fails here at once; an accepted one completes here or
    // within the poll below.
    if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      if (errno != EINPROGRESS) return failure(describe_errno(errno));
      const int ready = wait_until(socket.fd(), POLLOUT, deadline);
      if (ready <= 0) return failure(ready == 0 ? "timed out" : describe_errno(errno));
      int error = 0;
      socklen_t size = sizeof(error);
      if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) return failure(describe_errno(errno));
      if (error != 0) return failure(describe_errno(error));
    }

    std::string request = "GET ";
    request.append(path.data(), path.size());
    request += " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
               "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        const int ready = wait_until(socket.fd(), POLLOUT, deadline);
        if (ready <= 0) return failure(ready == 0 ? "timed out" : describe_errno(errno));
      } else {
        return failure(describe_errno(errno));
      }
    }

    std::string received;
    Head head;
    std::size_t body_start = std::string::npos;
    char chunk[4096];
    for (;;) {
      if (body_start != std::string::npos && head.has_length && received.size() - body_start >= head.content_length) {
        break;
      }
      const ssize_t n = ::recv(socket.fd(), chunk, sizeof(chunk), 0);
      if (n > 0) {
        received.append(chunk, static_cast<std::size_t>(n));
        if (body_start == std::string::npos) {
          const std::size_t end = received.find("\r\n\r\n");
          if (end == std::string::npos) {
            if (received.size() > kMaxHeaderBytes) return failure("answer headers too large");
            continue;
          }
          if (!parse_head(std::string_view(received).substr(0, end), head)) return failure("not an HTTP answer");
          if (head.chunked) return failure("chunked answer");
          if (head.has_length && head.content_length > max_body_bytes) return failure("answer too large");
          body_start = end + 4;
        }
        if (received.size() - body_start > max_body_bytes) return failure("answer too large");
      } else if (n == 0) {
        break;  // the server closed the connection: the body ends here
      } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        const int ready = wait_until(socket.fd(), POLLIN, deadline);
        if (ready <= 0) return failure(ready == 0 ? "timed out" : describe_errno(errno));
      } else {
        return failure(describe_errno(errno));
      }
    }
    if (body_start == std::string::npos) {
      return failure(received.empty() ? "closed without an answer" : "closed without a complete answer");
    }
    LoopbackResponse response;
    response.body = received.substr(body_start);
    if (head.has_length) {
      if (response.body.size() < head.content_length) return failure("answer cut short");
      response.body.resize(head.content_length);
    }
    response.status = head.status;
    return response;
  } catch (...) {
    return failure("out of memory");
  }
}

}  // namespace honeyhive::detail
