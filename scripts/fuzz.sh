#!/usr/bin/env bash
# Fuzz Sluice with libFuzzer + AddressSanitizer (docs/fuzzing.md).
#   scripts/fuzz.sh [TARGET] [SECONDS]   TARGET: parser (default), frame, config, control,
#                                        packet_text, rsp, security_groups, lsp, or all (each in
#                                        turn for SECONDS)
#   scripts/fuzz.sh SECONDS              the parser target, as before (default 600 s)
# Installs clang-19 and its runtime if missing, configures build-fuzz/ with SLUICE_FUZZ=ON,
# builds fuzz_TARGET and runs it over a scratch copy of tests/fuzz/corpus/TARGET (new inputs
# found while fuzzing stay in build-fuzz/corpus/TARGET; crashes, hangs, leaks and huge
# allocations are written to build-fuzz/crashes/TARGET/; the log to build-fuzz/logs/). Prints
# one summary line per target: executions, coverage, corpus size, findings. Exit status 1 when
# a target found something. Environment: SLUICE_FUZZ_BUILD (build dir), SLUICE_JOBS (ninja
# jobs), SLUICE_FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=1 -workers=1").
set -euo pipefail

targets_all=(parser frame config control packet_text rsp security_groups lsp)
target="parser"
seconds=600
if [ $# -ge 1 ]; then
    if [[ "$1" =~ ^[0-9]+$ ]]; then
        seconds="$1"
    else
        target="$1"
        seconds="${2:-600}"
    fi
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "fuzz.sh: SECONDS must be a positive number, not '$seconds'" >&2
    exit 2
fi
if [ "$target" = all ]; then
    run=("${targets_all[@]}")
else
    known=0
    for t in "${targets_all[@]}"; do [ "$t" = "$target" ] && known=1; done
    if [ "$known" -eq 0 ]; then
        echo "fuzz.sh: unknown target '$target' (${targets_all[*]} or all)" >&2
        exit 2
    fi
    run=("$target")
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SLUICE_FUZZ_BUILD:-$root/build-fuzz}"

if ! command -v clang++-19 >/dev/null || ! ls /usr/lib/llvm-19/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y --no-install-recommends clang-19 libclang-rt-19-dev
fi

CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_FUZZ=ON >/dev/null
ninja -C "$build" -j"${SLUICE_JOBS:-2}" "${run[@]/#/fuzz_}"

# Longest input per target: policies and configs are text files, frames at most a jumbo frame,
# a control request one line, a packet text one line.
max_len() {
    case "$1" in
        frame) echo 9216 ;;
        packet_text) echo 1024 ;;
        security_groups) echo 16384 ;;  # exports with their interfaces
        lsp) echo 16384 ;;              # a short editing session
        *) echo 4096 ;;
    esac
}

failed=()
mkdir -p "$build/logs"
for t in "${run[@]}"; do
    corpus="$build/corpus/$t"
    crashes="$build/crashes/$t"
    log="$build/logs/$t.log"
    mkdir -p "$corpus" "$crashes"
    cp -n "$root"/tests/fuzz/corpus/"$t"/* "$corpus/" 2>/dev/null || true
    rm -f "$corpus/README.md"
    dict=()
    [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
    before=$(find "$crashes" -type f | wc -l)
    # -rss_limit_mb and -malloc_limit_mb flag runaway memory, -timeout flags hangs.
    status=0
    (cd "$build" && "$build/tests/fuzz/fuzz_$t" "$corpus" "${dict[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -max_len="$(max_len "$t")" -artifact_prefix="$crashes/" -print_final_stats=1 \
        ${SLUICE_FUZZ_ARGS:-}) >"$log" 2>&1 || status=$?
    after=$(find "$crashes" -type f | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1)
    echo "fuzz $t: ${seconds}s, ${execs:-?} executions, ${cov:-no coverage line}," \
         "$((after - before)) new findings (exit $status; log $log)"
    if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then failed+=("$t"); fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]} (see $build/crashes/)" >&2
    exit 1
fi
