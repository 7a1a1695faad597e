// w3c-test-service --port N
//
// The test service that the official W3C Trace Context test harness drives
// (w3c/trace-context, test/README.md): for `POST /test` with a JSON array of
// {"url": ..., "arguments": [...]}, it extracts the inbound context with our propagators, starts
// one server span per element as a child of it, and POSTs `arguments` to `url` carrying the
// propagated traceparent / tracestate / baggage headers. Binds 127.0.0.1 only.
#include <curl/curl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include <honeyhive/honeyhive.hpp>
#include <honeyhive/propagation/propagator.hpp>

#include "common/mini_http_server.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

// Reads the request's headers (names lowercased, repeated headers joined with ",").
class RequestCarrier final : public honeyhive::TextMapCarrier {
 public:
  explicit RequestCarrier(const honeyhive::tools::HttpRequest& request) : request_(request) {}
  std::optional<std::string> get(std::string_view key) const override {
    std::string name(key);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return request_.header(name);
  }
  void set(std::string_view, std::string_view) override {}
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    for (const auto& header : request_.headers) out.push_back(header.first);
    return out;
  }

 private:
  const honeyhive::tools::HttpRequest& request_;
};

bool post_json(const std::string& url, const std::string& body,
               const std::unordered_map<std::string, std::string>& headers) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return false;
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const auto& header : headers) list = curl_slist_append(list, (header.first + ": " + header.second).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t count, void*) { return size * count; });
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return code == CURLE_OK;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 5000;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = static_cast<std::uint16_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (std::strcmp(argv[i], "--verbose") == 0) {
      verbose = true;
    } else {
      std::fprintf(stderr, "usage: w3c-test-service [--port N] [--verbose]\n");
      return 2;
    }
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);

  honeyhive::ProviderOptions options;
  options.resource = honeyhive::Resource::create({{"service.name", std::string("w3c-test-service")}});
  if (verbose) {
    options.processors.push_back(std::make_unique<honeyhive::SimpleSpanProcessor>(
        std::make_unique<honeyhive::ConsoleExporter>(honeyhive::ConsoleExporterOptions{stderr, true, 6})));
  }
  auto provider = honeyhive::Provider::create(std::move(options));
  auto tracer = provider->get_tracer("w3c-test-service", honeyhive::kVersion);
  const auto propagator = honeyhive::make_default_propagator();

  honeyhive::tools::MiniHttpServer server(port, [&](const honeyhive::tools::HttpRequest& request) {
    const auto reply = [](int status, std::string body) {
      honeyhive::tools::HttpResponse response;
      response.status = status;
      response.body = std::move(body);
      return response;
    };
    if (request.target != "/test") return reply(404, "not found\n");
    if (request.method != "POST") return reply(405, "POST only\n");
    const auto calls = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!calls.is_array()) return reply(400, "expected a JSON array\n");
    const RequestCarrier inbound(request);
    const honeyhive::Context parent = propagator->extract(inbound, honeyhive::Context());
    for (const auto& call : calls) {
      if (!call.is_object() || !call.contains("url") || !call["url"].is_string()) continue;
      honeyhive::StartSpanOptions span_options;
      span_options.kind = honeyhive::SpanKind::server;
      span_options.parent = parent;
      auto span = tracer->start_span("POST /test", span_options);
      std::unordered_map<std::string, std::string> headers;
      auto outbound = honeyhive::make_map_carrier(headers);
      propagator->inject(parent.with_span(span), outbound);
      const std::string body = call.contains("arguments") ? call["arguments"].dump() : "[]";
      if (!post_json(call["url"].get<std::string>(), body, headers)) {
        span.set_status(honeyhive::StatusCode::error, "callback failed");
      }
    }
    return reply(200, "");
  });
  if (!server.ok()) {
    std::fprintf(stderr, "w3c-test-service: cannot listen on 127.0.0.1:%u: %s\n", port, server.error().c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("w3c-test-service listening on http://127.0.0.1:%u/test\n", server.port());
  std::fflush(stdout);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  provider->shutdown();
  curl_global_cleanup();
  return 0;
}
