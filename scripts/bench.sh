#!/usr/bin/env bash
# Produces the figures in BENCHMARKS.md. Slow (tens of minutes); not part of the test run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh
N="${FAIRDRAW_BENCH_ENTRIES:-1000000}"

echo "== criterion: root and check of $N entries beside raw SHA-256"
FAIRDRAW_BENCH_ENTRIES="$N" cargo bench -p fairdraw-core --bench ledger

echo "== CLI end to end on $N entries"
cargo build --release -p fairdraw-verify
OUT="$(mktemp -d)"
target/release/fairdraw-verify demo --entries "$N" --out "$OUT" >/dev/null
ls -l "$OUT"
/usr/bin/time -f "check: %e s wall, %M KB peak RSS" \
  target/release/fairdraw-verify check "$OUT/draw-record.json" --ledger "$OUT/ledger.jsonl" \
  --anchor "$(cat "$OUT/anchor.txt")" | tail -1
/usr/bin/time -f "root: %e s wall, %M KB peak RSS" \
  target/release/fairdraw-verify root --ledger "$OUT/ledger.jsonl"
rm -rf "$OUT"

echo "== verification speed, native vs wasm in headless Chromium (${FAIRDRAW_SPEED_ENTRIES:-200000} entries)"
cargo test --release --features speed --test verify_speed -- --nocapture 2>&1 | grep "^speed"
CARGO_TARGET_DIR=target-wasm WASM_BINDGEN_TEST_TIMEOUT=900 \
  cargo test --release --features speed --target wasm32-unknown-unknown --test verify_speed -- --nocapture 2>&1 | grep "speed"

echo "== web app: first render on a throttled phone; the verifier's worker on ${FAIRDRAW_SPEED_ENTRIES:-1000000} entries"
./scripts/build-web.sh
for f in dist/*.wasm dist/*/*.wasm dist/*.js; do echo "$(gzip -9c "$f" | wc -c) bytes gzipped: $f"; done
cargo test --release --features speed --test e2e -- --nocapture first_render worker_verifies phone_light_verifies 2>&1 | grep "^speed"

echo "== server under load (release build, loopback)"
cargo bench -p fairdraw-server --bench load
