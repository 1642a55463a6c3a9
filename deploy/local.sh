#!/usr/bin/env bash
# The sample deployment on one machine, to rehearse it: a PostgreSQL primary, a streaming replica
# that must confirm every commit (synchronous replication, as postgresql.primary.conf sets it),
# and two fairdraw servers sharing the database with the same keys (the first creates the demo
# campaign). Put nginx.conf's proxy in front on real machines; here each server has its own port.
#
#   deploy/local.sh            # start it all; Ctrl-C stops it and deletes the folders
#   deploy/local.sh --check    # start it, check it, stop it (scripts/test.sh runs this):
#                              # an entry sent to the second server is on the replica, the
#                              # replica is synchronous, and both servers serve the same tree
#
# The server binary is target/release/fairdraw-server (built if missing), or FAIRDRAW_SERVER_BIN.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

BIN="${FAIRDRAW_SERVER_BIN:-target/release/fairdraw-server}"
[ -x "$BIN" ] || cargo build --release --locked -p fairdraw-server

eval "$(scripts/pg.sh start)"
work="$(mktemp -d /tmp/fairdraw-deploy.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$FAIRDRAW_PG_DIR/replica" ] && as_owner "$PG_BIN/pg_ctl" -D "$FAIRDRAW_PG_DIR/replica" -m fast -w stop >/dev/null 2>&1 || true
  scripts/pg.sh stop "$FAIRDRAW_PG_DIR"
  rm -rf "$work"
}
trap cleanup EXIT
primary_port="$(cat "$FAIRDRAW_PG_DIR/port")"
psql_primary() { psql -X -q -t -A "$FAIRDRAW_PG_URL" -c "$1"; }

# The replica: a base backup of the primary that streams its WAL (-R writes the standby
# settings), named replica1, which the primary then waits for at every commit.
replica_port="$(free_port)"
as_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U fairdraw \
  -D "$FAIRDRAW_PG_DIR/replica" -R -X stream -d "application_name=replica1"
as_owner "$PG_BIN/pg_ctl" -D "$FAIRDRAW_PG_DIR/replica" -l "$FAIRDRAW_PG_DIR/replica.log" -w \
  -o "-h 127.0.0.1 -p $replica_port -k $FAIRDRAW_PG_DIR -c max_connections=300" start >/dev/null
psql_primary "ALTER SYSTEM SET synchronous_standby_names = 'replica1'"
psql_primary "SELECT pg_reload_conf()" >/dev/null
replica_url="postgres://fairdraw@127.0.0.1:$replica_port/fairdraw"

# Two servers, the second with the first's keys.
start_server() { # data_dir port [args…]
  local dir="$1" port="$2"; shift 2
  FAIRDRAW_ORGANIZER_PASSWORD="${FAIRDRAW_ORGANIZER_PASSWORD:-deploy-rehearsal}" RUST_LOG=warn \
    "$BIN" --data "$dir" --database "$FAIRDRAW_PG_URL" --listen "127.0.0.1:$port" "$@" &
  pids+=($!)
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$port/api/server-key" >/dev/null && return 0
    sleep 0.1
  done
  echo "server on $port did not start" >&2; exit 1
}
mkdir -p "$work/s1" "$work/s2"
port1="$(free_port)"; port2="$(free_port)"
start_server "$work/s1" "$port1" --demo --demo-entries 200
cp "$work/s1/signing.key" "$work/s1/pseudonym.key" "$work/s2/"
start_server "$work/s2" "$port2"

if [ "${1:-}" = "--check" ]; then
  today="$(TZ=Asia/Shanghai date +%F)"
  answer="$(curl -s -X POST -H 'content-type: application/json' \
    "http://127.0.0.1:$port2/api/campaigns/dazhou-2026/entries" \
    -d "{\"merchant_id\":\"M001\",\"receipt_number\":\"DEPLOY-0001\",\"date\":\"$today\",\"amount\":\"520\",\"phone\":\"13912345678\",\"consent\":true}")"
  ticket="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ticket_id"])' "$answer")"
  sync="$(psql_primary "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'replica1'")"
  [ "$sync" = "sync" ] || { echo "replica1 is not synchronous: '$sync'" >&2; exit 1; }
  # Synchronous: the commit that answered the ticket was confirmed by the replica first.
  on_replica="$(psql -X -q -t -A "$replica_url" -c "SELECT count(*) FROM entries WHERE encode(ticket_id, 'hex') = '$ticket'")"
  [ "$on_replica" = "1" ] || { echo "ticket $ticket is not on the replica" >&2; exit 1; }
  head() { curl -s "http://127.0.0.1:$1/api/campaigns/dazhou-2026/draws/1/tree-head" | python3 -c 'import json,sys; h=json.load(sys.stdin)["signed_tree_head"]["head"]; print(h["tree_size"], h["root"])'; }
  [ "$(head "$port1")" = "$(head "$port2")" ] || { echo "the two servers serve different trees" >&2; exit 1; }
  echo "deploy rehearsal: ticket $ticket from server 2 is on the synchronous replica; both servers serve tree $(head "$port1")"
  exit 0
fi

cat <<EOF
fairdraw, two servers on one PostgreSQL with a synchronous streaming replica:
  server 1 (demo campaign): http://127.0.0.1:$port1/
  server 2:                 http://127.0.0.1:$port2/
  primary:  $FAIRDRAW_PG_URL
  replica:  $replica_url (read-only)
  organizer password: ${FAIRDRAW_ORGANIZER_PASSWORD:-deploy-rehearsal}
Ctrl-C stops everything and deletes the folders.
EOF
wait
