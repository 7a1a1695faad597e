#!/usr/bin/env bash
# Atomic read-modify-write instructions per operation (x86-64 `lock`-prefixed instructions and
# `xchg` with memory), counted by valgrind's callgrind: (count at B - count at A) / (B - A), per
# function of the driver. Instruction counts do not show these, yet each one drains the store
# buffer and, on a line another core wrote, waits for the line: on this project's machine an
# uncontended one costs several times an ordinary instruction. Like instruction counts, the figure
# is the same on any machine for the same binary.
#
# Only the driver's own code is read (the library is linked in statically); atomics inside libc or
# libstdc++ (malloc's, a mutex's, a condition variable's) are not counted.
#
# usage: bench/locked_ops.sh <path to span_ops> <workload> [A B]     (default A=2000, B=6000)
set -euo pipefail
binary=${1:?path to span_ops}
workload=${2:?workload, e.g. bsp_start_end}
a=${3:-2000}
b=${4:-6000}
((b > a)) || { echo "B must be larger than A" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
command -v objdump >/dev/null || { echo "objdump is needed (apt-get install binutils)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

# Address (hex, no 0x) and function of every atomic read-modify-write instruction in the binary.
objdump -d --no-show-raw-insn -C "${binary}" | awk '
  /^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn); next }
  /^ *[0-9a-f]+:\t/ {
    split($0, part, "\t"); addr = part[1]; gsub(/[ :]/, "", addr); insn = part[2]
    if (insn ~ /^lock / || insn ~ /^xchg +[^,]*\(/ || insn ~ /^xchg +[^,]*,[^,]*\(/) print addr "\t" fn
  }' >"${work}/locked"

# Per locked address, the times it ran in one callgrind run of `span_ops workload n`.
count() {
  HONEYHIVE_SPAN_CLOCK=monotonic valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no \
    --callgrind-out-file="${work}/out.$1" "${binary}" "${workload}" "$1" >/dev/null 2>&1 ||
    { echo "span_ops ${workload} $1 failed under valgrind" >&2; exit 1; }
  # Cost lines are "0x<address> <line> <count>"; the one after "calls=" is a call's inclusive cost.
  awk -v object="$(basename "${binary}")" '
    /^ob=/ { ob = substr($0, 4); mine = (ob ~ ("/" object "$") || ob == object); next }
    /^calls=/ { skip = 1; next }
    /^0x[0-9a-f]+ / { if (skip) { skip = 0; next } if (mine) { sub(/^0x/, "", $1); n[$1] += $NF } next }
    { skip = 0 }
    END { for (k in n) print k "\t" n[k] }' "${work}/out.$1" >"${work}/count.$1"
}
count "${a}"
count "${b}"

awk -F'\t' -v span=$((b - a)) '
  FILENAME == ARGV[1] { fn[$1] = $2; next }
  FILENAME == ARGV[2] { if ($1 in fn) at_a[$1] = $2; next }
  { if ($1 in fn) at_b[$1] = $2 }
  END {
    for (k in at_b) per[fn[k]] += (at_b[k] - at_a[k]) / span
    for (f in per) if (per[f] >= 0.005) { printf "%7.2f  %s\n", per[f], f | "sort -k1,1 -n -r"; total += per[f] }
    close("sort -k1,1 -n -r")
    printf "%7.2f  total per operation (%s, between %d and %d)\n", total, "'"${workload}"'", '"${a}"', '"${b}"'
  }' "${work}/locked" "${work}/count.${a}" "${work}/count.${b}"
