#!/usr/bin/env bash
# Speed of desk report on a big desk (hyperfine, whole process, wall and processor time): a
# year, a year by agent, a year by group, a year of one group, 30 days, and 30 days of one group.
#   usage: bash bench/report.sh [N [SOURCE.db]]
# Without SOURCE: a demo of N tickets (default 1000000, long to generate; kept in
# /tmp/desk-bench-report-N between runs, remove it to start over). With SOURCE: a copy of that
# desk (sqlite3 .backup, the source is only read) in /tmp/desk-bench-report-N-copy, upgraded by
# this build; the upgrade's time and the first report's (it builds the report's days from the
# facts) are said. DESK=BINARY times another build (before and after a change); COPY=DIR keeps
# the copy there instead.
# Installs hyperfine from Debian's packages when missing. Builds desk in release mode.
set -eu
N=${1:-1000000}
SOURCE=${2:-}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
if [ -n "$SOURCE" ]; then
  W=${COPY:-/tmp/desk-bench-report-$N-copy}
  export DESK_DB=$W/desk.db
  if [ ! -s "$W/done" ]; then
    rm -rf "$W"; mkdir -p "$W"
    sqlite3 -readonly "$SOURCE" ".backup $DESK_DB"
    [ ! -f "$(dirname "$SOURCE")/desk.toml" ] || cp "$(dirname "$SOURCE")/desk.toml" "$W/"
    echo ok > "$W/done"
  fi
  # The upgrade (any command runs it) and the first report (the days built, when missing).
  /usr/bin/time -f "upgrade: %e s wall, %U s user, %S s system" $DESK group list --json >/dev/null
  /usr/bin/time -f "first report (builds the days when missing): %e s wall, %U s user, %S s system" \
    $DESK report --format json >/dev/null
else
  . bench/demo.sh
  demo_desk report "$N"
fi
TO=$(date +%F)
YEAR=$(date -d "$TO - 364 days" +%F)
MONTH=$(date -d "$TO - 29 days" +%F)
GROUP=$($DESK group list --json | sed -n 's/.*"code": "\(.*\)".*/\1/p' | head -1)
$DESK report --from "$YEAR" --to "$TO" --format json |
  sed -n 's/^    "\(received\|resolved\|rejected\)": \([0-9]*\),*/  year: \1 \2/p' | head -3
hyperfine -N --warmup 1 --runs 5 --style basic --export-json "$W/report.json" \
  -n "report, a year" "$DESK report --from $YEAR --to $TO --format json" \
  -n "report, a year by agent" "$DESK report --from $YEAR --to $TO --by agent" \
  -n "report, a year by group" "$DESK report --from $YEAR --to $TO --by group" \
  -n "report, a year of $GROUP" "$DESK report --from $YEAR --to $TO --group $GROUP" \
  -n "report, 30 days" "$DESK report --from $MONTH --to $TO" \
  -n "report, 30 days of $GROUP" "$DESK report --from $MONTH --to $TO --group $GROUP" >/dev/null
echo "desk report on $N tickets (hyperfine, 5 runs; load $(cut -d' ' -f1-3 /proc/loadavg)):"
python3 - "$W/report.json" <<'PY'
import json, sys
print("| command | wall (mean ± σ) | user | system |")
print("|:---|---:|---:|---:|")
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| {r['command']} | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms "
          f"| {r['user']*1000:.0f} ms | {r['system']*1000:.0f} ms |")
PY
