#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "honeyhive/core/ids.hpp"

namespace honeyhive::detail {

// How many fork() children deep this process is (0 in the original process). The first call
// installs the pthread_atfork handler that bumps it.
std::uint64_t fork_generation() noexcept;

// Bumped in every fork child; a thread's generator reseeds when it sees a new value.
extern std::atomic<std::uint64_t> g_fork_generation;

// One thread's xoshiro256** generator, seeded from std::random_device (and time, address, thread
// and process ids) on the thread's first draw and again in a fork child, so parent and child never
// share a sequence. Lock-free; the hot path is inline: a span's ids cost no call.
struct RandomState {
  std::uint64_t s[4];
  std::uint64_t generation;  // the fork generation it was seeded in; ~0: never seeded

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17U;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << static_cast<unsigned>(k)) | (x >> static_cast<unsigned>(64 - k));
  }
};

// Constant-initialized (no thread-local guard on access).
inline thread_local RandomState t_random_state{{0, 0, 0, 0}, ~std::uint64_t{0}};

// Seeds `state` for the current fork generation (and installs the fork handler first).
void seed_random_state(RandomState& state) noexcept;

inline RandomState& thread_random_state() noexcept {
  RandomState& state = t_random_state;
  if (__builtin_expect(state.generation != g_fork_generation.load(std::memory_order_relaxed), 0)) {
    seed_random_state(state);
  }
  return state;
}

// 64 random bits from this thread's generator.
inline std::uint64_t random_u64() noexcept { return thread_random_state().next(); }

// Never-zero ids (all-zero is the invalid id) from `state`.
inline TraceId random_trace_id(RandomState& state) noexcept {
  std::uint64_t words[2];
  do {
    words[0] = state.next();
    words[1] = state.next();
  } while ((words[0] | words[1]) == 0);
  std::array<std::uint8_t, TraceId::kSize> bytes;
  std::memcpy(bytes.data(), words, sizeof words);
  return TraceId(bytes);
}

inline SpanId random_span_id(RandomState& state) noexcept {
  std::uint64_t word;
  do {
    word = state.next();
  } while (word == 0);
  std::array<std::uint8_t, SpanId::kSize> bytes;
  std::memcpy(bytes.data(), &word, sizeof word);
  return SpanId(bytes);
}

// A root span's two ids, the generator's state kept in registers across the three draws.
inline void random_root_ids(RandomState& state, TraceId& trace_id, SpanId& span_id) noexcept {
  RandomState local = state;
  trace_id = random_trace_id(local);
  span_id = random_span_id(local);
  state = local;
}

}  // namespace honeyhive::detail
