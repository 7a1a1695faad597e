#!/usr/bin/env bash
# Instructions per operation for every case of the performance issue, counted by valgrind's
# callgrind across all threads: (instructions at N - instructions at 0) / N, where both runs execute
# the same fixed-workload driver (bench/span_ops). Counts, unlike seconds, are the same on any
# machine for the same binary and inputs, whatever else the machine is doing.
#
# Builds the driver in Release (-O2, as the reference figures) unless SPAN_OPS names a binary,
# prints one line per case with its target, and exits non-zero when a case misses its target.
# A case whose spans ran on records made new says how many beyond the run at 0 (when more than 8, a
# thread's own list): in the batch cases, spans in flight before the export thread first returned
# theirs; the batch cases' counts move with that number, which depends on when valgrind lets the
# export thread run.
#
# usage: bench/instructions.sh [N]        (N: spans per case, default 20000)
# environment: SPAN_OPS=<path to span_ops>  use this binary instead of building one
#              BUILD_DIR=<dir>              where to build it (default build/instructions)
#              CASES="a b ..."              only these cases (default: all)
#              FAIR_SCHED=yes               valgrind --fair-sched=yes (threads take turns more evenly;
#                                           the batch cases' counts then move less from run to run)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-20000}"

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
binary="${SPAN_OPS:-}"
if [[ -z "${binary}" ]]; then
  build="${BUILD_DIR:-${repo}/build/instructions}"
  cmake -S "${repo}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    -DHONEYHIVE_BUILD_TESTS=OFF -DHONEYHIVE_BUILD_EXAMPLES=OFF -DHONEYHIVE_BUILD_TOOLS=OFF \
    -DHONEYHIVE_BUILD_BENCHMARKS=ON -DHONEYHIVE_SANITIZE= >/dev/null
  cmake --build "${build}" --target span_ops >/dev/null
  binary="${build}/bench/span_ops"
fi

# Instructions of one run of `span_ops workload count`, all threads together. Span times come from
# CLOCK_MONOTONIC in these runs: the time-stamp counter path (src/core/tsc_clock.hpp) starts only
# after a calibration whose timing under valgrind varies, and would make the counts vary with it.
# (It is the cheaper path: these counts are the dearer one's.)
# The driver's report of the span records it made new (span workloads only) goes to ${work}/made.
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
count() {
  local out="${work}/callgrind.out" log="${work}/driver.log"
  if ! HONEYHIVE_SPAN_CLOCK=monotonic valgrind --tool=callgrind --fair-sched="${FAIR_SCHED:-no}" --callgrind-out-file="${out}" \
    "${binary}" "$1" "$2" >/dev/null 2>"${log}"; then
    echo "$(basename "${binary}") $1 $2 failed under valgrind:" >&2
    cat "${log}" >&2
    return 1
  fi
  awk '/^summary:/ {print $2}' "${out}"
  awk '/^records made new:/ {print $4; exit}' "${log}" >"${work}/made"
  rm -f "${out}"
}

# case  workload          operations per run  divisor (per span)  target   description
cases=(
  "a    bsp_start_end     ${n}              1     900   start + end, no attributes (batch processor)"
  "b    bsp_attrs8_event  ${n}              1     2500  start + end, 8 attributes + 1 event (batch processor)"
  "c    bsp_nested3       $((n / 3))        3     1100  3-deep nested spans, per span (batch processor)"
  "d    inject_extract_trace_context ${n}   1     800   W3C traceparent inject + extract, map carrier (trace context propagator)"
  "e    encode_proto_512  $((n / 512 + 1))  512   1500  OTLP protobuf encode of a 512-span batch of (b), per span"
  "t    typed_json10      ${n}              1     6000  typed model span, inputs/outputs/metadata of 10 keys each"
  "-    typed_json10      $((n * 10))       1     0     typed at 10 N: the first 1,000 spans' records (made new, see BENCHMARKS.md) weigh a tenth as much"
  "-    typed_json10_varied ${n}            1     0     typed, every other span's texts of other lengths, for reference"
  "-    typed_json10_in_chain ${n}          1     0     typed, each a child of one chain span (parent baggage: the tracer's)"
  "-    typed_json10_simple ${n}            1     0     typed through the simple processor: one record, the same count every run"
  "-    typed_json10_new  $((n / 10 + 1))   1     0     typed, every span on a record made new (an exporter keeps them all)"
  "-    start_end         ${n}              1     0     (a) through the simple processor, for reference"
  "-    attrs8_event      ${n}              1     0     (b) through the simple processor, for reference"
  "-    inject_extract    ${n}              1     0     (d) through the default propagator (trace context + baggage: 3 headers read)"
  "-    inject_extract_baggage ${n}         1     0     the default propagator with a 3-member tracestate and 5 baggage entries"
  "-    map_carrier_floor ${n}              1     0     the map carrier alone: clear + one header write + 3 reads (the floor of the default propagator's d)"
  "-    encode_json_512   $((n / 512 + 1))  512   0     OTLP/JSON encode of the batch of (e), per span"
)

selected=" ${CASES:-a b c d e t -} "
min_made_shown=8 # records made new that the note leaves out (a thread's own list holds 8)
missed=0
printf '%-4s %-28s %12s %8s  %s\n' case workload "instr/span" target result
for line in "${cases[@]}"; do
  read -r name workload runs divisor target description <<<"${line}"
  [[ "${selected}" == *" ${name} "* ]] || continue
  base="$(count "${workload}" 0)"
  made_at_base="$(cat "${work}/made")"
  total="$(count "${workload}" "${runs}")"
  made="$(cat "${work}/made")"
  per=$(((total - base) / (runs * divisor)))
  result="-"
  if ((target > 0)); then
    if ((per <= target)); then result="ok"; else result="MISSED"; missed=$((missed + 1)); fi
  fi
  # Span records made new beyond the run at 0, when more than a thread's own list holds: in the batch
  # cases, spans in flight before the export thread first returned theirs (see BENCHMARKS.md), and
  # the counts move with it; in typed_json10_new, every span (its exporter keeps them all).
  if [[ -n "${made}" && -n "${made_at_base}" ]] && ((made - made_at_base > min_made_shown)); then
    description="${description} [records made new: $((made - made_at_base))]"
  fi
  printf '%-4s %-28s %12d %8s  %-6s %s\n' "${name}" "${workload}" "${per}" "${target/#0/-}" "${result}" "${description}"
done
if ((missed)); then
  echo "${missed} case(s) over their instruction target"
  exit 1
fi
echo "every case within its instruction target"
