#!/usr/bin/env bash
# Sets everything up, builds the web app and serves it on http://127.0.0.1:8081/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh
trunk build --release --offline
exec trunk serve --release --offline --no-autoreload
