#!/usr/bin/env bash
# desk search and desk list --query on a large desk, one process per command (hyperfine): a
# rare word, a common word's first page (with and without filters, ranked), a Cyrillic word,
# and queries over indexed fields only; then what a note costs the one writing it (the
# write lock held) on a ticket whose history is 25 MB and on a new ticket.
#   usage: bash bench/search.sh [TICKETS]      (default 100000)
#   PART=search|fields|whole: only the searches and --query lines above, only each field of the
#   language (FIELD_RUNS runs each, 10 by default), or only each field over the whole desk
#   (`--all`: closed tickets too) in every order the desk offers (FIELD_RUNS runs each;
#   SORTS="priority age" names fewer orders, ONLY=REGEX keeps the fields it matches);
#   PART=matrix: every field with every operator, open and --all, in every order, and the
#   slow ones (see below).
# The desk (demo tickets, plus three about a quokka for the rare word) is built once and kept
# in /tmp/desk-search-TICKETS; DESK_BENCH_DIR names another desk's directory (a copy: the
# bench writes notes on it and brings it up to date). Installs hyperfine from Debian's packages when missing; builds
# desk in release mode.
set -eu
N=${1:-100000}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
DIR=${DESK_BENCH_DIR:-/tmp/desk-search-$N}
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
  # A ticket with a 25 MB history: 250 notes of 100 kB.
  long=$("$DESK" new --subject "Lift in block 7 keeps stopping" --category GEN --yes)
  note=$(printf 'Inspection %s: the lift stopped between floors again; the technician replaced a relay. ' $(seq 1 1100) | head -c 100000)
  for i in $(seq 1 250); do "$DESK" comment "$long" "$note" >/dev/null; done
  echo "$long" > "$DIR/long"
fi
# Brings an older desk up to date (a new migration) before anything is timed.
"$DESK" list --limit 1 >/dev/null
W=$(mktemp -d /tmp/desk-search-bench.XXXXXX); trap 'rm -rf "$W"' EXIT
# A table of hyperfine's JSON: wall time (mean, min) and processor time (user + system, mean):
# on a loaded machine the wall time is mostly the queue for a core.
table() {
  python3 - "$1" <<'PY'
import json, sys
print("| command | mean ms | min ms | cpu ms |\n|:--|--:|--:|--:|")
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| `{r['command'].removeprefix('list --query: ')}` | {r['mean']*1e3:.1f} | {r['min']*1e3:.1f} | {(r['user']+r['system'])*1e3:.1f} |")
PY
}
docs() { sqlite3 -readonly "$DESK_DB" "SELECT count(*) FROM search WHERE search MATCH '$1'" 2>/dev/null || echo "?"; }
# PART=fields times the fields only, PART=whole the fields over the whole desk in every order,
# PART=search the searches only (the searches and the fields by default).
PART=${PART:-all}
if [ "$PART" = all ] || [ "$PART" = search ]; then
echo "hits: quokka $(docs '"quokka"*'), heating $(docs '"heat"*'), the $(docs '"the"*'), квартира $(docs '"квартир"*')"
hyperfine -N --warmup 3 --runs 30 --style basic --export-json "$W/search.json" \
  -n "search: a rare word" "$DESK search quokka" \
  -n "search: a common word, first page" "$DESK search heating" \
  -n "search: the commonest word, first page" "$DESK search the" \
  -n "search: a common word, open tickets" "$DESK search heating --open" \
  -n "search: a common word in one group" "$DESK search heating --group HOUSING" \
  -n "search: a Cyrillic word" "$DESK search квартира" \
  -n "search: a common word, ranked" "$DESK search heating --rank" \
  -n "search: a common word, ranked, a category" "$DESK search heating --rank --query category:HSG" \
  -n "search: a common word, ranked, a group" "$DESK search heating --rank --group HOUSING" \
  -n "search: a common word, ranked, a rare condition" "$DESK search heating --rank --query 'category:HSG priority:urgent is:waiting'" \
  -n "list --query: three fields" "$DESK list --query 'is:open assignee:none priority>=high'" \
  -n "list --query: group, status category, age" "$DESK list --query 'group:HOUSING is:waiting updated<7d' --all" \
  -n "list --query: or, not, a date" "$DESK list --query '(sla:breached OR priority:urgent) -group:SOCIAL created>=2026-01-01'" \
  -n "list --query: a field and a word" "$DESK list --query 'status:closed heating' --sort age --reverse" \
  -n "list --query: not a status, an age" "$DESK list --query '-status:closed updated<7d'" \
  -n "list --query: a group's open tickets of a priority" "$DESK list --query 'is:open group:HOUSING priority:high'" \
  -n "list --query: a category since a day" "$DESK list --query 'category:HSG created>2026-11-01'" \
  >/dev/null
echo "desk search and desk list --query on $N tickets, one process per command (hyperfine, 30 runs; load $(cut -d' ' -f1-3 /proc/loadavg)):"
table "$W/search.json"
# The ticket with a 25 MB history (250 notes of 100 kB, each the same), and one more note
# after them with a word of its own (added once): words its notes all hold, its subject only,
# its last note only, a phrase, ranked, a word left out, a condition; with each command's peak
# memory (GNU time).
long=$(cat "$DIR/long")
if [ "$(docs '"kone"*')" = 0 ]; then
  "$DESK" comment "$long" "Closing remarks: the lift firm Kone replaced the drive unit" >/dev/null
fi
LONG=(
  "999 keeps" "keeps" "kone" "'\"lift stopped between\"'" "keeps --rank" "kone --rank"
  "999 keeps --rank" "lift -kone" "stopping relay" "keeps --rank --query category:GEN"
)
set --
for a in "${LONG[@]}"; do set -- "$@" -n "search $a" "$DESK search $a"; done
hyperfine -N --warmup 2 --runs 10 --style basic --export-json "$W/long.json" "$@" >/dev/null
echo "desk search on the ticket with a 25 MB history ($long), one process per command (hyperfine, 10 runs; load $(cut -d' ' -f1-3 /proc/loadavg)):"
table "$W/long.json"
echo "peak memory (GNU time, one run each):"
for a in "${LONG[@]}"; do
  eval "/usr/bin/time -f '%M kB  search $a' \"\$DESK\" search $a" 2>&1 >/dev/null | tail -1
done
fi
# Every field of the language alone and beside a group, the negations and the ORs with them:
# `desk list --query Q` (the open tickets unless Q names statuses; a page of 50 in the working
# order and its count), as an agent with open tickets (for `me` and `mine`).
who=$(sqlite3 -readonly "$DESK_DB" "SELECT a.login FROM tickets t JOIN agents a ON a.id = t.assignee_id
  WHERE t.is_open = 1 GROUP BY a.login ORDER BY count(*) DESC, a.login LIMIT 1")
FIELDS=(
  "status:new" "is:waiting" "-status:closed" "-is:done -is:closed" "assignee:me" "assignee:none"
  "-assignee:none" "assignee:$who" "group:mine" "category:HSG" "-category:HSG" "channel:phone"
  "priority:urgent" "priority>=high" "sla:at-risk" "sla:breached" "created>2026-11-01"
  "updated<7d" "due<now" "resolved:2026-11" "closed>2026-11-20" "responded<1d"
  "subject:heating" "(assignee:none OR -is:open)" "(-category:HSG OR priority:urgent)"
)
if [ "$PART" = matrix ]; then
# Each field of the language with each of its operators, open tickets and the whole desk
# (--all), in every order (MATRIX_RUNS runs each, 3 by default, one when the first took over
# 100 ms of processor time; the least wall time and its processor time): every cell to $MATRIX_OUT (TSV, /tmp/desk-matrix.tsv by default), then the
# cells over SLOW ms (20 by default) of processor time (user + system: on a loaded machine the
# wall time is mostly the queue for a core), slowest first. ONLY=REGEX keeps the
# conditions it matches, SORTS="priority due" fewer orders, SCOPES="all" one scope.
login=$(sqlite3 -readonly "$DESK_DB" "SELECT login FROM agents ORDER BY id DESC LIMIT 1")
CONDS=(
  "status:new" "status:closed" "status:new,waiting_info" "-status:closed" "-status:new"
  "is:open" "is:waiting" "is:done" "is:closed" "-is:closed" "-is:done -is:closed"
  "assignee:me" "assignee:none" "assignee:$login" "-assignee:none" "-assignee:me"
  "group:mine" "group:HOUSING" "group:HOUSING,IT" "-group:HOUSING"
  "category:HSG" "category:HSG,DOC" "-category:HSG"
  "priority:urgent" "priority:low,high" "priority>=high" "priority<normal" "-priority:normal"
  "channel:phone" "channel:api,email" "-channel:web"
  "sla:at-risk" "sla:breached" "-sla:breached"
)
for f in created updated due resolved closed responded; do
  CONDS+=("$f>2026-11-01" "$f:2026-10" "$f:2026-06-01..2026-06-15" "$f<7d" "$f>7d")
done
CONDS+=("due<now" "-updated<7d" "updated:today" "created:yesterday")
for f in subject requester number; do CONDS+=("$f:heating"); done
CONDS+=(
  "(assignee:none OR -is:open)" "(-category:HSG OR priority:urgent)" "(status:new OR sla:breached)"
  "(group:HOUSING OR channel:api)" "group:HOUSING priority>=high" "category:HSG updated<7d"
  "assignee:none created>2026-11-01" "-status:closed updated<7d" "channel:phone resolved:2026-10"
)
python3 - "$DESK" "$who" "${MATRIX_RUNS:-3}" "${SLOW:-20}" "${MATRIX_OUT:-/tmp/desk-matrix.tsv}" \
  "${ONLY:-.}" "${SORTS:-priority number status subject requester assignee age updated due}" \
  "${SCOPES:-open all}" "${CONDS[@]}" <<'PY'
import os, re, resource, subprocess, sys, time
desk, who, runs, slow, out, only, sorts, scopes = sys.argv[1:9]
conds = [c for c in sys.argv[9:] if re.search(only, c)]
runs, slow = int(runs), float(slow)
def once(args):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.decode().strip()}")
    return t * 1e3, (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3
cells = []
with open(out, "w") as f:
    f.write("scope\tsort\tquery\twall_ms\tcpu_ms\n")
    for c in conds:
        for scope in scopes.split():
            for s in sorts.split():
                args = [desk, "--as", who, "list", "--limit", "50", "--sort", s, "--query", c]
                if scope == "all":
                    args.append("--all")
                # A slow one once: its processor time says enough.
                tries = [once(args)]
                while len(tries) < runs and tries[0][1] < 100:
                    tries.append(once(args))
                best = min(tries, key=lambda x: x[0])
                cells.append((scope, s, c) + best)
                f.write(f"{scope}\t{s}\t{c}\t{best[0]:.1f}\t{best[1]:.1f}\n")
                f.flush()
bad = sorted((x for x in cells if x[4] > slow), key=lambda x: -x[4])
print(f"{len(cells)} cells ({len(conds)} queries), {len(bad)} over {slow:g} ms of processor time "
      f"(least of {runs}); load {open('/proc/loadavg').read().split()[:3]}; all in {out}")
print("| scope | sort | query | wall ms | cpu ms |\n|:--|:--|:--|--:|--:|")
for scope, s, c, w, u in bad:
    print(f"| {scope} | {s} | `{c}` | {w:.1f} | {u:.1f} |")
PY
exit 0
fi
if [ "$PART" = whole ]; then
set --
for f in "${FIELDS[@]}"; do
  [[ "$f" =~ ${ONLY:-.} ]] || continue
  for s in ${SORTS:-priority number status subject requester assignee age updated due}; do
    set -- "$@" -n "list --query: $f --all --sort $s" "$DESK --as $who list --limit 50 --all --sort $s --query '$f'"
  done
done
hyperfine -N --warmup 1 --runs "${FIELD_RUNS:-10}" --style basic --export-json "$W/whole.json" \
  "$@" >/dev/null
echo "each field over the whole desk in every order, as $who (hyperfine, ${FIELD_RUNS:-10} runs; load $(cut -d' ' -f1-3 /proc/loadavg)):"
table "$W/whole.json"
exit 0
fi
if [ "$PART" != search ]; then
set --
for f in "${FIELDS[@]}"; do
  set -- "$@" -n "list --query: $f" "$DESK --as $who list --limit 50 --query '$f'"
  set -- "$@" -n "list --query: $f group:HOUSING" "$DESK --as $who list --limit 50 --query '$f group:HOUSING'"
done
set -- "$@" -n "list --query: group:HOUSING" "$DESK --as $who list --limit 50 --query 'group:HOUSING'"
hyperfine -N --warmup 2 --runs "${FIELD_RUNS:-10}" --style basic --export-json "$W/fields.json" \
  "$@" >/dev/null
echo "each field, alone and with a group, as $who (hyperfine, ${FIELD_RUNS:-10} runs; load $(cut -d' ' -f1-3 /proc/loadavg)):"
table "$W/fields.json"
fi
[ "$PART" = all ] || exit 0
# A note's cost: each run adds one (the history grows by a few words a run).
long=$(cat "$DIR/long")
fresh=$("$DESK" new --subject "Bench: a new ticket" --category GEN --yes)
echo "history of $long: $(sqlite3 -readonly "$DESK_DB" "SELECT sum(length(e.text)) FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = '$long'") bytes"
hyperfine -N --warmup 2 --runs 20 --style basic --export-markdown "$W/write.md" \
  -n "desk comment: a ticket with a 25 MB history" "$DESK comment $long 'One more visit: all fine'" \
  -n "desk comment: a new ticket" "$DESK comment $fresh 'One more visit: all fine'" \
  >/dev/null
echo "a note, one process per command (hyperfine):"
cat "$W/write.md"
