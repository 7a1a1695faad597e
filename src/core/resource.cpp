#include "honeyhive/core/resource.hpp"

#include <string>

#include "core/env.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/version.hpp"

namespace honeyhive {
namespace {

void set_or_replace(Attributes& attributes, std::string key, AttributeValue value) {
  for (auto& attribute : attributes) {
    if (attribute.key == key) {
      attribute.value = std::move(value);
      return;
    }
  }
  attributes.push_back(Attribute{std::move(key), std::move(value)});
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return out;
}

// OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value pairs, values percent-encoded (W3C Baggage
// octet rules). A malformed list is reported and discarded whole, as the spec recommends.
void apply_env_attributes(Attributes& attributes) {
  const auto raw = detail::get_env("OTEL_RESOURCE_ATTRIBUTES");
  if (!raw) return;
  Attributes parsed;
  std::string_view rest = *raw;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = detail::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item.empty()) continue;
    const std::size_t equals = item.find('=');
    const std::string_view key = equals == std::string_view::npos ? std::string_view{} : detail::trim(item.substr(0, equals));
    const auto value = equals == std::string_view::npos ? std::nullopt : percent_decode(detail::trim(item.substr(equals + 1)));
    if (key.empty() || !value) {
      report_diagnostic(DiagnosticLevel::warning,
                        "OTEL_RESOURCE_ATTRIBUTES is malformed near '" + std::string(item) + "'; ignoring it");
      return;
    }
    set_or_replace(parsed, std::string(key), AttributeValue{*value});
  }
  for (auto& attribute : parsed) set_or_replace(attributes, std::move(attribute.key), std::move(attribute.value));
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
