#!/usr/bin/env bash
# Sets everything up and runs every test: formatting, lints, native tests (core, verifier CLI,
# web app state, server API, crash safety, three servers on one PostgreSQL under faults), the
# server's API suite again on PostgreSQL, the vector files (current, and passing natively, in
# headless Chromium and through the CLI), the release build of the web app, the end-to-end tests
# against it in headless Chromium at phone size, and the wasm browser tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "vector files match the implementation"
cargo run --quiet --locked -p fairdraw-core --example gen_vectors -- vectors --check

step "web app release build (the end-to-end tests serve it)"
./scripts/build-web.sh
ls -l dist

step "native tests (end-to-end ones drive headless Chromium; screenshots in target/screenshots/)"
cargo test --workspace --locked

step "the server's API suite on PostgreSQL (a throwaway cluster from scripts/pg.sh)"
eval "$(scripts/pg.sh start)"
trap 'scripts/pg.sh stop "$FAIRDRAW_PG_DIR"' EXIT
FAIRDRAW_TEST_DATABASE=postgres cargo test --locked -p fairdraw-server --test api
scripts/pg.sh stop "$FAIRDRAW_PG_DIR"
trap - EXIT

step "the sample deployment rehearsed: two servers, PostgreSQL with a synchronous replica (deploy/local.sh --check)"
FAIRDRAW_SERVER_BIN=target/debug/fairdraw-server deploy/local.sh --check

step "contact sheet: every screenshot in one PNG (target/screenshots/contact-sheet.png)"
cargo test --locked --test e2e contact_sheet -- --ignored

step "browser tests (headless Chromium, wasm)"
# A separate target directory: the wasm and native builds would otherwise evict each other.
CARGO_TARGET_DIR=target-wasm WASM_BINDGEN_TEST_TIMEOUT=600 \
  cargo test --locked --target wasm32-unknown-unknown --test web

echo
echo "all test steps passed"
