#!/usr/bin/env bash
# Reload latency from request to swap (issue 13) through the real daemon: `sluice run` on a
# null device with a ClassBench policy (`sluice import classbench`), then `sluice ctl reload
# --json` alternating between the policy and a copy whose first rule denies (each reload a
# real change: check, verify, diff, compile + validate, swap). Prints one JSON line per
# reload and a median line per set.
#   bench/runtime/reload_latency.sh [BUILD_DIR] [REPEAT] [SET...]
#   e.g. bench/runtime/reload_latency.sh build/ci 5 acl1_1k acl1_10k
set -euo pipefail
BUILD=${1:-build/ci}
REPEAT=${2:-5}
shift $(( $# >= 2 ? 2 : $# ))
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(acl1_1k acl1_10k)
HERE=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${SLUICE_CLASSBENCH:-/work/shared/bench-data/classbench}  # ../shared from /work/main
SLUICE=$(cd "$BUILD" && pwd)/cli/sluice
WORK=$(mktemp -d)
DAEMON=
cleanup() {
    [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

for set in "${SETS[@]}"; do
    "$SLUICE" import classbench "$DATA/$set" -o "$WORK/$set.sl" >/dev/null
    rules=$(grep -c ' rule r' "$WORK/$set.sl")
    # The variant: the first rule's action allow -> deny.
    awk 'done == 0 && / rule r0 / { sub(/action allow;/, "action deny;"); done = 1 } { print }' \
        "$WORK/$set.sl" >"$WORK/$set-v.sl"
    sock="$WORK/$set.sock"
    printf '{"policy": "%s", "slow_path": "compiled", "ports": {"p0": "null"}, "control_socket": "%s"}\n' \
        "$WORK/$set.sl" "$sock" >"$WORK/$set.json"
    "$SLUICE" run "$WORK/$set.json" --quiet 2>"$WORK/$set.log" &
    DAEMON=$!
    for _ in $(seq 1 6000); do [ -S "$sock" ] && break; sleep 0.05; done
    [ -S "$sock" ] || { cat "$WORK/$set.log"; exit 1; }
    lat=()
    for i in $(seq 1 "$REPEAT"); do
        if [ $((i % 2)) = 1 ]; then f="$WORK/$set-v.sl"; else f="$WORK/$set.sl"; fi
        out=$("$SLUICE" ctl --socket "$sock" reload "$f" --json || true)
        echo "$out" | python3 -c '
import json, sys
a = json.load(sys.stdin)
print(json.dumps({"set": sys.argv[1], "rules": int(sys.argv[2]), "result": a["result"],
                  "request_to_swap_ms": round(a["request_to_swap_ms"], 1),
                  "ms": {k: round(v, 1) for k, v in a["ms"].items()},
                  "swap_us": round(a.get("swap_us", 0), 1)}))' "$set" "$rules"
        lat+=("$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["request_to_swap_ms"])')")
    done
    printf '%s\n' "${lat[@]}" | python3 -c '
import statistics, sys
v = [float(x) for x in sys.stdin]
print("{\"set\": \"%s\", \"rules\": %s, \"reloads\": %d, \"request_to_swap_ms_median\": %.1f}"
      % (sys.argv[1], sys.argv[2], len(v), statistics.median(v)))' "$set" "$rules"
    kill "$DAEMON"
    wait "$DAEMON" || true
    DAEMON=
done
