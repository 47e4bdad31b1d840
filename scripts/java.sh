#!/usr/bin/env bash
# A Java runtime (17 or later) for PySpark: `--engine spark`, `make test-slow`.
#   scripts/java.sh            -> prints JAVA_HOME of a usable Java on stdout
# Looks at $JAVA_HOME, then `java` on PATH, then /usr/lib/jvm/*. Installs Debian's
# openjdk-17-jre-headless (or the release's default-jre-headless) when none is found (needs root
# and apt-get); exit 3 when that is impossible, so a test can skip with the reason.
set -euo pipefail

MIN=17

# the major version of a java binary: "17.0.15" -> 17, "1.8.0_292" -> 8; 0 when it does not run
major() {
  local v
  v=$("$1" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1) || true
  v=${v#1.}
  v=${v%%[.+_-]*}
  case "$v" in '' | *[!0-9]*) echo 0 ;; *) echo "$v" ;; esac
}

# JAVA_HOME of a java binary: its java.home property, else the directory above bin/
home_of() {
  local h
  h=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -1) || true
  if [ -z "$h" ]; then h=$(dirname "$(dirname "$(readlink -f "$1")")"); fi
  echo "$h"
}

find_java() {
  local b
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(major "$JAVA_HOME/bin/java")" -ge "$MIN" ]; then
    echo "$JAVA_HOME"; return 0
  fi
  if b=$(command -v java 2>/dev/null) && [ "$(major "$b")" -ge "$MIN" ]; then
    home_of "$b"; return 0
  fi
  for b in /usr/lib/jvm/*/bin/java; do
    if [ -x "$b" ] && [ "$(major "$b")" -ge "$MIN" ]; then home_of "$b"; return 0; fi
  done
  return 1
}

if home=$(find_java); then echo "$home"; exit 0; fi
if [ -n "${JAVA_HOME:-}" ]; then
  echo "JAVA_HOME=$JAVA_HOME is not a Java $MIN or later; looking elsewhere" >&2
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Java (apt-get install openjdk-17-jre-headless)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  # Debian releases after bookworm no longer ship 17: fall back to the release's default JRE
  install() { apt-get install -y -q --no-install-recommends "$1" >>"$log" 2>&1; }
  install openjdk-17-jre-headless || install default-jre-headless \
    || { apt-get update -q >>"$log" 2>&1; install openjdk-17-jre-headless || install default-jre-headless; } \
    || { echo "could not install Java with apt-get: $(tail -1 "$log")" >&2; rm -f "$log"; exit 3; }
  rm -f "$log"
  # JAVA_HOME may have pointed at an old Java: look past it
  home=$(JAVA_HOME='' find_java) || { echo "Java installed but no Java $MIN or later found" >&2; exit 3; }
  echo "$home"
  exit 0
fi
echo "Java $MIN or later not found; install openjdk-17-jre-headless (needs root) or set JAVA_HOME" >&2
exit 3
