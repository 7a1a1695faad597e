#pragma once

#include <cstdint>

namespace honeyhive::detail {

// 64 random bits from this thread's generator (xoshiro256**, seeded from std::random_device).
// Lock-free; a fork child reseeds on first use, so parent and child never share a sequence.
std::uint64_t random_u64() noexcept;

// How many fork() children deep this process is (0 in the original process). The first call
// installs the pthread_atfork handler that bumps it.
std::uint64_t fork_generation() noexcept;

}  // namespace honeyhive::detail
