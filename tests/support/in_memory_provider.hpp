#pragma once

// Test support: a real provider whose finished spans can be read back.
#include <memory>
#include <string>
#include <utility>

#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/sampler.hpp"
#include "honeyhive/core/tracer.hpp"
#include "honeyhive/export/in_memory_exporter.hpp"
#include "honeyhive/processing/simple_span_processor.hpp"

namespace honeyhive::test {

// A provider that exports to memory through a SimpleSpanProcessor, and one tracer of it.
struct InMemoryProvider {
  InMemoryExporter* exporter = nullptr;  // owned by `provider`
  std::shared_ptr<Provider> provider;
  std::shared_ptr<Tracer> tracer;

  // The span exported last, or null when none was.
  SpanDataPtr last_span() const {
    const auto spans = exporter->spans();
    return spans.empty() ? nullptr : spans.back();
  }
};

// Builds on `options`: the in-memory processor goes before any already there, and the sampler is
// always-on unless `options` names one.
inline InMemoryProvider make_in_memory_provider(ProviderOptions options = {}, std::string tracer_name = "test",
                                                std::string tracer_version = "") {
  auto exporter = std::make_unique<InMemoryExporter>();
  InMemoryProvider result;
  result.exporter = exporter.get();
  if (!options.sampler) options.sampler = make_always_on_sampler();
  options.processors.insert(options.processors.begin(), std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
  result.provider = Provider::create(std::move(options));
  result.tracer = result.provider->get_tracer(std::move(tracer_name), std::move(tracer_version));
  return result;
}

}  // namespace honeyhive::test
