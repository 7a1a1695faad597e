#!/usr/bin/env bash
# The README's demo command. Installs missing build dependencies, builds the library, the quickstart
# example and hh-local (the local trace viewer) in Release into build/release, starts hh-local in the
# background on http://127.0.0.1:4318 (or reuses the one already running there), runs the quickstart,
# which finds hh-local and exports its trace there, and prints the URL to open. hh-local keeps
# running afterwards; the script says how to stop it. Re-running reuses the build tree, the running
# hh-local and its database (build/hh-local/honeyhive-local.db), so each run adds one session.
# Environment: HONEYHIVE_BUILD_ROOT (default <repo>/build), HH_LOCAL_PORT (default 4318).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/deps.sh
source "${repo}/scripts/deps.sh"
build_root="${HONEYHIVE_BUILD_ROOT:-${repo}/build}"
build_dir="${build_root}/release"
state_dir="${build_root}/hh-local"
port="${HH_LOCAL_PORT:-4318}"

honeyhive_install_deps

# A tree configured with another generator cannot be switched to Ninja in place.
if [[ -f "${build_dir}/CMakeCache.txt" ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "${build_dir}/CMakeCache.txt"; then
  rm -rf "${build_dir}"
fi
cmake -S "${repo}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHONEYHIVE_SANITIZE= \
  -DHONEYHIVE_BUILD_EXAMPLES=ON -DHONEYHIVE_BUILD_TOOLS=ON -DHONEYHIVE_BUILD_TESTS=OFF -DHONEYHIVE_BUILD_BENCHMARKS=OFF
cmake --build "${build_dir}" --target quickstart hh-local

# GET /api/health on 127.0.0.1:$1 (bash's /dev/tcp: no curl needed); prints the answer, fails when
# nothing listens or nothing answers within 2 s.
health() {
  # shellcheck disable=SC2016  # $1 is the inner shell's
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$1" >&3
    cat <&3' health "$1" 2>/dev/null
}
is_hh_local() { [[ "$(health "$1")" == *'"service":"hh-local"'* ]]; }

mkdir -p "${state_dir}"
pid_file="${state_dir}/hh-local.pid"
log_file="${state_dir}/hh-local.log"
logged_port() { sed -n 's#^hh-local listening on http://127\.0\.0\.1:\([0-9]*\) .*#\1#p' "${log_file}" 2>/dev/null; }

# An hh-local this script started before (its PID file, its port in its log), else any hh-local on $port.
pid=""
if [[ -f "${pid_file}" ]] && kill -0 "$(cat "${pid_file}")" 2>/dev/null && is_hh_local "$(logged_port)"; then
  pid="$(cat "${pid_file}")"
  port="$(logged_port)"
fi
echo
if [[ -n "${pid}" ]] || is_hh_local "${port}"; then
  echo "==> hh-local is already running on http://127.0.0.1:${port}${pid:+ (PID ${pid})}: reusing it"
else
  listen_port="${port}"
  # shellcheck disable=SC2016  # $1 is the inner shell's
  if timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' connect "${port}" 2>/dev/null; then
    echo "==> port ${port} is taken by another program (not hh-local): starting hh-local on a free port"
    listen_port=0
  fi
  echo "==> starting hh-local (log: ${log_file}, database: ${state_dir}/honeyhive-local.db)"
  # nohup: it outlives this script and the terminal; stdin from /dev/null, output to the log.
  nohup "${build_dir}/tools/hh-local" --port "${listen_port}" --db "${state_dir}/honeyhive-local.db" \
    </dev/null >"${log_file}" 2>&1 &
  pid=$!
  echo "${pid}" >"${pid_file}"
  port=""
  for _ in $(seq 1 100); do  # up to 10 s; it is usually ready in milliseconds
    port="$(logged_port)"
    if [[ -n "${port}" ]] || ! kill -0 "${pid}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [[ -z "${port}" ]]; then
    echo "hh-local did not start:" >&2
    cat "${log_file}" >&2
    rm -f "${pid_file}"
    exit 1
  fi
  echo "==> hh-local listening on http://127.0.0.1:${port} (PID ${pid})"
fi

echo
echo "==> ${build_dir}/examples/quickstart"
# The quickstart finds hh-local on HH_LOCAL_PORT (an OTLP endpoint in the environment would win: unset).
env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT HH_LOCAL_DETECT=true HH_LOCAL_PORT="${port}" \
  "${build_dir}/examples/quickstart"

echo
echo "Open http://127.0.0.1:${port}/ to see the trace"
if [[ -n "${pid}" ]]; then
  echo "hh-local keeps running (PID ${pid}); stop it with: kill ${pid}"
else
  echo "hh-local keeps running (started before this script); stop it with: kill <its PID>"
fi
