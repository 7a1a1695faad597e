#pragma once

#include <cstdint>

namespace honeyhive::detail {

// 64 random bits from this thread's generator (xoshiro256**, seeded from std::random_device).
// Lock-free; a fork child reseeds on first use, so parent and child never share a sequence.
std::uint64_t random_u64() noexcept;

}  // namespace honeyhive::detail
