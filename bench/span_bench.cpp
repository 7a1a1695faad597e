#include <benchmark/benchmark.h>

#include <honeyhive/export/otlp_proto.hpp>

#include "core/span_record_pool.hpp"
#include "workloads.hpp"

namespace {

using namespace honeyhive;

// The span records made new (the pool's misses) per 100 spans since `made_before`, as a counter:
// with the batch processor, spans end on the producer and are released on the export thread, and a
// record the pool cannot take back is deleted there and made again for a later span.
void report_new_records(benchmark::State& state, std::uint64_t made_before, std::int64_t spans) {
  const std::uint64_t made = detail::made_span_records() - made_before;
  state.counters["new_records_pct"] = spans <= 0 ? 0.0 : 100.0 * static_cast<double>(made) / static_cast<double>(spans);
}

// The batch processor's drop percentage, as a counter (drops are part of the score).
void report_drops(benchmark::State& state, const Provider& provider) {
  for (const auto& processor : provider.processors()) {
    if (const auto* batch = dynamic_cast<const BatchSpanProcessor*>(processor.get())) {
      const auto stats = batch->stats();
      state.counters["drop_pct"] =
          stats.enqueued == 0 ? 0.0 : 100.0 * static_cast<double>(stats.dropped) / static_cast<double>(stats.enqueued);
    }
  }
}

// Runs `workload` (spans_per_call spans per call) through `provider`'s tracer. With the batch
// processor, what is still queued is flushed afterwards and the drops are reported.
void run_span_workload(benchmark::State& state, const std::shared_ptr<Provider>& provider, void (*workload)(Tracer&),
                       std::int64_t spans_per_call, bool batch) {
  auto tracer = provider->get_tracer("bench");
  const std::uint64_t made_before = detail::made_span_records();
  for (auto _ : state) workload(*tracer);
  state.SetItemsProcessed(state.iterations() * spans_per_call);
  if (batch) {
    provider->force_flush(std::chrono::milliseconds(10000));
    report_drops(state, *provider);
    report_new_records(state, made_before, state.iterations() * spans_per_call);
  }
}

void BM_StartEnd_NoAttributes(benchmark::State& state) {
  run_span_workload(state, bench::make_discarding_provider(), bench::start_end, 1, false);
}
BENCHMARK(BM_StartEnd_NoAttributes);

void BM_StartEnd_8Attributes_1Event(benchmark::State& state) {
  run_span_workload(state, bench::make_discarding_provider(), bench::start_end_8_attributes_1_event, 1, false);
}
BENCHMARK(BM_StartEnd_8Attributes_1Event);

void BM_Nested3_PerSpan(benchmark::State& state) {
  run_span_workload(state, bench::make_discarding_provider(), bench::nested_3, 3, false);
}
BENCHMARK(BM_Nested3_PerSpan);

// The rows (a) and (c) through the batch processor with its default options (queue 2048,
// batch 512); no flushes inside the loop, so the export thread must keep up on its own.
void BM_Bsp_StartEnd_NoAttributes(benchmark::State& state) {
  run_span_workload(state, bench::make_batch_discarding_provider(), bench::start_end, 1, true);
}
BENCHMARK(BM_Bsp_StartEnd_NoAttributes);

void BM_Bsp_Nested3_PerSpan(benchmark::State& state) {
  run_span_workload(state, bench::make_batch_discarding_provider(), bench::nested_3, 3, true);
}
BENCHMARK(BM_Bsp_Nested3_PerSpan);

// Typed HoneyHive model spans whose inputs, outputs and metadata are 10-key JSON objects, through the
// tracer's default pipeline (enrichment + the batch processor, or the simple one without `batch`)
// into a discarding exporter.
void typed_model_spans(benchmark::State& state, bool batch) {
  auto tracer = bench::make_discarding_honeyhive_tracer(batch);
  if (!tracer) {
    state.SkipWithError("could not build the tracer");
    return;
  }
  const nlohmann::json value = bench::make_json_10_keys();
  const std::uint64_t made_before = detail::made_span_records();
  for (auto _ : state) bench::typed_model_span(*tracer, value);
  state.SetItemsProcessed(state.iterations());
  tracer->flush(std::chrono::milliseconds(10000));
  report_new_records(state, made_before, state.iterations());
  tracer->shutdown();
}

// The typed row.
void BM_TypedModelSpan_Json10(benchmark::State& state) { typed_model_spans(state, true); }
BENCHMARK(BM_TypedModelSpan_Json10);

// For reference: the same spans through the simple processor, so every span runs on the one record
// its predecessor ended on, still in this core's cache. The batch processor's spans take records
// back from a rotation of at least a batch (512 spans, a few MB for typed spans) that the export
// thread recycled on its core: the difference is what reaching those records costs.
void BM_TypedModelSpan_Json10_SimpleProcessor(benchmark::State& state) { typed_model_spans(state, false); }
BENCHMARK(BM_TypedModelSpan_Json10_SimpleProcessor);

void BM_SetStructured_10Keys(benchmark::State& state) {
  auto provider = bench::make_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  const nlohmann::json inputs = {{"question", "How long do refunds take?"},
                                 {"user", {{"id", 123}, {"plan", "pro"}}},
                                 {"top_k", 3},
                                 {"temperature", 0.2},
                                 {"stream", false},
                                 {"tags", {"a", "b"}},
                                 {"model", "sim-gpt-small"},
                                 {"locale", "en-GB"},
                                 {"retries", 2}};
  for (auto _ : state) {
    auto span = tracer->start_span("model");
    span.set_structured("honeyhive_inputs", inputs);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetStructured_10Keys);

void BM_OtlpJsonEncode_512(benchmark::State& state) {
  const auto spans = bench::make_spans_8_attributes_1_event(512);
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_otlp_json(spans, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OtlpJsonEncode_512);

// As OtlpHttpExporter encodes: into one string reused across batches.
void BM_OtlpProtoEncode_512(benchmark::State& state) {
  const auto spans = bench::make_spans_8_attributes_1_event(512);
  std::string out;
  for (auto _ : state) {
    if (!encode_otlp_proto_reusing(spans, out)) state.SkipWithError("out of memory");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OtlpProtoEncode_512);

// Appending to a cleared string: the bytes are zero-filled again on every batch.
void BM_OtlpProtoEncode_512_Append(benchmark::State& state) {
  const auto spans = bench::make_spans_8_attributes_1_event(512);
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_otlp_proto(spans, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OtlpProtoEncode_512_Append);

// on_end cost into the batch processor with 1, 2 and 8 producer threads (b-shaped spans). The
// provider is made before the threads start and released after they all ended (Setup/Teardown run
// on one thread): made by thread 0 inside the benchmark, other threads read it while it was being
// replaced (a data race that crashed one run in three).
std::shared_ptr<Provider> g_batch_provider;
std::uint64_t g_made_records_before = 0;
void SetUpBatchProvider(const benchmark::State&) {
  g_batch_provider = bench::make_batch_discarding_provider();
  g_made_records_before = detail::made_span_records();
}
void TearDownBatchProvider(const benchmark::State&) { g_batch_provider.reset(); }

void BM_BatchProcessor_8Attributes_1Event(benchmark::State& state) {
  auto tracer = g_batch_provider->get_tracer("bench");
  for (auto _ : state) bench::start_end_8_attributes_1_event(*tracer);
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Drops are part of the score: a tracer that is fast because it discards spans is not fast.
    g_batch_provider->force_flush(std::chrono::milliseconds(10000));
    report_drops(state, *g_batch_provider);
    report_new_records(state, g_made_records_before, state.iterations() * state.threads());
  }
}
BENCHMARK(BM_BatchProcessor_8Attributes_1Event)
    ->Setup(SetUpBatchProvider)
    ->Teardown(TearDownBatchProvider)
    ->Threads(1)
    ->Threads(2)
    ->Threads(8)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
