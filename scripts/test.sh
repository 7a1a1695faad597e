#!/usr/bin/env bash
# The README's test command. Installs missing build dependencies, then runs five stages:
#   test  the whole ctest suite in a normal build (build/test; benchmarks and examples are built
#         so they keep compiling, but not run, except the quickstart in the browser test, whose
#         DOM dumps and screenshots stay in build/test/tests/artifacts/browser);
#   asan  the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (build/asan);
#   ubsan the core and processing tests under UndefinedBehaviorSanitizer alone (build/ubsan): span
#         records are recycled there, which the asan stage turns off so ASan sees every freed record;
#   tsan  the tests labelled "concurrency" under ThreadSanitizer (build/tsan);
#   fuzz  the libFuzzer targets: the traceparent, tracestate and baggage parsers, the OTLP request
#         decoders, structured values through both encoders, configuration from the environment
#         (build/fuzz).
# Every stage runs even when an earlier one failed; a summary line per stage is printed at the
# end and the exit status is non-zero if any stage failed. Re-running reuses the build trees.
#
# Usage: scripts/test.sh [test] [asan] [ubsan] [tsan] [fuzz]   (no argument: all five, in that order)
# Environment: HONEYHIVE_BUILD_ROOT (default <repo>/build), HONEYHIVE_TEST_JOBS (ctest -j, default 2),
#              HONEYHIVE_BUILD_JOBS (build parallelism, default: Ninja's).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/deps.sh
source "${repo}/scripts/deps.sh"

build_root="${HONEYHIVE_BUILD_ROOT:-${repo}/build}"
test_jobs="${HONEYHIVE_TEST_JOBS:-2}"
build_jobs=()
if [[ -n "${HONEYHIVE_BUILD_JOBS:-}" ]]; then build_jobs=(--parallel "${HONEYHIVE_BUILD_JOBS}"); fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=${repo}/tests/lsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

log() { printf '\n==> %s\n' "$*"; }

# Configures `dir` with Ninja and the given cache options. A tree configured with another
# generator (e.g. by hand with Makefiles) cannot be switched in place, so it is removed first.
configure() {
  local dir="$1"
  shift
  if [[ -f "${dir}/CMakeCache.txt" ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "${dir}/CMakeCache.txt"; then
    echo "removing ${dir}: it was configured with another generator"
    rm -rf "${dir}"
  fi
  cmake -S "${repo}" -B "${dir}" -G Ninja "$@"
}

# ON when the optional subproject exists (the top-level CMakeLists adds it only when enabled).
on_if_present() { if [[ -f "${repo}/$1/CMakeLists.txt" ]]; then echo ON; else echo OFF; fi; }

# Some kernels randomize mmap more than the sanitizer runtimes expect (TSan then dies with
# "unexpected memory mapping"). Build and run a tiny threaded program with `flags`; if it fails,
# retry with address randomization disabled. Sets `wrapper` to the command prefix that works.
wrapper=()
probe_sanitizer() {
  local name="$1" flags="$2"
  local dir="${build_root}/sanitizer-probe"
  mkdir -p "${dir}"
  cat >"${dir}/probe.cpp" <<'CPP'
#include <thread>
int main() {
  int value = 0;
  std::thread worker([&value] { value = 1; });
  worker.join();
  return value == 1 ? 0 : 1;
}
CPP
  wrapper=()
  # shellcheck disable=SC2086  # flags is a list of compiler options
  if ! "${CXX:-c++}" -std=c++17 -g ${flags} -pthread "${dir}/probe.cpp" -o "${dir}/probe-${name}"; then
    echo "cannot build a program with ${flags}" >&2
    return 1
  fi
  if "${dir}/probe-${name}" >"${dir}/probe-${name}.log" 2>&1; then
    return 0
  fi
  local randomization_off=(setarch "$(uname -m)" -R)
  if "${randomization_off[@]}" "${dir}/probe-${name}" >>"${dir}/probe-${name}.log" 2>&1; then
    echo "${name}: the sanitizer runtime fails with address randomization on; running under: ${randomization_off[*]}"
    wrapper=("${randomization_off[@]}")
    return 0
  fi
  echo "${name}: a program built with ${flags} does not run here, even with randomization off:" >&2
  cat "${dir}/probe-${name}.log" >&2
  return 1
}

# Configures, builds and runs ctest in `dir`; extra ctest arguments after `--`. Builds everything,
# or only the targets whose names match the sed pattern in `only_targets_matching`.
only_targets_matching=""
build_and_test() {
  local dir="$1"
  shift
  local cmake_args=()
  while (($#)) && [[ "$1" != "--" ]]; do
    cmake_args+=("$1")
    shift
  done
  (($#)) && shift
  configure "${dir}" "${cmake_args[@]}" || return 1
  local targets=()
  if [[ -n "${only_targets_matching}" ]]; then
    mapfile -t targets < <(ninja -C "${dir}" -t targets all | sed -n "s/^\(${only_targets_matching}\): phony\$/\1/p")
    if ((${#targets[@]} == 0)); then
      echo "no build targets named like ${only_targets_matching} in ${dir}" >&2
      return 1
    fi
    targets=(--target "${targets[@]}")
  fi
  # The build runs the test binaries too (gtest test discovery), hence the wrapper.
  "${wrapper[@]}" cmake --build "${dir}" "${build_jobs[@]}" "${targets[@]}" || return 1
  "${wrapper[@]}" ctest --test-dir "${dir}" --output-on-failure -j "${test_jobs}" --timeout 300 \
    --no-tests=error "$@" || return 1
}

# build_and_test with only the targets named like `pattern` (a sed basic regular expression) built,
# and the library they link: build_and_test_only pattern dir [cmake options] -- [ctest options].
build_and_test_only() {
  only_targets_matching="$1"
  shift
  build_and_test "$@"
  local status=$?
  only_targets_matching=""
  return "${status}"
}

# Every stage builds in unity mode: CMake compiles the sources of a target four at a time in one
# translation unit, so the headers are parsed and the templates they use instantiated once per four
# files instead of once per file (measured: the tests' build 304 -> 216 CPU-s, the library and
# hh-local 176 -> ~110). Sources must therefore not define the same name in their anonymous
# namespaces within a target, whichever four share a unit: a source added shifts every later batch
# (one did, and a name two processors defined apart met in one unit). Checked for every target with
# all its sources in one unit: cmake -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=1000.
# Developer builds (and the demo's) compile file by file, which still catches a source that does
# not include what it uses.
unity_cmake_args=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=4)

# The normal build's library is optimised (-O2, NDEBUG: what users ship) but without debug info: -g
# costs a quarter of the compile time at -O2, and failures are debugged in the sanitizer builds,
# which have it. Everything else (tests, benchmarks, examples, tools) is compiled at -O0
# (HONEYHIVE_AUX_COMPILE_OPTIONS): they are checked for compiling and for their results, not for
# speed, and -O0 compiles a test file in about half the time of -O2 (tracer test: 12 s against 20 s).
stage_test() {
  wrapper=()
  build_and_test "${build_root}/test" "${unity_cmake_args[@]}" \
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" -DHONEYHIVE_SANITIZE= -DHONEYHIVE_BUILD_TESTS=ON \
    -DBUILD_SHARED_LIBS=OFF -DHONEYHIVE_AUX_COMPILE_OPTIONS=-O0 -DHONEYHIVE_TEST_GRANULARITY=case \
    -DHONEYHIVE_BUILD_BENCHMARKS="$(on_if_present bench)" -DHONEYHIVE_BUILD_EXAMPLES="$(on_if_present examples)"
}

# Sanitizer builds are Debug (-O0, assertions on): GCC compiles a test file with ASan+UBSan three
# times faster at -O0 than at -O2 (14 s against 42 s for tests/core/span_lifecycle_test.cpp), and
# compiling dominates these stages. Debug information is -g1, line tables only: that is all a
# sanitizer report's stack needs (file:line per frame), for 8% less compile time than -g.
# Warnings are enforced by the normal build; GCC's sanitizer instrumentation adds false positives
# (-Wmaybe-uninitialized, -Wstringop-overflow), so they are not errors here.
sanitizer_cmake_args=("${unity_cmake_args[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1
  -DHONEYHIVE_BUILD_TESTS=ON -DHONEYHIVE_BUILD_BENCHMARKS=OFF -DHONEYHIVE_BUILD_EXAMPLES=OFF -DHONEYHIVE_WERROR=OFF)

# The ASan stage builds the library shared (BUILD_SHARED_LIBS=ON): the normal stage's is static, so
# install.package checks both packages, and the tests here use the library across a shared-library
# boundary, as many users do. The library gets all of UBSan; the test code gets all but the vptr,
# null and alignment checks (HONEYHIVE_AUX_COMPILE_OPTIONS), which double the compile time of a test
# file (otlp_json_test: 27 s with them, 14 s without) and would only find undefined behaviour in the
# tests themselves: a null dereference still faults under ASan.
# install.public_headers is left to the normal stage: whether each public header compiles on its own
# does not depend on the sanitizer. Each test executable is one ctest test here (its cases in one
# process; HONEYHIVE_TEST_GRANULARITY): the normal stage already runs every case in its own process,
# and a sanitized process takes ~0.15 s to start, a thousand times over. hhlocal.browser (headless
# Chromium on the quickstart's trace in hh-local) is left to the normal stage too: it needs the
# examples, which this stage does not build, and hh-local's code already runs under the sanitizers
# in hhlocal_tests.
stage_asan() {
  probe_sanitizer asan "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" || return 1
  build_and_test "${build_root}/asan" "${sanitizer_cmake_args[@]}" -DHONEYHIVE_SANITIZE=address \
    -DBUILD_SHARED_LIBS=ON -DHONEYHIVE_AUX_COMPILE_OPTIONS=-fno-sanitize=vptr,null,alignment \
    -DHONEYHIVE_TEST_GRANULARITY=executable \
    -- -E '^install[.]public_headers$'
}

# Span records are recycled only without ASan (core/span_record_pool.hpp), so the recycled-slot paths
# (slots written in place, members by name, the budget walk) meet UBSan only here: the library and
# the tests that recycle records most (core: span recycling, structured values; processing: the
# batch and simple processors), each executable one ctest test.
stage_ubsan() {
  probe_sanitizer ubsan "-fsanitize=undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" || return 1
  build_and_test_only 'core_tests\|processing_tests' "${build_root}/ubsan" "${sanitizer_cmake_args[@]}" \
    -DHONEYHIVE_SANITIZE=undefined -DBUILD_SHARED_LIBS=OFF -DHONEYHIVE_AUX_COMPILE_OPTIONS= \
    -DHONEYHIVE_TEST_GRANULARITY=executable -- -R '^(core|processing)_tests$'
}

stage_tsan() {
  probe_sanitizer tsan "-fsanitize=thread -fno-omit-frame-pointer" || return 1
  # Only the concurrency test executables (and the library) are built: nothing else runs here.
  build_and_test_only '[A-Za-z0-9_]*_concurrency_tests' "${build_root}/tsan" "${sanitizer_cmake_args[@]}" \
    -DHONEYHIVE_SANITIZE=thread -DBUILD_SHARED_LIBS=OFF -DHONEYHIVE_AUX_COMPILE_OPTIONS= \
    -DHONEYHIVE_TEST_GRANULARITY=case -- -L concurrency
}

# The header parsers under libFuzzer (clang, ASan+UBSan), FUZZ_SECONDS (default 20) each.
stage_fuzz() {
  HONEYHIVE_BUILD_ROOT="${build_root}" bash "${repo}/scripts/fuzz.sh"
}

stages=("$@")
if ((${#stages[@]} == 0)); then stages=(test asan ubsan tsan fuzz); fi
for stage in "${stages[@]}"; do
  case "${stage}" in
    test | asan | ubsan | tsan | fuzz) ;;
    *)
      echo "unknown stage '${stage}' (expected test, asan, ubsan, tsan or fuzz)" >&2
      exit 2
      ;;
  esac
done

log "dependencies"
honeyhive_install_deps test

minutes() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

summary=()
failed=0
times_file="$(mktemp)"
trap 'rm -f "${times_file}"' EXIT
exec 3>&2
for stage in "${stages[@]}"; do
  log "stage ${stage} (${build_root}/${stage})"
  # `if` keeps set -e from stopping the script inside a stage; stages report their own failures.
  # `time` reports wall and CPU seconds (children included) into times_file; the stage's own
  # stderr still goes to ours (fd 3).
  TIMEFORMAT='%0R %0U %0S'
  if { time "stage_${stage}" 2>&3; } 2>"${times_file}"; then result=PASS; else result=FAIL; failed=1; fi
  read -r wall user system <"${times_file}" || true
  summary+=("$(printf 'stage %-5s %s in %s (CPU %s) %s' "${stage}" "${result}" "$(minutes "${wall:-0}")" \
    "$(minutes $((${user:-0} + ${system:-0})))" "${build_root}/${stage}")")
done
exec 3>&-

log "summary"
printf '%s\n' "${summary[@]}"
if ((failed)); then
  echo "scripts/test.sh: FAILED"
  exit 1
fi
echo "scripts/test.sh: all stages passed"
