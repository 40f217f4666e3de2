#!/usr/bin/env bash
# The README's main job on the embedded default: set up, then check the example VPC policy and
# evaluate its sample packets with the reference interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
SLUICE=build/release/cli/sluice
echo "== sluice check examples/vpc.sl"
"$SLUICE" check examples/vpc.sl
echo "== sluice eval examples/vpc.sl (sample packets)"
"$SLUICE" eval examples/vpc.sl --port web1 --dir out --packets examples/vpc.packets
