#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 for development and tests, and prints its URL:
#   eval "$(scripts/pg.sh start)"   # sets FAIRDRAW_PG_URL and FAIRDRAW_PG_DIR
#                                   # (FAIRDRAW_PG_OPTS: more server options, e.g. "-c x=y")
#   scripts/pg.sh stop              # stops it and deletes its folder
#   scripts/pg.sh crash [DIR]       # stops it as a power cut would (`pg_ctl stop -m immediate`)
#   scripts/pg.sh restart [DIR]     # starts it again on the same port (after crash: recovery)
# The cluster lives in a temporary folder owned by an unprivileged user (PostgreSQL refuses to
# run as root: as root the script runs initdb and pg_ctl as `postgres`), listens on loopback
# only, and trusts local connections: for tests, never for production (see deploy/).
set -euo pipefail
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found (run scripts/setup.sh)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    dir="$(mktemp -d /tmp/fairdraw-pg.XXXXXX)"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    port="${FAIRDRAW_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U fairdraw --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    echo "$port" > "$dir/port"
    echo "${FAIRDRAW_PG_OPTS:-}" > "$dir/opts"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=300 ${FAIRDRAW_PG_OPTS:-}" start >/dev/null
    as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U fairdraw fairdraw
    echo "export FAIRDRAW_PG_DIR=$dir"
    echo "export FAIRDRAW_PG_URL=postgres://fairdraw@127.0.0.1:$port/fairdraw"
    ;;
  stop)
    dir="${2:-${FAIRDRAW_PG_DIR:?give the folder or set FAIRDRAW_PG_DIR}}"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
  crash)
    dir="${2:-${FAIRDRAW_PG_DIR:?give the folder or set FAIRDRAW_PG_DIR}}"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  restart)
    dir="${2:-${FAIRDRAW_PG_DIR:?give the folder or set FAIRDRAW_PG_DIR}}"
    port="$(cat "$dir/port")"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=300 $(cat "$dir/opts")" start >/dev/null
    ;;
  *) echo "usage: $0 start | stop [DIR] | crash [DIR] | restart [DIR]" >&2; exit 2 ;;
esac
