#!/usr/bin/env bash
# The build dependencies of honeyhive-cpp (Debian 12 package names), and the function that
# installs the missing ones. Source it from another script and call honeyhive_install_deps (add
# `test` for the test command's extra packages), or run it directly (`deps.sh [test]`). apt-get runs
# only when a package is missing, so a ready machine is untouched.

HONEYHIVE_DEPS=(
  build-essential
  cmake
  ninja-build
  nlohmann-json3-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libcurl4-openssl-dev
  zlib1g-dev
  libsqlite3-dev
  protobuf-compiler
  valgrind
  clang
  clang-format
)

# Only the test command needs these: headless Chromium for the hh-local browser test, and a font
# so that its screenshots show text (Chromium's font packages are only recommended).
HONEYHIVE_TEST_DEPS=(
  chromium
  fonts-dejavu-core
)

# Prints the packages among the arguments that dpkg does not report as installed, one per line.
honeyhive_missing_deps() {
  local package status
  for package in "$@"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "${package}" 2>/dev/null || true)"
    if [[ "${status}" != "installed" ]]; then
      echo "${package}"
    fi
  done
}

# Installs the missing packages of HONEYHIVE_DEPS (and of HONEYHIVE_TEST_DEPS with the argument
# `test`): one `apt-get update`, then one `apt-get install`, and only when something is missing.
# Needs root (or sudo) only in that case.
honeyhive_install_deps() {
  local wanted=("${HONEYHIVE_DEPS[@]}")
  if [[ "${1:-}" == "test" ]]; then wanted+=("${HONEYHIVE_TEST_DEPS[@]}"); fi
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: dpkg-query not found; this script targets Debian 12. Install these yourself: ${wanted[*]}" >&2
    return 1
  fi
  local missing=()
  mapfile -t missing < <(honeyhive_missing_deps "${wanted[@]}")
  if ((${#missing[@]} == 0)); then
    echo "deps: all ${#wanted[@]} dependencies are installed"
    return 0
  fi
  local sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "deps: missing ${missing[*]}, and installing them needs root (run as root or install sudo)" >&2
      return 1
    fi
  fi
  echo "deps: installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
  mapfile -t missing < <(honeyhive_missing_deps "${wanted[@]}")
  if ((${#missing[@]} != 0)); then
    echo "deps: still missing after apt-get install: ${missing[*]}" >&2
    return 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  honeyhive_install_deps "$@"
fi
