#!/usr/bin/env bash
# The terminal desk's speed, measured inside the release binary (DESK_TIMINGS): the first
# frame from process start, and every key from its read to its frame on screen; plus peak RSS.
# The desk runs in tmux, driven like a person would (scrolling, paging, queues, filtering).
#   usage: bash bench/tui.sh [TICKETS] [WIDTHxHEIGHT]     (default 1000 tickets, 120x40)
#   e.g.   bash bench/tui.sh 1000000
# A desk of TICKETS demo tickets is built once and kept in /tmp/desk-bench-TICKETS.
# DESK_BENCH_DIR names another desk's directory; DESK_BENCH_DB another database to open (a
# postgres:// URL: bench/pg.sh), with DESK_CONFIG its configuration.
set -eu
N=${1:-1000}
SIZE=${2:-120x40}
W=${SIZE%x*}; H=${SIZE#*x}
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install tmux)"; exit 2; }
if [ -z "${DESK:-}" ]; then    # DESK: a kept build instead
  cargo build --release -q
  DESK=$PWD/target/release/desk
fi
DIR=${DESK_BENCH_DIR:-/tmp/desk-bench-$N}
if [ ! -f "$DIR/desk.db" ]; then
  mkdir -p "$DIR"
  "$DESK" --db "$DIR/desk.db" init >/dev/null
  echo "building a desk of $N tickets: $("$DESK" --db "$DIR/desk.db" demo --tickets "$N")"
fi
# Its own tmux server: two benches at once (bench/pg.sh on two desks) do not share one.
SOCK=desk-bench-$$
OUT=$(mktemp -d /tmp/desk-tui.XXXXXX); trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$OUT"' EXIT
tmux -L "$SOCK" -f /dev/null new-session -d -s b -x "$W" -y "$H" \
  "env DESK_DB=${DESK_BENCH_DB:-$DIR/desk.db} ${DESK_CONFIG:+DESK_CONFIG=$DESK_CONFIG} DESK_TIMINGS=$OUT/t LANG=C.UTF-8 /usr/bin/time -v -o $OUT/rss $DESK; sleep 60"
k() { tmux -L "$SOCK" send-keys -t b "$@"; sleep 0.08; }
for _ in $(seq 50); do [ -s "$OUT/t" ] && break; sleep 0.1; done
sleep 0.5
k 4                                   # All open
for _ in $(seq 40); do k j; done      # scrolling
k G; k g                              # bottom, top
for _ in $(seq 20); do k PageDown; done
k 8                                   # All tickets (the whole desk)
for _ in $(seq 20); do k PageDown; done
k G; k g
k Tab; k j; k j; k Tab; k Tab         # panes
k 1; k 2; k 3; k 5; k 6; k 4          # every queue
k /; for c in h e a t; do k "$c"; done; sleep 0.3; k Enter; sleep 0.3; k Escape; sleep 0.3
k /; for c in w a t e r; do k "$c"; done; sleep 0.3; k Enter; sleep 0.3; k Escape; sleep 0.3
k /; for c in o l e n a; do k "$c"; done; sleep 0.3; k Enter; sleep 0.3; k Escape; sleep 0.3
k 4                                    # sorting the open queue by every column, both ways
for _ in $(seq 9); do k o; k O; k O; done
k q
[ -n "${DESK_BENCH_RAW:-}" ] && cp "$OUT/t" "$DESK_BENCH_RAW"
for _ in $(seq 50); do grep -q "Maximum resident" "$OUT/rss" 2>/dev/null && break; sleep 0.1; done
python3 - "$OUT/t" "$OUT/rss" "$N" "$SIZE" <<'PY'
import sys, statistics
t, rss, n, size = sys.argv[1:5]
lines = [l.split() for l in open(t)]
first = [float(l[1]) for l in lines if l[0] == "first_frame_ms"]
keys = sorted(float(l[1]) for l in lines if l[0] == "key_to_frame_ms")
sorts = {}
for l in lines:
    if l[0] == "key_to_frame_ms" and len(l) >= 5 and l[2] in ("o", "O") and l[3] == "open":
        sorts[l[4]] = max(sorts.get(l[4], 0.0), float(l[1]))
filters = sorted(float(l[1]) for l in lines if l[0] == "filter_to_frame_ms")
peak = next((int(l.split(":")[1]) for l in open(rss) if "Maximum resident" in l), 0)
p = lambda q: keys[min(len(keys) - 1, int(q * len(keys)))]
print(f"desk TUI on {int(n):,} tickets at {size}:")
print(f"  first frame        {first[0]:.1f} ms (process start to frame on screen)")
print(f"  key to frame       median {statistics.median(keys):.2f} ms, p95 {p(0.95):.2f} ms, p99 {p(0.99):.2f} ms, max {keys[-1]:.2f} ms over {len(keys)} keys")
if sorts:
    print("  sort open queue    " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(sorts.items(), key=lambda kv: -kv[1])) + " ms (slowest of each)")
if filters:
    print(f"  filter             max {filters[-1]:.1f} ms over {len(filters)} (pause in typing to frame)")
print(f"  peak RSS           {peak / 1024:.1f} MiB")
PY
