// libFuzzer target: parse_tracestate must never crash; an accepted state has at most 32 unique
// members and its formatted form (within 512 chars) parses again.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "honeyhive/propagation/trace_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = honeyhive::trace_context::parse_tracestate(input);
  if (!parsed) return 0;
  if (parsed->members().size() > honeyhive::trace_context::kMaxTraceStateMembers) std::abort();
  std::set<std::string> keys;
  for (const auto& member : parsed->members()) {
    if (!keys.insert(member.first).second) std::abort();
  }
  const std::string formatted = honeyhive::trace_context::format_tracestate(*parsed);
  if (formatted.size() > honeyhive::trace_context::kMaxTraceStateLength) std::abort();
  if (!honeyhive::trace_context::parse_tracestate(formatted)) std::abort();
  return 0;
}
