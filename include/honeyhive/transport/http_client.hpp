#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace honeyhive {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // the whole request, connect included
};

struct HttpResponse {
  int status = 0;          // 0 when no HTTP response arrived (see error)
  std::string body;        // capped at HttpClient::kMaxResponseBytes
  HttpHeaders headers;     // names lowercased
  std::string error;       // transport error when status == 0, or what cut the body short (never header values)
  bool cancelled = false;  // the client was cancelled while this request ran
  // The status arrived but `body` is only the start of the answer: it was longer than
  // kMaxResponseBytes (the rest was not read), or the connection ended or timed out before its end
  // (`error` says which). The status stands: a 2xx still means the server took the request.
  bool body_truncated = false;
  // With status 0: the error is one that trying again cannot fix (a malformed URL, a scheme other
  // than http/https, a TLS certificate that fails verification), so the request is not retried.
  bool permanent = false;

  std::optional<std::string> header(std::string_view lowercase_name) const;
};

// Sends HTTP requests (the transport under the exporters). Implementations never throw and are
// safe to call from several threads (requests may be serialised). Tests swap in a fake.
class HttpClient {
 public:
  static constexpr std::size_t kMaxResponseBytes = 1024 * 1024;

  virtual ~HttpClient() = default;
  virtual HttpResponse send(const HttpRequest& request) noexcept = 0;
  // Aborts requests in flight and makes later ones fail at once (used by shutdown).
  virtual void cancel() noexcept = 0;
  // In a fork() child, before any other thread runs: forget connections and locks inherited from
  // the parent (they are the parent's). Default: nothing to forget.
  virtual void reset_after_fork() noexcept {}
};

struct CurlHttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Proxies come from the usual environment variables (http_proxy, https_proxy, no_proxy), as
  // libcurl reads them. TLS peer and host verification are always on.
  // False: connect directly, whatever those variables say. For a service on this machine's
  // loopback (hh-local): a proxy would reach its own 127.0.0.1, not this machine's.
  bool use_proxy_variables = true;
};

// The libcurl implementation: one reused easy handle (keep-alive, connection reuse) per client.
std::unique_ptr<HttpClient> make_curl_http_client(CurlHttpClientOptions options = {});

// gzip (RFC 1952) of `data`; nullopt when zlib fails.
std::optional<std::string> gzip_compress(std::string_view data);

// `url` without credentials and query, for diagnostics ("https://host:4318/v1/traces").
std::string redact_url(std::string_view url);

}  // namespace honeyhive
