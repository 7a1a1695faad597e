# Sourced by browser_check.sh and tests/hhlocal/quickstart_browser_test.sh: sets `browser` to the
# Chromium to run ($CHROMIUM, else the first of the usual names on the PATH), or to "" when there is
# none.
find_chromium() {
  browser=${CHROMIUM:-}
  if [ -z "$browser" ]; then
    for candidate in chromium chromium-browser google-chrome-stable google-chrome; do
      if command -v "$candidate" >/dev/null 2>&1; then
        browser=$candidate
        break
      fi
    done
  fi
  if [ -n "$browser" ] && ! command -v "$browser" >/dev/null 2>&1; then browser=""; fi
}
