#!/usr/bin/env bash
# The README's test command: install packages, build with warnings as errors, run every test;
# then the daemon tests once more under AddressSanitizer + UBSan (issue 9).
# Extra arguments go to ctest (e.g. -L fast, -R Golden); with arguments the ASan pass is
# skipped unless SLUICE_ASAN=1. SLUICE_ASAN=0 skips it always.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ci
ctest --preset ci -j2 "$@"

asan="${SLUICE_ASAN:-}"
if [[ -z "$asan" ]]; then asan=$([[ $# -eq 0 ]] && echo 1 || echo 0); fi
[[ "$asan" == 1 ]] || exit 0

# Only the runtime test binaries and the CLI the namespace tests start are built with the
# asan-ubsan preset (build/asan-ubsan), not the whole tree: CI stays well inside its time.
targets=(runtime_parser_test runtime_ring_test runtime_pcap_test runtime_config_test
         runtime_hardening_test runtime_control_protocol_test runtime_netns_test
         rsp_hmac_test rsp_replay_window_test rsp_codec_test controller_store_test
         gateway_responder_test gateway_relay_test cli_ctl_vm_test cli_gateway_test fuzz_rsp gateway_netns_test)
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan --target "${targets[@]}"
export ASAN_OPTIONS="abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
bin=build/asan-ubsan/tests
status=0
for t in "${targets[@]}"; do
  exe=$(find "$bin" -type f -name "$t" -perm -u+x | head -1)
  [[ -n "$exe" ]] || { echo "asan: $t not built" >&2; status=1; continue; }
  echo "== asan-ubsan: $t"
  if [[ "$t" == runtime_netns_test || "$t" == gateway_netns_test ]]; then
    flock /tmp/sluice-netns.lock "$exe" || status=1
  elif [[ "$t" == fuzz_rsp ]]; then
    "$exe" tests/fuzz/corpus/rsp || status=1
  else
    "$exe" || status=1
  fi
done
exit $status
