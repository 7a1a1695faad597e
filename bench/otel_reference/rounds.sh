#!/usr/bin/env bash
# Times the performance issue's cases (a)-(d) through opentelemetry-cpp and honeyhive-cpp side by side
# on this machine: in each round every case runs once through each library, alternately, each case
# alone in its process, and a line gives the two Google Benchmark medians of 5 repetitions (ns per
# span; (c) per span of the 3) and their ratio. The issue's time targets are absolute figures from
# its machine; the ratio is what carries over to another one.
#
# usage: bench/otel_reference/rounds.sh <otel_bench> <span_bench> [rounds, default 3]
#   (otel_bench from bench/otel_reference/build.sh; span_bench from a Release -O2 build of this
#   repository with -DHONEYHIVE_BUILD_BENCHMARKS=ON, see BENCHMARKS.md)
set -euo pipefail
otel="${1:?path to otel_bench}"
honeyhive="${2:?path to span_bench}"
rounds="${3:-3}"

# Median ns per iteration of one benchmark, run alone: "<ns> <drop_pct or ->".
median() {
  "$1" --benchmark_filter="^$2\$" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null |
    awk '/_median/ { ns = $2; drop = "-"; for (i = 1; i <= NF; ++i) if ($i ~ /^drop_pct=/) { drop = substr($i, 10) }
                     print ns, drop; exit }'
}

# case  per  opentelemetry-cpp benchmark                          honeyhive-cpp benchmark
cases=(
  "a 1 BM_Otel_Bsp_StartEnd_NoAttributes BM_Bsp_StartEnd_NoAttributes"
  "b 1 BM_Otel_BatchProcessor_8Attributes_1Event/real_time BM_BatchProcessor_8Attributes_1Event/real_time/threads:1"
  "c 3 BM_Otel_Bsp_Nested3_PerSpan BM_Bsp_Nested3_PerSpan"
  "d 1 BM_Otel_InjectExtract_Traceparent BM_InjectExtract_TraceparentOnly"
)
printf '%-6s %-5s %19s %20s %7s\n' round case "otel-cpp ns (drop%)" "honeyhive ns (drop%)" ratio
for ((r = 1; r <= rounds; ++r)); do
  for line in "${cases[@]}"; do
    read -r name per otel_case honeyhive_case <<<"${line}"
    read -r otel_ns otel_drop <<<"$(median "${otel}" "${otel_case}")"
    read -r hh_ns hh_drop <<<"$(median "${honeyhive}" "${honeyhive_case}")"
    awk -v r="${r}" -v c="${name}" -v per="${per}" -v o="${otel_ns}" -v od="${otel_drop}" -v h="${hh_ns}" -v hd="${hh_drop}" \
      -v load="$(cut -d' ' -f1 /proc/loadavg)" \
      'function pct(d) { return d == "-" ? "-" : sprintf("%.2f", d) }
       BEGIN { printf "%-6s %-5s %10.0f (%6s) %11.0f (%6s) %7.3f   load %s\n", r, c, o / per, pct(od), h / per, pct(hd), h / o, load }'
  done
done
