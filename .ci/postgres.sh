# A throwaway PostgreSQL cluster on 127.0.0.1, trust auth, in a temp dir.
# Usage: source .ci/postgres.sh; start_postgres; ... ; stop_postgres
# Sets PG_URL (postgres://postgres@127.0.0.1:PORT/postgres).

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
  echo "$d"
}

start_postgres() {
  local bin port
  bin=$(pg_bin) || return 1
  PG_DIR=$(mktemp -d /tmp/tenken-pg.XXXXXX)
  chown postgres "$PG_DIR" 2>/dev/null || true
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c max_connections=300" start >/dev/null \
    || { cat "$PG_DIR/log" >&2; return 1; }
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  PG_BIN="$bin"
  export PG_URL PG_DIR PG_BIN
  echo "PostgreSQL up at $PG_URL"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
