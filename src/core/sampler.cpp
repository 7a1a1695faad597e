#include "honeyhive/core/sampler.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

#include "core/env.hpp"
#include "honeyhive/core/diagnostics.hpp"

namespace honeyhive {
namespace {

class AlwaysOnSampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {SamplingDecision::record_and_sample, nullptr};
  }
  std::string description() const override { return "AlwaysOnSampler"; }
};

class AlwaysOffSampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {SamplingDecision::drop, nullptr};
  }
  std::string description() const override { return "AlwaysOffSampler"; }
};

class TraceIdRatioSampler final : public Sampler {
 public:
  explicit TraceIdRatioSampler(double ratio) : ratio_(clamp(ratio)) {
    // Threshold on 56 bits: ratio 1 must sample every id, so it is 2^56 exactly.
    threshold_ = static_cast<std::uint64_t>(std::ldexp(ratio_, 56));
  }
  SamplingResult should_sample(const SamplingParameters& params) const noexcept override {
    // W3C Trace Context Level 2: the rightmost 7 bytes of the trace id are the random part.
    const auto& bytes = params.trace_id.bytes();
    std::uint64_t random_part = 0;
    for (std::size_t i = 9; i < 16; ++i) random_part = (random_part << 8U) | bytes[i];
    return {random_part < threshold_ ? SamplingDecision::record_and_sample : SamplingDecision::drop, nullptr};
  }
  std::string description() const override { return "TraceIdRatioBased{" + std::to_string(ratio_) + "}"; }

 private:
  static double clamp(double ratio) noexcept {
    if (std::isnan(ratio) || ratio < 0) return 0;
    return ratio > 1 ? 1 : ratio;
  }
  double ratio_;
  std::uint64_t threshold_ = 0;
};

class ParentBasedSampler final : public Sampler {
 public:
  ParentBasedSampler(std::shared_ptr<Sampler> root, ParentBasedOptions options)
      : root_(root ? std::move(root) : make_always_on_sampler()),
        remote_sampled_(options.remote_parent_sampled ? std::move(options.remote_parent_sampled)
                                                      : make_always_on_sampler()),
        remote_not_sampled_(options.remote_parent_not_sampled ? std::move(options.remote_parent_not_sampled)
                                                              : make_always_off_sampler()),
        local_sampled_(options.local_parent_sampled ? std::move(options.local_parent_sampled)
                                                    : make_always_on_sampler()),
        local_not_sampled_(options.local_parent_not_sampled ? std::move(options.local_parent_not_sampled)
                                                            : make_always_off_sampler()) {}

  SamplingResult should_sample(const SamplingParameters& params) const noexcept override {
    const SpanContext& parent = params.parent;
    if (!parent.is_valid()) return root_->should_sample(params);
    if (parent.is_remote()) {
      return parent.is_sampled() ? remote_sampled_->should_sample(params) : remote_not_sampled_->should_sample(params);
    }
    return parent.is_sampled() ? local_sampled_->should_sample(params) : local_not_sampled_->should_sample(params);
  }
  std::string description() const override {
    return "ParentBased{root:" + root_->description() + ",remoteParentSampled:" + remote_sampled_->description() +
           ",remoteParentNotSampled:" + remote_not_sampled_->description() +
           ",localParentSampled:" + local_sampled_->description() +
           ",localParentNotSampled:" + local_not_sampled_->description() + "}";
  }

 private:
  std::shared_ptr<Sampler> root_, remote_sampled_, remote_not_sampled_, local_sampled_, local_not_sampled_;
};

std::optional<double> parse_ratio(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || *end != '\0' || std::isnan(value) || value < 0 || value > 1) return std::nullopt;
  return value;
}

}  // namespace

std::shared_ptr<Sampler> make_always_on_sampler() { return std::make_shared<AlwaysOnSampler>(); }
std::shared_ptr<Sampler> make_always_off_sampler() { return std::make_shared<AlwaysOffSampler>(); }
std::shared_ptr<Sampler> make_trace_id_ratio_sampler(double ratio) {
  return std::make_shared<TraceIdRatioSampler>(ratio);
}
std::shared_ptr<Sampler> make_parent_based_sampler(std::shared_ptr<Sampler> root, ParentBasedOptions options) {
  return std::make_shared<ParentBasedSampler>(std::move(root), std::move(options));
}

std::shared_ptr<Sampler> sampler_from_env() {
  const auto name = detail::get_env("OTEL_TRACES_SAMPLER");
  const auto arg = detail::get_env("OTEL_TRACES_SAMPLER_ARG");
  const auto ratio = [&]() {
    if (!arg) return 1.0;
    if (auto parsed = parse_ratio(arg)) return *parsed;
    report_diagnostic(DiagnosticLevel::warning,
                      "OTEL_TRACES_SAMPLER_ARG='" + *arg + "' is not a ratio in [0, 1]; using 1.0");
    return 1.0;
  };
  if (!name || *name == "parentbased_always_on") return make_parent_based_sampler(make_always_on_sampler());
  if (*name == "always_on") return make_always_on_sampler();
  if (*name == "always_off") return make_always_off_sampler();
  if (*name == "traceidratio") return make_trace_id_ratio_sampler(ratio());
  if (*name == "parentbased_always_off") return make_parent_based_sampler(make_always_off_sampler());
  if (*name == "parentbased_traceidratio") return make_parent_based_sampler(make_trace_id_ratio_sampler(ratio()));
  report_diagnostic(DiagnosticLevel::warning,
                    "OTEL_TRACES_SAMPLER='" + *name + "' is not supported; using parentbased_always_on");
  return make_parent_based_sampler(make_always_on_sampler());
}

}  // namespace honeyhive
