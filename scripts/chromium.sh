#!/usr/bin/env bash
# Headless Chromium for the run-report test (and for looking at report.html on a server).
#   scripts/chromium.sh            -> prints the path of a chromium binary
# Installs Debian's chromium package when none is found (needs root and apt-get); exit 3 when
# that is impossible, so a test can skip with the reason.
set -euo pipefail

find_bin() {
  local b
  for b in chromium chromium-browser google-chrome chrome; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  return 1
}

if bin=$(find_bin); then echo "$bin"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium (apt-get install chromium)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  # no package source reachable (offline, no mirror) is this machine's limit, not a failed check: exit 3
  apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk >"$log" 2>&1 \
    || { apt-get update -q >>"$log" 2>&1; apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk >>"$log" 2>&1; } \
    || { echo "could not install Chromium with apt-get: $(tail -1 "$log")" >&2; rm -f "$log"; exit 3; }
  rm -f "$log"
  bin=$(find_bin) || { echo "chromium installed but not found on PATH" >&2; exit 3; }
  echo "$bin"
  exit 0
fi
echo "Chromium not found; install the chromium package (needs root)" >&2
exit 3
