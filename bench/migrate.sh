#!/usr/bin/env bash
# desk migrate, timed (issue 18): a demo desk of N tickets copied SQLite → PostgreSQL → SQLite,
# each way verified by desk itself (counts, every row, the chain), then the two SQLite ends
# compared (desk check, the chain's head) and the PostgreSQL copy's size.
#   usage: bash bench/migrate.sh [TICKETS] [SOURCE.db]     (default 100000)
# SOURCE: an existing desk to start from (copied first with sqlite3 .backup, never changed);
# without it a demo desk of TICKETS is built once and kept in /tmp/desk-bench-migrate-N.
# PostgreSQL: a throw-away cluster (bench/pgcluster.sh), removed at the end.
set -eu
N=${1:-100000}
cd "$(dirname "$0")/.."
. bench/pgcluster.sh
pg_source migrate "$N" "${2:-}"
CFG=$W/desk.toml
pg_cluster
pg_newdb desk_migrate
t() { local s; s=$(date +%s.%N); "$@"; echo "  $(echo "$(date +%s.%N) - $s" | bc | xargs printf '%.1f') s" >&2; }
echo "SQLite → PostgreSQL:"
t "$DESK" migrate --to "$OWNER_URL" </dev/null
echo "PostgreSQL database: $(pg_sql desk_migrate "SELECT pg_size_pretty(pg_database_size('desk_migrate'))")"
BACK=$W/back.db; rm -f "$BACK"
echo "PostgreSQL → SQLite:"
t "$DESK" --db "$OWNER_URL" --config "$CFG" migrate --to "sqlite:$BACK" </dev/null
a=$("$DESK" check --anchor); b=$("$DESK" --db "$BACK" --config "$CFG" check --anchor)
echo "chain head: source $a, back $b: $([ "$a" = "$b" ] && echo same || echo DIFFERENT)"
rm -f "$BACK" "$BACK"-wal "$BACK"-shm
