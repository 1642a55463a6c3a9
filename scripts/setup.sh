#!/usr/bin/env bash
# Installs everything fairdraw needs on a fresh Debian machine with Rust: the wasm target,
# Trunk, wasm-bindgen-cli (the version in Cargo.lock), wasm-opt (binaryen from npm),
# Chromium with ChromeDriver for the browser tests, and PostgreSQL's server binaries.
# Safe to run again: it skips what is there.
# Source it (`. scripts/setup.sh`) to get PATH set up in the calling shell.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

rustup target list --installed | grep -x wasm32-unknown-unknown >/dev/null || {
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

if ! trunk --version 2>/dev/null | grep "$TRUNK_VERSION" >/dev/null; then
  say "installing trunk $TRUNK_VERSION (about 7 minutes)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep "$WASM_BINDGEN_VERSION" >/dev/null; then
  # Not --locked: one of its locked dependencies is no longer in the registry.
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if ! "$ROOT/.tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep "version_$BINARYEN_VERSION" >/dev/null; then
  # Debian's binaryen is too old to read current Rust wasm.
  say "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm into .tools/"
  mkdir -p "$ROOT/.tools"
  npm install --prefix "$ROOT/.tools" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then
  say "installing Chromium, ChromeDriver and CJK fonts"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  fi
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  # The server binaries only: scripts/pg.sh starts a throwaway cluster for development and
  # tests (the PostgreSQL backend, issue 13); nothing runs as a system service.
  say "installing the PostgreSQL server binaries"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
fi

export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
say "ready: $(trunk --version), wasm-bindgen $WASM_BINDGEN_VERSION, wasm-opt $BINARYEN_VERSION, $(chromium --version 2>/dev/null | head -1)"
