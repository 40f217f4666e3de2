#!/usr/bin/env bash
# Installs every Debian package Sluice needs, then configures and builds it.
# Idempotent: re-running skips packages already present and rebuilds incrementally.
# Usage: scripts/setup.sh [PRESET]   (PRESET defaults to "release"; see CMakePresets.json)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  llvm-19-dev libzstd-dev
  antlr4 libantlr4-runtime-dev default-jre-headless
  libz3-dev libbdd-dev
  dpdk dpdk-dev libdpdk-dev
  librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libpcap-dev
  ccache libssl-dev
  iproute2 iputils-ping netcat-openbsd tshark tcpdump ethtool iperf3 iptables
  graphviz
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PRESET="${1:-release}"
cmake --preset "$PRESET" >/dev/null
cmake --build --preset "$PRESET"
