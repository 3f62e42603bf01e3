#!/usr/bin/env bash
# desk search and desk list --query on a large desk, one process per command (hyperfine): a
# rare word, a common word's first page (with and without filters, ranked), a Cyrillic word,
# and queries over indexed fields only.
#   usage: bash bench/search.sh [TICKETS]      (default 100000)
# The desk (demo tickets, plus three about a quokka for the rare word) is built once and kept
# in /tmp/desk-search-TICKETS. Installs hyperfine from Debian's packages when missing; builds
# desk in release mode.
set -eu
N=${1:-100000}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
DIR=/tmp/desk-search-$N
export DESK_DB=$DIR/desk.db
if [ ! -f "$DESK_DB" ]; then
  mkdir -p "$DIR"
  "$DESK" init >/dev/null
  echo "building a desk of $N tickets: $("$DESK" demo --tickets "$N")"
  for i in 1 2 3; do
    n=$("$DESK" new --subject "Animal in the courtyard $i" --body "A quokka sleeps by the bins" \
      --category GEN --yes)
  done
  "$DESK" comment "$n" "The quokka came back at night" >/dev/null
fi
# Brings an older desk up to date (a new migration) before anything is timed.
"$DESK" list --limit 1 >/dev/null
W=$(mktemp -d /tmp/desk-search-bench.XXXXXX); trap 'rm -rf "$W"' EXIT
docs() { sqlite3 -readonly "$DESK_DB" "SELECT count(*) FROM search WHERE search MATCH '$1'" 2>/dev/null || echo "?"; }
echo "hits: quokka $(docs '"quokka"*'), heating $(docs '"heat"*'), the $(docs '"the"*'), квартира $(docs '"квартир"*')"
hyperfine -N --warmup 3 --runs 30 --style basic --export-markdown "$W/search.md" \
  -n "search: a rare word" "$DESK search quokka" \
  -n "search: a common word, first page" "$DESK search heating" \
  -n "search: the commonest word, first page" "$DESK search the" \
  -n "search: a common word, open tickets" "$DESK search heating --open" \
  -n "search: a common word in one group" "$DESK search heating --group HOUSING" \
  -n "search: a Cyrillic word" "$DESK search квартира" \
  -n "search: a common word, ranked" "$DESK search heating --rank" \
  -n "list --query: three fields" "$DESK list --query 'is:open assignee:none priority>=high'" \
  -n "list --query: group, status category, age" "$DESK list --query 'group:HOUSING is:waiting updated<7d' --all" \
  -n "list --query: or, not, a date" "$DESK list --query '(sla:breached OR priority:urgent) -group:SOCIAL created>=2026-01-01'" \
  -n "list --query: a field and a word" "$DESK list --query 'status:closed heating' --sort age --reverse" \
  >/dev/null
echo "desk search and desk list --query on $N tickets, one process per command (hyperfine):"
cat "$W/search.md"
