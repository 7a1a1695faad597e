#!/usr/bin/env bash
# Installs honeyhive into a scratch prefix and builds and runs tests/install/consumer against it,
# as a static and as a shared library (BUILD_SHARED_LIBS=ON), or only one of them (--variants).
#
# Usage: run_install_test.sh SOURCE_DIR SCRATCH_DIR CXX_COMPILER [options]
#   --build-type=TYPE           CMAKE_BUILD_TYPE of both builds (default None: no flags)
#   --generator=NAME            CMake generator (default: CMake's)
#   --make-program=PATH         CMAKE_MAKE_PROGRAM for that generator
#   --sanitize=VALUE            HONEYHIVE_SANITIZE of the library build ('', address, thread)
#   --sanitize-cxx-flags=FLAGS  compiler flags that sanitizer needs in the consumer
#   --sanitize-link-flags=FLAGS linker flags that sanitizer needs in the consumer
#   --cxx-flags=FLAGS           CMAKE_CXX_FLAGS of the parent build, for both builds
#   --exe-linker-flags=FLAGS    CMAKE_EXE_LINKER_FLAGS of the parent build, for both builds
#   --shared-linker-flags=FLAGS CMAKE_SHARED_LINKER_FLAGS of the parent build, for the library
#   --variants=LIST             which libraries to test: static,shared (the default), static or shared
# The library build trees in SCRATCH_DIR are reused between runs; the install prefixes and the
# consumer builds are always made from nothing.
set -euo pipefail

if (($# < 3)); then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
source_dir="$(cd "$1" && pwd)"
scratch_dir="$2"
cxx="$3"
shift 3

build_type=None
generator=()
make_program=()
sanitize=""
sanitize_cxx_flags=""
sanitize_link_flags=""
cxx_flags=""
exe_linker_flags=""
shared_linker_flags=""
variants="static,shared"
for option in "$@"; do
  case "${option}" in
    --build-type=*) build_type="${option#*=}" ;;
    --generator=*) if [[ -n "${option#*=}" ]]; then generator=(-G "${option#*=}"); fi ;;
    --make-program=*) if [[ -n "${option#*=}" ]]; then make_program=("-DCMAKE_MAKE_PROGRAM=${option#*=}"); fi ;;
    --sanitize=*) sanitize="${option#*=}" ;;
    --sanitize-cxx-flags=*) sanitize_cxx_flags="${option#*=}" ;;
    --sanitize-link-flags=*) sanitize_link_flags="${option#*=}" ;;
    --cxx-flags=*) cxx_flags="${option#*=}" ;;
    --exe-linker-flags=*) exe_linker_flags="${option#*=}" ;;
    --shared-linker-flags=*) shared_linker_flags="${option#*=}" ;;
    --variants=*) variants="${option#*=}" ;;
    *)
      echo "unknown option: ${option}" >&2
      exit 2
      ;;
  esac
done

mkdir -p "${scratch_dir}"
scratch_dir="$(cd "${scratch_dir}" && pwd)"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The directory holding the library files under `prefix` (lib, lib64 or lib/<multiarch>).
library_dir() {
  local prefix="$1" config
  config="$(find "${prefix}" -name honeyhiveConfig.cmake -print -quit)"
  [[ -n "${config}" ]] || fail "no honeyhiveConfig.cmake installed under ${prefix}"
  # <libdir>/cmake/honeyhive/honeyhiveConfig.cmake
  dirname "$(dirname "$(dirname "${config}")")"
}

# Only the library is built: every HONEYHIVE_BUILD_* option of the project (tests, benchmarks,
# examples, tools, ...) is turned off.
build_options_off=()
while IFS= read -r name; do
  build_options_off+=("-D${name}=OFF")
done < <(sed -n 's/^[[:space:]]*option([[:space:]]*\(HONEYHIVE_BUILD_[A-Z0-9_]*\).*/\1/p' "${source_dir}/CMakeLists.txt")

run_variant() {
  local variant="$1" shared="$2"
  local library_build="${scratch_dir}/${variant}/library-build"
  local prefix="${scratch_dir}/${variant}/prefix"
  local consumer_build="${scratch_dir}/${variant}/consumer-build"
  echo "=== ${variant}: build and install honeyhive into ${prefix}"
  rm -rf "${prefix}" "${consumer_build}"

  cmake -S "${source_dir}" -B "${library_build}" "${generator[@]}" "${make_program[@]}" \
    -DCMAKE_CXX_COMPILER="${cxx}" -DCMAKE_BUILD_TYPE="${build_type}" \
    -DCMAKE_CXX_FLAGS="${cxx_flags}" -DCMAKE_EXE_LINKER_FLAGS="${exe_linker_flags}" \
    -DCMAKE_SHARED_LINKER_FLAGS="${shared_linker_flags}" \
    -DBUILD_SHARED_LIBS="${shared}" -DHONEYHIVE_SANITIZE="${sanitize}" \
    -DHONEYHIVE_BUILD_TESTS=OFF -DHONEYHIVE_BUILD_BENCHMARKS=OFF -DHONEYHIVE_BUILD_EXAMPLES=OFF \
    "${build_options_off[@]}" -DHONEYHIVE_FUZZ=OFF
  cmake --build "${library_build}"
  # Installed to a prefix chosen only now: the package must not depend on the configured prefix.
  cmake --install "${library_build}" --prefix "${prefix}"

  diff -r "${source_dir}/include/honeyhive" "${prefix}/include/honeyhive" \
    || fail "the installed headers differ from include/honeyhive"
  local libdir
  libdir="$(library_dir "${prefix}")"
  if [[ "${shared}" == ON ]]; then
    compgen -G "${libdir}/libhoneyhive.so*" >/dev/null || fail "no libhoneyhive.so installed in ${libdir}"
    [[ ! -e "${libdir}/libhoneyhive.a" ]] || fail "a shared build installed libhoneyhive.a"
  else
    [[ -f "${libdir}/libhoneyhive.a" ]] || fail "no libhoneyhive.a installed in ${libdir}"
  fi

  echo "=== ${variant}: build and run the consumer against ${prefix}"
  cmake -S "${source_dir}/tests/install/consumer" -B "${consumer_build}" "${generator[@]}" "${make_program[@]}" \
    -DCMAKE_CXX_COMPILER="${cxx}" -DCMAKE_BUILD_TYPE="${build_type}" -DCMAKE_PREFIX_PATH="${prefix}" \
    -DCMAKE_CXX_FLAGS="${cxx_flags} ${sanitize_cxx_flags}" \
    -DCMAKE_EXE_LINKER_FLAGS="${exe_linker_flags} ${sanitize_link_flags}"
  local found_dir
  found_dir="$(sed -n 's/^honeyhive_DIR:PATH=//p' "${consumer_build}/CMakeCache.txt")"
  [[ "${found_dir}" == "${prefix}"/* ]] || fail "the consumer found honeyhive in '${found_dir}', not under ${prefix}"
  cmake --build "${consumer_build}"

  local consumer="${consumer_build}/consumer"
  local needed
  needed="$(readelf -d "${consumer}" | grep -c 'NEEDED.*libhoneyhive\.so' || true)"
  if [[ "${shared}" == ON ]]; then
    ((needed == 1)) || fail "the consumer is not linked against libhoneyhive.so"
    local loaded
    loaded="$(LD_LIBRARY_PATH="${libdir}${LD_LIBRARY_PATH:+:${LD_LIBRARY_PATH}}" ldd "${consumer}")"
    [[ "${loaded}" == *"libhoneyhive.so"*" => ${libdir}/libhoneyhive.so"* ]] \
      || fail "the consumer does not load libhoneyhive.so from ${libdir}: ${loaded}"
    LD_LIBRARY_PATH="${libdir}${LD_LIBRARY_PATH:+:${LD_LIBRARY_PATH}}" "${consumer}" || fail "the consumer failed (shared)"
  else
    ((needed == 0)) || fail "the static consumer needs libhoneyhive.so"
    "${consumer}" || fail "the consumer failed (static)"
  fi
}

tested=()
for variant in ${variants//,/ }; do
  case "${variant}" in
    static) run_variant static OFF ;;
    shared) run_variant shared ON ;;
    *) fail "unknown variant '${variant}' (expected static or shared)" ;;
  esac
  tested+=("${variant}")
done
((${#tested[@]} > 0)) || fail "no variant to test"
echo "=== install test passed (${tested[*]})"
