// libFuzzer target: parse_traceparent must never crash, and whatever it accepts must format back
// to a header that parses to the same ids.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "honeyhive/propagation/trace_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = honeyhive::trace_context::parse_traceparent(input);
  if (!parsed) return 0;
  if (!parsed->is_valid()) std::abort();
  const auto again = honeyhive::trace_context::parse_traceparent(honeyhive::trace_context::format_traceparent(*parsed));
  if (!again || again->trace_id() != parsed->trace_id() || again->span_id() != parsed->span_id()) std::abort();
  return 0;
}
