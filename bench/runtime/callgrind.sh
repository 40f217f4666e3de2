#!/usr/bin/env bash
# Instructions per packet of the worker step (bench/runtime/RESULTS.md), counted by callgrind
# in runtime_bench's deterministic mode: each case runs with N and 2N packets and the
# difference of the counts is divided by N, so setup and warm-up cancel out.
# Usage: bench/runtime/callgrind.sh BUILD_DIR [CASE:N ...]   (default hit:20000 bare:20000 miss:2000)
# Extra runtime_bench options (e.g. --flows 100000) go in RTB_OPTS.
set -euo pipefail
build="${1:?usage: callgrind.sh BUILD_DIR [CASE:N ...]}"
shift
bench="$build/bench/runtime/runtime_bench"
[ -x "$bench" ] || { echo "no $bench (build the runtime_bench target)" >&2; exit 2; }
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(hit:20000 bare:20000 miss:2000)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
count() {  # case packets -> instructions in sluice_bench_*_step
    local out="$tmp/cg.$1.$2"
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='sluice_bench_*_step' \
        "$bench" --single-core --case "$1" --packets "$2" ${RTB_OPTS:-} --json >"$tmp/json" 2>"$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    grep -E '^(summary|totals):' "$out" | head -1 | awk '{print $2}'
}
for c in "${cases[@]}"; do
    name="${c%%:*}"
    n="${c##*:}"
    a=$(count "$name" "$n")
    b=$(count "$name" $((2 * n)))
    echo "$name: $(( (b - a) / n )) instructions/packet (N=$n: $a, 2N: $b) ${RTB_OPTS:-}"
done
