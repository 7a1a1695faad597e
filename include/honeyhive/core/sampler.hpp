#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/span_context.hpp"
#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

enum class SamplingDecision : std::uint8_t { drop, record_only, record_and_sample };

struct SamplingResult {
  SamplingDecision decision = SamplingDecision::drop;
  // The trace state for the new span; null keeps the parent's.
  std::shared_ptr<const TraceState> trace_state;
};

// What a sampler sees about a span about to start.
struct SamplingParameters {
  const SpanContext& parent;  // invalid when the span is a root
  const TraceId& trace_id;
  std::string_view name;
  SpanKind kind;
  const Attributes& attributes;
};

// Decides whether a new span records and is exported (OTel "Sampler"). Implementations must be
// thread-safe and must not throw.
class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingResult should_sample(const SamplingParameters& params) const noexcept = 0;
  virtual std::string description() const = 0;
};

std::shared_ptr<Sampler> make_always_on_sampler();
std::shared_ptr<Sampler> make_always_off_sampler();
// Samples when the trace id's lower 56 bits (the W3C Level 2 random part, bytes 9..15 read
// big-endian) are below ratio * 2^56. Ratio is clamped to [0, 1]; NaN means 0.
std::shared_ptr<Sampler> make_trace_id_ratio_sampler(double ratio);

// Options of the parent-based sampler; each null member takes the spec's default.
struct ParentBasedOptions {
  std::shared_ptr<Sampler> remote_parent_sampled;      // default always_on
  std::shared_ptr<Sampler> remote_parent_not_sampled;  // default always_off
  std::shared_ptr<Sampler> local_parent_sampled;       // default always_on
  std::shared_ptr<Sampler> local_parent_not_sampled;   // default always_off
};
// Roots go to `root`; children follow the parent's sampled flag (OTel "ParentBased").
std::shared_ptr<Sampler> make_parent_based_sampler(std::shared_ptr<Sampler> root, ParentBasedOptions options = {});

// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG; default parentbased_always_on. Unknown names or
// bad ratios are reported through the diagnostics sink and fall back to the default.
std::shared_ptr<Sampler> sampler_from_env();

}  // namespace honeyhive
