// A program that ends with spans still queued, in the ways a real program ends. The lifecycle
// tests run it and check that the spans reached the exporter (a file) anyway.
//   exit_program MODE FILE
//   MODE: return | exit | exit-from-thread | global | global-assigned-in-main | static-local |
//         static-destructor-span | one-dead-tracer | exit-in-exporter
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "honeyhive/tracer/honeyhive_tracer.hpp"
#include "lifecycle/lifecycle_support.hpp"

namespace {

constexpr int kSpans = 50;

std::shared_ptr<honeyhive::HoneyHiveTracer> make_tracer(const std::string& path, bool exit_in_exporter = false) {
  honeyhive::TracerConfig config;
  config.project = "exit-program";
  config.api_key = honeyhive::null;
  config.otlp_endpoint = honeyhive::null;
  config.start_session = false;
  config.lifecycle_strategy = "standard";
  honeyhive::TracerOptions options;
  if (exit_in_exporter) {
    options.exporter = std::make_unique<honeyhive::test::CallbackExporter>([] { std::exit(0); });
  } else {
    options.exporter = std::make_unique<honeyhive::test::PidFileExporter>(path);
  }
  // The batch processor's default delay is 5 s: without the exit hook, nothing would be exported.
  return honeyhive::HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
}

void make_spans(honeyhive::HoneyHiveTracer& tracer) {
  for (int i = 0; i < kSpans; ++i) {
    honeyhive::Span span = tracer.start_span("pending", honeyhive::EventType::tool);
  }
}

const char* g_path = std::getenv("HH_EXIT_PROGRAM_FILE");  // for the global mode
// A tracer that is a global object: destroyed during static destruction, in some order relative
// to the exit hook.
std::shared_ptr<honeyhive::HoneyHiveTracer> g_tracer = g_path != nullptr ? make_tracer(g_path) : nullptr;

// Never released (a global pointer, so leak checkers see it as reachable).
std::shared_ptr<honeyhive::HoneyHiveTracer>* g_kept = nullptr;
std::shared_ptr<honeyhive::HoneyHiveTracer>* g_kept_dead = nullptr;

// Empty until main assigns it: its destructor was registered at static initialisation, before the
// exit hook (installed by the init in main), so at exit the hook runs first and this global is
// destroyed afterwards, already shut down.
std::shared_ptr<honeyhive::HoneyHiveTracer> g_assigned_later;

// An exporter that never returns (a backend that hangs forever).
class HangingExporter final : public honeyhive::SpanExporter {
 public:
  honeyhive::ExportResult export_spans(const std::vector<honeyhive::SpanDataPtr>&) override {
    std::this_thread::sleep_for(std::chrono::hours(1));
    return honeyhive::ExportResult::failure;
  }
  bool shutdown(std::chrono::milliseconds) override { return false; }
};

honeyhive::HoneyHiveTracer& static_local_tracer(const std::string& path) {
  static std::shared_ptr<honeyhive::HoneyHiveTracer> tracer = make_tracer(path);
  return *tracer;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODE FILE\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const std::string path = argv[2];
  if (mode == "global") {
    if (!g_tracer) return 4;
    make_spans(*g_tracer);
    return 0;
  }
  if (mode == "static-local") {
    make_spans(static_local_tracer(path));
    return 0;
  }
  if (mode == "global-assigned-in-main") {
    g_assigned_later = make_tracer(path);
    make_spans(*g_assigned_later);
    return 0;
  }
  if (mode == "static-destructor-span") {
    // A static destroyed after main returned (after this thread's context stack is gone) starts a
    // span: it must not touch freed memory, and it is delivered like any other.
    static auto tracer = make_tracer(path);
    struct TracesOnDestruction {
      ~TracesOnDestruction() {
        for (int i = 0; i < kSpans; ++i)
          honeyhive::Span span = tracer->start_span("pending", honeyhive::EventType::tool);
      }
    };
    static TracesOnDestruction traces_on_destruction;
    return 0;
  }
  if (mode == "one-dead-tracer") {
    // Two tracers alive at exit, held only by references nobody releases, one with a backend that
    // hangs forever: the other still delivers (the hook does not let one use the other's time).
    honeyhive::TracerConfig config;
    config.project = "dead";
    config.api_key = honeyhive::null;
    config.otlp_endpoint = honeyhive::null;
    config.start_session = false;
    config.lifecycle_strategy = "standard";
    honeyhive::TracerOptions options;
    options.exporter = std::make_unique<HangingExporter>();
    auto dead = honeyhive::HoneyHiveTracer::init(config, {}, {}, {}, std::move(options));
    g_kept_dead = new std::shared_ptr<honeyhive::HoneyHiveTracer>(dead);  // NOLINT: registered first, never released
    for (int i = 0; i < 10; ++i) honeyhive::Span span = dead->start_span("lost", honeyhive::EventType::tool);
    dead->flush(std::chrono::milliseconds(50));  // its export thread is now stuck
    auto alive = make_tracer(path);
    make_spans(*alive);
    g_kept = new std::shared_ptr<honeyhive::HoneyHiveTracer>(alive);  // NOLINT: only the hook can deliver
    std::exit(0);
  }
  auto tracer = make_tracer(path, mode == "exit-in-exporter");
  make_spans(*tracer);
  // A reference nobody releases (as a framework or a leaked singleton would hold it): only the
  // exit hook can deliver its spans.
  g_kept = new std::shared_ptr<honeyhive::HoneyHiveTracer>(tracer);  // NOLINT: never released on purpose
  if (mode == "return") return 0;
  if (mode == "exit") std::exit(0);
  if (mode == "exit-in-exporter") {
    tracer->flush(std::chrono::milliseconds(30000));  // the exporter calls exit() on the export thread
    std::this_thread::sleep_for(std::chrono::seconds(30));
    return 5;
  }
  if (mode == "exit-from-thread") {
    std::thread([] { std::exit(0); }).detach();
    std::this_thread::sleep_for(std::chrono::seconds(30));  // main is still running when exit() runs
    return 5;
  }
  return 2;
}
