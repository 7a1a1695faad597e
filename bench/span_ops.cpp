// span_ops WORKLOAD N: runs one workload N times (see bench/callgrind.sh).
#include <cstdlib>
#include <cstring>
#include <cstdio>

#include "workloads.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: span_ops start_end|attrs8_event|nested3 N\n");
    return 2;
  }
  const long n = std::strtol(argv[2], nullptr, 10);
  auto provider = honeyhive::bench::make_discarding_provider();
  auto tracer = provider->get_tracer("bench");
  void (*workload)(honeyhive::Tracer&) = nullptr;
  if (std::strcmp(argv[1], "start_end") == 0) workload = honeyhive::bench::start_end;
  if (std::strcmp(argv[1], "attrs8_event") == 0) workload = honeyhive::bench::start_end_8_attributes_1_event;
  if (std::strcmp(argv[1], "nested3") == 0) workload = honeyhive::bench::nested_3;
  if (workload == nullptr) return 2;
  // One warm-up call outside the count so both runs pay the same one-time costs (thread-local
  // set-up, first allocations).
  workload(*tracer);
  for (long i = 0; i < n; ++i) workload(*tracer);
  return 0;
}
