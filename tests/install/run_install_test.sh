#!/usr/bin/env bash
# Installs the honeyhive library of an existing build tree (`cmake --install`) into a scratch
# prefix, then builds and runs tests/install/consumer against it with find_package(honeyhive).
# Whether the library is static or shared follows the build tree (BUILD_SHARED_LIBS): the test
# command's normal stage builds it static, its ASan stage shared, so both packages are checked
# without building the library a third time.
#
# Usage: run_install_test.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR CXX_COMPILER [options]
#   --build-type=TYPE           CMAKE_BUILD_TYPE of the consumer (default None: no flags)
#   --generator=NAME            CMake generator (default: CMake's)
#   --make-program=PATH         CMAKE_MAKE_PROGRAM for that generator
#   --sanitize-cxx-flags=FLAGS  compiler flags that the library's sanitizer needs in the consumer
#   --sanitize-link-flags=FLAGS linker flags that the library's sanitizer needs in the consumer
#   --cxx-flags=FLAGS           CMAKE_CXX_FLAGS of the parent build
#   --exe-linker-flags=FLAGS    CMAKE_EXE_LINKER_FLAGS of the parent build
# The install prefix and the consumer build are always made from nothing.
set -euo pipefail
if (($# < 4)); then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
source_dir="$(cd "$1" && pwd)"
build_dir="$(cd "$2" && pwd)"
scratch_dir="$3"
cxx="$4"
shift 4
build_type=None
generator=()
make_program=()
sanitize_cxx_flags=""
sanitize_link_flags=""
cxx_flags=""
exe_linker_flags=""
for option in "$@"; do
  case "${option}" in
    --build-type=*) build_type="${option#*=}" ;;
    --generator=*) if [[ -n "${option#*=}" ]]; then generator=(-G "${option#*=}"); fi ;;
    --make-program=*) if [[ -n "${option#*=}" ]]; then make_program=("-DCMAKE_MAKE_PROGRAM=${option#*=}"); fi ;;
    --sanitize-cxx-flags=*) sanitize_cxx_flags="${option#*=}" ;;
    --sanitize-link-flags=*) sanitize_link_flags="${option#*=}" ;;
    --cxx-flags=*) cxx_flags="${option#*=}" ;;
    --exe-linker-flags=*) exe_linker_flags="${option#*=}" ;;
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

run_variant() {
  local variant="$1" shared="$2"
  local prefix="${scratch_dir}/${variant}/prefix"
  local consumer_build="${scratch_dir}/${variant}/consumer-build"
  echo "=== ${variant}: install ${build_dir} into ${prefix}"
  rm -rf "${prefix}" "${consumer_build}"
  # Installed to a prefix chosen only now: the package must not depend on the configured prefix.
  cmake --install "${build_dir}" --prefix "${prefix}"
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

shared="$(sed -n 's/^BUILD_SHARED_LIBS:BOOL=//p' "${build_dir}/CMakeCache.txt")"
case "${shared^^}" in
  ON | TRUE | YES | 1) run_variant shared ON ;;
  OFF | FALSE | NO | 0 | "") run_variant static OFF ;;
  *) fail "cannot tell from ${build_dir}/CMakeCache.txt whether the library is shared (BUILD_SHARED_LIBS=${shared})" ;;
esac
echo "=== install test passed"
