#!/usr/bin/env bash
# Browser test of the hh-local web UI: headless Chromium loads the sessions page and one session
# page of a running server, and the rendered DOM must show the session in the list and the
# expected span names in the span tree.
#
#   browser_check.sh <base-url> <session-id> <expected span name>...
#   e.g. browser_check.sh http://127.0.0.1:8080 "$SESSION_ID" support-bot answer_question generate_answer
#
# Writes into $ARTIFACT_DIR (default ./artifacts): sessions.html and session.html (the DOM dumps),
# sessions.png and session.png (screenshots, 1400x900) and chromium.log.
# Exit status: 0 when every check passes, 1 when one fails (the message says which), 2 on bad
# usage, 77 when no Chromium is installed (a ctest SKIP_RETURN_CODE).
# Environment: CHROMIUM (the browser binary), BROWSER_TIMEOUT (seconds per browser run, default 60),
# VIRTUAL_TIME_BUDGET (ms of page time before the DOM is taken, default 5000).
set -u

usage() {
  echo "usage: $0 <base-url> <session-id> <expected span name>..." >&2
  exit 2
}
[ $# -ge 3 ] || usage
base_url=${1%/}
session_id=$2
shift 2

artifact_dir=${ARTIFACT_DIR:-./artifacts}
timeout_s=${BROWSER_TIMEOUT:-60}
budget_ms=${VIRTUAL_TIME_BUDGET:-5000}

# shellcheck source=tools/hh-local/web/find_chromium.sh
. "$(dirname "${BASH_SOURCE[0]}")/find_chromium.sh"
find_chromium
if [ -z "$browser" ]; then
  echo "SKIP: no Chromium found (set CHROMIUM, or install it: apt-get install chromium)" >&2
  exit 77
fi

mkdir -p "$artifact_dir" || { echo "FAIL: cannot create the artifact directory $artifact_dir" >&2; exit 1; }
profile=$(mktemp -d "${TMPDIR:-/tmp}/hh-browser-check.XXXXXX") || exit 1
trap 'rm -rf "$profile"' EXIT
log=$artifact_dir/chromium.log
: >"$log"

# Percent-encodes one URL path segment (RFC 3986 unreserved characters stay as they are).
url_encode() {
  local LC_ALL=C text=$1 out='' c i
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# How a serialized DOM spells a text node and an attribute value (HTML serialization escapes).
# (The replacements are quoted: bash 5.2 otherwise reads "&" in them as the matched text.)
html_text() {
  local s=$1 amp='&amp;' lt='&lt;' gt='&gt;'
  s=${s//&/"$amp"}
  s=${s//</"$lt"}
  s=${s//>/"$gt"}
  printf '%s' "$s"
}
html_attribute() {
  local s quot='&quot;'
  s=$(html_text "$1")
  s=${s//\"/"$quot"}
  printf '%s' "$s"
}

browser_run() {  # browser_run <extra flags...> <url>
  timeout "$timeout_s" "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --no-default-browser-check --disable-extensions --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$profile" --virtual-time-budget="$budget_ms" "$@" 2>>"$log"
}

# Loads a page: its DOM into <name>.html and a screenshot into <name>.png; prints the DOM.
load_page() {  # load_page <name> <url>
  local name=$1 url=$2 dom
  if ! dom=$(browser_run --dump-dom "$url"); then
    echo "FAIL: Chromium could not load $url (see $log)" >&2
    return 1
  fi
  printf '%s\n' "$dom" >"$artifact_dir/$name.html"
  if ! browser_run --screenshot="$artifact_dir/$name.png" --window-size=1400,900 "$url" >/dev/null; then
    echo "FAIL: Chromium could not take a screenshot of $url (see $log)" >&2
    return 1
  fi
  printf '%s' "$dom"
}

# Says why a page did not render: its view state and the message of an error box.
explain() {  # explain <dom>
  local state message
  if [ -z "$1" ]; then
    echo "  the browser got no page: is the server running at $base_url?" >&2
    return
  fi
  if ! printf '%s' "$1" | grep -q 'id="app"'; then
    echo "  the page is not the hh-local UI (no main#app): does the server serve index.html at / ?" >&2
    return
  fi
  state=$(printf '%s' "$1" | grep -o 'id="app" data-view="[^"]*" data-state="[^"]*"' | head -n 1)
  case $state in
    *'data-view=""'*) echo "  the UI script did not run: is /static/app.js served?" >&2 ;;
    *) echo "  page state: $state" >&2 ;;
  esac
  message=$(printf '%s' "$1" | sed -n 's/.*class="state-text">//p' | head -n 1 | sed -e 's#</p>.*##' -e 's/<[^>]*>//g')
  if [ -n "$message" ]; then echo "  page says: $message" >&2; fi
}

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# 1. The sessions list shows the session.
sessions_url="$base_url/#/"
echo "loading $sessions_url"
sessions_dom=$(load_page sessions "$sessions_url") || exit 1
if ! printf '%s' "$sessions_dom" | grep -q 'class="session-row'; then
  fail "the sessions page lists no session (tr.session-row) at $sessions_url"
  explain "$sessions_dom"
elif ! printf '%s' "$sessions_dom" | grep -qF "data-session-id=\"$(html_attribute "$session_id")\""; then
  fail "the sessions page does not list session $session_id"
fi

# 2. The session page shows every expected span name in its span tree.
session_url="$base_url/#/sessions/$(url_encode "$session_id")"
echo "loading $session_url"
session_dom=$(load_page session "$session_url") || exit 1
tree=${session_dom#*class=\"span-tree\"}
if [ "$tree" = "$session_dom" ]; then
  fail "the session page has no span tree (div.span-tree) at $session_url"
  explain "$session_dom"
else
  tree=${tree%%class=\"legend\"*}  # the tree ends where its legend starts
  for name in "$@"; do
    if ! printf '%s' "$tree" | grep -qF "<span class=\"span-name\">$(html_text "$name")</span>"; then
      fail "span \"$name\" is not in the span tree of session $session_id"
    fi
  done
  if [ "$failures" -gt 0 ]; then
    echo "  the tree shows:" >&2
    printf '%s' "$tree" | grep -o '<span class="span-name">[^<]*</span>' |
      sed -e 's/^<span class="span-name">/    /' -e 's#</span>$##' >&2
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "browser check FAILED ($failures problem(s)); DOM dumps and screenshots in $artifact_dir" >&2
  exit 1
fi
echo "browser check passed: session $session_id listed, $# span name(s) in its tree; artifacts in $artifact_dir"
