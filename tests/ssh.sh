#!/usr/bin/env bash
# Many people, one database, for real: sshd on a loopback port, Unix users in a desk group,
# each working over ssh as themselves on one shared desk (desk init --shared).
#   - user A registers and claims tickets; user B (an operator) is refused when changing A's
#     ticket (exit 4, a clear reason); a supervisor reassigns it;
#   - the supervisor's desk runs in a real SSH pty (ssh -t, inside tmux) and shows the other
#     users' changes without a keypress;
#   - the database's -wal and -shm files stay writable for every member, whoever created them.
# Run by .ci/run after cargo test. Needs root (users, sshd); elsewhere it says so and skips.
#   usage: bash tests/ssh.sh [path/to/desk]
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED tests/ssh.sh: it needs root to add Unix users and run sshd"
  exit 0
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC_BIN=${1:-$ROOT/target/debug/desk}
[ -x "$SRC_BIN" ] || { echo "FAIL: no desk binary at $SRC_BIN (run cargo build first)"; exit 1; }
if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ]; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client >/dev/null
fi
command -v tmux >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
SSHD=$(command -v sshd || echo /usr/sbin/sshd)

ID=$$
GROUP=dsk$ID
A=dska$ID; B=dskb$ID; S=dsks$ID
WORK=$(mktemp -d /tmp/desk-ssh.XXXXXX)
chmod 755 "$WORK"
PORT=$((20000 + ID % 20000))
TMUX_SOCK=desk-ssh-$ID
fails=0

cleanup() {
  tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
  [ -f "$WORK/sshd.pid" ] && kill "$(cat "$WORK/sshd.pid")" 2>/dev/null || true
  for u in $A $B $S; do userdel -r "$u" >/dev/null 2>&1 || true; done
  groupdel "$GROUP" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The binary where every user can run it.
mkdir -p "$WORK/bin"
install -m 755 "$SRC_BIN" "$WORK/bin/desk"
DESK="$WORK/bin/desk"

# A group and three users with one key.
groupadd "$GROUP"
for u in $A $B $S; do
  useradd -m -s /bin/bash -G "$GROUP" "$u"
  # No password, but not a locked account: sshd refuses even key logins to locked ones.
  usermod -p '*' "$u"
done
ssh-keygen -q -t ed25519 -N "" -f "$WORK/key"
for u in $A $B $S; do
  install -d -m 700 -o "$u" -g "$u" "/home/$u/.ssh"
  install -m 600 -o "$u" -g "$u" "$WORK/key.pub" "/home/$u/.ssh/authorized_keys"
done

# sshd on loopback only.
ssh-keygen -q -t ed25519 -N "" -f "$WORK/host_key"
mkdir -p /run/sshd
cat >"$WORK/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $WORK/host_key
PidFile $WORK/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $A $B $S
EOF
"$SSHD" -f "$WORK/sshd_config" -E "$WORK/sshd.log"
for _ in $(seq 50); do [ -f "$WORK/sshd.pid" ] && break; sleep 0.1; done

SSH_OPTS=(-i "$WORK/key" -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR)
DB="$WORK/desk/desk.db"
# Run desk over ssh as a user; prints stdout, keeps stderr in $WORK/err, returns desk's code.
as() {
  local user=$1; shift
  local cmd="DESK_DB=$DB LANG=C.UTF-8 $DESK"
  for a in "$@"; do cmd="$cmd $(printf '%q' "$a")"; done
  ssh "${SSH_OPTS[@]}" "$user@127.0.0.1" "$cmd" 2>"$WORK/err"
}

# The shared desk, made by root (its admin), for the group.
"$DESK" init --shared "$WORK/desk" --group "$GROUP" >"$WORK/init.out"
mode=$(stat -c '%a %G' "$WORK/desk")
[ "$mode" = "2770 $GROUP" ] && pass "shared directory is 2770 and belongs to $GROUP" || fail "shared directory is '$mode'"
grep -q "usermod -aG $GROUP" "$WORK/init.out" && pass "init --shared says how to let a colleague in" || fail "init output: $(cat "$WORK/init.out")"
DESK_DB=$DB "$DESK" agent add "$A" --name "Alice A" --role operator --group HOUSING >/dev/null
DESK_DB=$DB "$DESK" agent add "$B" --name "Bob B" --role operator --group HOUSING >/dev/null
DESK_DB=$DB "$DESK" agent add "$S" --name "Sam S" --role supervisor --group HOUSING >/dev/null

# The supervisor's desk over a real SSH pty: it opens the database first (so the -wal and
# -shm files are the supervisor's) and stays open while the others write.
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s s -x 120 -y 40 \
  "ssh -t ${SSH_OPTS[*]} $S@127.0.0.1 'DESK_DB=$DB LANG=C.UTF-8 TERM=xterm-256color $DESK'; sleep 30"
screen() { tmux -L "$TMUX_SOCK" capture-pane -p -t s 2>/dev/null || true; }
wait_for() {
  [ -n "$1" ] || return 1
  for _ in $(seq 150); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
  return 1
}
wait_for "Welcome" && pass "the supervisor's desk runs over ssh -t" || fail "desk over ssh: $(screen)"
[ -O "$WORK/desk/desk.db-shm" ] && fail "-shm should belong to $S" || true
shm_owner=$(stat -c '%U %G %a' "$WORK/desk/desk.db-shm" 2>/dev/null || echo none)
[ "$shm_owner" = "$S $GROUP 660" ] && pass "-shm made by $S is $GROUP-writable (660)" || fail "-shm is '$shm_owner'"

# User A registers and claims tickets, writing through the files the supervisor created.
N1=$(as "$A" new --subject "No heating in flat 12" --requester "Olena K.") && pass "$A registered $N1 over ssh" || fail "$A new: $(cat "$WORK/err")"
N2=$(as "$A" new --subject "Lift broken in entrance 2") || fail "$A second new"
as "$A" claim "$N1" >/dev/null && pass "$A claimed $N1" || fail "$A claim: $(cat "$WORK/err")"
as "$A" move "$N1" in_progress >/dev/null || fail "$A move: $(cat "$WORK/err")"

# User B, an operator, is refused on A's ticket, in one clear line, exit 4.
set +e
as "$B" move "$N1" resolved --outcome granted >/dev/null
code=$?
set -e
if [ "$code" = 4 ] && grep -q "belongs to $A" "$WORK/err" && [ "$(wc -l <"$WORK/err")" = 1 ]; then
  pass "$B is refused on $A's ticket (exit 4: $(cat "$WORK/err"))"
else
  fail "$B on $A's ticket: exit $code, $(cat "$WORK/err")"
fi
as "$B" claim "$N2" >/dev/null && pass "$B can still write (shared -wal/-shm)" || fail "$B claim: $(cat "$WORK/err")"

# The supervisor's desk shows A's and B's changes without a keypress.
tmux -L "$TMUX_SOCK" send-keys -t s 4
wait_for "$N1" && pass "the desk shows $N1 registered by $A" || fail "desk does not show $N1: $(screen)"
wait_for "$B" && pass "the desk shows $B's claim" || fail "desk does not show $B's claim: $(screen)"

# The supervisor reassigns A's ticket to B, with a reason.
as "$S" assign "$N1" "$B" --reason "Alice is on leave" >/dev/null && pass "$S reassigned $N1 to $B" || fail "$S assign: $(cat "$WORK/err")"
owner=$(as "$A" show "$N1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["assignee"])')
[ "$owner" = "$B" ] && pass "$N1 now belongs to $B" || fail "owner is $owner"
as "$A" move "$N1" resolved --outcome granted >/dev/null 2>&1 && fail "$A can still change $N1" || pass "$A can no longer change $N1"
history=$(as "$B" show "$N1" --json)
for who in "$A" "$S"; do
  echo "$history" | grep -q "\"actor\": \"$who\"" && pass "the history records $who" || fail "history lacks $who"
done
echo "$history" | grep -q "Alice is on leave" && pass "the reason is in the history" || fail "no reason in history"

# Another user's change appears in the desk, again without a keypress.
as "$B" move "$N2" in_progress >/dev/null || fail "$B move $N2"
row_changed() {
  for _ in $(seq 150); do screen | grep -F -- "$N2" | grep -qF "In progress" && return 0; sleep 0.1; done
  return 1
}
row_changed && pass "the desk refreshed $N2's row by itself" || fail "no refresh of $N2: $(screen)"
tmux -L "$TMUX_SOCK" send-keys -t s q
sleep 1

as "$S" check >/dev/null && pass "desk check: every invariant holds" || fail "desk check: $(cat "$WORK/err")"
if [ "$fails" -gt 0 ]; then
  echo "tests/ssh.sh: $fails check(s) failed"
  echo "--- sshd log"; tail -20 "$WORK/sshd.log" || true
  exit 1
fi
echo "tests/ssh.sh: all checks passed"
