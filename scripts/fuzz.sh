#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time
# (FUZZ_SECONDS, default 20) from its seed corpus. Fails on any crash, leak or sanitizer report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${HONEYHIVE_BUILD_ROOT:-$root/build}/fuzz"
seconds=${FUZZ_SECONDS:-20}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DHONEYHIVE_FUZZ=ON -DHONEYHIVE_BUILD_TESTS=OFF -DHONEYHIVE_BUILD_BENCHMARKS=OFF \
  -DHONEYHIVE_BUILD_EXAMPLES=OFF -DHONEYHIVE_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" --target traceparent_fuzz tracestate_fuzz baggage_fuzz
for target in traceparent tracestate baggage; do
  corpus=$(mktemp -d)
  cp "$root/tests/fuzz/corpus/$target/"* "$corpus/"
  echo "fuzz: $target for ${seconds}s"
  "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=9000 -print_final_stats=1 \
    -artifact_prefix="$build/${target}-" "$corpus" 2>"$build/${target}.log" || {
      tail -40 "$build/${target}.log"; echo "fuzz: $target FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units" "$build/${target}.log" | sed "s/^/fuzz: $target /"
  rm -rf "$corpus"
done
echo "fuzz: all parsers survived"
