#!/usr/bin/env bash
# Trunk post-build hook. Trunk inlines its module loader into index.html, which the server's
# Content-Security-Policy (script-src 'self') forbids; this moves it into a hashed file. Then it
# lists the SHA-256 of every shipped file in SHA256SUMS, so a notary can seal the exact build.
set -euo pipefail
dir="${TRUNK_STAGING_DIR:?run by trunk}"
base="${TRUNK_PUBLIC_URL:-/}"
python3 - "$dir" "$base" <<'PY'
import hashlib, pathlib, re, sys
d = pathlib.Path(sys.argv[1])
base = sys.argv[2] if sys.argv[2].endswith("/") else sys.argv[2] + "/"
index = d / "index.html"
html = index.read_text(encoding="utf-8")
m = re.search(r'<script type="module">(.*?)</script>', html, re.S)
if m:
    body = m.group(1).strip() + "\n"
    name = "boot-%s.js" % hashlib.sha256(body.encode()).hexdigest()[:16]
    (d / name).write_text(body, encoding="utf-8")
    html = html[: m.start()] + f'<script type="module" src="{base}{name}"></script>' + html[m.end():]
    index.write_text(html, encoding="utf-8")
sums = []
for p in sorted(d.rglob("*")):
    if p.is_file() and p.name != "SHA256SUMS":
        sums.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(d).as_posix()}")
(d / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
PY
