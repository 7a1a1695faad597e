#pragma once

// hh-local's HTTP endpoints over a Store: OTLP/HTTP trace ingest, the HoneyHive Events API calls the
// SDK's client mode makes, the JSON API the web UI reads, and the embedded UI files. README.md of
// tools/hh-local lists every route. Thread-safe (the Store serialises writes).
#include <cstddef>
#include <string>

#include "common/mini_http_server.hpp"
#include "honeyhive/export/otlp_decode.hpp"
#include "store.hpp"

namespace honeyhive::hhlocal {

struct ServiceOptions {
  // Largest request body, compressed or not (the server refuses larger ones with 413 before reading
  // them; a gzip body that inflates past it is refused with 413 too).
  std::size_t max_body_bytes = 32 * 1024 * 1024;
  OtlpDecodeLimits decode_limits;
};

class Service {
 public:
  Service(Store& store, ServiceOptions options) : store_(store), options_(options) {}

  tools::HttpResponse handle(const tools::HttpRequest& request) noexcept;

 private:
  tools::HttpResponse handle_otlp(const tools::HttpRequest& request, const std::string& body);
  tools::HttpResponse handle_api(const tools::HttpRequest& request, const std::string& path, const std::string& query);
  tools::HttpResponse handle_events_api(const tools::HttpRequest& request, const std::string& path,
                                        const std::string& body);
  tools::HttpResponse handle_static(const std::string& path);

  Store& store_;
  ServiceOptions options_;
};

// Inflates a gzip body into `out`, refusing to produce more than `max_bytes`. False with `error`
// ("too large" sets `too_large`) on failure.
bool gunzip_limited(const std::string& in, std::size_t max_bytes, std::string& out, bool& too_large,
                    std::string& error);

}  // namespace honeyhive::hhlocal
