#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the tests (and for trying the --db path by hand).
#   scripts/postgres.sh start PORT   -> prints the data directory; the server listens on 127.0.0.1:PORT,
#                                       user postgres, trust authentication, database postgres
#   scripts/postgres.sh stop DIR     -> stops that server and removes DIR
# Installs Debian's postgresql package when no server binaries are found (needs root and apt-get).
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}
case "$cmd" in
start)
  port=${2:?usage: postgres.sh start PORT}
  if ! bin=$(find_bin); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing PostgreSQL (apt-get install postgresql)..." >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1; apt-get install -y -q postgresql >/dev/null; }
      bin=$(find_bin)
    else
      echo "PostgreSQL server binaries not found; install the postgresql package (needs root)" >&2
      exit 3
    fi
  fi
  dir=$(mktemp -d /tmp/repurchase-pg.XXXXXX)
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 4; }
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 5; }
  echo "$dir"
  ;;
stop)
  dir=${2:?usage: postgres.sh stop DIR}
  bin=$(find_bin)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || kill -9 "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres.sh start PORT | stop DIR" >&2
  exit 2
  ;;
esac
