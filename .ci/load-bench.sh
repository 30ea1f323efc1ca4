#!/usr/bin/env bash
# The load benchmark in one command: builds the release binary, generates
# the national data set (1,741 municipalities x 126 items x FY2003-FY2007),
# and on a fresh SQLite file and on a throwaway PostgreSQL (.ci/postgres.sh)
# imports it, then runs `tenken bench load` with C = 8, 32 and 64 saving
# clients and 4 readers of the national table (page and JSON), and finally
# compares the /stats/national/2007 page with its JSON under
# `wrk -t2 -c8` (as .ci/bench.sh). Figures are printed, never asserted,
# except that every `bench load` run must end with each sheet holding its
# last save (the run fails otherwise).
#
#   LOAD_SECONDS=30 LOAD_CLIENTS="8 32 64" LOAD_READERS=4 bash .ci/load-bench.sh [sqlite|postgres]...
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${LOAD_SECONDS:-30}
CLIENTS=${LOAD_CLIENTS:-8 32 64}
READERS=${LOAD_READERS:-4}
BACKENDS=${*:-sqlite postgres}

if ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk
fi
cargo build --release
BIN=$PWD/target/release/tenken
WORK=$(mktemp -d /tmp/tenken-load.XXXXXX)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  if declare -F stop_postgres >/dev/null; then stop_postgres; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== machine: $(nproc) cores; $(uptime)"
"$BIN" --database-url "sqlite://$WORK/roster.db" bench generate "$WORK/national.csv"

load() {
  local url=$1 c
  for c in $CLIENTS; do
    echo "-- bench load --clients $c --readers $READERS --seconds $SECS ($(uptime | sed 's/.*load/load/'))"
    RUST_LOG=warn "$BIN" --database-url "$url" bench load --clients "$c" --readers "$READERS" \
      --seconds "$SECS" --data "$WORK/national.csv"
  done
}

# wrk's "50%  1.23ms" in milliseconds.
p50_ms() {
  awk '$1 == "50%" {
    v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
    print v }'
}

page_vs_json() {
  local url=$1 port path out json page
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  RUST_LOG=warn "$BIN" --database-url "$url" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for path in /api/v1/stats/national/2007 /stats/national/2007; do
    curl -fs -o /dev/null "http://127.0.0.1:$port$path"   # warm the cache
    echo "-- wrk -t2 -c8 -d10s $path ($(uptime | sed 's/.*load/load/'))"
    out=$(wrk -t2 -c8 -d10s --latency "http://127.0.0.1:$port$path")
    grep -E '^\s+(50|90|99)%|Requests/sec' <<<"$out"
    if [ "$path" = /stats/national/2007 ]; then page=$(p50_ms <<<"$out"); else json=$(p50_ms <<<"$out"); fi
  done
  awk -v p="$page" -v j="$json" 'BEGIN { printf "page p50 %.2f ms / JSON p50 %.2f ms = %.1fx (target <= 2x)\n", p, j, p / j }'
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

for backend in $BACKENDS; do
  case $backend in
    sqlite)
      echo "== SQLite"
      load "sqlite://$WORK/load.db"
      page_vs_json "sqlite://$WORK/load.db"
      ;;
    postgres)
      echo "== PostgreSQL"
      # shellcheck source=/dev/null
      source .ci/postgres.sh
      start_postgres
      load "$PG_URL"
      page_vs_json "$PG_URL"
      stop_postgres
      ;;
    *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 2 ;;
  esac
done
