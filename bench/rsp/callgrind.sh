#!/bin/sh
# Instructions per gateway answer (authenticate, replay window, look up, sign the reply) for
# BATCH destinations: callgrind on N and 2N answers, the difference divided by N (setup cancels).
# usage: bench/rsp/callgrind.sh [BUILD_DIR] [N]
set -eu
build="${1:-build/ci}"
n="${2:-2000}"
bin="$build/bench/rsp/rsp_bench"
count() {
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --handle "$1" "$2" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
    rm -f "$out"
}
for batch in 1 8 24; do
    a=$(count "$n" "$batch")
    b=$(count $((2 * n)) "$batch")
    echo "batch $batch: $(( (b - a) / n )) instructions per answer (includes encoding the query)"
done
