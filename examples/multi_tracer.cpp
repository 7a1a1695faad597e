// multi_tracer: two independent tracers (two projects) in one process. Spans nest across them on one
// thread, yet each tracer's exporter receives only its own spans, under its own resource.
#include <cstdio>

#include <honeyhive/honeyhive.hpp>

int main() {
  auto make = [](const char* project) {
    honeyhive::TracerConfig config;
    config.project = project;
    config.api_key = honeyhive::null;
    config.otlp_endpoint = honeyhive::null;
    config.disable_batch = true;
    honeyhive::TracerOptions options;
    options.exporter = std::make_unique<honeyhive::ConsoleExporter>();
    return honeyhive::HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
  };
  auto billing = make("billing");
  auto search = make("search");

  {
    auto invoice = billing->start_span("create_invoice", honeyhive::EventType::chain);
    auto lookup = search->start_span("find_customer", honeyhive::EventType::tool);  // search's own span
    lookup.set_inputs({{"customer", "acme"}});
    // Library code finds the tracer of the active span:
    std::printf("current tracer is %s\n", honeyhive::current_tracer() == search ? "search" : "billing");
  }
  billing->shutdown();
  search->shutdown();
  return 0;
}
