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
  valgrind --tool=callgrind --callgrind-out-file="$out" "$binary" "$1" "$2" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$out"
  rm -f "$out"
}
for workload in start_end attrs8_event nested3; do
  base=$(count "$workload" 0)
  total=$(count "$workload" "$n")
  per=$(( (total - base) / n ))
  [ "$workload" = nested3 ] && per="$per per call ($(( (total - base) / (3 * n) )) per span)"
  echo "$workload: $per instructions/op"
done
