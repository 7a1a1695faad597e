#pragma once

// Finds a running hh-local (tools/hh-local) on 127.0.0.1, for the tracer's default exporter: with
// no API key and no OTLP endpoint, init exports there when hh-local answers, else to the embedded
// console + file exporters.
#include <chrono>
#include <cstdint>
#include <string>

namespace honeyhive::detail {

inline constexpr std::uint16_t kHhLocalDefaultPort = 4318;
// The whole probe: connect, request and answer. A closed port answers at once; this bounds only a
// port whose listener is slow or silent.
inline constexpr std::chrono::milliseconds kHhLocalProbeTimeout{200};

struct HhLocalProbe {
  bool found = false;
  std::string detail;  // why not, when not found: "connection refused", "GET /api/health answered 404", ...
};

// GET http://127.0.0.1:<port>/api/health and check that the answer is hh-local's own
// ({"status": "ok", "service": "hh-local", ...}), not another service's on the same port (an
// OpenTelemetry collector also listens on 4318). Never throws; returns within `timeout`.
HhLocalProbe probe_hh_local(std::uint16_t port, std::chrono::milliseconds timeout = kHhLocalProbeTimeout) noexcept;

}  // namespace honeyhive::detail
