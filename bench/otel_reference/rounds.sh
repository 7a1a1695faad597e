#!/usr/bin/env bash
# Times the performance issue's cases (a)-(d) through opentelemetry-cpp and honeyhive-cpp side by side
# on this machine: in each round every case runs once through each library (which one goes first
# alternates from round to round), each case alone in its process, and a line gives the two Google
# Benchmark medians of 5 repetitions (ns per span; (c) per span of the 3), drops where the benchmark
# reports them, and the ratio of the two times. The issue's time targets are absolute figures from
# its machine; the ratio compares the two libraries under the same conditions here (for the batch
# cases those conditions include the cores and what else runs on them).
#
# usage: bench/otel_reference/rounds.sh <otel_bench> <span_bench> [rounds, default 3]
#   otel_bench from bench/otel_reference/build.sh; span_bench from a Release -O2 build of this
#   repository, as the reference is built (BENCHMARKS.md, "How to reproduce": build/rel).
# Exits 1 when a benchmark fails or reports no time (its output is then shown).
set -euo pipefail
otel="${1:?path to otel_bench}"
honeyhive="${2:?path to span_bench}"
rounds="${3:-3}"
log="$(mktemp)"
trap 'rm -f "${log}"' EXIT

# "<median ns> <drop_pct or ->" of one benchmark run alone, read from its CSV report (the console
# report abbreviates small counters with unit prefixes: 0.005 prints as 5m).
median() {
  if ! "$1" --benchmark_filter="^$2\$" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_format=csv >"${log}" 2>&1; then
    echo "$2 failed:" >&2
    cat "${log}" >&2
    return 1
  fi
  awk -F, '
    /^name,/ { for (i = 1; i <= NF; ++i) { gsub(/"/, "", $i); column[$i] = i }; next }
    /_median"?,/ && ("real_time" in column) {
      if ($column["time_unit"] != "ns") exit 1
      drop = ("drop_pct" in column && $column["drop_pct"] != "") ? $column["drop_pct"] : "-"
      print $column["real_time"], drop; found = 1; exit
    }
    END { if (!found) exit 1 }' "${log}" || {
    echo "$2: no median in ns in its report:" >&2
    cat "${log}" >&2
    return 1
  }
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
    if ((r % 2 == 1)); then
      otel_result="$(median "${otel}" "${otel_case}")"
      hh_result="$(median "${honeyhive}" "${honeyhive_case}")"
    else
      hh_result="$(median "${honeyhive}" "${honeyhive_case}")"
      otel_result="$(median "${otel}" "${otel_case}")"
    fi
    read -r otel_ns otel_drop <<<"${otel_result}"
    read -r hh_ns hh_drop <<<"${hh_result}"
    awk -v r="${r}" -v c="${name}" -v per="${per}" -v o="${otel_ns}" -v od="${otel_drop}" -v h="${hh_ns}" -v hd="${hh_drop}" \
      -v load="$(cut -d' ' -f1 /proc/loadavg)" \
      'function pct(d) { return d == "-" ? "-" : sprintf("%.2f", d) }
       BEGIN {
         if (o + 0 <= 0 || h + 0 <= 0) { print "round " r " case " c ": a time is not positive" > "/dev/stderr"; exit 1 }
         printf "%-6s %-5s %10.0f (%6s) %11.0f (%6s) %7.3f   load %s\n", r, c, o / per, pct(od), h / per, pct(hd), h / o, load
       }'
  done
done
