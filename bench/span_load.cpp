// span_load PRODUCERS SPANS_PER_PRODUCER: workload (b) (8 attributes + 1 event) in a tight loop from
// PRODUCERS threads through the batch processor with its default options into a discarding
// exporter; then a flush. Prints the processor's counts (drops are part of the score: a tracer
// that is fast because it throws spans away is not fast), the wall time per span and the peak
// resident set of the process. The rows: 1 x 1000000 (drops, peak RSS) and 2 x 500000.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "core/span_record_pool.hpp"
#include "workloads.hpp"

namespace {

using namespace honeyhive;

long peak_rss_kib() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return usage.ru_maxrss;  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: span_load PRODUCERS SPANS_PER_PRODUCER\n");
    return 2;
  }
  const long producers = std::strtol(argv[1], nullptr, 10);
  const long spans = std::strtol(argv[2], nullptr, 10);
  if (producers < 1 || producers > 64 || spans < 1) {
    std::fprintf(stderr, "span_load: PRODUCERS must be 1..64 and SPANS_PER_PRODUCER at least 1\n");
    return 2;
  }
  const long rss_before = peak_rss_kib();
  auto provider = bench::make_batch_discarding_provider();
  const BatchSpanProcessor* batch = nullptr;
  for (const auto& processor : provider->processors()) {
    batch = dynamic_cast<const BatchSpanProcessor*>(processor.get());
  }
  if (batch == nullptr) return 1;

  const std::uint64_t made_before = detail::made_span_records();
  const std::uint64_t deleted_before = detail::deleted_span_records();
  std::atomic<long> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (long t = 0; t < producers; ++t) {
    threads.emplace_back([&] {
      auto tracer = provider->get_tracer("bench");
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      for (long i = 0; i < spans; ++i) bench::start_end_8_attributes_1_event(*tracer);
    });
  }
  while (ready.load() < producers) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  go.store(true);
  for (auto& thread : threads) thread.join();
  const auto produced = std::chrono::steady_clock::now();
  const bool flushed = provider->force_flush(std::chrono::seconds(60));
  const auto stats = batch->stats();
  const double total = static_cast<double>(producers * spans);
  const double ns_per_span =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(produced - start).count()) / total;
  std::printf(
      "producers=%ld spans=%.0f enqueued=%llu exported=%llu dropped=%llu failed=%llu drop_pct=%.2f "
      "ns_per_span=%.1f new_records=%llu deleted_records=%llu stayed_awake=%llu peak_rss_kib=%ld rss_before_kib=%ld "
      "flushed=%s\n",
      producers, total, static_cast<unsigned long long>(stats.enqueued),
      static_cast<unsigned long long>(stats.exported), static_cast<unsigned long long>(stats.dropped),
      static_cast<unsigned long long>(stats.failed),
      stats.enqueued == 0 ? 0.0 : 100.0 * static_cast<double>(stats.dropped) / static_cast<double>(stats.enqueued),
      ns_per_span, static_cast<unsigned long long>(detail::made_span_records() - made_before),
      static_cast<unsigned long long>(detail::deleted_span_records() - deleted_before),
      static_cast<unsigned long long>(stats.stayed_awake), peak_rss_kib(), rss_before,
      flushed ? "yes" : "no");
  provider->shutdown();
  return flushed ? 0 : 1;
}
