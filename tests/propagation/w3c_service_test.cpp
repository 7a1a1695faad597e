// End to end: runs tools/w3c-test-service the way the official W3C Trace Context harness does
// (w3c/trace-context test/README.md): POST /test with a JSON array of callbacks; the service
// extracts the inbound context, starts one span per callback as its child, and calls each URL
// back with the propagated headers. Here the callbacks land in a MiniHttpServer on 127.0.0.1.
//
// The executable comes from HH_W3C_TEST_SERVICE (the test is skipped when it is unset). The
// receiver needs the tools' HTTP server (target honeyhive_tools_http); without it the test skips.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "honeyhive/propagation/baggage.hpp"
#include "honeyhive/propagation/trace_context.hpp"

#if __has_include("common/mini_http_server.hpp")
#include "common/mini_http_server.hpp"
#define HONEYHIVE_TEST_HAS_MINI_HTTP_SERVER 1
#else
#define HONEYHIVE_TEST_HAS_MINI_HTTP_SERVER 0
#endif

namespace honeyhive {
namespace {

#if HONEYHIVE_TEST_HAS_MINI_HTTP_SERVER

constexpr const char* kInboundTraceId = "12345678901234567890123456789012";
constexpr const char* kInboundParentId = "1234567890123456";
constexpr const char* kInboundTraceparent = "00-12345678901234567890123456789012-1234567890123456-01";

// Every wait in this file is bounded by one of these.
constexpr auto kStartupTimeout = std::chrono::seconds(5);
constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr auto kCallbackTimeout = std::chrono::seconds(5);
constexpr auto kShutdownTimeout = std::chrono::seconds(3);

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  return address;
}

// A port nothing listens on right now: bind port 0, read the number, close.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof(address);
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

// A TCP socket to 127.0.0.1:port with send/receive timeouts; -1 when the connection fails.
int connect_to(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const sockaddr_in address = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One HTTP/1.1 POST with "Connection: close"; the raw response, or nullopt on any failure.
std::optional<std::string> http_post(std::uint16_t port, const std::string& target,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     const std::string& body) {
  const int fd = connect_to(port, std::chrono::duration_cast<std::chrono::milliseconds>(kRequestTimeout));
  if (fd < 0) return std::nullopt;
  std::string request = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n";
  for (const auto& header : headers) request += header.first + ": " + header.second + "\r\n";
  request += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return std::nullopt;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char chunk[4096];
  while (true) {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {  // receive timeout
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    response.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

// The w3c-test-service child process. Stopped (SIGTERM, then SIGKILL) and reaped on destruction,
// so every path out of a test ends it.
class ServiceProcess {
 public:
  ServiceProcess(const std::string& path, std::uint16_t port) {
    // Everything the child needs is prepared before fork(): after it, only exec.
    std::string port_text = std::to_string(port);
    std::vector<std::string> args{path, "--port", port_text};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, STDOUT_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~ServiceProcess() { stop(); }
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  bool started() const noexcept { return pid_ > 0; }

  // False once the child has exited (it is then reaped).
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + kShutdownTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// Waits (bounded) until the service accepts connections; false if it exits or never listens.
bool wait_until_listening(ServiceProcess& service, std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + kStartupTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!service.running()) return false;
    const int fd = connect_to(port, std::chrono::milliseconds(200));
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// The callbacks the service made, as the receiver saw them.
struct Callbacks {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<tools::HttpRequest> requests;
};

struct Callback {
  std::string target;
  std::optional<std::string> traceparent;
  std::optional<std::string> tracestate;
  std::optional<std::string> baggage;
};

class W3cServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("HH_W3C_TEST_SERVICE");
    if (path == nullptr || *path == '\0') GTEST_SKIP() << "HH_W3C_TEST_SERVICE is not set";
    ASSERT_EQ(::access(path, X_OK), 0) << "HH_W3C_TEST_SERVICE is not an executable: " << path;
    service_port_ = free_port();
    ASSERT_NE(service_port_, 0);
    service_ = std::make_unique<ServiceProcess>(path, service_port_);
    ASSERT_TRUE(service_->started()) << "fork failed";
    ASSERT_TRUE(wait_until_listening(*service_, service_port_))
        << "w3c-test-service did not listen on 127.0.0.1:" << service_port_;
    receiver_ = std::make_unique<tools::MiniHttpServer>(0, [callbacks = callbacks_](const tools::HttpRequest& request) {
      {
        std::lock_guard<std::mutex> lock(callbacks->mutex);
        callbacks->requests.push_back(request);
      }
      callbacks->arrived.notify_all();
      return tools::HttpResponse{};
    });
    ASSERT_TRUE(receiver_->ok()) << receiver_->error();
  }

  void TearDown() override {
    if (receiver_) receiver_->stop();
    if (service_) service_->stop();
  }

  std::string callback_url(int index) const {
    return "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/callback/" + std::to_string(index);
  }

  // Waits (bounded) for `count` callbacks and returns what they carried, sorted by target.
  std::vector<Callback> wait_for_callbacks(std::size_t count) {
    std::unique_lock<std::mutex> lock(callbacks_->mutex);
    callbacks_->arrived.wait_for(lock, kCallbackTimeout, [&] { return callbacks_->requests.size() >= count; });
    std::vector<Callback> out;
    for (const auto& request : callbacks_->requests) {
      out.push_back(Callback{request.target, request.header("traceparent"), request.header("tracestate"),
                             request.header("baggage")});
    }
    std::sort(out.begin(), out.end(), [](const Callback& a, const Callback& b) { return a.target < b.target; });
    return out;
  }

  std::uint16_t service_port_ = 0;
  std::unique_ptr<ServiceProcess> service_;
  std::shared_ptr<Callbacks> callbacks_ = std::make_shared<Callbacks>();
  std::unique_ptr<tools::MiniHttpServer> receiver_;
};

TEST_F(W3cServiceTest, PropagatesTheInboundContextToEveryCallback) {
  const std::string body = R"([{"url": ")" + callback_url(0) + R"(", "arguments": []}, {"url": ")" + callback_url(1) +
                           R"(", "arguments": []}])";
  const auto response =
      http_post(service_port_, "/test",
                {{"traceparent", kInboundTraceparent}, {"tracestate", "foo=1"}, {"baggage", "session_id=abc"}}, body);
  ASSERT_TRUE(response.has_value()) << "no response from the service";
  EXPECT_EQ(response->rfind("HTTP/1.1 200", 0), 0U) << *response;

  const std::vector<Callback> callbacks = wait_for_callbacks(2);
  ASSERT_EQ(callbacks.size(), 2U);
  EXPECT_EQ(callbacks[0].target, "/callback/0");
  EXPECT_EQ(callbacks[1].target, "/callback/1");

  std::vector<std::string> parent_ids;
  for (const auto& callback : callbacks) {
    SCOPED_TRACE(callback.target);
    ASSERT_TRUE(callback.traceparent.has_value());
    const auto traceparent = trace_context::parse_traceparent(*callback.traceparent);
    ASSERT_TRUE(traceparent.has_value()) << *callback.traceparent;
    EXPECT_EQ(traceparent->trace_id().to_hex(), kInboundTraceId);
    EXPECT_NE(traceparent->span_id().to_hex(), kInboundParentId);
    EXPECT_TRUE(traceparent->is_sampled());
    parent_ids.push_back(traceparent->span_id().to_hex());

    ASSERT_TRUE(callback.tracestate.has_value());
    const auto tracestate = trace_context::parse_tracestate(*callback.tracestate);
    ASSERT_TRUE(tracestate.has_value()) << *callback.tracestate;
    EXPECT_EQ(tracestate->get("foo"), "1");

    ASSERT_TRUE(callback.baggage.has_value());
    const auto baggage = baggage::parse(*callback.baggage);
    ASSERT_EQ(baggage.entries.size(), 1U) << *callback.baggage;
    EXPECT_EQ(baggage.entries[0].key, "session_id");
    EXPECT_EQ(baggage.entries[0].value, "abc");
  }
  ASSERT_EQ(parent_ids.size(), 2U);
  EXPECT_NE(parent_ids[0], parent_ids[1]);
}

#else  // !HONEYHIVE_TEST_HAS_MINI_HTTP_SERVER

TEST(W3cServiceTest, PropagatesTheInboundContextToEveryCallback) {
  GTEST_SKIP() << "built without tools/common (link honeyhive_tools_http to propagation_tests)";
}

#endif

}  // namespace
}  // namespace honeyhive
