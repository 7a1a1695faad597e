#include "honeyhive/core/sampler.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "honeyhive/core/diagnostics.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

// A trace id whose upper bytes (0..8) are `upper` and whose random part (bytes 9..15) is
// `random_part` big-endian (only its low 56 bits are used). With upper == 0, byte 0 is 1 so
// that the id stays valid.
TraceId trace_id_with(std::uint8_t upper, std::uint64_t random_part) {
  std::array<std::uint8_t, TraceId::kSize> bytes{};
  for (std::size_t i = 0; i < 9; ++i) bytes[i] = upper;
  for (std::size_t i = 15; i >= 9; --i) {
    bytes[i] = static_cast<std::uint8_t>(random_part & 0xFFU);
    random_part >>= 8U;
  }
  if (upper == 0) bytes[0] = 0x01;
  return TraceId(bytes);
}

constexpr std::uint64_t kHalf = std::uint64_t{1} << 55U;  // ratio 0.5 of 2^56
constexpr std::uint64_t kMaxRandom = (std::uint64_t{1} << 56U) - 1;

SamplingDecision decide(const Sampler& sampler, const TraceId& trace_id, const SpanContext& parent = SpanContext()) {
  const Attributes attributes;
  return sampler.should_sample(SamplingParameters{parent, trace_id, "span", SpanKind::internal, attributes}).decision;
}

SpanContext parent_context(bool sampled, bool remote) {
  return SpanContext(TraceId::random(), SpanId::random(), TraceFlags{sampled ? TraceFlags::kSampled : std::uint8_t{0}},
                     remote);
}

// Returns a fixed decision and counts how often it was asked.
class FixedSampler final : public Sampler {
 public:
  FixedSampler(SamplingDecision decision, std::string name) : decision_(decision), name_(std::move(name)) {}
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    calls_.fetch_add(1, std::memory_order_relaxed);
    return {decision_, nullptr};
  }
  std::string description() const override { return name_; }
  int calls() const { return calls_.load(std::memory_order_relaxed); }

 private:
  SamplingDecision decision_;
  std::string name_;
  mutable std::atomic<int> calls_{0};
};

TEST(AlwaysOnSamplerTest, RecordsAndSamplesEverySpan) {
  const auto sampler = make_always_on_sampler();
  EXPECT_EQ(decide(*sampler, TraceId::random()), SamplingDecision::record_and_sample);
  EXPECT_EQ(decide(*sampler, TraceId::random(), parent_context(false, false)), SamplingDecision::record_and_sample);
}

TEST(AlwaysOffSamplerTest, DropsEverySpan) {
  const auto sampler = make_always_off_sampler();
  EXPECT_EQ(decide(*sampler, TraceId::random()), SamplingDecision::drop);
  EXPECT_EQ(decide(*sampler, TraceId::random(), parent_context(true, false)), SamplingDecision::drop);
}

TEST(SamplerDescriptionTest, NamesTheBuiltInSamplers) {
  EXPECT_EQ(make_always_on_sampler()->description(), "AlwaysOnSampler");
  EXPECT_EQ(make_always_off_sampler()->description(), "AlwaysOffSampler");
}

TEST(SamplerDescriptionTest, TraceIdRatioNamesItsRatio) {
  const std::string description = make_trace_id_ratio_sampler(0.25)->description();
  EXPECT_EQ(description.rfind("TraceIdRatioBased{", 0), 0U) << description;
  EXPECT_NE(description.find("0.25"), std::string::npos) << description;
}

TEST(SamplerDescriptionTest, ParentBasedNamesEveryDelegate) {
  const std::string description = make_parent_based_sampler(make_always_off_sampler())->description();
  EXPECT_EQ(description,
            "ParentBased{root:AlwaysOffSampler,remoteParentSampled:AlwaysOnSampler,"
            "remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,"
            "localParentNotSampled:AlwaysOffSampler}");
}

TEST(TraceIdRatioSamplerTest, RatioZeroNeverSamples) {
  const auto sampler = make_trace_id_ratio_sampler(0.0);
  EXPECT_EQ(decide(*sampler, trace_id_with(0, 0)), SamplingDecision::drop);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(decide(*sampler, TraceId::random()), SamplingDecision::drop);
}

TEST(TraceIdRatioSamplerTest, RatioOneAlwaysSamples) {
  const auto sampler = make_trace_id_ratio_sampler(1.0);
  EXPECT_EQ(decide(*sampler, trace_id_with(0xFF, kMaxRandom)), SamplingDecision::record_and_sample);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(decide(*sampler, TraceId::random()), SamplingDecision::record_and_sample);
}

TEST(TraceIdRatioSamplerTest, SamplesWhenTheRandomPartIsBelowTheThreshold) {
  const auto sampler = make_trace_id_ratio_sampler(0.5);
  EXPECT_EQ(decide(*sampler, trace_id_with(0, kHalf - 1)), SamplingDecision::record_and_sample);
  EXPECT_EQ(decide(*sampler, trace_id_with(0, 0)), SamplingDecision::record_and_sample);
}

TEST(TraceIdRatioSamplerTest, DropsWhenTheRandomPartIsAtOrAboveTheThreshold) {
  const auto sampler = make_trace_id_ratio_sampler(0.5);
  EXPECT_EQ(decide(*sampler, trace_id_with(0, kHalf)), SamplingDecision::drop);
  EXPECT_EQ(decide(*sampler, trace_id_with(0, kMaxRandom)), SamplingDecision::drop);
}

TEST(TraceIdRatioSamplerTest, IgnoresByteEightAndTheUpperBytes) {
  const auto sampler = make_trace_id_ratio_sampler(0.5);
  // Upper bytes all set, random part below: still sampled.
  EXPECT_EQ(decide(*sampler, trace_id_with(0xFF, kHalf - 1)), SamplingDecision::record_and_sample);
  // Upper bytes (almost) all clear, random part at the threshold: still dropped.
  EXPECT_EQ(decide(*sampler, trace_id_with(0, kHalf)), SamplingDecision::drop);
  // Only byte 8 differs between these two ids.
  std::array<std::uint8_t, TraceId::kSize> low{};
  low[0] = 1;
  low[9] = 0x7F;
  std::array<std::uint8_t, TraceId::kSize> high = low;
  high[8] = 0xFF;
  EXPECT_EQ(decide(*sampler, TraceId(low)), SamplingDecision::record_and_sample);
  EXPECT_EQ(decide(*sampler, TraceId(high)), SamplingDecision::record_and_sample);
}

TEST(TraceIdRatioSamplerTest, NanRatioIsTreatedAsZero) {
  const auto sampler = make_trace_id_ratio_sampler(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(decide(*sampler, trace_id_with(0, 0)), SamplingDecision::drop);
}

TEST(TraceIdRatioSamplerTest, NegativeRatioIsClampedToZero) {
  const auto sampler = make_trace_id_ratio_sampler(-0.5);
  EXPECT_EQ(decide(*sampler, trace_id_with(0, 0)), SamplingDecision::drop);
}

TEST(TraceIdRatioSamplerTest, RatioAboveOneIsClampedToOne) {
  const auto sampler = make_trace_id_ratio_sampler(7.0);
  EXPECT_EQ(decide(*sampler, trace_id_with(0xFF, kMaxRandom)), SamplingDecision::record_and_sample);
  EXPECT_EQ(sampler->description(), make_trace_id_ratio_sampler(1.0)->description());
}

TEST(TraceIdRatioSamplerTest, InfiniteRatioIsClampedToOne) {
  const auto sampler = make_trace_id_ratio_sampler(std::numeric_limits<double>::infinity());
  EXPECT_EQ(decide(*sampler, trace_id_with(0xFF, kMaxRandom)), SamplingDecision::record_and_sample);
}

TEST(ParentBasedSamplerTest, RootDelegatesToTheRootSampler) {
  EXPECT_EQ(decide(*make_parent_based_sampler(make_always_off_sampler()), TraceId::random()), SamplingDecision::drop);
  EXPECT_EQ(decide(*make_parent_based_sampler(make_always_on_sampler()), TraceId::random()),
            SamplingDecision::record_and_sample);
}

TEST(ParentBasedSamplerTest, RemoteSampledParentIsSampledEvenWithAnAlwaysOffRoot) {
  const auto sampler = make_parent_based_sampler(make_always_off_sampler());
  EXPECT_EQ(decide(*sampler, TraceId::random(), parent_context(true, true)), SamplingDecision::record_and_sample);
}

TEST(ParentBasedSamplerTest, RemoteNotSampledParentIsDroppedEvenWithAnAlwaysOnRoot) {
  const auto sampler = make_parent_based_sampler(make_always_on_sampler());
  EXPECT_EQ(decide(*sampler, TraceId::random(), parent_context(false, true)), SamplingDecision::drop);
}

TEST(ParentBasedSamplerTest, LocalSampledParentIsSampledEvenWithAnAlwaysOffRoot) {
  const auto sampler = make_parent_based_sampler(make_always_off_sampler());
  EXPECT_EQ(decide(*sampler, TraceId::random(), parent_context(true, false)), SamplingDecision::record_and_sample);
}

TEST(ParentBasedSamplerTest, LocalNotSampledParentIsDroppedEvenWithAnAlwaysOnRoot) {
  const auto sampler = make_parent_based_sampler(make_always_on_sampler());
  EXPECT_EQ(decide(*sampler, TraceId::random(), parent_context(false, false)), SamplingDecision::drop);
}

TEST(ParentBasedSamplerTest, InvalidParentIsTreatedAsRoot) {
  const auto root = std::make_shared<FixedSampler>(SamplingDecision::record_only, "root");
  const auto sampler = make_parent_based_sampler(root);
  // Sampled flag set but ids all zero: not a valid parent.
  const SpanContext invalid(TraceId(), SpanId(), TraceFlags{TraceFlags::kSampled}, true);
  EXPECT_EQ(decide(*sampler, TraceId::random(), invalid), SamplingDecision::record_only);
  EXPECT_EQ(root->calls(), 1);
}

// Each custom delegate answers record_only; the others keep the defaults, which never do.
struct CustomDelegates {
  std::shared_ptr<FixedSampler> root = std::make_shared<FixedSampler>(SamplingDecision::drop, "root");
  std::shared_ptr<FixedSampler> remote_sampled =
      std::make_shared<FixedSampler>(SamplingDecision::record_only, "remoteSampled");
  std::shared_ptr<FixedSampler> remote_not_sampled =
      std::make_shared<FixedSampler>(SamplingDecision::record_only, "remoteNotSampled");
  std::shared_ptr<FixedSampler> local_sampled =
      std::make_shared<FixedSampler>(SamplingDecision::record_only, "localSampled");
  std::shared_ptr<FixedSampler> local_not_sampled =
      std::make_shared<FixedSampler>(SamplingDecision::record_only, "localNotSampled");

  std::shared_ptr<Sampler> make() const {
    ParentBasedOptions options;
    options.remote_parent_sampled = remote_sampled;
    options.remote_parent_not_sampled = remote_not_sampled;
    options.local_parent_sampled = local_sampled;
    options.local_parent_not_sampled = local_not_sampled;
    return make_parent_based_sampler(root, options);
  }
  std::array<int, 5> calls() const {
    return {root->calls(), remote_sampled->calls(), remote_not_sampled->calls(), local_sampled->calls(),
            local_not_sampled->calls()};
  }
};

TEST(ParentBasedSamplerTest, RemoteSampledParentAsksItsCustomDelegate) {
  CustomDelegates delegates;
  EXPECT_EQ(decide(*delegates.make(), TraceId::random(), parent_context(true, true)), SamplingDecision::record_only);
  EXPECT_EQ(delegates.calls(), (std::array<int, 5>{0, 1, 0, 0, 0}));
}

TEST(ParentBasedSamplerTest, RemoteNotSampledParentAsksItsCustomDelegate) {
  CustomDelegates delegates;
  EXPECT_EQ(decide(*delegates.make(), TraceId::random(), parent_context(false, true)), SamplingDecision::record_only);
  EXPECT_EQ(delegates.calls(), (std::array<int, 5>{0, 0, 1, 0, 0}));
}

TEST(ParentBasedSamplerTest, LocalSampledParentAsksItsCustomDelegate) {
  CustomDelegates delegates;
  EXPECT_EQ(decide(*delegates.make(), TraceId::random(), parent_context(true, false)), SamplingDecision::record_only);
  EXPECT_EQ(delegates.calls(), (std::array<int, 5>{0, 0, 0, 1, 0}));
}

TEST(ParentBasedSamplerTest, LocalNotSampledParentAsksItsCustomDelegate) {
  CustomDelegates delegates;
  EXPECT_EQ(decide(*delegates.make(), TraceId::random(), parent_context(false, false)), SamplingDecision::record_only);
  EXPECT_EQ(delegates.calls(), (std::array<int, 5>{0, 0, 0, 0, 1}));
}

TEST(ParentBasedSamplerTest, RootAsksTheCustomRootOnly) {
  CustomDelegates delegates;
  EXPECT_EQ(decide(*delegates.make(), TraceId::random()), SamplingDecision::drop);
  EXPECT_EQ(delegates.calls(), (std::array<int, 5>{1, 0, 0, 0, 0}));
}

TEST(ParentBasedSamplerTest, DescriptionNamesCustomDelegates) {
  CustomDelegates delegates;
  EXPECT_EQ(delegates.make()->description(),
            "ParentBased{root:root,remoteParentSampled:remoteSampled,remoteParentNotSampled:remoteNotSampled,"
            "localParentSampled:localSampled,localParentNotSampled:localNotSampled}");
}

// Clears OTEL_TRACES_SAMPLER(_ARG) for each test (restored afterwards) and captures diagnostics.
class SamplerFromEnvTest : public ::testing::Test {
 protected:
  std::string description_with(const char* sampler, const char* arg = nullptr) {
    env_.set("OTEL_TRACES_SAMPLER", sampler);
    if (arg != nullptr) env_.set("OTEL_TRACES_SAMPLER_ARG", arg);
    return sampler_from_env()->description();
  }

  static std::string parent_based(const std::string& root) {
    return "ParentBased{root:" + root +
           ",remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,"
           "localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}";
  }

  test::ScopedEnv env_{{"OTEL_TRACES_SAMPLER", nullptr}, {"OTEL_TRACES_SAMPLER_ARG", nullptr}};
  test::DiagnosticsCapture diagnostics_{DiagnosticLevel::debug};
};

TEST_F(SamplerFromEnvTest, DefaultsToParentBasedAlwaysOn) {
  EXPECT_EQ(sampler_from_env()->description(), parent_based("AlwaysOnSampler"));
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(SamplerFromEnvTest, ReadsAlwaysOn) { EXPECT_EQ(description_with("always_on"), "AlwaysOnSampler"); }

TEST_F(SamplerFromEnvTest, ReadsAlwaysOff) { EXPECT_EQ(description_with("always_off"), "AlwaysOffSampler"); }

TEST_F(SamplerFromEnvTest, ReadsParentBasedAlwaysOn) {
  EXPECT_EQ(description_with("parentbased_always_on"), parent_based("AlwaysOnSampler"));
}

TEST_F(SamplerFromEnvTest, ReadsParentBasedAlwaysOff) {
  EXPECT_EQ(description_with("parentbased_always_off"), parent_based("AlwaysOffSampler"));
}

TEST_F(SamplerFromEnvTest, ReadsTraceIdRatioWithItsArgument) {
  EXPECT_EQ(description_with("traceidratio", "0.25"), make_trace_id_ratio_sampler(0.25)->description());
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(SamplerFromEnvTest, TraceIdRatioArgumentDecidesSampling) {
  env_.set("OTEL_TRACES_SAMPLER", "traceidratio");
  env_.set("OTEL_TRACES_SAMPLER_ARG", "0.5");
  const auto sampler = sampler_from_env();
  EXPECT_EQ(decide(*sampler, trace_id_with(0, kHalf - 1)), SamplingDecision::record_and_sample);
  EXPECT_EQ(decide(*sampler, trace_id_with(0, kHalf)), SamplingDecision::drop);
}

TEST_F(SamplerFromEnvTest, ReadsParentBasedTraceIdRatio) {
  EXPECT_EQ(description_with("parentbased_traceidratio", "0.25"),
            parent_based(make_trace_id_ratio_sampler(0.25)->description()));
}

TEST_F(SamplerFromEnvTest, TraceIdRatioWithoutArgumentUsesOne) {
  EXPECT_EQ(description_with("traceidratio"), make_trace_id_ratio_sampler(1.0)->description());
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(SamplerFromEnvTest, BadRatioArgumentFallsBackToOneAndReports) {
  EXPECT_EQ(description_with("traceidratio", "lots"), make_trace_id_ratio_sampler(1.0)->description());
  EXPECT_EQ(diagnostics_.count(), 1U);
  EXPECT_TRUE(diagnostics_.mentions("OTEL_TRACES_SAMPLER_ARG"));
}

TEST_F(SamplerFromEnvTest, OutOfRangeRatioArgumentFallsBackToOneAndReports) {
  EXPECT_EQ(description_with("traceidratio", "1.5"), make_trace_id_ratio_sampler(1.0)->description());
  EXPECT_EQ(diagnostics_.count(), 1U);
}

TEST_F(SamplerFromEnvTest, UnknownSamplerFallsBackToParentBasedAlwaysOnAndReports) {
  EXPECT_EQ(description_with("sometimes"), parent_based("AlwaysOnSampler"));
  EXPECT_EQ(diagnostics_.count(), 1U);
  EXPECT_TRUE(diagnostics_.mentions("sometimes"));
}

TEST_F(SamplerFromEnvTest, SurroundingWhitespaceIsIgnored) {
  EXPECT_EQ(description_with("  always_off "), "AlwaysOffSampler");
}

}  // namespace
}  // namespace honeyhive
