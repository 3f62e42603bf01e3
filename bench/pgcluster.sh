# Sourced by the benchmarks that need PostgreSQL 15 (bench/migrate.sh, bench/pg.sh), from the
# repository's root; brings hyperfine and the release build (bench/hyperfine.sh) and the demo
# desks (bench/demo.sh) with it:
#   pg_source NAME N [SOURCE.db]
#                   the SQLite desk the bench starts from: a copy of SOURCE when given
#                   (copied_desk), else a demo desk of N tickets kept between runs (demo_desk);
#                   sets W and DESK_DB, and says what it holds.
#   pg_cluster      starts a throw-away cluster in $PGW (default /tmp/desk-bench-pg) on a free
#                   loopback port, as the user postgres when run as root (initdb refuses
#                   root), with the deployment's two roles (README, "On PostgreSQL"); stopped
#                   and removed when the shell exits.
#   pg_newdb NAME   an empty database owned by desk_owner; sets OWNER_URL and APP_URL.
# fsync stays on and the settings are PostgreSQL's defaults but shared_buffers (256MB) and
# maintenance_work_mem (256MB), so the timings are a real server's, on this machine.
. bench/hyperfine.sh
. bench/demo.sh
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGW=${PGW:-/tmp/desk-bench-pg}
pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_cluster() {
  [ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL 15 in $PGBIN (apt-get install postgresql-15)"; exit 1; }
  rm -rf "$PGW"; mkdir -p "$PGW"; chmod 700 "$PGW"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PGW"
  PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  PGSECRET=$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$PGSECRET" > "$PGW/pw"; [ "$(id -u)" -eq 0 ] && chown postgres: "$PGW/pw"
  pg_as "$PGBIN/initdb" -D "$PGW/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$PGW/pw" >/dev/null
  cat >> "$PGW/data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGW'
shared_buffers = 256MB
maintenance_work_mem = 256MB
max_connections = 60
CONF
  pg_as "$PGBIN/pg_ctl" start -w -D "$PGW/data" -l "$PGW/log" -o "-p $PGPORT" >/dev/null
  trap 'pg_as "$PGBIN/pg_ctl" stop -m fast -D "$PGW/data" >/dev/null 2>&1; rm -rf "$PGW"' EXIT
  pg_sql postgres "CREATE ROLE desk_owner LOGIN PASSWORD '$PGSECRET'; CREATE ROLE desk_app LOGIN PASSWORD '$PGSECRET';"
}
pg_sql() { PGPASSWORD=$PGSECRET "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$1" -c "$2"; }
pg_newdb() {
  pg_sql postgres "CREATE DATABASE $1 OWNER desk_owner TEMPLATE template0 ENCODING 'UTF8'"
  pg_sql "$1" "ALTER SCHEMA public OWNER TO desk_owner; REVOKE ALL ON DATABASE $1 FROM PUBLIC; GRANT CONNECT ON DATABASE $1 TO desk_app"
  OWNER_URL="postgres://desk_owner@127.0.0.1:$PGPORT/$1"
  APP_URL="postgres://desk_app@127.0.0.1:$PGPORT/$1"
  export PGPASSWORD=$PGSECRET
}
pg_source() {
  if [ -n "${3:-}" ]; then copied_desk "$1" "$3"; else demo_desk "$1" "$2"; fi
  echo "source: $(sqlite3 -readonly "$DESK_DB" "SELECT (SELECT count(*) FROM tickets) || ' tickets, ' || (SELECT count(*) FROM events) || ' events'"), $(du -h "$DESK_DB" | cut -f1)"
}
