#include "honeyhive/core/resource.hpp"

#include <string>

#include "core/env.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/version.hpp"

namespace honeyhive {
namespace {

void set_or_replace(Attributes& attributes, AttributeKey key, AttributeValue value) {
  for (auto& attribute : attributes) {
    if (attribute.key == key) {
      attribute.value = std::move(value);
      return;
    }
  }
  attributes.push_back(Attribute{std::move(key), std::move(value)});
}

// OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value pairs, values percent-encoded (W3C Baggage
// octet rules). A malformed list is reported and discarded whole, as the spec recommends.
void apply_env_attributes(Attributes& attributes) {
  const auto raw = detail::get_env("OTEL_RESOURCE_ATTRIBUTES");
  if (!raw) return;
  std::string bad_key;
  const auto parsed = detail::parse_key_value_list(*raw, &bad_key);
  if (!parsed) {
    report_diagnostic(DiagnosticLevel::warning,
                      "OTEL_RESOURCE_ATTRIBUTES is malformed near key '" + bad_key + "'; ignoring it");
    return;
  }
  for (const auto& [key, value] : *parsed) set_or_replace(attributes, key, AttributeValue{value});
}

}  // namespace

Resource::Resource(Attributes attributes) : attributes_(std::move(attributes)) {}

Resource Resource::create(const Attributes& attributes) noexcept {
  try {
    Attributes merged;
    set_or_replace(merged, "service.name", AttributeValue{std::string("unknown_service")});
    set_or_replace(merged, "telemetry.sdk.language", AttributeValue{std::string("cpp")});
    set_or_replace(merged, "telemetry.sdk.name", AttributeValue{std::string(kSdkName)});
    set_or_replace(merged, "telemetry.sdk.version", AttributeValue{std::string(kVersion)});
    apply_env_attributes(merged);
    if (auto service = detail::get_env("OTEL_SERVICE_NAME")) {
      set_or_replace(merged, "service.name", AttributeValue{std::move(*service)});
    }
    for (const auto& attribute : attributes) set_or_replace(merged, attribute.key, attribute.value);
    return Resource(std::move(merged));
  } catch (...) {
    return Resource{};
  }
}

const AttributeValue* Resource::find(std::string_view key) const noexcept {
  for (const auto& attribute : attributes_) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

std::string Resource::service_name() const {
  const AttributeValue* value = find("service.name");
  if (value == nullptr) return {};
  if (const auto* text = std::get_if<std::string>(value)) return *text;
  return {};
}

Resource Resource::merged_with(const Resource& other) const {
  Attributes merged = attributes_;
  for (const auto& attribute : other.attributes_) set_or_replace(merged, attribute.key, attribute.value);
  return Resource(std::move(merged));
}

}  // namespace honeyhive
