#!/usr/bin/env bash
# The README's demo command. Installs missing build dependencies, builds the library and the
# examples in Release into build/release, and runs the quickstart example. Re-running reuses the
# build tree. Environment: HONEYHIVE_BUILD_ROOT (default <repo>/build).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/deps.sh
source "${repo}/scripts/deps.sh"
build_dir="${HONEYHIVE_BUILD_ROOT:-${repo}/build}/release"

honeyhive_install_deps

# A tree configured with another generator cannot be switched to Ninja in place.
if [[ -f "${build_dir}/CMakeCache.txt" ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "${build_dir}/CMakeCache.txt"; then
  rm -rf "${build_dir}"
fi
cmake -S "${repo}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHONEYHIVE_SANITIZE= \
  -DHONEYHIVE_BUILD_EXAMPLES=ON -DHONEYHIVE_BUILD_TESTS=OFF -DHONEYHIVE_BUILD_BENCHMARKS=OFF
cmake --build "${build_dir}" --target quickstart

echo
echo "==> ${build_dir}/examples/quickstart"
"${build_dir}/examples/quickstart"
