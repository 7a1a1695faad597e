#include "honeyhive/core/resource.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/version.hpp"
#include "support/diagnostics_capture.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

// Unsets OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES for each test (restored afterwards) and
// captures diagnostics.
class ResourceTest : public ::testing::Test {
 protected:
  // The string value of `key`, or nullopt when absent or not a string.
  static std::optional<std::string> string_of(const Resource& resource, std::string_view key) {
    const AttributeValue* value = resource.find(key);
    if (value == nullptr) return std::nullopt;
    if (const auto* text = std::get_if<std::string>(value)) return *text;
    return std::nullopt;
  }

  test::ScopedEnv env_{{"OTEL_SERVICE_NAME", nullptr}, {"OTEL_RESOURCE_ATTRIBUTES", nullptr}};
  test::DiagnosticsCapture diagnostics_{DiagnosticLevel::debug};
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
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(ResourceTest, ResourceAttributesVariableAddsAttributes) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.version=2.0");
  const Resource resource = Resource::create();
  EXPECT_EQ(string_of(resource, "deployment.environment"), "prod");
  EXPECT_EQ(string_of(resource, "service.version"), "2.0");
}

TEST_F(ResourceTest, ResourceAttributesVariableSetsTheServiceName) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes");
  EXPECT_EQ(Resource::create().service_name(), "from-attributes");
}

TEST_F(ResourceTest, ServiceNameVariableWinsOverResourceAttributes) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes");
  env_.set("OTEL_SERVICE_NAME", "from-service-name");
  EXPECT_EQ(Resource::create().service_name(), "from-service-name");
}

TEST_F(ResourceTest, UserAttributesWinOverBothVariables) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes,team=env");
  env_.set("OTEL_SERVICE_NAME", "from-service-name");
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
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "greeting=hello%20world%2C%3Dok%2c,path=%2Fa%2fb");
  const Resource resource = Resource::create();
  EXPECT_EQ(string_of(resource, "greeting"), "hello world,=ok,");
  EXPECT_EQ(string_of(resource, "path"), "/a/b");
  EXPECT_EQ(diagnostics_.count(), 0U);
}

TEST_F(ResourceTest, ResourceAttributesAreTrimmed) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", " a = 1 , b=2 ");
  const Resource resource = Resource::create();
  EXPECT_EQ(string_of(resource, "a"), "1");
  EXPECT_EQ(string_of(resource, "b"), "2");
}

TEST_F(ResourceTest, MemberWithoutEqualsDiscardsTheWholeListAndReports) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken,service.name=x");
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(resource.service_name(), "unknown_service");
  EXPECT_EQ(diagnostics_.count(), 1U);
  EXPECT_TRUE(diagnostics_.mentions("OTEL_RESOURCE_ATTRIBUTES"));
}

TEST_F(ResourceTest, EmptyKeyDiscardsTheWholeListAndReports) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "a=1,=2");
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(diagnostics_.count(), 1U);
}

TEST_F(ResourceTest, BadPercentEscapeDiscardsTheWholeListAndReports) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "a=1,b=%zz");
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(resource.find("b"), nullptr);
  EXPECT_EQ(diagnostics_.count(), 1U);
}

TEST_F(ResourceTest, TruncatedPercentEscapeDiscardsTheWholeList) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "a=1,b=x%4");
  const Resource resource = Resource::create();
  EXPECT_EQ(resource.find("a"), nullptr);
  EXPECT_EQ(diagnostics_.count(), 1U);
}

TEST_F(ResourceTest, MalformedListStillHonoursTheServiceNameVariable) {
  env_.set("OTEL_RESOURCE_ATTRIBUTES", "broken");
  env_.set("OTEL_SERVICE_NAME", "svc");
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
