#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "honeyhive/core/attribute_value.hpp"

namespace honeyhive {

// The entity producing telemetry (service.name, telemetry.sdk.*, ...). Immutable once built.
class Resource {
 public:
  Resource() = default;
  explicit Resource(Attributes attributes);

  // Built-in SDK attributes < OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME < `attributes`
  // (later wins). service.name falls back to "unknown_service" as the spec requires.
  static Resource create(const Attributes& attributes = {}) noexcept;

  const Attributes& attributes() const noexcept { return attributes_; }
  const AttributeValue* find(std::string_view key) const noexcept;
  // The value of service.name, or "" when absent.
  std::string service_name() const;
  // A copy with `other`'s attributes set over this one's.
  Resource merged_with(const Resource& other) const;

 private:
  Attributes attributes_;
};

// The library that created a span (OTLP InstrumentationScope).
struct InstrumentationScope {
  std::string name;
  std::string version;
};

}  // namespace honeyhive
