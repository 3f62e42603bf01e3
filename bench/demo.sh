# Sourced by the benchmarks that work on a big demo desk (after DESK is set):
#   demo_desk NAME N [SETUP...]
# sets W (/tmp/desk-bench-NAME-N, kept between runs: remove it to start over) and DESK_DB;
# when the desk is not there yet, makes it — desk init, desk demo --tickets N (its time
# said) — and runs SETUP (a command: the bench's own agents and lists) before marking it done.
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
