#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace honeyhive::detail {

// The RFC 9562 text form (8-4-4-4-12 lowercase hex) of `bytes` after stamping `version` (1..15)
// into the version nibble and the RFC 9562 variant into the variant bits.
std::string format_uuid(std::array<std::uint8_t, 16> bytes, unsigned version);

}  // namespace honeyhive::detail
