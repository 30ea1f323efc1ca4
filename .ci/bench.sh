#!/usr/bin/env bash
# The national-table benchmark in one command: builds the release binary,
# imports a generated national data set (1,741 municipalities x 126 items x
# FY2003-FY2007) into a fresh SQLite file and a throwaway PostgreSQL, times
# the FY2007 national table against a bare GROUP BY (`tenken bench run`),
# then loads the page and the JSON with wrk on loopback for 10 s each.
# Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk
fi
cargo build --release
BIN=$PWD/target/release/tenken
WORK=$(mktemp -d /tmp/tenken-bench.XXXXXX)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  if declare -F stop_postgres >/dev/null; then stop_postgres; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

http() {
  local url=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  RUST_LOG=warn "$BIN" --database-url "$url" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for path in /api/v1/stats/national/2007 /stats/national/2007; do
    curl -fs -o /dev/null "http://127.0.0.1:$port$path"   # warm the cache
    echo "-- wrk -t2 -c8 -d10s $path"
    wrk -t2 -c8 -d10s --latency "http://127.0.0.1:$port$path" | grep -E '^\s+(50|90|99)%|Requests/sec|Latency '
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

echo "== SQLite"
"$BIN" --database-url "sqlite://$WORK/bench.db" bench run
http "sqlite://$WORK/bench.db"

echo "== PostgreSQL"
source .ci/postgres.sh
start_postgres
"$BIN" --database-url "$PG_URL" bench run
http "$PG_URL"
