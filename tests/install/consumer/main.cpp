// Uses the installed package end to end: one span with a plain and a structured attribute goes
// through a SimpleSpanProcessor into an InMemoryExporter. Exits 0 only if exactly that span,
// with the flattened attribute, was exported.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "honeyhive/honeyhive.hpp"

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "install consumer: %s\n", what);
  return 1;
}

bool has_int(const honeyhive::SpanData& span, const char* key, std::int64_t expected) {
  const honeyhive::AttributeValue* value = span.find_attribute(key);
  return value != nullptr && std::holds_alternative<std::int64_t>(*value) && std::get<std::int64_t>(*value) == expected;
}

}  // namespace

int main() {
  if (std::strcmp(honeyhive::kVersion, HONEYHIVE_PACKAGE_VERSION) != 0) {
    return fail("honeyhive::kVersion differs from the installed package version");
  }

  auto exporter = std::make_unique<honeyhive::InMemoryExporter>();
  auto* memory = exporter.get();
  honeyhive::ProviderOptions options;
  options.sampler = honeyhive::make_always_on_sampler();
  options.processors.push_back(std::make_unique<honeyhive::SimpleSpanProcessor>(std::move(exporter)));
  auto provider = honeyhive::Provider::create(std::move(options));
  if (!provider) return fail("Provider::create returned null");
  auto tracer = provider->get_tracer("install-consumer", "1.0.0");
  if (!tracer) return fail("get_tracer returned null");

  {
    auto span = tracer->start_span("consumer.work");
    span.set_attribute("consumer.items", 3);
    span.set_structured("consumer.meta", nlohmann::json{{"user", {{"id", 42}}}});
  }

  const auto spans = memory->spans();
  if (spans.size() != 1) return fail("expected exactly one exported span");
  const honeyhive::SpanData& span = *spans.front();
  if (span.name != "consumer.work") return fail("the exported span has the wrong name");
  if (!has_int(span, "consumer.items", 3)) return fail("attribute consumer.items = 3 is missing");
  if (!has_int(span, "consumer.meta.user.id", 42))
    return fail("flattened attribute consumer.meta.user.id = 42 is missing");
  if (!provider->shutdown()) return fail("Provider::shutdown failed");

  std::printf("install consumer: exported 1 span with consumer.meta.user.id = 42 (honeyhive %s)\n",
              honeyhive::kVersion);
  return 0;
}
