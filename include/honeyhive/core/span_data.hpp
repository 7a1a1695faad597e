#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/clock.hpp"
#include "honeyhive/core/resource.hpp"
#include "honeyhive/core/span_context.hpp"

namespace honeyhive {

// OTLP Span.SpanKind values (the numbers are the wire values).
enum class SpanKind : std::uint8_t { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };

// OTLP Status.StatusCode values.
enum class StatusCode : std::uint8_t { unset = 0, ok = 1, error = 2 };

struct Status {
  StatusCode code = StatusCode::unset;
  std::string description;  // only kept for StatusCode::error, as the spec requires
};

// A timestamped annotation on a span.
struct SpanEvent {
  std::string name;
  UnixNanos time_unix_nanos = 0;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

// A reference from a span to another span context.
struct SpanLink {
  SpanContext context;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
};

// Everything recorded on one span: what processors and exporters receive once it ends.
// After the span ends its SpanData is immutable and shared read-only (SpanDataPtr).
struct SpanData {
  SpanContext context;
  SpanId parent_span_id;  // invalid (all-zero) for a root span
  bool parent_is_remote = false;
  std::string name;
  SpanKind kind = SpanKind::internal;
  UnixNanos start_unix_nanos = 0;
  UnixNanos end_unix_nanos = 0;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  std::uint32_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  std::uint32_t dropped_links_count = 0;
  Status status;
  std::shared_ptr<const Resource> resource;
  std::shared_ptr<const InstrumentationScope> scope;

  const AttributeValue* find_attribute(std::string_view key) const noexcept;
  UnixNanos duration_nanos() const noexcept { return end_unix_nanos - start_unix_nanos; }
};

using SpanDataPtr = std::shared_ptr<const SpanData>;

}  // namespace honeyhive
