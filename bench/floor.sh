#!/usr/bin/env bash
# The floor under a one-shot desk command on this machine (issue 17, target 1): how far `desk
# show` and `desk new` are from the least a process can do to show the same ticket or register
# the same request durably, and how far those least are from fossil's report and fossil's
# `ticket add` (the fastest peer's, which `desk show` and a filtered `desk list` are to beat
# 10×, `desk new` 2×). In ONE hyperfine run (-N, so no shell in between): /bin/true, a Rust
# hello world, bench/show_floor.rs (the same bundled SQLite, the same opening and statements as
# `desk show`, nothing else), bench/show_floor.c (the same in C, the system's SQLite), `desk
# --help`, `desk show NUMBER`, `desk list --group G --limit 50`, fossil's report on as many
# tickets, a process that writes 4 KiB and syncs it once (dd: the least a durable
# acknowledgement costs on this disk), bench/new_floor.rs (the same opening and statements as
# `desk new`, one commit with the same durability, on a copy of the desk of its own), `desk
# new` and fossil's `ticket add`;
# then, for each, perf stat (task-clock, page faults; -r RUNS) and the instructions counted by
# callgrind (user space, the loader included; repeatable on a loaded machine).
#   usage: bash bench/floor.sh [TICKETS] [RUNS]     (default 10000 tickets, 200 runs)
#   e.g.   DESK=/tmp/desk-before FLOOR_RS=/tmp/show_floor NEW_FLOOR=/tmp/new_floor \
#            bash bench/floor.sh                                                (kept builds)
# The desk is bench/all.sh's (/tmp/desk-bench-TICKETS, made by it when missing, or
# DESK_BENCH_DIR); every write row adds a ticket per run to its desk. CALLGRIND=0 skips the
# instruction counts; PERF=0 perf stat; SYNC_ROUNDS=0 the syncs' table (strace, below).
set -eu
N=${1:-10000}
RUNS=${2:-200}
cd "$(dirname "$0")/.."
export USER=${USER:-$(id -un)} LANG=C.UTF-8
. bench/hyperfine.sh
for p in fossil:fossil sqlite3:sqlite3 gcc:gcc; do
  command -v "${p%%:*}" >/dev/null || { echo "floor.sh: needs ${p#*:}" >&2; exit 1; }
done
command -v perf >/dev/null || PERF=0          # without them, those columns say —
command -v valgrind >/dev/null || CALLGRIND=0
if [ -z "${FLOOR_RS:-}" ]; then
  cargo build --release -q --example show_floor
  FLOOR_RS=$PWD/target/release/examples/show_floor
fi
if [ -z "${NEW_FLOOR:-}" ]; then
  cargo build --release -q --example new_floor
  NEW_FLOOR=$PWD/target/release/examples/new_floor
fi
W=$(mktemp -d /tmp/desk-bench-floor.XXXXXX); trap 'rm -rf "$W"' EXIT
gcc -O2 -o "$W/show_floor_c" bench/show_floor.c -lsqlite3
echo 'fn main() { println!("hello"); }' >"$W/hello.rs"
rustc -O -o "$W/hello" "$W/hello.rs"

DIR=${DESK_BENCH_DIR:-/tmp/desk-bench-$N}
export DESK_DB=$DIR/desk.db
if [ ! -f "$DESK_DB" ]; then
  mkdir -p "$DIR"
  $DESK init >/dev/null
  $DESK demo --tickets "$N" >/dev/null 2>&1
fi
NUM=$($DESK list --limit 1 --json | sed -n 's/.*"number": "\(.*\)".*/\1/p' | head -1)
GROUP=$($DESK group list --json | sed -n 's/.*"code": "\(.*\)".*/\1/p' | head -1)
# The group desk routes a GEN request to (the new floor has no router), and the new floor's
# own copy of the desk: it writes the report's figures back as read (bench/new_floor.rs).
NEW_GROUP=$($DESK show "$($DESK new --subject bench-probe --category GEN 2>/dev/null)" --json |
  sed -n 's/^  "group": "\(.*\)",$/\1/p')
mkdir -m 700 "$W/floor" && sqlite3 "$DESK_DB" ".backup $W/floor/desk.db" && chmod 600 "$W/floor/desk.db"
head -c 4096 /dev/urandom >"$W/block"      # what the one-sync row writes and syncs
# fossil's tickets as bench/all.sh makes them, in one transaction (one sync, not N).
(cd "$W" && fossil init -A "$USER" f.fossil >/dev/null)
{
  echo "BEGIN;"
  for i in $(seq "$N"); do
    echo "INSERT INTO ticket(tkt_uuid,tkt_mtime,tkt_ctime,title,status,type) VALUES(lower(hex(randomblob(20))),julianday('now'),julianday('now'),'t$i','Open','Code_Defect');"
  done
  echo "COMMIT;"
} | sqlite3 "$W/f.fossil"

names=("/bin/true" "hello world (Rust)" "show floor (C, system SQLite)" "show floor (Rust, rusqlite)"
  "desk --help" "desk show" "desk list, filtered" "fossil ticket show (report)"
  "one sync (dd, 4 KiB)" "new floor (Rust, rusqlite)" "desk new" "fossil ticket add")
cmds=("/bin/true" "$W/hello" "$W/show_floor_c $DESK_DB $NUM" "$FLOOR_RS $DESK_DB $NUM"
  "$DESK --help" "$DESK show $NUM" "$DESK list --group $GROUP --limit 50"
  "fossil ticket show 0 -R $W/f.fossil -q"
  "dd if=$W/block of=$W/floor/synced bs=4k count=1 conv=notrunc,fsync status=none"
  "$NEW_FLOOR $W/floor/desk.db bench-probe GEN $NEW_GROUP"
  "$DESK new --subject bench-probe --category GEN"
  "fossil ticket add title x status Open type Code_Defect -R $W/f.fossil")
for i in "${!cmds[@]}"; do
  ${cmds[$i]} >/dev/null || { echo "floor.sh: ${names[$i]} failed" >&2; exit 1; }
done
set --
for i in "${!cmds[@]}"; do set -- "$@" -n "${names[$i]}" "${cmds[$i]}"; done
echo "$(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg): hyperfine -N --warmup 20 --runs $RUNS" >&2
hyperfine -N --warmup 20 --runs "$RUNS" --style none --export-json "$W/h.json" "$@" >/dev/null
echo "$(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg): perf stat and callgrind" >&2
: >"$W/stat"
for i in "${!cmds[@]}"; do
  tc=—; pf=—; ir=—
  if [ "${PERF:-1}" != 0 ]; then
    perf stat -x, -e task-clock,page-faults -r "$RUNS" ${cmds[$i]} >/dev/null 2>"$W/perf" || true
    tc=$(awk -F, '$3 == "task-clock" {printf "%.3f", $1}' "$W/perf")
    pf=$(awk -F, '$3 == "page-faults" {print $1}' "$W/perf")
  fi
  if [ "${CALLGRIND:-1}" != 0 ]; then
    # Twice, the second counted: desk's configuration cache is kept per program, and under
    # valgrind the program is another one (the first run parses desk.toml and caches it).
    for _ in 1 2; do
      valgrind --tool=callgrind --callgrind-out-file="$W/cg" ${cmds[$i]} >/dev/null 2>"$W/vg" || true
    done
    ir=$(sed -n 's/^summary: //p' "$W/cg")
  fi
  printf '%s\t%s\t%s\t%s\n' "${names[$i]}" "$tc" "$pf" "$ir" >>"$W/stat"
done
# The syncs of each writing row, at the same moments: SYNC_ROUNDS rounds (default 50), each
# running every writing row once in turn under strace -T (untimed: strace slows the calls it
# traces), so that the rows meet the disk together; per run, the syncs made (fsync, fdatasync)
# and the time spent in them. The hyperfine rows above ran one command's 220 runs after another's.
: >"$W/syncs"
if [ "${SYNC_ROUNDS:-50}" != 0 ] && command -v strace >/dev/null; then
  echo "$(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg): syncs, ${SYNC_ROUNDS:-50} interleaved rounds (strace -T)" >&2
  for _ in $(seq "${SYNC_ROUNDS:-50}"); do
    for i in 8 9 10 11; do
      strace -f -T -e trace=fsync,fdatasync -o "$W/st" ${cmds[$i]} >/dev/null 2>&1 || true
      awk -F'<' -v n="${names[$i]}" '/fsync|fdatasync/ && !/unfinished/ {sub(/>.*/, "", $NF); s += $NF; c++}
        END {printf "%s\t%d\t%.3f\n", n, c, s * 1000}' "$W/st" >>"$W/syncs"
    done
  done
fi
echo "$(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg): done" >&2
python3 - "$W" "$N" "$RUNS" <<'PY'
import json, statistics, sys
w, n, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3]
h = {r["command"]: r for r in json.load(open(f"{w}/h.json"))["results"]}
report = statistics.median(h["fossil ticket show (report)"]["times"])
add = statistics.median(h["fossil ticket add"]["times"])
print(f"one process per command on {n:,} tickets: wall time median and mean ± sd of {runs} runs "
      "(hyperfine -N), task-clock and page faults (perf stat, mean), instructions (callgrind); "
      "the ratio to fossil's report for a reading command, to fossil's ticket add for a writing one")
print()
print("| command | median | mean ± sd | fossil / this | task-clock | page faults | instructions |")
print("|:--|--:|--:|--:|--:|--:|--:|")
for l in open(f"{w}/stat"):
    name, tc, pf, ir = l.rstrip("\n").split("\t")
    r = h[name]; med = statistics.median(r["times"])
    fossil = add if name in ("one sync (dd, 4 KiB)", "new floor (Rust, rusqlite)", "desk new",
                             "fossil ticket add") else report
    ir = f"{int(ir) / 1e6:.2f} M" if ir.isdigit() else ir
    print(f"| {name} | {med * 1000:.2f} ms | {r['mean'] * 1000:.2f} ± {r['stddev'] * 1000:.2f} ms "
          f"| {fossil / med:.1f}× | {tc} ms | {pf} | {ir} |")
syncs = {}
for l in open(f"{w}/syncs"):
    name, count, ms = l.rstrip("\n").split("\t")
    syncs.setdefault(name, []).append((int(count), float(ms)))
if syncs:
    print()
    print(f"the syncs of one run, each writing row once per round in turn ({len(next(iter(syncs.values())))} "
          "rounds, strace -f -T: fsync and fdatasync), median and 90th percentile of the time in them")
    print()
    print("| command | syncs: median (least–most) | time syncing: median | 90th percentile |")
    print("|:--|--:|--:|--:|")
    for name, runs in syncs.items():
        counts = [c for c, _ in runs]; ms = sorted(m for _, m in runs)
        p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
        print(f"| {name} | {statistics.median(counts):g} ({min(counts)}–{max(counts)}) "
              f"| {statistics.median(ms):.2f} ms | {p90:.2f} ms |")
PY
