#!/usr/bin/env bash
# Builds the performance issue's reference, opentelemetry-cpp v1.28.0, and the reference drivers of
# this directory against it, in Release -O2 like the issue's figures: its API and SDK, static, no
# tests, benchmarks or examples (its in-memory and ostream exporters build too; nothing uses them).
#
# usage: bench/otel_reference/build.sh <opentelemetry-cpp source tree at v1.28.0> [build dir]
#   e.g. git clone --branch v1.28.0 --depth 1 https://github.com/open-telemetry/opentelemetry-cpp /tmp/otel-cpp
#        bench/otel_reference/build.sh /tmp/otel-cpp
# Another version is refused (the issue's figures are of 1.28.0) unless OTEL_ANY_VERSION=1.
# Prints the paths of otel_ops (for bench/instructions.sh: SPAN_OPS=<path> CASES="a b c d") and
# otel_bench (for bench/otel_reference/rounds.sh). Each step's output goes to <build dir>/build.log,
# whose end is shown when a step fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source_dir="$(cd "${1:?path to an opentelemetry-cpp source tree (v1.28.0)}" && pwd)"
build="${2:-${repo}/build/otel-reference}"
[[ -f "${source_dir}/api/include/opentelemetry/version.h" ]] || { echo "${source_dir}: not an opentelemetry-cpp source tree" >&2; exit 2; }
version="$(sed -n 's/^# *define OPENTELEMETRY_VERSION "\(.*\)"/\1/p' "${source_dir}/api/include/opentelemetry/version.h")"
if [[ "${version}" != "1.28.0" ]]; then
  if [[ "${OTEL_ANY_VERSION:-}" != 1 ]]; then
    echo "${source_dir}: opentelemetry-cpp ${version:-of unknown version}; the issue's figures are of 1.28.0 (OTEL_ANY_VERSION=1 to build it anyway)" >&2
    exit 2
  fi
  echo "note: opentelemetry-cpp ${version}, the issue's figures are of 1.28.0" >&2
fi

mkdir -p "${build}"
log="${build}/build.log"
: >"${log}"
step() {
  if ! "$@" >>"${log}" 2>&1; then
    echo "failed: $*" >&2
    tail -n 40 "${log}" >&2
    exit 1
  fi
}
step cmake -S "${source_dir}" -B "${build}/otel-cpp" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DBUILD_TESTING=OFF -DWITH_BENCHMARK=OFF -DWITH_EXAMPLES=OFF -DWITH_FUNC_TESTS=OFF -DBUILD_SHARED_LIBS=OFF \
  -DOPENTELEMETRY_INSTALL=ON "-DCMAKE_INSTALL_PREFIX=${build}/install"
step cmake --build "${build}/otel-cpp"
step cmake --install "${build}/otel-cpp"
step cmake -S "${here}" -B "${build}/drivers" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  "-DCMAKE_PREFIX_PATH=${build}/install"
step cmake --build "${build}/drivers"
echo "opentelemetry-cpp ${version}: ${build}/drivers/otel_ops ${build}/drivers/otel_bench"
