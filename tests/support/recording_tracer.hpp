#pragma once

// Test support: a HoneyHiveTracer whose spans are kept in memory, and attribute lookups.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"

namespace honeyhive::test {

// The text value of `span`'s attribute `key`, or null when it has none or another kind of value.
inline const std::string* find_string_attribute(const SpanData& span, std::string_view key) {
  const AttributeValue* value = span.find_attribute(key);
  return value ? std::get_if<std::string>(value) : nullptr;
}

// The string attribute `key` of `span`, or "<absent>" (which no expected value equals).
inline std::string string_attribute(const SpanData& span, std::string_view key) {
  const std::string* text = find_string_attribute(span, key);
  return text ? *text : "<absent>";
}

struct RecordingTracer {
  std::shared_ptr<HoneyHiveTracer> tracer;
  InMemoryExporter* memory = nullptr;  // owned by the tracer's provider

  // Every span exported so far (after a flush), in export order.
  std::vector<SpanDataPtr> spans() const {
    tracer->flush();
    return memory->spans();
  }
  // The first exported span named `name`, or null.
  SpanDataPtr named(const std::string& name) const {
    for (const auto& span : spans()) {
      if (span->name == name) return span;
    }
    return nullptr;
  }
};

// A tracer that exports each span to memory as it ends and never to the network, whatever the
// environment says (`config.api_key` is kept when set: it turns on the HoneyHive REST calls).
// `options` may carry anything but the exporter (diagnostics, say).
inline RecordingTracer make_recording_tracer(TracerConfig config = {}, TracerOptions options = {}) {
  if (config.project.is_unset()) config.project = "tests";
  if (config.api_key.is_unset()) config.api_key = null;
  config.otlp_endpoint = null;
  config.disable_batch = true;
  auto exporter = std::make_unique<InMemoryExporter>();
  RecordingTracer result;
  result.memory = exporter.get();
  options.exporter = std::move(exporter);
  result.tracer = HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  return result;
}

}  // namespace honeyhive::test
