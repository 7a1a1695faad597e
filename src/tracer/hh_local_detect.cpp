#include "tracer/hh_local_detect.hpp"

#include <nlohmann/json.hpp>

#include "transport/loopback_http.hpp"

namespace honeyhive::detail {

HhLocalProbe probe_hh_local(std::uint16_t port, std::chrono::milliseconds timeout) noexcept {
  HhLocalProbe probe;
  try {
    const LoopbackResponse response = loopback_http_get(port, "/api/health", timeout);
    if (response.status == 0) {
      probe.detail = response.error;
    } else if (response.status != 200) {
      probe.detail = "GET /api/health answered " + std::to_string(response.status) + ": not hh-local";
    } else {
      const nlohmann::json health = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      const auto is = [&health](const char* key, const char* expected) {
        if (!health.is_object()) return false;
        const auto it = health.find(key);
        return it != health.end() && it->is_string() && it->get_ref<const std::string&>() == expected;
      };
      probe.found = is("status", "ok") && is("service", "hh-local");
      if (!probe.found) probe.detail = "GET /api/health is not hh-local's answer";
    }
  } catch (...) {
    probe.found = false;  // out of memory: the embedded default, which needs no answer parsed
  }
  return probe;
}

}  // namespace honeyhive::detail
