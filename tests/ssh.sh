#!/usr/bin/env bash
# Many people, one desk, for real: sshd on a loopback port, three Unix users who are in no desk
# group, each working over ssh as themselves on the shared desk `desk init --shared` set up
# (the set-id program in a temporary prefix, the desk's directory closed to them):
#   - nobody sets DESK_DB: plain `desk` is the shared desk;
#   - user A registers and claims tickets; user B (an operator) is refused when changing A's
#     ticket (exit 4, a clear reason); a supervisor reassigns it;
#   - the supervisor's desk runs in a real SSH pty (ssh -t, inside tmux) and shows the other
#     users' changes without a keypress;
#   - over ssh the operators cannot list, read or remove the desk's files, and the -wal and
#     -shm files stay root's, as init made them, whoever opens the desk first.
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

# Three users with one key, in no desk group.
for u in $A $B $S; do
  useradd -m -s /bin/bash "$u"
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
DESK="$WORK/prefix/bin/desk"
DIR="$WORK/srv/desk"
DB="$DIR/desk.db"
# Run desk over ssh as a user; prints stdout, keeps stderr in $WORK/err, returns desk's code.
as() {
  local user=$1; shift
  local cmd="LANG=C.UTF-8 $DESK"
  for a in "$@"; do cmd="$cmd $(printf '%q' "$a")"; done
  ssh "${SSH_OPTS[@]}" "$user@127.0.0.1" "$cmd" 2>"$WORK/err"
}
# A shell command over ssh as a user.
on() {
  local user=$1; shift
  ssh "${SSH_OPTS[@]}" "$user@127.0.0.1" "$*" 2>"$WORK/err"
}

# The shared desk, set up by root in one command; root adds the people as agents.
mkdir -p "$WORK/srv"
"$SRC_BIN" init --shared "$DIR" --group "$GROUP" --prefix "$WORK/prefix" >"$WORK/init.out"
mode=$(stat -c '%a %U:%G' "$DIR")
[ "$mode" = "2770 root:$GROUP" ] && pass "the desk's directory is root:$GROUP 2770" || fail "the desk's directory is '$mode'"
mode=$(stat -c '%a %U:%G' "$DESK")
[ "$mode" = "2755 root:$GROUP" ] && pass "the program is root:$GROUP 2755 (setgid)" || fail "the program is '$mode'"
grep -q "agent add LOGIN" "$WORK/init.out" && pass "init --shared says how to add a colleague" || fail "init output: $(cat "$WORK/init.out")"
"$DESK" agent add "$A" --name "Alice A" --role operator --group HOUSING >/dev/null
"$DESK" agent add "$B" --name "Bob B" --role operator --group HOUSING >/dev/null
"$DESK" agent add "$S" --name "Sam S" --role supervisor --group HOUSING >/dev/null
members=$(getent group "$GROUP" | cut -d: -f4)
[ -z "$members" ] && pass "nobody is in the desk's group" || fail "members: $members"

# The supervisor's desk over a real SSH pty: it opens the database first and stays open while
# the others write.
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s s -x 120 -y 40 \
  "ssh -t ${SSH_OPTS[*]} $S@127.0.0.1 'LANG=C.UTF-8 TERM=xterm-256color $DESK'; sleep 30"
screen() { tmux -L "$TMUX_SOCK" capture-pane -p -t s 2>/dev/null || true; }
wait_for() {
  [ -n "$1" ] || return 1
  for _ in $(seq 150); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
  return 1
}
wait_for "Welcome" && pass "the supervisor's desk runs over ssh -t" || fail "desk over ssh: $(screen)"
shm_owner=$(stat -c '%U %G %a' "$DB-shm" 2>/dev/null || echo none)
[ "$shm_owner" = "root $GROUP 660" ] && pass "-shm stays root's after $S opened the desk first" || fail "-shm is '$shm_owner'"

# Over ssh, the operators cannot reach the desk's files.
for attempt in "ls $DIR" "cat $DB" "sqlite3 $DB 'SELECT count(*) FROM tickets'" "rm -f $DB-shm"; do
  if on "$A" "$attempt" >/dev/null; then fail "$A could: $attempt"; else pass "$A cannot: $attempt"; fi
done

# User A registers and claims tickets.
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
as "$B" claim "$N2" >/dev/null && pass "$B can still write" || fail "$B claim: $(cat "$WORK/err")"

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
shm_owner=$(stat -c '%U %G %a' "$DB-shm" 2>/dev/null || echo none)
[ "$shm_owner" = "root $GROUP 660" ] && pass "-wal/-shm are still root's at the end" || fail "-shm is '$shm_owner'"
if [ "$fails" -gt 0 ]; then
  echo "tests/ssh.sh: $fails check(s) failed"
  echo "--- sshd log"; tail -20 "$WORK/sshd.log" || true
  exit 1
fi
echo "tests/ssh.sh: all checks passed"
