#!/usr/bin/env bash
# `tenken import answers` of the national file (1,741 municipalities x 126
# items x FY2003-FY2007 = 1,091,607 rows), side by side in one run with the
# backends' own loaders of the same CSV into a table with the same CHECK
# and UNIQUE constraints:
#   SQLite:     sqlite3 .import   vs  tenken import answers (fresh database)
#   PostgreSQL: psql \copy        vs  tenken import answers (throwaway cluster)
# Prints seconds, the ratio, and tenken's peak RSS (GNU time). Both SQLite
# runs use WAL and synchronous=NORMAL, as tenken does. Figures are printed,
# never asserted. Targets (issue 10): ratio <= 1.5 on both, RSS <= 150 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cargo build --release
BIN=$PWD/target/release/tenken
WORK=$(mktemp -d /tmp/tenken-import-bench.XXXXXX)
cleanup() {
  if declare -F stop_postgres >/dev/null; then stop_postgres; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# timed LABEL CMD...: runs CMD under GNU time; sets SECS and RSS_MB.
timed() {
  local label=$1
  shift
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out" 2>&1 || {
    cat "$WORK/out" >&2
    return 1
  }
  read -r SECS RSS_KB <"$WORK/time"
  RSS_MB=$((RSS_KB / 1024))
  printf '  %-34s %7.2f s   peak RSS %5d MB\n' "$label" "$SECS" "$RSS_MB"
}
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

TABLE="CREATE TABLE ref (org_code TEXT NOT NULL, fiscal_year INTEGER NOT NULL,
  item TEXT NOT NULL, score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 3),
  UNIQUE (org_code, fiscal_year, item));"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
"$BIN" --database-url "sqlite://$WORK/gen.db" bench generate "$WORK/national.csv" | tail -n 1
CSV=$WORK/national.csv
echo "file: $(($(wc -l <"$CSV") - 1)) rows, $(($(stat -c %s "$CSV") / 1024 / 1024)) MiB"

echo "== SQLite"
sqlite3 "$WORK/ref.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; $TABLE" >/dev/null
timed "sqlite3 .import" sqlite3 "$WORK/ref.db" \
  -cmd "PRAGMA synchronous=NORMAL" -cmd ".mode csv" ".import --skip 1 $CSV ref"
REF=$SECS
"$BIN" --database-url "sqlite://$WORK/tenken.db" --migrate-database-url "sqlite://$WORK/tenken.db" migrate >/dev/null
timed "tenken import answers" "$BIN" --database-url "sqlite://$WORK/tenken.db" import answers "$CSV"
echo "  ratio $(ratio "$SECS" "$REF")x, tenken peak RSS $RSS_MB MB; $(cat "$WORK/out" | tail -n 1)"

echo "== PostgreSQL"
source .ci/postgres.sh
start_postgres >/dev/null
psql -q "$PG_URL" -c "$TABLE"
timed "psql \\copy" psql -q "$PG_URL" -c "\\copy ref FROM '$CSV' WITH (FORMAT csv, HEADER true)"
REF=$SECS
psql -q "$PG_URL" -c "CREATE DATABASE tenken_import"
URL=${PG_URL%/postgres}/tenken_import
"$BIN" --database-url "$URL" --migrate-database-url "$URL" migrate >/dev/null
timed "tenken import answers" "$BIN" --database-url "$URL" import answers "$CSV"
echo "  ratio $(ratio "$SECS" "$REF")x, tenken peak RSS $RSS_MB MB; $(cat "$WORK/out" | tail -n 1)"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
