#include "honeyhive/core/resource.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/version.hpp"

namespace honeyhive {
namespace {

// Diagnostic lines delivered to the handler, shared with the handler so it outlives the fixture.
struct CapturedDiagnostics {
  std::mutex mutex;
  std::vector<std::string> lines;
};

// Unsets OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES for each test and restores them after;
// captures diagnostics.
class ResourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value == nullptr ? std::nullopt : std::optional<std::string>(value));
      ::unsetenv(name);
    }
    set_diagnostic_level(DiagnosticLevel::debug);
    set_diagnostic_handler([captured = captured_](DiagnosticLevel, std::string_view message) {
      std::lock_guard<std::mutex> lock(captured->mutex);
      captured->lines.emplace_back(message);
    });
    diagnostics_before_ = total_diagnostics();
  }
  void TearDown() override {
    set_diagnostic_handler(nullptr);
    set_diagnostic_level(DiagnosticLevel::warning);
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name, value->c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }

  static std::uint64_t total_diagnostics() { return diagnostics_reported() + diagnostics_suppressed(); }
  std::uint64_t diagnostics_since_setup() const { return total_diagnostics() - diagnostics_before_; }

  // True when a delivered line mentions `needle`, or when the rate limit swallowed the text.
  bool diagnostic_mentions(std::string_view needle) const {
    std::lock_guard<std::mutex> lock(captured_->mutex);
    for (const auto& line : captured_->lines) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return captured_->lines.empty() && diagnostics_since_setup() > 0;
  }

  // The string value of `key`, or nullopt when absent or not a string.
  static std::optional<std::string> string_of(const Resource& resource, std::string_view key) {
    const AttributeValue* value = resource.find(key);
    if (value == nullptr) return std::nullopt;
    if (const auto* text = std::get_if<std::string>(value)) return *text;
    return std::nullopt;
  }

  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
  std::shared_ptr<CapturedDiagnostics> captured_ = std::make_shared<CapturedDiagnostics>();
  std::uint64_t diagnostics_before_ = 0;
};

TEST_F(ResourceTest, DefaultServiceNameIsUnknownService) {
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.service_name(), "unknown_service");
}

TEST_F(ResourceTest, DefaultsDescribeTheSdk) {
  const Resource resource = Resource::create();
  EXPECT_EQ(string_of(resource, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(string_of(resource, "telemetry.sdk.name"), std::string(kSdkName));
  EXPECT_EQ(string_of(resource, "telemetry.sdk.version"), std::string(kVersion));
  EXPECT_EQ(diagnostics_since_setup(), 0U);
}

TEST_F(ResourceTest, ResourceAttributesVariableAddsAttributes) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.version=2.0", 1);
  const Resource resource = Resource::create();
  EXPECT_EQ(string_of(resource, "deployment.environment"), "prod");
  EXPECT_EQ(string_of(resource, "service.version"), "2.0");
}

TEST_F(ResourceTest, ResourceAttributesVariableSetsTheServiceName) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes", 1);
  EXPECT_EQ(Resource::create().service_name(), "from-attributes");
}

TEST_F(ResourceTest, ServiceNameVariableWinsOverResourceAttributes) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes", 1);
  ::setenv("OTEL_SERVICE_NAME", "from-service-name", 1);
  EXPECT_EQ(Resource::create().service_name(), "from-service-name");
}

TEST_F(ResourceTest, UserAttributesWinOverBothVariables) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes,team=env", 1);
  ::setenv("OTEL_SERVICE_NAME", "from-service-name", 1);
  const Resource resource = Resource::create(
      {{"service.name", AttributeValue{std::string("from-code")}}, {"team", AttributeValue{std::string("code")}}});
  EXPECT_EQ(resource.service_name(), "from-code");
  EXPECT_EQ(string_of(resource, "team"), "code");
}

TEST_F(ResourceTest, UserAttributesAppearOnce) {
  const Resource resource = Resource::create({{"service.name", AttributeValue{std::string("svc")}}});
  int count = 0;
  for (const auto& attribute : resource.attributes()) count += attribute.key == "service.name" ? 1 : 0;
  EXPECT_EQ(count, 1);
}

TEST_F(ResourceTest, ResourceAttributeValuesArePercentDecoded) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "greeting=hello%20world%2C%3Dok%2c,path=%2Fa%2fb", 1);
  const Resource resource = Resource::create();
  EXPECT_EQ(string_of(resource, "greeting"), "hello world,=ok,");
  EXPECT_EQ(string_of(resource, "path"), "/a/b");
  EXPECT_EQ(diagnostics_since_setup(), 0U);
}

TEST_F(ResourceTest, ResourceAttributesAreTrimmed) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", " a = 1 , b=2 ", 1);
  const Resource resource = Resource::create();
  EXPECT_EQ(string_of(resource, "a"), "1");
  EXPECT_EQ(string_of(resource, "b"), "2");
}

TEST_F(ResourceTest, MemberWithoutEqualsDiscardsTheWholeListAndReports) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken,service.name=x", 1);
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(resource.service_name(), "unknown_service");
  EXPECT_EQ(diagnostics_since_setup(), 1U);
  EXPECT_TRUE(diagnostic_mentions("OTEL_RESOURCE_ATTRIBUTES"));
}

TEST_F(ResourceTest, EmptyKeyDiscardsTheWholeListAndReports) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "a=1,=2", 1);
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(diagnostics_since_setup(), 1U);
}

TEST_F(ResourceTest, BadPercentEscapeDiscardsTheWholeListAndReports) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "a=1,b=%zz", 1);
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(resource.find("b"), nullptr);
  EXPECT_EQ(diagnostics_since_setup(), 1U);
}

TEST_F(ResourceTest, TruncatedPercentEscapeDiscardsTheWholeList) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "a=1,b=x%4", 1);
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(diagnostics_since_setup(), 1U);
}

TEST_F(ResourceTest, MalformedListStillHonoursTheServiceNameVariable) {
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "broken", 1);
  ::setenv("OTEL_SERVICE_NAME", "svc", 1);
  EXPECT_EQ(Resource::create().service_name(), "svc");
}

TEST_F(ResourceTest, MergedWithLetsTheOtherResourceWin) {
  const Resource base({{"a", AttributeValue{std::string("1")}}, {"b", AttributeValue{std::string("2")}}});
  const Resource other({{"b", AttributeValue{std::string("3")}}});
  const Resource merged = base.merged_with(other);
  EXPECT_EQ(string_of(merged, "a"), "1");
  EXPECT_EQ(string_of(merged, "b"), "3");
}

TEST_F(ResourceTest, ServiceNameIsEmptyWhenAbsent) { EXPECT_EQ(Resource().service_name(), ""); }

}  // namespace
}  // namespace honeyhive
