#!/usr/bin/env bash
# Many writers at once (tests/load.rs) in release mode for longer: 3 command-line workers
# (new, claim, comment, move, resolve), an intake stream, and 2 headless desks racing for
# unassigned tickets. Prints acknowledged actions/s and the latency of the slowest action.
#   usage: bash bench/load.sh [SECONDS]      (default 20)
set -eu
cd "$(dirname "$0")/.."
DESK_LOAD_SECONDS=${1:-20} cargo test --release --test load -- --nocapture 2>&1 | grep -E "^load:|^  (command line|desk):|test result"
