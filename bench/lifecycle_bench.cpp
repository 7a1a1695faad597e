// How long shutdown takes while the backend hangs, for each lifecycle strategy: the budget is the
// promise (shutdown never takes longer), the figure is what it costs. Manual time: one iteration
// is one init + 100 spans + shutdown against a server that never answers.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "common/mini_http_server.hpp"
#include "honeyhive/tracer/honeyhive_tracer.hpp"

namespace {

void BM_ShutdownWhileTheBackendHangs(benchmark::State& state) {
  const auto kind = static_cast<honeyhive::LifecycleStrategyKind>(state.range(0));
  honeyhive::tools::MiniHttpServer server(0, [](const honeyhive::tools::HttpRequest&) {
    honeyhive::tools::HttpResponse response;
    response.delay_ms = 600000;  // never answers (until the server stops)
    return response;
  });
  if (!server.ok()) {
    state.SkipWithError("no local server");
    return;
  }
  honeyhive::set_diagnostic_handler(nullptr);  // the timeouts are expected: keep the output clean
  double worst_ratio = 0;
  double budget_ms = 0;
  for (auto _ : state) {
    honeyhive::TracerConfig config;
    config.project = "bench";
    config.api_key = honeyhive::null;
    config.otlp_endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/traces";
    config.start_session = false;
    config.lifecycle_strategy = honeyhive::to_string(kind);
    auto tracer = honeyhive::HoneyHiveTracer::init(config);
    for (int i = 0; i < 100; ++i) honeyhive::Span span = tracer->start_span("pending", honeyhive::EventType::tool);
    budget_ms = static_cast<double>(tracer->config().lifecycle.lifecycle_timeout.count());
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(tracer->shutdown());
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(took.count());
    worst_ratio = std::max(worst_ratio, took.count() * 1000.0 / budget_ms);
  }
  state.counters["budget_ms"] = budget_ms;
  state.counters["worst_vs_budget"] = worst_ratio;  // <= 1.1 is the promise
  state.SetLabel(honeyhive::to_string(kind));
}
BENCHMARK(BM_ShutdownWhileTheBackendHangs)
    ->Arg(static_cast<int>(honeyhive::LifecycleStrategyKind::lambda))
    ->Arg(static_cast<int>(honeyhive::LifecycleStrategyKind::kubernetes))
    ->Arg(static_cast<int>(honeyhive::LifecycleStrategyKind::standard))
    ->Arg(static_cast<int>(honeyhive::LifecycleStrategyKind::high_concurrency))
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
