#!/usr/bin/env bash
# Speed of desk report on a big desk (hyperfine, whole process): a year, a year by agent,
# 30 days, and 30 days of one group, on a demo of N tickets (default 1000000, ~1.5 min to
# generate; kept in /tmp/desk-bench-report-N between runs, remove it to start over).
#   usage: bash bench/report.sh [N]
# Installs hyperfine from Debian's packages when missing. Builds desk in release mode.
set -eu
N=${1:-1000000}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
. bench/demo.sh
demo_desk report "$N"
TO=$(date +%F)
YEAR=$(date -d "$TO - 364 days" +%F)
MONTH=$(date -d "$TO - 29 days" +%F)
GROUP=$($DESK group list --json | sed -n 's/.*"code": "\(.*\)".*/\1/p' | head -1)
$DESK report --from "$YEAR" --to "$TO" --format json |
  sed -n 's/^    "\(received\|resolved\|rejected\)": \([0-9]*\),*/  year: \1 \2/p' | head -3
hyperfine -N --warmup 1 --runs 5 --style basic --export-markdown "$W/report.md" \
  -n "report, a year" "$DESK report --from $YEAR --to $TO --format json" \
  -n "report, a year by agent" "$DESK report --from $YEAR --to $TO --by agent" \
  -n "report, 30 days" "$DESK report --from $MONTH --to $TO" \
  -n "report, 30 days of $GROUP" "$DESK report --from $MONTH --to $TO --group $GROUP" >/dev/null
echo "desk report on $N tickets (hyperfine):"
cat "$W/report.md"
