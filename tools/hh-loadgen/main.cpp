// hh-loadgen --threads N --spans M [--attrs K] [--endpoint URL] [--protocol http/protobuf|http/json]
//            [--flush-timeout-ms T]
//
// Creates N x M spans (each with K attributes and one event, in small nested trees of 3) through a
// provider with the batch processor and the OTLP/HTTP exporter, then flushes and shuts down. The
// last line printed is one JSON object with the counters. Exits 0 even when the backend is down
// (the counters say what happened) and never runs past the flush timeout plus the shutdown budget.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <honeyhive/export/otlp_http_exporter.hpp>
#include <honeyhive/honeyhive.hpp>
#include <honeyhive/processing/batch_span_processor.hpp>

namespace {

struct Arguments {
  int threads = 1;
  long spans = 1000;
  int attributes = 8;
  std::string endpoint;
  std::string protocol;
  long flush_timeout_ms = 10000;
};

void usage() {
  std::fprintf(stderr,
               "usage: hh-loadgen --threads N --spans M [--attrs K] [--endpoint URL]\n"
               "                  [--protocol http/protobuf|http/json] [--flush-timeout-ms T]\n");
}

bool parse(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    char* end = nullptr;
    if (flag == "--threads") {
      args.threads = static_cast<int>(std::strtol(value, &end, 10));
    } else if (flag == "--spans") {
      args.spans = std::strtol(value, &end, 10);
    } else if (flag == "--attrs") {
      args.attributes = static_cast<int>(std::strtol(value, &end, 10));
    } else if (flag == "--flush-timeout-ms") {
      args.flush_timeout_ms = std::strtol(value, &end, 10);
    } else if (flag == "--endpoint") {
      args.endpoint = value;
      continue;
    } else if (flag == "--protocol") {
      args.protocol = value;
      continue;
    } else {
      return false;
    }
    if (end == value || *end != '\0') return false;
  }
  return args.threads > 0 && args.threads <= 1024 && args.spans >= 0 && args.attributes >= 0 &&
         args.attributes <= 1000 && args.flush_timeout_ms >= 0;
}

void make_spans(honeyhive::Tracer& tracer, long count, int attributes) {
  std::vector<std::string> keys;
  for (int k = 0; k < attributes; ++k) keys.push_back("attr." + std::to_string(k));
  long made = 0;
  while (made < count) {
    // A small tree: root -> child -> grandchild (fewer at the end to hit the exact count).
    std::vector<honeyhive::Span> open;
    std::vector<honeyhive::Scope> scopes;
    for (int depth = 0; depth < 3 && made < count; ++depth, ++made) {
      open.push_back(tracer.start_span(depth == 0 ? "request" : depth == 1 ? "chain" : "model"));
      honeyhive::Span& span = open.back();
      for (int k = 0; k < attributes; ++k) {
        if (k % 2 == 0) {
          span.set_attribute(keys[static_cast<std::size_t>(k)], "value-of-about-20-chr");
        } else {
          span.set_attribute(keys[static_cast<std::size_t>(k)], static_cast<std::int64_t>(made * k));
        }
      }
      span.add_event("tick");
      scopes.push_back(span.activate());
    }
    while (!open.empty()) {
      scopes.pop_back();
      open.pop_back();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!parse(argc, argv, args)) {
    usage();
    return 2;
  }
  honeyhive::OtlpHttpExporterOptions exporter_options = honeyhive::OtlpHttpExporterOptions::from_env();
  if (!args.endpoint.empty()) exporter_options.endpoint = args.endpoint;
  if (args.protocol == "http/json")
    exporter_options.protocol = honeyhive::OtlpProtocol::http_json;
  else if (args.protocol == "http/protobuf")
    exporter_options.protocol = honeyhive::OtlpProtocol::http_protobuf;
  else if (!args.protocol.empty()) {
    usage();
    return 2;
  }
  const auto flush_timeout = std::chrono::milliseconds(args.flush_timeout_ms);
  // Keep each export inside the flush budget, so a dead backend cannot hold us past it.
  exporter_options.timeout = std::min(exporter_options.timeout, std::max(flush_timeout, std::chrono::milliseconds(1)));

  auto exporter = std::make_unique<honeyhive::OtlpHttpExporter>(exporter_options);
  honeyhive::BatchSpanProcessorOptions batch_options = honeyhive::BatchSpanProcessorOptions::from_env();
  batch_options.export_timeout =
      std::min(batch_options.export_timeout, std::max(flush_timeout, std::chrono::milliseconds(1)));
  auto processor = std::make_unique<honeyhive::BatchSpanProcessor>(std::move(exporter), batch_options);
  honeyhive::BatchSpanProcessor* batch = processor.get();
  honeyhive::ProviderOptions options;
  options.resource = honeyhive::Resource::create({{"service.name", std::string("hh-loadgen")}});
  options.sampler = honeyhive::make_always_on_sampler();
  options.processors.push_back(std::move(processor));
  auto provider = honeyhive::Provider::create(std::move(options));
  auto tracer = provider->get_tracer("hh-loadgen", honeyhive::kVersion);

  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t) {
    threads.emplace_back([&] { make_spans(*tracer, args.spans, args.attributes); });
  }
  for (auto& thread : threads) thread.join();
  provider->force_flush(flush_timeout);
  provider->shutdown(std::chrono::milliseconds(2000));
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();

  const honeyhive::BatchSpanProcessorStats stats = batch->stats();
  std::printf(
      "{\"created\":%lld,\"exported\":%llu,\"dropped\":%llu,\"failed\":%llu,\"retries\":%llu,\"requests\":%llu,"
      "\"elapsed_ms\":%lld}\n",
      static_cast<long long>(args.spans) * args.threads, static_cast<unsigned long long>(stats.exported),
      static_cast<unsigned long long>(stats.dropped), static_cast<unsigned long long>(stats.failed),
      static_cast<unsigned long long>(stats.retries), static_cast<unsigned long long>(stats.export_requests),
      static_cast<long long>(elapsed));
  return 0;
}
