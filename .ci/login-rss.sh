#!/usr/bin/env bash
# Peak RSS (VmHWM) of the server after bursts of N concurrent logins.
# Usage: .ci/login-rss.sh [BINARY] [N] [BURSTS] [extra serve args, e.g. --hash-workers 64]
set -euo pipefail
BIN=${1:-target/release/tenken}; N=${2:-64}; BURSTS=${3:-3}; shift $(( $# < 3 ? $# : 3 ))
DIR=$(mktemp -d); PORT=$((20000 + RANDOM % 20000)); URL="sqlite://$DIR/t.db"
PW='Correct-Horse-42'
echo "$PW" | "$BIN" --database-url "$URL" user add --login rss01 --org 011002 --role municipality >/dev/null
"$BIN" --database-url "$URL" serve --bind "127.0.0.1:$PORT" "$@" >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
hwm() { awk '/VmHWM/ {print $2/1024 " MB"}' "/proc/$PID/status"; }
echo "start: $(hwm)"
login() {
  local jar="$DIR/jar$1" page token
  page=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/login")
  token=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' <<<"$page" | head -1)
  [ -n "${GETONLY:-}" ] && { echo get; return; }
  curl -s -o /dev/null -w "%{http_code}\n" -b "$jar" -c "$jar" \
    --data-urlencode "csrf_token=$token" --data-urlencode "login=rss01" \
    --data-urlencode "password=$PW" --data-urlencode "next=" "http://127.0.0.1:$PORT/login"
}
for b in $(seq "$BURSTS"); do
  for i in $(seq "$N"); do login "$b-$i" >"$DIR/code$b-$i" & done
  wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
  echo "burst $b: $(cat "$DIR"/code"$b"-* | sort | uniq -c | tr -s ' ' | tr '\n' ';') peak $(hwm)"
done
