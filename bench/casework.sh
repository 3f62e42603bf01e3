#!/usr/bin/env bash
# Case work on a big desk (hyperfine, whole processes), on a demo of N tickets (default
# 100000; kept in /tmp/desk-bench-casework-N between runs, remove it to start over):
#   - desk merge: M merges, one process each (an open duplicate into a ticket not closed; the
#     demo leaves ~560 open and ~150 done, so 4 batches of M = 40);
#   - desk attach: M files of 100 KiB, one process each, each to another ticket (the same
#     content: stored once, as desk keeps files by hash);
#   - desk tick: the first run after the demo (every escalation and reminder that fell due
#     meanwhile: the catch-up), then a run with nothing left to do (what the timer costs
#     every few minutes), then the first run again on a desk that mails its supervisors
#     (each alert also a notice in the outbox).
# The merge and attach figures are M divided by hyperfine's mean time of the whole batch.
#   usage: bash bench/casework.sh [N] [M]        (default 100000 40)
set -eu
N=${1:-100000}
M=${2:-40}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
. bench/demo.sh
setup() {
  $DESK agent add timers --role system --name "Timers" >/dev/null
  # Tickets to merge and attach to, by number (read-only): open duplicates, targets that are
  # not closed (done ones, then open ones from the other end), any ticket for files.
  q() { sqlite3 -readonly "$DESK_DB" "$1"; }
  q "SELECT number FROM tickets WHERE is_open = 1 ORDER BY id" > "$W/dups"
  { q "SELECT number FROM tickets WHERE is_open = 0 AND status NOT IN ('closed') ORDER BY id"
    q "SELECT number FROM tickets WHERE is_open = 1 ORDER BY id DESC"; } > "$W/targets"
  q "SELECT number FROM tickets ORDER BY id DESC" > "$W/all"
  sqlite3 "$DESK_DB" ".backup '$W/before-tick.db'"
}
demo_desk casework "$N" setup
# The file to attach lives outside the desk's directory (desk refuses its own files).
F=$W-files; mkdir -p "$F"; [ -s "$F/scan.bin" ] || head -c 102400 /dev/urandom > "$F/scan.bin"
# Each run starts from the demo as it was made; each batch takes the next M: M duplicates
# merged into M targets, or M files attached.
rm -f "$W/desk.db-wal" "$W/desk.db-shm"; cp "$W/before-tick.db" "$W/desk.db"
echo 0 > "$W/next-merge"; echo 0 > "$W/next-attach"
cat > "$W/batch.sh" <<SH
#!/usr/bin/env bash
set -eu
i=\$(cat "$W/next-\$1"); echo \$(( i + $M )) > "$W/next-\$1"
take() { sed -n "\$(( i + 1 )),\$(( i + $M ))p" "\$1"; }
case "\$1" in
  merge) paste <(take "$W/dups") <(take "$W/targets") | while read -r dup target; do
           $DESK merge "\$dup" --into "\$target" --reason "bench" >/dev/null
         done ;;
  attach) take "$W/all" | while read -r n; do $DESK attach "\$n" "$F/scan.bin" >/dev/null; done ;;
esac
test "\$(take "$W/dups" | wc -l)" -eq $M
SH
chmod +x "$W/batch.sh"
hyperfine -N --warmup 1 --runs 3 --style basic --export-markdown "$W/batches.md" \
  -n "desk merge × $M" "$W/batch.sh merge" \
  -n "desk attach (100 KiB) × $M" "$W/batch.sh attach" >/dev/null
grep -v '^|:---' "$W/batches.md"
# The first tick after the demo: everything that fell due at once (on a copy each run).
printf '#!/bin/sh\nrm -f %s/tick.db-wal %s/tick.db-shm\ncp %s/before-tick.db %s/tick.db\n' "$W" "$W" "$W" "$W" > "$W/fresh.sh"
chmod +x "$W/fresh.sh"
hyperfine -N --runs 3 --style basic --export-markdown "$W/tick.md" \
  --prepare "$W/fresh.sh" \
  -n "desk tick, first run (catch-up)" "env DESK_DB=$W/tick.db $DESK --as timers tick" >/dev/null
echo "  the first run did: $(DESK_DB=$W/tick.db $DESK --as timers tick --json >/dev/null; \
  sqlite3 -readonly "$W/tick.db" "SELECT count(*) || ' escalations, ' FROM events WHERE kind = 'escalated'; \
  SELECT count(*) || ' reminders, ' FROM events WHERE kind = 'reminded'; \
  SELECT count(*) || ' alerts' FROM alerts" | tr -d '\n')"
hyperfine -N --warmup 2 --runs 10 --style basic --export-markdown "$W/tick2.md" \
  -n "desk tick, nothing due" "env DESK_DB=$W/tick.db $DESK --as timers tick" >/dev/null
# The same first run on a desk that mails, every supervisor and admin with an address: each
# alert is also a notice in the outbox, written with it.
MW=$W/mailed
if [ ! -s "$MW/before-tick.db" ]; then
  rm -rf "$MW"; mkdir -p "$MW/letters"
  { cat "$W/desk.toml"; printf '\n[mail]\nfrom = "desk@example.org"\ntransport = "dir:%s"\n' "$MW/letters"; } > "$MW/desk.toml"
  cp "$W/before-tick.db" "$MW/work.db"
  for login in $(sqlite3 -readonly "$MW/work.db" \
      "SELECT login FROM agents WHERE role IN ('supervisor', 'admin') AND active = 1"); do
    DESK_DB=$MW/work.db $DESK agent set "$login" --mail "$login@example.org" >/dev/null
  done
  # One file (the changes are in its WAL until then).
  sqlite3 "$MW/work.db" ".backup '$MW/before-tick.db'"; rm -f "$MW"/work.db*
fi
printf '#!/bin/sh\nrm -f %s/tick.db-wal %s/tick.db-shm\ncp %s/before-tick.db %s/tick.db\n' "$MW" "$MW" "$MW" "$MW" > "$MW/fresh.sh"
chmod +x "$MW/fresh.sh"
hyperfine -N --runs 3 --style basic --export-markdown "$W/tick3.md" \
  --prepare "$MW/fresh.sh" \
  -n "desk tick, first run, supervisors mailed" "env DESK_DB=$MW/tick.db $DESK --as timers tick" >/dev/null
echo "  mailed: $(sqlite3 -readonly "$MW/tick.db" "SELECT count(*) FROM outbox WHERE kind = 'alert'") alerts in the outbox"
grep -v '^| Command\|^|:---' "$W/tick.md" "$W/tick2.md" "$W/tick3.md" | cut -d: -f2-
