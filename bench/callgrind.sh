#!/usr/bin/env bash
# Instructions per operation, counted by valgrind's callgrind across all threads:
# (instructions at N - instructions at 0) / N. Stable across machines for the same binary.
# usage: bench/callgrind.sh <path to span_ops> [N]
set -euo pipefail
binary=${1:?path to span_ops}
n=${2:-20000}
count() {
  local out
  out=$(mktemp)
  HONEYHIVE_SPAN_CLOCK=monotonic valgrind --tool=callgrind --callgrind-out-file="$out" "$binary" "$1" "$2" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$out"
  rm -f "$out"
}
workloads=${WORKLOADS:-"start_end attrs8_event nested3 bsp_start_end bsp_attrs8_event inject_extract inject_extract_baggage encode_proto_512 encode_proto_512_append encode_json_512"}
for workload in $workloads; do
  runs=$n
  case "$workload" in encode_*) runs=$(( n / 500 > 0 ? n / 500 : 1 )) ;; esac
  base=$(count "$workload" 0)
  total=$(count "$workload" "$runs")
  per=$(( (total - base) / runs ))
  case "$workload" in
    nested3) per="$per per call, $(( (total - base) / (3 * runs) )) per span" ;;
    encode_*) per="$per per batch, $(( (total - base) / (512 * runs) )) per span" ;;
  esac
  echo "$workload: $per instructions/op"
done
