#!/usr/bin/env bash
# What the trust boundary costs per process: `desk new` and `desk show` before it (the desk of
# commit BEFORE) and after it, on a desk of one's own (the hash chain, signing in) and on the
# shared desk (before: the old group-writable directory; after: the set-id program with its
# registry checks, environment cleaning and the chain), each run by the same operator.
#   usage: sudo bash bench/trust.sh [N] [BEFORE]     (N tickets, default 100000; BEFORE, a
#          commit before the trust boundary, default f0d7898)
# Root: it adds a per-run user and groups and a temporary prefix, and removes them at the end.
set -eu
N=${1:-100000}
BEFORE=${2:-f0d7898}
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/trust.sh needs root (a user, groups, a set-id program)"; exit 1; }
. bench/hyperfine.sh
NEW=$DESK
ID=$$
W=/tmp/desk-bench-trust-$ID
OP=dbop$ID; OLDG=dbold$ID; NEWG=dbnew$ID
cleanup() {
  userdel -r "$OP" >/dev/null 2>&1 || true
  groupdel "$OLDG" >/dev/null 2>&1 || true
  groupdel "$NEWG" >/dev/null 2>&1 || true
  git worktree remove --force "$W/before-src" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W" && chmod 755 "$W"

# The desk before the trust boundary, built in release mode (kept in target/bench-before).
BT=$PWD/target/bench-before
if [ ! -x "$BT/$BEFORE/desk" ]; then
  git worktree add -f "$W/before-src" "$BEFORE" >/dev/null 2>&1
  (cd "$W/before-src" && CARGO_TARGET_DIR="$BT/build" cargo build --release -q)
  mkdir -p "$BT/$BEFORE" && cp "$BT/build/release/desk" "$BT/$BEFORE/desk"
fi
OLD=$BT/$BEFORE/desk

groupadd "$OLDG"
useradd -m -s /bin/bash -G "$OLDG" "$OP"
as_op() { runuser -u "$OP" -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/home/$OP "$@"; }

# Desks of one's own, before and after.
as_op "$OLD" --db "/home/$OP/before.db" init >/dev/null
as_op "$OLD" --db "/home/$OP/before.db" demo --tickets "$N" >/dev/null
as_op "$NEW" --db "/home/$OP/after.db" init >/dev/null
as_op "$NEW" --db "/home/$OP/after.db" demo --tickets "$N" >/dev/null
# The shared desk before: the old README's layout (the operator in its group).
mkdir -p "$W/old-shared"
DESK_DB=$W/old-shared/desk.db "$OLD" init --shared "$W/old-shared" --group "$OLDG" >/dev/null
DESK_DB=$W/old-shared/desk.db "$OLD" demo --tickets "$N" >/dev/null
DESK_DB=$W/old-shared/desk.db "$OLD" agent add "$OP" --role operator >/dev/null
# The shared desk after: desk init --shared, the set-id program in a temporary prefix.
mkdir -p "$W/srv"
"$NEW" init --shared "$W/srv/desk" --group "$NEWG" --prefix "$W/prefix" >/dev/null
SETID=$W/prefix/bin/desk
"$SETID" demo --tickets "$N" >/dev/null
"$SETID" agent add "$OP" --role operator >/dev/null

number() { as_op "$@" list --all --limit 1 --json | sed -n 's/.*"number": "\(.*\)".*/\1/p' | head -1; }
NB=$(number "$OLD" --db "/home/$OP/before.db")
NA=$(number "$NEW" --db "/home/$OP/after.db")
NOS=$(number "$OLD" --db "$W/old-shared/desk.db")
NNS=$(number "$SETID")

run() {
  runuser -u "$OP" -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/home/$OP \
    hyperfine -N --warmup 5 --runs 50 --style basic --export-markdown "/home/$OP/$1.md" "${@:2}" >/dev/null
  cat "/home/$OP/$1.md"
}
echo "desk new and desk show on $N existing tickets, per process, run by an operator (hyperfine):"
echo
echo "A desk of one's own (before: $BEFORE; after: the hash chain and signing in):"
run own \
  -n "before: desk new" "$OLD --db /home/$OP/before.db new --subject probe --category GEN" \
  -n "after: desk new" "$NEW --db /home/$OP/after.db new --subject probe --category GEN" \
  -n "before: desk show" "$OLD --db /home/$OP/before.db show $NB" \
  -n "after: desk show" "$NEW --db /home/$OP/after.db show $NA"
echo
echo "The shared desk (before: a group-writable directory, the operator in its group, DESK_DB;"
echo "after: the set-id program, no group, no DESK_DB):"
run shared \
  -n "before: desk new" "$OLD --db $W/old-shared/desk.db new --subject probe --category GEN" \
  -n "after: desk new" "$SETID new --subject probe --category GEN" \
  -n "before: desk show" "$OLD --db $W/old-shared/desk.db show $NOS" \
  -n "after: desk show" "$SETID show $NNS"
