// libFuzzer target: baggage::parse must never crash and respects the limits; what it accepts
// formats to a header that parses back to the same entries.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "honeyhive/propagation/baggage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace baggage = honeyhive::baggage;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = baggage::parse(input);
  if (parsed.entries.size() > baggage::kMaxMembers) std::abort();
  std::size_t dropped = 0;
  const std::string formatted = baggage::format(parsed.entries, &dropped);
  if (formatted.size() > baggage::kMaxBytes) std::abort();
  if (dropped != 0) return 0;  // re-encoding may grow values past the byte limit; fine
  const auto again = baggage::parse(formatted);
  if (again.entries != parsed.entries) std::abort();
  return 0;
}
