#include <curl/curl.h>
#include <zlib.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>

#include "core/random.hpp"
#include "honeyhive/transport/http_client.hpp"
#include "transport/http_headers.hpp"

namespace honeyhive {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool curl_ready() noexcept {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

struct Transfer {
  HttpResponse* response;
  const std::atomic<bool>* cancelled;
  bool truncated = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  std::string& body = transfer->response->body;
  // A lying backend cannot make us buffer without bound: keep the first 1 MiB, discard the rest.
  const std::size_t room =
      HttpClient::kMaxResponseBytes > body.size() ? HttpClient::kMaxResponseBytes - body.size() : 0;
  body.append(data, bytes < room ? bytes : room);
  if (bytes <= room) return bytes;
  // Full: the rest is not read at all (an endless body would otherwise hold the request until its
  // timeout). Returning less than was given ends the transfer (CURLE_WRITE_ERROR).
  transfer->truncated = true;
  return 0;
}

// Errors that the same request would meet again: not retried.
bool is_permanent(CURLcode code) noexcept {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return true;
    default: return false;
  }
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response->headers.clear();  // a new response (after 100-continue or a redirect)
    return bytes;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || transfer->response->headers.size() >= 100) return bytes;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  transfer->response->headers.emplace_back(lowercase(line.substr(0, colon)), std::string(value));
  return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<Transfer*>(user);
  return transfer->cancelled->load(std::memory_order_acquire) ? 1 : 0;  // non-zero aborts
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options) : options_(options) {}
  ~CurlHttpClient() override {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }

  HttpResponse send(const HttpRequest& request) noexcept override {
    HttpResponse response;
    try {
      adopt_after_fork();
      std::lock_guard<std::mutex> lock(mutex_);
      if (cancelled_.load(std::memory_order_acquire)) {
        response.cancelled = true;
        response.error = "cancelled";
        return response;
      }
      if (!curl_ready()) {
        response.error = "libcurl failed to initialise";
        return response;
      }
      if (handle_ == nullptr) handle_ = curl_easy_init();
      if (handle_ == nullptr) {
        response.error = "libcurl could not create a handle";
        return response;
      }
      // A line break in a header would end its line and start another header (see http_headers.hpp).
      if (std::string problem = detail::header_problem(request.headers); !problem.empty()) {
        response.error = std::move(problem) + "; not sent";
        return response;
      }
      CURL* curl = handle_;
      curl_easy_reset(curl);  // keeps the connection cache: keep-alive across requests
      Transfer transfer{&response, &cancelled_};
      curl_slist* headers = nullptr;
      for (const auto& header : request.headers) {
        std::string line = header.first;
        line += ": ";
        line += detail::trim_header_value(header.second);
        headers = curl_slist_append(headers, line.c_str());
      }
      headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
      curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
      curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
      curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                       static_cast<long>(request.timeout.count() > 0 ? request.timeout.count() : 1));
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
      curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
      // An empty proxy turns off the one the environment would give (libcurl's CURLOPT_PROXY).
      if (!options_.use_proxy_variables) curl_easy_setopt(curl, CURLOPT_PROXY, "");
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
      if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      }
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
      curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
      const CURLcode code = curl_easy_perform(curl);
      curl_slist_free_all(headers);
      long status = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
      response.cancelled = code == CURLE_ABORTED_BY_CALLBACK;
      if (code == CURLE_OK) {
        response.status = static_cast<int>(status);
      } else if (status >= 200 && status <= 599) {
        // The server answered before the transfer failed (the body cut short by the peer, the
        // network, the timeout, a cancel, or on_body at the cap): the status stands. A 2xx means it
        // took the request, which must not be sent again.
        response.status = static_cast<int>(status);
        response.body_truncated = true;
        response.error = transfer.truncated ? "answer longer than " + std::to_string(kMaxResponseBytes) +
                                                  " bytes; the rest was not read"
                                            : std::string("answer cut short: ") + curl_easy_strerror(code);
      } else {
        response.permanent = is_permanent(code);
        response.error = curl_easy_strerror(code);
        response.body.clear();
      }
    } catch (...) {
      response = HttpResponse{};
      response.error = "out of memory";
    }
    return response;
  }

  void cancel() noexcept override { cancelled_.store(true, std::memory_order_release); }

  void reset_after_fork() noexcept override {
    generation_.store(detail::fork_generation(), std::memory_order_release);
    new (&mutex_) std::mutex();  // NOLINT: the parent's lock state is abandoned
    handle_ = nullptr;           // abandoned, not cleaned up: its sockets are the parent's
  }

 private:
  // In a fork() child the handle's connections belong to the parent (reusing one would interleave
  // two processes on one socket, or send a TLS close_notify for the parent): the child abandons
  // the handle, and the lock a parent thread may have held at the fork, and starts afresh.
  void adopt_after_fork() noexcept {
    std::uint64_t seen = generation_.load(std::memory_order_acquire);
    const std::uint64_t now = detail::fork_generation();
    if (seen == now || !generation_.compare_exchange_strong(seen, now, std::memory_order_acq_rel)) return;
    new (&mutex_) std::mutex();  // NOLINT: the parent's lock state is abandoned
    handle_ = nullptr;           // abandoned, not cleaned up: its sockets are the parent's
  }

  CurlHttpClientOptions options_;
  std::atomic<std::uint64_t> generation_{detail::fork_generation()};
  std::mutex mutex_;  // one transfer at a time on the shared handle
  CURL* handle_ = nullptr;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lowercase_name) const {
  for (const auto& entry : headers) {
    if (entry.first == lowercase_name) return entry.second;
  }
  return std::nullopt;
}

std::unique_ptr<HttpClient> make_curl_http_client(CurlHttpClientOptions options) {
  return std::make_unique<CurlHttpClient>(options);
}

std::optional<std::string> gzip_compress(std::string_view data) {
  z_stream stream{};
  // windowBits 15 + 16: write a gzip header and trailer rather than a zlib one.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(data.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  const auto written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

// `url` as libcurl reads it (the host it would connect to), rebuilt without user, password, query
// and fragment. A URL libcurl cannot read (a password with '/', '?' or '#' in it, a bad port) shows
// its scheme only: nothing of what may be credentials.
std::string redact_url(std::string_view url) {
  if (url.empty()) return {};  // none configured: nothing to hide
  const std::size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string_view::npos ? "" : std::string(url.substr(0, scheme_end + 3));
  const std::string unreadable = scheme + "****";
  // Owned, so that an allocation failing below (std::bad_alloc) frees what libcurl allocated.
  const std::unique_ptr<CURLU, void (*)(CURLU*)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed) return unreadable;
  const std::string text(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return unreadable;
  }
  const auto part = [&](CURLUPart which) {
    char* value = nullptr;
    const bool got = curl_url_get(parsed.get(), which, &value, 0) == CURLUE_OK;
    const std::unique_ptr<char, void (*)(void*)> owned(value, &curl_free);
    return got && owned ? std::string(owned.get()) : std::string();
  };
  const std::string host = part(CURLUPART_HOST);
  if (host.empty()) return unreadable;
  const std::string port = part(CURLUPART_PORT);
  std::string path = part(CURLUPART_PATH);
  // libcurl says "/" for a URL without a path: shown as it was written.
  if (path == "/" && text.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3) == std::string::npos) {
    path.clear();
  }
  return part(CURLUPART_SCHEME) + "://" + host + (port.empty() ? "" : ":" + port) + path;
}

}  // namespace honeyhive
