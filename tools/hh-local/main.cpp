// hh-local [--port N] [--db PATH] [--max-body BYTES]
//
// A local HoneyHive-compatible backend: receives OTLP/HTTP traces (protobuf or JSON, gzip accepted)
// and the HoneyHive Events API calls of the SDK's client mode on 127.0.0.1, stores them in SQLite,
// and serves a JSON API and a web UI to look at sessions, traces and evaluation runs. See
// tools/hh-local/README.md. SIGINT / SIGTERM stop it cleanly (requests in flight finish first).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "common/mini_http_server.hpp"
#include "service.hpp"
#include "store.hpp"

namespace {

void usage() { std::fprintf(stderr, "usage: hh-local [--port N] [--db PATH] [--max-body BYTES]\n"); }

bool parse_number(const char* text, unsigned long long max, unsigned long long& out) {
  if (text == nullptr || *text < '0' || *text > '9') return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(text, &end, 10);
  return errno == 0 && *end == '\0' && out <= max;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long long port = 4318;
  std::string db = "./honeyhive-local.db";
  unsigned long long max_body = 32ULL * 1024 * 1024;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage();
      return 0;
    }
    const char* value = i + 1 < argc ? argv[++i] : nullptr;
    if (flag == "--port" && parse_number(value, 65535, port)) continue;
    if (flag == "--db" && value != nullptr && *value != '\0') {
      db = value;
      continue;
    }
    if (flag == "--max-body" && parse_number(value, 1ULL << 31U, max_body) && max_body > 0) continue;
    std::fprintf(stderr, "hh-local: bad argument '%s'%s%s\n", flag.c_str(), value ? " " : "", value ? value : "");
    usage();
    return 2;
  }

  // Signals are waited for on the main thread (sigwait): blocked here, before any thread starts, so
  // that every thread inherits the mask and none of them is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string error;
  std::unique_ptr<honeyhive::hhlocal::Store> store = honeyhive::hhlocal::Store::open(db, error);
  if (!store) {
    std::fprintf(stderr, "hh-local: %s\n", error.c_str());
    return 1;
  }
  honeyhive::hhlocal::ServiceOptions options;
  options.max_body_bytes = static_cast<std::size_t>(max_body);
  honeyhive::hhlocal::Service service(*store, options);
  honeyhive::tools::MiniHttpServer server(
      static_cast<std::uint16_t>(port),
      [&service](const honeyhive::tools::HttpRequest& request) { return service.handle(request); },
      options.max_body_bytes);
  if (!server.ok()) {
    std::fprintf(stderr, "hh-local: cannot listen on 127.0.0.1:%llu: %s\n", port, server.error().c_str());
    return 1;
  }
  std::printf("hh-local listening on http://127.0.0.1:%u (db: %s)\n", static_cast<unsigned>(server.port()), db.c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  std::printf("hh-local: %s, stopping\n", received == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  server.stop();
  store.reset();
  return 0;
}
