#!/usr/bin/env bash
# Builds the web app into dist/: the shoppers' app (index.html, with the worker bundle), then
# the verifier's app (verify.html) into dist/verify-app/, served under /verify-app/, and the
# organizer's app (organizer.html) into dist/organizer-app/, served under /organizer-app/.
# The first build empties dist/, so the order matters.
set -euo pipefail
cd "$(dirname "$0")/.."
trunk build index.html --release --offline
trunk build verify.html --release --offline --dist dist/verify-app --public-url /verify-app/
trunk build organizer.html --release --offline --dist dist/organizer-app --public-url /organizer-app/
# One SHA256SUMS over the three apps: what a notary seals, and what the service worker caches.
python3 - <<'PY'
import hashlib, pathlib
d = pathlib.Path("dist")
sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(d).as_posix()}"
        for p in sorted(d.rglob("*")) if p.is_file() and p.name != "SHA256SUMS"]
(d / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
PY
rm -f dist/organizer-app/SHA256SUMS dist/verify-app/SHA256SUMS
