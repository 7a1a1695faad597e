#!/usr/bin/env bash
# Builds the performance issue's reference, opentelemetry-cpp v1.28.0, and the reference drivers of
# this directory against it, in Release -O2 like the issue's figures: only its API and SDK (no
# exporter, no test), static.
#
# usage: bench/otel_reference/build.sh <opentelemetry-cpp source tree at v1.28.0> [build dir]
#   e.g. git clone --branch v1.28.0 --depth 1 https://github.com/open-telemetry/opentelemetry-cpp /tmp/otel-cpp
#        bench/otel_reference/build.sh /tmp/otel-cpp
# Prints the paths of otel_ops (for bench/instructions.sh: SPAN_OPS=<path> CASES="a b c d") and
# otel_bench (for bench/otel_reference/rounds.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source_dir="$(cd "${1:?path to an opentelemetry-cpp source tree (v1.28.0)}" && pwd)"
build="${2:-${repo}/build/otel-reference}"
[[ -f "${source_dir}/api/include/opentelemetry/version.h" ]] || { echo "${source_dir}: not an opentelemetry-cpp source tree" >&2; exit 2; }
version="$(sed -n 's/^# *define OPENTELEMETRY_VERSION "\(.*\)"/\1/p' "${source_dir}/api/include/opentelemetry/version.h")"
[[ "${version}" == "1.28.0" ]] || echo "note: opentelemetry-cpp ${version}, the issue's figures are of 1.28.0" >&2

cmake -S "${source_dir}" -B "${build}/otel-cpp" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DBUILD_TESTING=OFF -DWITH_BENCHMARK=OFF -DWITH_EXAMPLES=OFF -DWITH_FUNC_TESTS=OFF -DBUILD_SHARED_LIBS=OFF \
  -DOPENTELEMETRY_INSTALL=ON "-DCMAKE_INSTALL_PREFIX=${build}/install" >/dev/null
cmake --build "${build}/otel-cpp" >/dev/null
cmake --install "${build}/otel-cpp" >/dev/null
cmake -S "${here}" -B "${build}/drivers" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  "-DCMAKE_PREFIX_PATH=${build}/install" >/dev/null
cmake --build "${build}/drivers" >/dev/null
echo "opentelemetry-cpp ${version}: ${build}/drivers/otel_ops ${build}/drivers/otel_bench"
