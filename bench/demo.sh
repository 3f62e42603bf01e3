# Sourced by the benchmarks that work on a big demo desk (after DESK is set):
#   demo_desk NAME N [SETUP...]
# sets W (/tmp/desk-bench-NAME-N, kept between runs: remove it to start over) and DESK_DB;
# when the desk is not there yet, makes it — desk init, desk demo --tickets N (its time
# said) — and runs SETUP (a command: the bench's own agents and lists) before marking it done.
#   copied_desk NAME SOURCE.db
# sets W (/tmp/desk-bench-NAME-copy) and DESK_DB to a copy of an existing desk (sqlite3
# .backup: the source is never changed, and may be in use), with its desk.toml, brought up to
# date by the desk (an older schema's upgrade is not timed with what follows).
demo_desk() {
  W=/tmp/desk-bench-$1-$2
  export DESK_DB=$W/desk.db
  [ -s "$W/done" ] && return 0
  rm -rf "$W"; mkdir -p "$W"
  $DESK init >/dev/null
  local start
  start=$(date +%s)
  echo "demo: $($DESK demo --tickets "$2") in $(( $(date +%s) - start )) s"
  shift 2
  [ $# -eq 0 ] || "$@"
  echo ok > "$W/done"
}
copied_desk() {
  W=/tmp/desk-bench-$1-copy; rm -rf "$W"; mkdir -p "$W"
  export DESK_DB=$W/desk.db
  local start
  start=$(date +%s)
  sqlite3 -readonly "$2" ".backup '$DESK_DB'"
  cp "$(dirname "$2")/desk.toml" "$W/" 2>/dev/null || true
  echo "copied $2 in $(( $(date +%s) - start )) s"
  start=$(date +%s)
  "$DESK" list --limit 1 >/dev/null   # brings an older desk up to date
  echo "brought up to date in $(( $(date +%s) - start )) s"
}
