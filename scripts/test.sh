#!/usr/bin/env bash
# The README's test command: install packages, build with warnings as errors, run every test.
# Extra arguments go to ctest (e.g. -L fast, -R Golden).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ci
ctest --preset ci -j2 "$@"
