#!/usr/bin/env bash
# Where attached files are kept: inside the desk's database (what desk does) or as files
# beside it, named by their hash — each as durable as the other (examples/attach_store.rs:
# WAL with synchronous=FULL; the file fsync'd, renamed and its directory fsync'd). Times
# writing COUNT files of a size, one transaction each, and reading every one back.
#   usage: bash bench/attach.sh [COUNT]        (default 50)
# Installs hyperfine from Debian's packages when missing. Builds in release mode.
set -eu
COUNT=${1:-50}
cd "$(dirname "$0")/.."
. bench/hyperfine.sh
cargo build --release -q --example attach_store
AS=$PWD/target/release/examples/attach_store
W=$(mktemp -d /tmp/desk-bench-attach.XXXXXX); trap 'rm -rf "$W"' EXIT
for size in 102400 2097152; do
  mkdir -p "$W/db-$size" "$W/files-$size"
  hyperfine -N --warmup 1 --runs 10 --style basic --export-markdown "$W/write-$size.md" \
    -n "in the database: write $COUNT × $size B" "$AS db write $size $COUNT $W/db-$size" \
    -n "beside it: write $COUNT × $size B" "$AS files write $size $COUNT $W/files-$size" >/dev/null
  hyperfine -N --warmup 1 --runs 10 --style basic --export-markdown "$W/read-$size.md" \
    -n "in the database: read all $size B files" "$AS db read $size 0 $W/db-$size" \
    -n "beside it: read all $size B files" "$AS files read $size 0 $W/files-$size" >/dev/null
  cat "$W/write-$size.md" "$W/read-$size.md" | grep -v '^| Command\|^|:---'
  echo "  on disk: database $(du -sh "$W/db-$size" | cut -f1), beside it $(du -sh "$W/files-$size" | cut -f1)"
done
