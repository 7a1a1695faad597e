#pragma once

// The span clock's fast path (internal): monotonic nanoseconds from the CPU's time-stamp counter.
//
// A span reads the clock when it starts and when it ends. CLOCK_MONOTONIC through the vDSO costs
// about 30 ns on a virtual machine; one read of the counter (rdtsc) about 12. The counter is used
// only where the kernel itself keeps time with it (clocksource "tsc": the kernel checked at boot
// that it is invariant and the same on every CPU) and the CPU says it is invariant; elsewhere, on
// other architectures, or with HONEYHIVE_SPAN_CLOCK=monotonic, span times come from
// CLOCK_MONOTONIC as before.
//
// Ticks become nanoseconds through a mapping measured against CLOCK_MONOTONIC: its rate over the
// last interval between two calibration points (about a second apart, taken while spans start,
// each from a counter read between two monotonic reads under a microsecond apart), based at the
// latest point. So the span clock follows CLOCK_MONOTONIC, NTP's slewing included, to within about
// a part per million. A mapping is published only when its interval's rate agrees with the
// interval's before it (within kTscMaxRateChangePpm): an interval through a suspend (the counter
// runs, the monotonic clock does not) or a large slew gives none, nor does an interval longer than
// kTscMaxCalibrationNanos (calibration starts again after such an idle gap). A mapping is used for
// at most kTscMappingLifeNanos past its base; after that, or before it is published, spans read
// CLOCK_MONOTONIC. At every point the mapping in use is checked against CLOCK_MONOTONIC: off by
// more than kTscMaxDisagreementNanos (a migrated virtual machine, a resume from suspend, a counter
// that stopped agreeing), it is dropped and measured again; after kTscMaxDisagreements such checks
// in a row, or when the kernel no longer keeps time with the counter, it is not used again in this
// process. (A fork child whose parent was refreshing at the fork never refreshes: its spans go back
// to CLOCK_MONOTONIC when the inherited mapping's life ends.)
#include <cstdint>
#include <optional>

namespace honeyhive::detail {

// One calibration point: a counter reading and the monotonic time it was taken at.
struct TscPoint {
  std::uint64_t ticks;
  std::uint64_t nanos;
};

// nanos = base_nanos + (ticks - base_ticks) * scale / 2^32, for ticks - base_ticks < max_ticks.
struct TscMapping {
  std::uint64_t base_ticks;
  std::uint64_t base_nanos;
  std::uint64_t scale;  // nanoseconds per tick, times 2^32
  std::uint64_t max_ticks;
};

constexpr std::uint64_t kTscMinCalibrationNanos = 500'000'000;
constexpr std::uint64_t kTscMaxCalibrationNanos = 2'500'000'000;
constexpr std::uint64_t kTscMaxRateChangePpm = 500;
constexpr std::uint64_t kTscMappingLifeNanos = 3'000'000'000;
constexpr std::uint64_t kTscMaxDisagreementNanos = 20'000;
constexpr int kTscMaxDisagreements = 3;

// The mapping measured between two points, based at `later`; nullopt when they are less than
// kTscMinCalibrationNanos apart or the counter did not advance (or ran at an implausible rate).
std::optional<TscMapping> tsc_mapping_between(TscPoint earlier, TscPoint later) noexcept;

// `ticks` in monotonic nanoseconds through `mapping`; nullopt past its life (or before its base).
std::optional<std::uint64_t> tsc_nanos(const TscMapping& mapping, std::uint64_t ticks) noexcept;

// Whether `mapping` puts `point` within kTscMaxDisagreementNanos of its monotonic time.
bool tsc_mapping_agrees(const TscMapping& mapping, TscPoint point) noexcept;

// Monotonic nanoseconds for span start, end and event times: through the published mapping when
// there is one in its life, else CLOCK_MONOTONIC (now_steady_nanos).
std::uint64_t span_steady_nanos() noexcept;

// Takes a calibration point and publishes, checks or drops the mapping (see above). Called from the
// span clock's anchoring, about once a second while spans start; cheap and non-blocking (a second
// caller at the same time returns at once).
void refresh_tsc_mapping() noexcept;

// The mapping spans read now, if any (whole: never parts of two).
std::optional<TscMapping> published_tsc_mapping() noexcept;

// For tests: a refresh at a given point (whether or not the counter is allowed here), and a mapping
// published as a refresh would.
void refresh_tsc_mapping_at_for_testing(TscPoint point) noexcept;
void publish_tsc_mapping_for_testing(const TscMapping& mapping) noexcept;
// For tests: forgets the mapping, the calibration and the decision whether the counter may be used
// (HONEYHIVE_SPAN_CLOCK is read again). Not to be called while spans start.
void reset_tsc_clock_for_testing() noexcept;

}  // namespace honeyhive::detail
