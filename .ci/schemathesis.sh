#!/usr/bin/env bash
# The API's contract: schemathesis (property-based, from PyPI, in a virtual
# environment under target/) against the OpenAPI document of a spawned demo
# app on a temporary SQLite database. Fails on any check that fails: a 5xx,
# a status or content type the document does not list, a schema-valid
# request refused, a schema-violating one accepted, a method without 405.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/ci-venv
[ -x "$venv/bin/schemathesis" ] || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis==4.32.5'
}
cargo build -q
work=$(mktemp -d /tmp/tenken-st.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATABASE_URL="$work/st.db" target/debug/tenken demo --bind "127.0.0.1:$port" >"$work/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "http://127.0.0.1:$port/health" 2>/dev/null && break
  kill -0 $app 2>/dev/null || { cat "$work/app.log" >&2; exit 1; }
  sleep 0.5
done
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" --max-examples 100
