#include "core/tsc_clock.hpp"

#include <atomic>
#include <fstream>
#include <string>

#include "core/env.hpp"
#include "honeyhive/core/clock.hpp"
#include "honeyhive/core/diagnostics.hpp"

#if defined(__x86_64__) && defined(__SIZEOF_INT128__)
#include <cpuid.h>
#include <x86intrin.h>
#define HONEYHIVE_TSC_CLOCK 1
#else
#define HONEYHIVE_TSC_CLOCK 0
#endif

namespace honeyhive::detail {
namespace {

#if defined(__SIZEOF_INT128__)
__extension__ using Wide = unsigned __int128;
#endif

// The published mapping, read with a sequence counter (odd while a refresh writes it). A scale of
// 0 means none is published.
std::atomic<std::uint32_t> g_sequence{0};
std::atomic<std::uint64_t> g_base_ticks{0};
std::atomic<std::uint64_t> g_base_nanos{0};
std::atomic<std::uint64_t> g_scale{0};
std::atomic<std::uint64_t> g_max_ticks{0};

// The refresh's own state, touched only by the caller holding g_refreshing.
std::atomic<bool> g_refreshing{false};
TscPoint g_last_point{0, 0};
bool g_have_point = false;
std::uint64_t g_last_scale = 0;  // the rate of the last interval; 0: none yet
int g_disagreements = 0;         // in a row

// The counter's reading between two monotonic readings at most this far apart (more: the thread
// was interrupted between them, and the point would be off by as much).
constexpr std::uint64_t kMaxPointReadNanos = 1'000;
constexpr int kPointAttempts = 5;

// A sequence lock without fences (ThreadSanitizer does not model std::atomic_thread_fence, and GCC
// warns that it cannot): the fields are written with release stores and read with acquire loads,
// which on x86-64 are the same plain moves. A reader that sees any field of a refresh under way
// synchronizes with that store, so the odd count written before it is visible to its second read
// of the count, and it retries.
void publish(const TscMapping& mapping) noexcept {
  const std::uint32_t sequence = g_sequence.load(std::memory_order_relaxed);
  g_sequence.store(sequence + 1, std::memory_order_relaxed);
  g_base_ticks.store(mapping.base_ticks, std::memory_order_release);
  g_base_nanos.store(mapping.base_nanos, std::memory_order_release);
  g_max_ticks.store(mapping.max_ticks, std::memory_order_release);
  g_scale.store(mapping.scale, std::memory_order_release);
  g_sequence.store(sequence + 2, std::memory_order_release);
}

void unpublish() noexcept { publish(TscMapping{0, 0, 0, 0}); }

// The published fields into `out`, all from one publish; false (and `out` unusable) while a refresh
// writes them.
[[gnu::always_inline]] inline bool read_published(TscMapping& out) noexcept {
  const std::uint32_t sequence = g_sequence.load(std::memory_order_acquire);
  out = TscMapping{g_base_ticks.load(std::memory_order_acquire), g_base_nanos.load(std::memory_order_acquire),
                   g_scale.load(std::memory_order_acquire), g_max_ticks.load(std::memory_order_acquire)};
  return (sequence & 1U) == 0 && g_sequence.load(std::memory_order_relaxed) == sequence;
}

// tsc_nanos, inline (the span clock's hot path).
[[gnu::always_inline]] inline std::optional<std::uint64_t> nanos_through(const TscMapping& mapping,
                                                                         std::uint64_t ticks) noexcept {
#if defined(__SIZEOF_INT128__)
  const std::uint64_t since_base = ticks - mapping.base_ticks;  // huge (wrapped) before the base
  if (mapping.scale == 0 || since_base >= mapping.max_ticks) return std::nullopt;
  return mapping.base_nanos + static_cast<std::uint64_t>((static_cast<Wide>(since_base) * mapping.scale) >> 32U);
#else
  (void)mapping;
  (void)ticks;
  return std::nullopt;
#endif
}

// Takes the refresh's state, waiting for a refresh under way (tests only: refreshes never wait).
void hold_refresh_waiting() noexcept {
  while (g_refreshing.exchange(true, std::memory_order_acquire)) {
  }
}

#if HONEYHIVE_TSC_CLOCK
bool cpu_says_invariant() noexcept {
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
  if (__get_cpuid(0x80000000U, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007U) return false;
  if (__get_cpuid(0x80000007U, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (edx & (1U << 8U)) != 0;  // "invariant TSC": same rate in every power state
}

bool kernel_keeps_time_with_it() {
  std::ifstream file("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  if (!std::getline(file, name)) return false;
  return trim(name) == "tsc";
}

bool decide_allowed() noexcept {
  try {
    if (const auto mode = get_env("HONEYHIVE_SPAN_CLOCK")) {
      if (*mode == "monotonic") return false;
      if (*mode != "auto") {
        report_diagnostic(DiagnosticLevel::warning, "HONEYHIVE_SPAN_CLOCK must be 'auto' or 'monotonic'; using 'auto'");
      }
    }
    return cpu_says_invariant() && kernel_keeps_time_with_it();
  } catch (...) {
    return false;
  }
}
#endif

// Whether the counter may be used here: decided once (-1 until then; 0 no, 1 yes).
std::atomic<int> g_allowed{-1};

bool tsc_allowed() noexcept {
#if HONEYHIVE_TSC_CLOCK
  int allowed = g_allowed.load(std::memory_order_acquire);
  if (allowed < 0) {
    allowed = decide_allowed() ? 1 : 0;  // racing deciders reach the same answer
    g_allowed.store(allowed, std::memory_order_release);
  }
  return allowed == 1;
#else
  return false;
#endif
}

#if HONEYHIVE_TSC_CLOCK
std::optional<TscPoint> read_point() noexcept {
  for (int attempt = 0; attempt < kPointAttempts; ++attempt) {
    const std::uint64_t before = now_steady_nanos();
    const std::uint64_t ticks = __rdtsc();
    const std::uint64_t after = now_steady_nanos();
    if (after - before <= kMaxPointReadNanos) return TscPoint{ticks, before + (after - before) / 2};
  }
  return std::nullopt;
}

#endif

// Two rates within kTscMaxRateChangePpm parts per million of each other.
bool rates_agree(std::uint64_t earlier_scale, std::uint64_t later_scale) noexcept {
  const std::uint64_t change = earlier_scale > later_scale ? earlier_scale - later_scale : later_scale - earlier_scale;
  return change * 1'000'000 <= earlier_scale * kTscMaxRateChangePpm;
}

// Calibration starts again from `point`: no mapping until two intervals from here agree.
void restart_from(TscPoint point) noexcept {
  g_last_point = point;
  g_have_point = true;
  g_last_scale = 0;
}

// The refresh proper, at `point` (g_refreshing held). `check_kernel`: after a disagreement, ask the
// kernel whether it still keeps time with the counter (off when tests feed points).
void refresh_held(TscPoint point, bool check_kernel) noexcept {
  if (g_disagreements >= kTscMaxDisagreements) return;
  if (const auto current = published_tsc_mapping()) {
    if (point.ticks - current->base_ticks < current->max_ticks) {  // in its life: it must agree
      if (!tsc_mapping_agrees(*current, point)) {
        unpublish();
        restart_from(point);
        bool give_up = ++g_disagreements >= kTscMaxDisagreements;
#if HONEYHIVE_TSC_CLOCK
        if (check_kernel && !give_up && !kernel_keeps_time_with_it()) {
          g_disagreements = kTscMaxDisagreements;  // the kernel stopped trusting it: so do spans
          give_up = true;
        }
#else
        (void)check_kernel;
#endif
        if (give_up) {
          report_diagnostic(DiagnosticLevel::warning,
                            "the CPU time-stamp counter disagreed with CLOCK_MONOTONIC; span times use "
                            "CLOCK_MONOTONIC from now on");
        }
        return;
      }
      g_disagreements = 0;  // three in a row give up, not three in a lifetime
    }
  }
  if (!g_have_point || point.nanos < g_last_point.nanos) {
    restart_from(point);
    return;
  }
  const std::uint64_t interval = point.nanos - g_last_point.nanos;
  if (interval < kTscMinCalibrationNanos) return;  // keep the older point
  const auto mapping = tsc_mapping_between(g_last_point, point);
  if (interval > kTscMaxCalibrationNanos || !mapping) {
    // An idle gap (the counter may have run through a suspend the monotonic clock did not see).
    unpublish();
    restart_from(point);
    return;
  }
  // Published only when this interval's rate agrees with the last one's: one interval through a
  // suspend, or a large slew of the monotonic clock, never makes a mapping.
  if (g_last_scale != 0 && rates_agree(g_last_scale, mapping->scale)) {
    publish(*mapping);
  } else {
    unpublish();
  }
  g_last_scale = mapping->scale;
  g_last_point = point;
}

}  // namespace

std::optional<TscMapping> tsc_mapping_between(TscPoint earlier, TscPoint later) noexcept {
#if defined(__SIZEOF_INT128__)
  if (later.nanos <= earlier.nanos || later.ticks <= earlier.ticks) return std::nullopt;
  const std::uint64_t nanos = later.nanos - earlier.nanos;
  const std::uint64_t ticks = later.ticks - earlier.ticks;
  if (nanos < kTscMinCalibrationNanos) return std::nullopt;
  const auto scale = static_cast<std::uint64_t>((static_cast<Wide>(nanos) << 32U) / ticks);
  // A counter between 50 MHz and 20 GHz; anything else is not a time-stamp counter worth trusting.
  constexpr std::uint64_t kOne = std::uint64_t{1} << 32U;
  if (scale < kOne / 20 || scale > 20 * kOne) return std::nullopt;
  const auto max_ticks = static_cast<std::uint64_t>((static_cast<Wide>(kTscMappingLifeNanos) << 32U) / scale);
  return TscMapping{later.ticks, later.nanos, scale, max_ticks};
#else
  (void)earlier;
  (void)later;
  return std::nullopt;
#endif
}

std::optional<std::uint64_t> tsc_nanos(const TscMapping& mapping, std::uint64_t ticks) noexcept {
  return nanos_through(mapping, ticks);
}

bool tsc_mapping_agrees(const TscMapping& mapping, TscPoint point) noexcept {
  const auto predicted = tsc_nanos(mapping, point.ticks);
  if (!predicted) return false;
  const std::uint64_t off = *predicted > point.nanos ? *predicted - point.nanos : point.nanos - *predicted;
  return off <= kTscMaxDisagreementNanos;
}

std::uint64_t span_steady_nanos() noexcept {
#if HONEYHIVE_TSC_CLOCK
  TscMapping mapping;
  if (g_scale.load(std::memory_order_relaxed) != 0 && read_published(mapping)) {
    if (const auto nanos = nanos_through(mapping, __rdtsc())) return *nanos;
  }
#endif
  return now_steady_nanos();
}

std::optional<TscMapping> published_tsc_mapping() noexcept {
  TscMapping mapping;
  while (!read_published(mapping)) {
  }
  if (mapping.scale == 0) return std::nullopt;
  return mapping;
}

void refresh_tsc_mapping() noexcept {
#if HONEYHIVE_TSC_CLOCK
  if (!tsc_allowed()) return;
  if (g_refreshing.load(std::memory_order_relaxed) || g_refreshing.exchange(true, std::memory_order_acquire)) return;
  if (const auto point = read_point()) refresh_held(*point, /*check_kernel=*/true);
  g_refreshing.store(false, std::memory_order_release);
#endif
}

void refresh_tsc_mapping_at_for_testing(TscPoint point) noexcept {
  hold_refresh_waiting();
  refresh_held(point, /*check_kernel=*/false);
  g_refreshing.store(false, std::memory_order_release);
}

void publish_tsc_mapping_for_testing(const TscMapping& mapping) noexcept { publish(mapping); }

void reset_tsc_clock_for_testing() noexcept {
  hold_refresh_waiting();
  unpublish();
  g_allowed.store(-1, std::memory_order_release);
  g_have_point = false;
  g_last_scale = 0;
  g_disagreements = 0;
  g_refreshing.store(false, std::memory_order_release);
}

}  // namespace honeyhive::detail
