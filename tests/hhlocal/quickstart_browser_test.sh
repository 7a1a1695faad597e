#!/usr/bin/env bash
# ctest hhlocal.browser: the quickstart's trace, seen in a browser. Starts hh-local on an ephemeral
# port with a temporary database, runs the built quickstart against it (an explicit OTLP endpoint,
# no probing), takes the session id from /api/sessions, and runs tools/hh-local/web/browser_check.sh:
# headless Chromium renders the sessions page and the session page, and the span tree must show
# the quickstart's spans. DOM dumps and screenshots stay in <artifact dir>.
#
#   quickstart_browser_test.sh <hh-local> <quickstart> <browser_check.sh> <artifact dir>
#
# Exit status: 0 pass, 1 fail, 77 (ctest SKIP_RETURN_CODE) when Chromium is missing or cannot run
# here at all (after a failed check, Chromium must also fail on about:blank for a skip: a broken UI
# is never mistaken for a missing browser).
set -u

if [ $# -ne 4 ]; then
  echo "usage: $0 <hh-local> <quickstart> <browser_check.sh> <artifact dir>" >&2
  exit 2
fi
absolute() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
hh_local=$(absolute "$1")
quickstart=$(absolute "$2")
browser_check=$(absolute "$3")
artifact_dir=$(absolute "$4")

# shellcheck source=tools/hh-local/web/find_chromium.sh
. "$(dirname "$browser_check")/find_chromium.sh"
find_chromium
if [ -z "$browser" ]; then
  echo "SKIP: no Chromium found (scripts/test.sh installs Debian's chromium package)"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hh-browser-test.XXXXXX") || exit 1
server_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Can this Chromium run here at all? (--no-sandbox: the test command runs as root.) Asked only after
# a failed check: each browser start costs a second or more.
chromium_runs() {
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --disable-dev-shm-usage --user-data-dir="$work/profile" --dump-dom about:blank >"$work/blank.html" \
    2>"$work/blank.log"
}

"$hh_local" --port 0 --db "$work/hh-local.db" >"$work/hh-local.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 200); do  # up to 20 s
  port=$(sed -n 's#^hh-local listening on http://127\.0\.0\.1:\([0-9]*\) .*#\1#p' "$work/hh-local.log")
  if [ -n "$port" ] || ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "FAIL: hh-local did not start:" >&2
  cat "$work/hh-local.log" >&2
  exit 1
fi
base_url="http://127.0.0.1:$port"

# GET on hh-local (bash's /dev/tcp: the test needs no curl); prints the body.
get() {
  # shellcheck disable=SC2016  # $1 and $2 are the inner shell's
  timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
    cat <&3' get "$port" "$1" | sed '1,/^\r$/d'
}

echo "running $quickstart against $base_url"
if ! (cd "$work" && env -u HH_API_KEY -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT -u HH_OTLP_PROTOCOL \
  OTEL_EXPORTER_OTLP_ENDPOINT="$base_url" HH_LOCAL_DETECT=false "$quickstart" >"$work/quickstart.log" 2>&1); then
  echo "FAIL: the quickstart failed:" >&2
  cat "$work/quickstart.log" >&2
  exit 1
fi

sessions=$(get "/api/sessions")
session_id=$(printf '%s' "$sessions" | grep -o '"session_id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
if [ -z "$session_id" ]; then
  echo "FAIL: hh-local has no session after the quickstart; /api/sessions answered: $sessions" >&2
  echo "quickstart output:" >&2
  cat "$work/quickstart.log" >&2
  exit 1
fi
echo "session $session_id"

# The quickstart's spans (examples/quickstart.cpp): the session "support-bot", the chain, the tool
# call made through HH_SPAN deep in library code, and the model call.
ARTIFACT_DIR="$artifact_dir" CHROMIUM="$browser" bash "$browser_check" "$base_url" "$session_id" \
  support-bot answer_question retrieve_docs generate_answer
status=$?
cp "$work/quickstart.log" "$work/hh-local.log" "$artifact_dir/" 2>/dev/null
if [ "$status" -ne 0 ] && ! chromium_runs; then
  echo "SKIP: $browser cannot run here (it cannot even render about:blank):"
  tail -n 5 "$work/blank.log"
  exit 77
fi
exit $status
