#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time
# (FUZZ_SECONDS, default 20) from its seed corpus: the traceparent, tracestate and baggage parsers,
# the OTLP request decoders (otlp_decode), structured values and raw bytes through the flattening,
# both encoders and the HoneyHive event mapping (structured_encode), and configuration read from any
# environment, whose API key must not show in its report (config_env). Fails on any crash, leak or
# sanitizer report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${HONEYHIVE_BUILD_ROOT:-$root/build}/fuzz"
seconds=${FUZZ_SECONDS:-20}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DHONEYHIVE_FUZZ=ON -DHONEYHIVE_BUILD_TESTS=OFF -DHONEYHIVE_BUILD_BENCHMARKS=OFF \
  -DHONEYHIVE_BUILD_EXAMPLES=OFF -DHONEYHIVE_BUILD_TOOLS=OFF >/dev/null
targets=(traceparent tracestate baggage otlp_decode structured_encode config_env)
cmake --build "$build" --target "${targets[@]/%/_fuzz}"
# The fuzzers run at the same time (each is single-threaded; the machine has cores to spare), each
# into its own log; a failure prints the end of that log.
run_fuzzer() {
  local target="$1" corpus
  corpus=$(mktemp -d)
  cp "$root/tests/fuzz/corpus/$target/"* "$corpus/"
  local status=0
  "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=9000 -print_final_stats=1 \
    -artifact_prefix="$build/${target}-" "$corpus" 2>"$build/${target}.log" || status=$?
  rm -rf "$corpus"
  return "$status"
}
pids=()
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s"
  run_fuzzer "$target" &
  pids+=($!)
done
failed=0
for index in "${!targets[@]}"; do
  target="${targets[index]}"
  if wait "${pids[index]}"; then
    grep -E "stat::number_of_executed_units" "$build/${target}.log" | sed "s/^/fuzz: $target /"
  else
    tail -40 "$build/${target}.log"
    echo "fuzz: $target FAILED"
    failed=1
  fi
done
if ((failed)); then exit 1; fi
echo "fuzz: every target survived"
