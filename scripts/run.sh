#!/usr/bin/env bash
# Sets everything up, builds the web app and the server, and runs the server on SQLite with the
# demo campaign (open today, with synthetic entries), serving the app on http://127.0.0.1:8080/.
# The organizer password is in fairdraw-data/organizer-password unless
# FAIRDRAW_ORGANIZER_PASSWORD was set at first start.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh
./scripts/build-web.sh
cargo build --release --locked -p fairdraw-server
exec target/release/fairdraw-server --data "${FAIRDRAW_DATA:-fairdraw-data}" --listen "${FAIRDRAW_LISTEN:-127.0.0.1:8080}" --demo --dist dist
