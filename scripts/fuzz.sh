#!/usr/bin/env bash
# Fuzz the Sluice front end with libFuzzer + AddressSanitizer.
#   scripts/fuzz.sh [SECONDS]      (default 600)
# Installs clang-19 and its runtime if missing, configures build-fuzz/ with SLUICE_FUZZ=ON,
# builds fuzz_parser and runs it over a scratch copy of tests/fuzz/corpus (new inputs found
# while fuzzing stay in build-fuzz/corpus; crashes are written to build-fuzz/crashes/).
set -euo pipefail

seconds="${1:-600}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SLUICE_FUZZ_BUILD:-$root/build-fuzz}"

if ! command -v clang++-19 >/dev/null || ! ls /usr/lib/llvm-19/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y --no-install-recommends clang-19 libclang-rt-19-dev
fi

CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_FUZZ=ON
ninja -C "$build" -j"${SLUICE_JOBS:-2}" fuzz_parser

mkdir -p "$build/corpus" "$build/crashes"
cp -n "$root"/tests/fuzz/corpus/* "$build/corpus/" 2>/dev/null || true
cd "$build"
# -rss_limit_mb guards against runaway memory; -timeout flags hangs as failures.
"$build/tests/fuzz/fuzz_parser" "$build/corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$build/crashes/" -print_final_stats=1
