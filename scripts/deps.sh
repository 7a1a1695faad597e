#!/usr/bin/env bash
# The build dependencies of honeyhive-cpp (Debian 12 package names), and the function that
# installs the missing ones. Source it from another script and call honeyhive_install_deps, or
# run it directly. apt-get runs only when a package is missing, so a ready machine is untouched.

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

# Prints the packages of HONEYHIVE_DEPS that dpkg does not report as installed, one per line.
honeyhive_missing_deps() {
  local package status
  for package in "${HONEYHIVE_DEPS[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "${package}" 2>/dev/null || true)"
    if [[ "${status}" != "installed" ]]; then
      echo "${package}"
    fi
  done
}

# Installs the missing packages: one `apt-get update`, then one `apt-get install`, and only when
# something is missing. Needs root (or sudo) only in that case.
honeyhive_install_deps() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: dpkg-query not found; this script targets Debian 12. Install these yourself: ${HONEYHIVE_DEPS[*]}" >&2
    return 1
  fi
  local missing=()
  mapfile -t missing < <(honeyhive_missing_deps)
  if ((${#missing[@]} == 0)); then
    echo "deps: all ${#HONEYHIVE_DEPS[@]} build dependencies are installed"
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
  mapfile -t missing < <(honeyhive_missing_deps)
  if ((${#missing[@]} != 0)); then
    echo "deps: still missing after apt-get install: ${missing[*]}" >&2
    return 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  honeyhive_install_deps
fi
