#!/usr/bin/env bash
# Process-level speed of the command line, one process per command (hyperfine):
#   desk new, desk show, desk list on a desk of N tickets (default 100000), and desk demo's rate.
#   usage: bash bench/cli.sh [N]
# Installs hyperfine from Debian's packages when missing. Builds desk in release mode.
set -eu
N=${1:-100000}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
W=$(mktemp -d /tmp/desk-bench.XXXXXX); trap 'rm -rf "$W"' EXIT
export DESK_DB=$W/desk.db
$DESK init >/dev/null
echo "demo: $($DESK demo --tickets "$N")"
NUM=$($DESK list --all --limit 1 --json | sed -n 's/.*"number": "\(.*\)".*/\1/p' | head -1)
hyperfine -N --warmup 5 --runs 50 --style basic --export-markdown "$W/desk.md" \
  -n "desk new" "$DESK new --subject 'bench probe' --category GEN" \
  -n "desk show" "$DESK show $NUM" \
  -n "desk show --json" "$DESK show $NUM --json" \
  -n "desk list --limit 50" "$DESK list --limit 50" >/dev/null
echo "desk on $N existing tickets, one process per command (hyperfine):"
cat "$W/desk.md"
