#include "core/random.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

namespace honeyhive::detail {

std::atomic<std::uint64_t> g_fork_generation{0};

namespace {

void on_fork_child() noexcept { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

bool install_fork_handler() noexcept { return pthread_atfork(nullptr, nullptr, &on_fork_child) == 0; }

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

}  // namespace

std::uint64_t fork_generation() noexcept {
  static const bool fork_handler_installed = install_fork_handler();
  (void)fork_handler_installed;
  return g_fork_generation.load(std::memory_order_relaxed);
}

void seed_random_state(RandomState& state) noexcept {
  // The handler first, so a fork after this seeding is seen; then the generation being seeded.
  const std::uint64_t generation = fork_generation();
  std::uint64_t mix = 0;
  try {
    std::random_device device;
    mix = (static_cast<std::uint64_t>(device()) << 32U) ^ device();
  } catch (...) {
    // No entropy source: fall back to time, address and thread id; ids stay unique in practice.
  }
  mix ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  mix ^= static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) << 1U;
  mix ^= reinterpret_cast<std::uintptr_t>(&state);
  mix ^= static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())) << 7U;
  mix ^= static_cast<std::uint64_t>(::getpid()) << 40U;
  state.s = splitmix64(mix);
  state.generation = generation;
}

}  // namespace honeyhive::detail
