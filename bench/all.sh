#!/usr/bin/env bash
# Every speed figure of issue 17 in one run on this machine, printed as one table: desk, the
# peers our users would otherwise pick where they have the operation (fossil, taskwarrior, on
# as many existing items), and the ratio. Per-process figures are timed with hyperfine in the
# same run as the peers' ROUNDS times over (each ratio: the median of the rounds' ratios, so a
# machine shared with other work moves desk and the peers together); the terminal desk's
# figures come from its own timings (bench/tui.sh); the import against a bare SQL loader of
# exactly the rows it wrote (examples/import_floor.rs), the floor on this machine.
#   usage: bash bench/all.sh [TICKETS] [ROUNDS]     (default 10000 tickets, 5 rounds)
#   e.g.   bash bench/all.sh 1000000 3
#          DESK=/tmp/desk-before FLOOR=/tmp/import_floor bash bench/all.sh   (kept builds)
# The desk of TICKETS demo tickets is kept in /tmp/desk-bench-TICKETS between runs (the one
# bench/tui.sh uses; remove it to start over), or in DESK_BENCH_DIR (e.g. a copy of it).
# BEFORE=/tmp/desk-before (a kept build) times that build too, in the same rounds as DESK and
# the peers, as "before: …" rows; ONLY=process stops after the per-process rounds. The floor
# under `desk show` (bench/show_floor.rs: the same SQLite, opening and statements, nothing else;
# FLOOR_RS=a kept build) is timed in the same rounds, its ratio to the peers a row of its own;
# so is the floor under `desk new` (bench/new_floor.rs: the same opening and statements, one
# commit with the same durability; NEW_FLOOR=a kept build), on a copy of the desk of its own.
# Peers are timed up to 100,000 items (taskwarrior reads every pending task at every command: a
# million takes minutes per command).
# Installs hyperfine, fossil, taskwarrior, sqlite3 and tmux from Debian's packages when missing.
set -eu
N=${1:-10000}
ROUNDS=${2:-5}
cd "$(dirname "$0")/.."
export USER=${USER:-$(id -un)} LANG=C.UTF-8
need=""
for p in fossil:fossil task:taskwarrior sqlite3:sqlite3 tmux:tmux hyperfine:hyperfine; do
  command -v "${p%%:*}" >/dev/null || need="$need ${p#*:}"
done
if [ -n "$need" ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need) >/dev/null
fi
. bench/hyperfine.sh
if [ -z "${FLOOR:-}" ] && [ "${ONLY:-}" != process ]; then
  cargo build --release -q --example import_floor
  FLOOR=$PWD/target/release/examples/import_floor
fi
if [ -z "${FLOOR_RS:-}" ]; then
  cargo build --release -q --example show_floor
  FLOOR_RS=$PWD/target/release/examples/show_floor
fi
if [ -z "${NEW_FLOOR:-}" ]; then
  cargo build --release -q --example new_floor
  NEW_FLOOR=$PWD/target/release/examples/new_floor
fi
W=$(mktemp -d /tmp/desk-bench-all.XXXXXX); trap 'rm -rf "$W"' EXIT
R=$W/results; : >"$R"       # one line per figure: key value (ms, or a rate)
say() { echo "$*" >&2; }

# The desk, kept between runs.
DIR=${DESK_BENCH_DIR:-/tmp/desk-bench-$N}
export DESK_DB=$DIR/desk.db
if [ ! -f "$DESK_DB" ]; then
  mkdir -p "$DIR"
  $DESK init >/dev/null
  start=$(date +%s.%N)
  say "demo: $($DESK demo --tickets "$N" 2>/dev/null)"
  echo "demo_rate $(python3 -c "print(round($N / ($(date +%s.%N) - $start)))")" >>"$R"
fi
NUM=$($DESK list --limit 1 --json | sed -n 's/.*"number": "\(.*\)".*/\1/p' | head -1)
GROUP=$($DESK group list --json | sed -n 's/.*"code": "\(.*\)".*/\1/p' | head -1)
# The group desk routes a GEN request to (the new floor has no router), and the new floor's
# own copy of the desk: it writes the report's figures back as read (bench/new_floor.rs).
NEW_GROUP=$($DESK show "$($DESK new --subject 'bench probe' --category GEN 2>/dev/null)" --json |
  sed -n 's/^  "group": "\(.*\)",$/\1/p')
mkdir -m 700 "$W/floor-new" && sqlite3 "$DESK_DB" ".backup $W/floor-new/desk.db"
chmod 600 "$W/floor-new/desk.db"

# The peers, on as many items.
PEERS=0
if [ "$N" -le 100000 ]; then
  PEERS=1
  say "peers: fossil and taskwarrior with $N items each"
  (cd "$W" && fossil init -A "$USER" f.fossil >/dev/null)
  for i in $(seq "$N"); do
    echo "INSERT INTO ticket(tkt_uuid,tkt_mtime,tkt_ctime,title,status,type) VALUES(lower(hex(randomblob(20))),julianday('now'),julianday('now'),'t$i','Open','Code_Defect');"
  done | sqlite3 "$W/f.fossil"
  export TASKRC="$W/taskrc" TASKDATA="$W/task"; mkdir -p "$TASKDATA"
  printf 'data.location=%s\nconfirmation=no\nverbose=nothing\ngc=off\n' "$TASKDATA" >"$TASKRC"
  python3 - "$N" >"$W/tasks.json" <<'PY'
import json, sys, uuid
n = int(sys.argv[1])
print("[" + ",".join(json.dumps({"uuid": str(uuid.uuid4()), "description": f"t{i}", "status": "pending",
      "entry": "20260101T000000Z", "project": "p%d" % (i % 20)}) for i in range(n)) + "]")
PY
  task import "$W/tasks.json" >/dev/null 2>&1
fi

# Per process: desk and the peers side by side, ROUNDS times.
for r in $(seq "$ROUNDS"); do
  say "round $r of $ROUNDS: one process per command (hyperfine)"
  set -- -n "desk new" "$DESK new --subject 'bench probe' --category GEN" \
    -n "desk show" "$DESK show $NUM" \
    -n "desk list, filtered" "$DESK list --group $GROUP --limit 50" \
    -n "show floor (bare SQLite)" "$FLOOR_RS $DESK_DB $NUM" \
    -n "new floor (bare SQLite)" "$NEW_FLOOR $W/floor-new/desk.db 'bench probe' GEN $NEW_GROUP"
  if [ -n "${BEFORE:-}" ]; then
    set -- "$@" -n "before: desk new" "$BEFORE new --subject 'bench probe' --category GEN" \
      -n "before: desk show" "$BEFORE show $NUM" \
      -n "before: desk list, filtered" "$BEFORE list --group $GROUP --limit 50"
  fi
  if [ "$PEERS" = 1 ]; then
    set -- "$@" -n "fossil ticket add" "fossil ticket add title x status Open type Code_Defect -R $W/f.fossil" \
      -n "task add" "task add perf probe" \
      -n "fossil ticket show (report)" "fossil ticket show 0 -R $W/f.fossil -q" \
      -n "task list project:p3" "task project:p3 list"
  fi
  hyperfine -N --warmup 3 --runs 20 --style none --export-json "$W/round-$r.json" "$@" >/dev/null
done

# Import: M requests as JSON lines into a new desk, against the floor (same rows, bare SQL).
M=$(( N < 100000 ? N : 100000 ))
if [ "${ONLY:-}" != process ]; then
say "import: $M requests into a new desk, and the bare SQL loader of the same rows"
python3 - "$M" >"$W/import.jsonl" <<'PY'
import json, random, sys
random.seed(17)
words = ("printer network password mail laptop screen keyboard slow broken error login account "
         "server backup disk heating water leak pension certificate noise lift door").split()
for i in range(int(sys.argv[1])):
    print(json.dumps({"subject": " ".join(random.choices(words, k=5)),
                      "body": " ".join(random.choices(words, k=30)),
                      "requester": f"Requester {i % 5000}", "contact": f"r{i % 5000}@example.org",
                      "ref": f"bench-{i}"}))
PY
mkdir -p "$W/empty"
$DESK --db "$W/empty/desk.db" init >/dev/null
hyperfine -N --runs 3 --style none --export-json "$W/import.json" \
  --prepare "sh -c 'rm -rf $W/imp && cp -r $W/empty $W/imp'" \
  -n "desk import" "$DESK --db $W/imp/desk.db import $W/import.jsonl" >/dev/null
for i in 1 2 3; do
  rm -rf "$W/floor" && cp -r "$W/empty" "$W/floor"
  "$FLOOR" "$W/imp/desk.db" "$W/floor/desk.db" | sed -n 's/.* in \([0-9]*\) ms.*/floor_ms \1/p' >>"$R"
done
rm -rf "$W/imp" "$W/floor"

# Search and report on the kept desk: a rare word (three tickets hold it, registered once here)
# and the commonest word of the desk, a year's report.
RARE=zanzibar
if [ "$($DESK search --json --limit 5 $RARE | grep -c '"number"')" -lt 3 ]; then
  for i in 1 2 3; do $DESK new --subject "Zanzibar visit $i" --category GEN >/dev/null; done
fi
COMMON=$(sqlite3 "$DESK_DB" "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search, row);
  SELECT term FROM v WHERE term GLOB '[a-z][a-z][a-z][a-z]*' ORDER BY doc DESC LIMIT 1")
TO=$(date +%F); YEAR=$(date -d "$TO - 364 days" +%F)
say "search ('$RARE', rare; '$COMMON', common) and a year's report"
hyperfine -N --warmup 2 --runs 10 --style none --export-json "$W/read.json" \
  -n "desk search, a rare word" "$DESK search $RARE" \
  -n "desk search, a common word" "$DESK search $COMMON" \
  -n "desk report, a year" "$DESK report --from $YEAR --to $TO" >/dev/null

# The terminal desk: first frame, keys, sorting, filtering, memory.
if command -v tmux >/dev/null; then
  say "the terminal desk (bench/tui.sh)"
  DESK_BENCH_DIR=$DIR bash bench/tui.sh "$N" >"$W/tui.txt"
fi
fi

python3 - "$W" "$N" "$ROUNDS" "$PEERS" "$M" <<'PY'
import glob, json, re, statistics, sys, os
w, n, rounds, peers, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
med = statistics.median
def times(path):
    return {r["command"]: med(r["times"]) * 1000 for r in json.load(open(path))["results"]}
rs = [times(p) for p in sorted(glob.glob(f"{w}/round-*.json"))]
res = {}
for l in open(f"{w}/results"):
    k, v = l.split()
    res.setdefault(k, []).append(float(v))
rows = []
def ms(v): return "—" if v is None else (f"{v:.1f} ms" if v < 1000 else f"{v / 1000:.2f} s")
def row(what, desk, fossil=None, task=None, ratio=None, target=""):
    rows.append((what, desk, fossil or "—", task or "—", ratio or "—", target))
def versus(name, fossil, task, target):
    d = med(r[name] for r in rs)
    if not peers:
        row(name, ms(d), target=target); return
    f = med(r[fossil] for r in rs); t = med(r[task] for r in rs)
    ratio = med(min(r[fossil], r[task]) / r[name] for r in rs)
    row(name, ms(d), f"{ms(f)} ({fossil[7:] if fossil.startswith('fossil ') else fossil})",
        f"{ms(t)} ({task})",
        f"{ratio:.1f}× faster" if ratio >= 1 else f"{1 / ratio:.1f}× slower", target)
versus("desk new", "fossil ticket add", "task add", "≥ 2× the fastest peer")
versus("desk show", "fossil ticket show (report)", "task list project:p3", "≥ 10×")
versus("desk list, filtered", "fossil ticket show (report)", "task list project:p3", "≥ 10×")
versus("show floor (bare SQLite)", "fossil ticket show (report)", "task list project:p3", "(the floor)")
versus("new floor (bare SQLite)", "fossil ticket add", "task add", "(the floor)")
if "before: desk new" in rs[0]:
    versus("before: desk new", "fossil ticket add", "task add", "≥ 2× the fastest peer")
    versus("before: desk show", "fossil ticket show (report)", "task list project:p3", "≥ 10×")
    versus("before: desk list, filtered", "fossil ticket show (report)", "task list project:p3", "≥ 10×")
if os.path.exists(f"{w}/import.json"):
    imp = json.load(open(f"{w}/import.json"))["results"][0]
    imp_s = med(imp["times"]); floor_s = med(res["floor_ms"]) / 1000
    row(f"desk import, {m:,} requests", f"{m / imp_s:,.0f} /s ({imp_s:.2f} s)",
        ratio=f"{floor_s / imp_s:.0%} of the floor", target="≥ 100,000 /s")
    row("bare SQL loader, same rows (floor)", f"{m / floor_s:,.0f} /s ({floor_s:.2f} s)")
if "demo_rate" in res:
    row("desk demo (this run)", f"{res['demo_rate'][0]:,.0f} tickets/s")
if os.path.exists(f"{w}/read.json"):
    rd = times(f"{w}/read.json")
    row("desk search, a rare word", ms(rd["desk search, a rare word"]), target="< 20 ms at 1M")
    row("desk search, a common word (first page)", ms(rd["desk search, a common word"]), target="< 50 ms at 1M")
    row("desk report, a year", ms(rd["desk report, a year"]), target="< 0.3 s at 1M")
if os.path.exists(f"{w}/tui.txt"):
    t = open(f"{w}/tui.txt").read()
    def grab(pat):
        x = re.search(pat, t)
        return float(x.group(1)) if x else None
    row("desk: first frame", ms(grab(r"first frame\s+([\d.]+)")), target="< 20 ms at 1M")
    row("desk: key to frame, p99", ms(grab(r"p99 ([\d.]+)")), target="< 10 ms at 1M")
    sorts = re.search(r"sort open queue\s+(\S+) ([\d.]+)", t)
    if sorts:
        row(f"desk: sorting the open queue (slowest: {sorts.group(1)})", ms(float(sorts.group(2))), target="< 20 ms at 1M")
    row("desk: applying a filter (slowest)", ms(grab(r"filter\s+max ([\d.]+)")), target="< 20 ms at 1M")
    rss = grab(r"peak RSS\s+([\d.]+)")
    row("desk: peak RSS", "—" if rss is None else f"{rss:.1f} MiB", target="< 30 MiB at 1M")
print(f"desk against its peers on {n:,} existing tickets, {os.uname().nodename}, {os.cpu_count()} cores, "
      f"{__import__('datetime').date.today()}; per process: median of {rounds} hyperfine rounds")
print()
print("| figure | desk | fossil | taskwarrior | ratio | target |")
print("|:--|--:|--:|--:|--:|:--|")
for r in rows:
    print("| " + " | ".join(r) + " |")
PY
