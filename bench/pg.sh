#!/usr/bin/env bash
# SQLite vs PostgreSQL, side by side in one run on the same desk (issue 18): a demo desk of
# TICKETS in SQLite, copied into PostgreSQL with desk migrate (its time is one of the rows),
# then the same commands on each, one process per command (hyperfine, release build):
# desk new, desk show, desk list, desk search, a year's report; the terminal desk's first
# frame and key-to-frame (bench/tui.sh); 8 concurrent writers (desk new, one process each).
# A command that does not run on PostgreSQL yet is said so ("not yet"), not timed.
#   usage: bash bench/pg.sh [TICKETS] [SOURCE.db]      (default 100000)
# The SQLite desk is built once and kept in /tmp/desk-bench-pg-TICKETS, or with SOURCE is a
# copy of that desk (never changed; e.g. a 1M demo desk built earlier); PostgreSQL is a
# throw-away cluster on loopback with fsync on (bench/pgcluster.sh), removed at the end.
set -eu
N=${1:-100000}
cd "$(dirname "$0")/.."
. bench/pgcluster.sh
pg_source pg "$N" "${2:-}"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
SQ=$DESK_DB
CFG=$W/desk.toml
unset DESK_DB
pg_cluster
pg_newdb desk_bench
OUT=$(mktemp -d /tmp/desk-pg-bench.XXXXXX)
trap 'pg_as "$PGBIN/pg_ctl" stop -m fast -D "$PGW/data" >/dev/null 2>&1; rm -rf "$PGW" "$OUT"' EXIT
start=$(date +%s.%N)
"$DESK" --db "$SQ" migrate --to "$OWNER_URL" </dev/null >"$OUT/migrate"
MIGRATE=$(echo "$(date +%s.%N) - $start" | bc)
echo "migrated in $MIGRATE s: $(cat "$OUT/migrate")"
# The program's role, its password in the URL (a loopback cluster of this run only).
PG="postgres://desk_app:$PGSECRET@127.0.0.1:$PGPORT/desk_bench"
sq() { "$DESK" --db "$SQ" "$@"; }
pg() { HOME=$W "$DESK" --db "$PG" --config "$CFG" "$@"; }
NUM=$(sq list --all --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["number"])')
YEAR=$(date +%Y)
declare -A CMD=(
  [new]="new --subject Bench --category GEN --yes"
  [show]="show $NUM"
  [list]="list"
  [search]="search heating"
  [report]="report --from $((YEAR - 1))-01-01 --to $((YEAR - 1))-12-31"
)
ORDER="new show list search report"
declare -A SQT PGT
ms() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f ± %.1f" % (r["mean"]*1000, r["stddev"]*1000))' "$1"; }
for c in $ORDER; do
  for side in sq pg; do
    if ! $side ${CMD[$c]} >"$OUT/once" 2>&1 </dev/null; then
      echo "$side $c: $(head -1 "$OUT/once")"
      [ $side = pg ] && PGT[$c]="not yet" || SQT[$c]="fails"
      continue
    fi
    if [ $side = sq ]; then db=$SQ; else db=$PG; fi
    # A run that fails part-way is said in its cell; the other rows are still measured.
    if HOME=$W hyperfine -N --warmup 3 --runs 20 --style none --export-json "$OUT/$side-$c.json" \
      "$DESK --db $db --config $CFG ${CMD[$c]}" >"$OUT/hf" 2>&1 </dev/null; then
      t=$(ms "$OUT/$side-$c.json")
    else
      t="failed: $(grep -m1 -i error "$OUT/hf" | cut -c1-80)"
    fi
    echo "$(date -u +%H:%M) $side $c: $t (load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ $side = sq ]; then SQT[$c]=$t; else PGT[$c]=$t; fi
  done
done
# 8 writers at once, 50 tickets each, one process per ticket: tickets per second.
writers() {
  local db=$1 s; s=$(date +%s.%N)
  for w in 1 2 3 4 5 6 7 8; do
    ( for i in $(seq 50); do HOME=$W "$DESK" --db "$db" --config "$CFG" new --subject "writer $w $i" --category GEN --yes >/dev/null || echo fail; done ) &
  done
  wait
  echo "400 / ($(date +%s.%N) - $s)" | bc -l | xargs printf '%.0f'
}
SQW=$(writers "$SQ"); PGW8=$(writers "$PG")
echo "$(date -u +%H:%M) writers: SQLite $SQW/s, PostgreSQL $PGW8/s"
# The terminal desk: first frame and key-to-frame (bench/tui.sh), on each.
tui() { DESK_BENCH_DIR=$W DESK_BENCH_DB=$1 DESK_CONFIG=$CFG bash bench/tui.sh "$N" 2>&1; }
tui "$SQ" > "$OUT/tui-sq" || true
tui "$PG" > "$OUT/tui-pg" || true
tf() { grep -m1 "$2" "$1" | sed 's/^ *[a-z ]*  *//' || echo "?"; }
echo
echo "$(date -u '+%F %H:%M') UTC, $(nproc) cores, load $LOAD0 at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end, $N tickets: bash bench/pg.sh $*"
echo
echo "| | SQLite | PostgreSQL 15 |"
echo "| --- | --- | --- |"
for c in $ORDER; do echo "| desk ${CMD[$c]%% *} (ms) | ${SQT[$c]} | ${PGT[$c]} |"; done
echo "| first frame | $(tf "$OUT/tui-sq" 'first frame') | $(tf "$OUT/tui-pg" 'first frame') |"
echo "| key to frame | $(tf "$OUT/tui-sq" 'key to frame') | $(tf "$OUT/tui-pg" 'key to frame') |"
echo "| 8 concurrent writers (tickets/s) | $SQW | $PGW8 |"
echo "| desk migrate SQLite → PostgreSQL | | $(printf '%.1f' "$MIGRATE") s |"
