#!/usr/bin/env bash
# Hostile load against the release server on loopback only, bounded in time and traffic:
# entry flood, slowloris, 2,000 concurrent reads, 100 ledger downloads, inclusion proofs under
# load, login storms (crates/server/benches/hostile.rs), then the 10-minute write soak with the
# WAL's size sampled (crates/server/benches/load.rs). Figures go in BENCHMARKS.md §5.
# FAIRDRAW_HOSTILE_ENTRIES sizes the frozen draw (default 100,000); FAIRDRAW_SOAK_SECS the
# soak (default 600; 0 skips it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh
cargo bench --locked -p fairdraw-server --bench hostile
FAIRDRAW_SOAK_SECS="${FAIRDRAW_SOAK_SECS:-600}" cargo bench --locked -p fairdraw-server --bench load
