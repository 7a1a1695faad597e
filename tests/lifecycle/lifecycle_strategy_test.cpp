#include <gtest/gtest.h>

#include <thread>

#include "honeyhive/config/tracer_config.hpp"
#include "honeyhive/lifecycle/lifecycle.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

using std::chrono::milliseconds;

// No runtime signal from the host may leak into these tests.
class LifecycleStrategyTest : public ::testing::Test {
 protected:
  test::ScopedEnv clean_{{"AWS_LAMBDA_FUNCTION_NAME", nullptr},
                         {"AWS_EXECUTION_ENV", nullptr},
                         {"KUBERNETES_SERVICE_HOST", nullptr},
                         {"HH_LIFECYCLE_STRATEGY", nullptr}};
};

TEST_F(LifecycleStrategyTest, LambdaIsDetectedFromEitherVariable) {
  {
    test::ScopedEnv env{{"AWS_LAMBDA_FUNCTION_NAME", "checkout"}};
    const auto strategy = detect_lifecycle_strategy();
    EXPECT_EQ(strategy.kind, LifecycleStrategyKind::lambda);
    EXPECT_EQ(strategy.lifecycle_timeout, milliseconds(500));
    EXPECT_EQ(strategy.operation_timeout, milliseconds(100));
    EXPECT_NE(strategy.reason.find("AWS_LAMBDA_FUNCTION_NAME"), std::string::npos);
  }
  test::ScopedEnv env{{"AWS_EXECUTION_ENV", "AWS_Lambda_python3.12"}};
  EXPECT_EQ(detect_lifecycle_strategy().kind, LifecycleStrategyKind::lambda);
}

TEST_F(LifecycleStrategyTest, KubernetesIsDetectedFromTheServiceHost) {
  test::ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}};
  const auto strategy = detect_lifecycle_strategy();
  EXPECT_EQ(strategy.kind, LifecycleStrategyKind::kubernetes);
  EXPECT_EQ(strategy.lifecycle_timeout, milliseconds(2000));
  EXPECT_EQ(strategy.operation_timeout, milliseconds(500));
}

TEST_F(LifecycleStrategyTest, LambdaWinsOverKubernetes) {
  test::ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"AWS_LAMBDA_FUNCTION_NAME", "f"}};
  EXPECT_EQ(detect_lifecycle_strategy().kind, LifecycleStrategyKind::lambda);
}

TEST_F(LifecycleStrategyTest, WithoutSignalsTheBudgetsFollowTheMachine) {
  const auto strategy = detect_lifecycle_strategy();
  if (std::thread::hardware_concurrency() >= 32) {
    EXPECT_EQ(strategy.kind, LifecycleStrategyKind::high_concurrency);
  } else {
    EXPECT_EQ(strategy.kind, LifecycleStrategyKind::standard);
    EXPECT_EQ(strategy.lifecycle_timeout, milliseconds(3000));
    EXPECT_EQ(strategy.operation_timeout, milliseconds(1000));
  }
  EXPECT_FALSE(strategy.reason.empty());
}

TEST_F(LifecycleStrategyTest, TheEnvironmentVariableForcesAStrategy) {
  test::ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"HH_LIFECYCLE_STRATEGY", "HIGH_CONCURRENCY"}};
  const auto strategy = detect_lifecycle_strategy();
  EXPECT_EQ(strategy.kind, LifecycleStrategyKind::high_concurrency);
  EXPECT_EQ(strategy.lifecycle_timeout, milliseconds(5000));
  EXPECT_EQ(strategy.operation_timeout, milliseconds(1000));
  EXPECT_EQ(strategy.reason, "forced by HH_LIFECYCLE_STRATEGY");
}

TEST_F(LifecycleStrategyTest, AnUnknownNameIsReportedAndDetectionIsUsed) {
  test::ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"HH_LIFECYCLE_STRATEGY", "turbo"}};
  test::DiagnosticsCapture diagnostics;
  EXPECT_EQ(detect_lifecycle_strategy().kind, LifecycleStrategyKind::kubernetes);
  EXPECT_TRUE(diagnostics.mentions("HH_LIFECYCLE_STRATEGY='turbo'"));
}

TEST_F(LifecycleStrategyTest, AnUnknownNameIsAConfigurationDiagnosticMarkedCorrected) {
  test::ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"HH_LIFECYCLE_STRATEGY", "turbo"}};
  test::DiagnosticsCapture diagnostics;
  const ResolvedConfig resolved = resolve_config(TracerConfig{});
  EXPECT_EQ(resolved.lifecycle.kind, LifecycleStrategyKind::kubernetes);
  ASSERT_EQ(resolved.diagnostics.size(), 1U);
  EXPECT_EQ(resolved.diagnostics[0],
            "HH_LIFECYCLE_STRATEGY='turbo' is not a lifecycle strategy (auto, lambda, kubernetes, high_concurrency, "
            "standard); detecting it instead");
  const FieldOrigin* origin = resolved.origin_of("lifecycle_strategy");
  ASSERT_NE(origin, nullptr);
  EXPECT_EQ(origin->origin, "env:HH_LIFECYCLE_STRATEGY (corrected)");
  EXPECT_EQ(diagnostics.count_containing("turbo"), 0U);  // the tracer reports the configuration's diagnostics
}

TEST_F(LifecycleStrategyTest, TheConfigForcesAStrategyOverTheEnvironmentAndTheReportSaysWhy) {
  test::ScopedEnv env{{"HH_LIFECYCLE_STRATEGY", "kubernetes"}};
  TracerConfig config;
  config.lifecycle_strategy = "lambda";
  const ResolvedConfig resolved = resolve_config(config);
  EXPECT_EQ(resolved.lifecycle.kind, LifecycleStrategyKind::lambda);
  const FieldOrigin* origin = resolved.origin_of("lifecycle_strategy");
  ASSERT_NE(origin, nullptr);
  EXPECT_EQ(origin->origin, "TracerConfig");
  EXPECT_EQ(origin->shown, "lambda: 500 ms lifecycle, 100 ms per operation (forced by TracerConfig)");
  EXPECT_NE(resolved.report_text().find("lifecycle_strategy = lambda: 500 ms lifecycle"), std::string::npos);

  const ResolvedConfig from_env = resolve_config(TracerConfig{});
  EXPECT_EQ(from_env.lifecycle.kind, LifecycleStrategyKind::kubernetes);
  EXPECT_EQ(from_env.origin_of("lifecycle_strategy")->origin, "env:HH_LIFECYCLE_STRATEGY");
}

TEST_F(LifecycleStrategyTest, DetectionIsShownWithItsReason) {
  test::ScopedEnv env{{"AWS_LAMBDA_FUNCTION_NAME", "f"}};
  const ResolvedConfig resolved = resolve_config(TracerConfig{});
  EXPECT_EQ(resolved.origin_of("lifecycle_strategy")->origin, "default");
  EXPECT_EQ(resolved.origin_of("lifecycle_strategy")->shown,
            "lambda: 500 ms lifecycle, 100 ms per operation (AWS_LAMBDA_FUNCTION_NAME is set)");
}

}  // namespace
}  // namespace honeyhive
