#!/usr/bin/env bash
# The README's main job: build (scripts/setup.sh), then run the embedded default vSwitch
# (examples/run/default.json + examples/run/demo.sl) with two VMs as network namespaces with
# real Linux stacks attached through veth + af_packet; ping and a TCP transfer the policy
# allows, a connection it blocks (TCP 9090), a DNAT'ed VIP, then the counters.
# Where namespaces cannot be made (not root, no `ip netns`), it says so and runs pcap in ->
# pcap out instead. Usage: scripts/demo.sh [--no-build] [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=build/release
if [ "${1:-}" = "--no-build" ]; then shift; else scripts/setup.sh >/dev/null || exit 1; fi
[ -n "${1:-}" ] && BUILD_DIR=$1
SLUICE=$ROOT/$BUILD_DIR/cli/sluice
[ -x "$SLUICE" ] || { echo "demo: $SLUICE not built"; exit 1; }
WORK=$(mktemp -d /tmp/sluice-demo.XXXXXX)
SOCK=$WORK/sluice.sock
TAG=sd$$
SW=${TAG}sw VM1=${TAG}vm1 VM2=${TAG}vm2
PID=""

cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    for n in $VM1 $VM2 $SW; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

can_netns() {
    [ "$(id -u)" -eq 0 ] || { echo "demo: not root: network namespaces cannot be made"; return 1; }
    ip netns add "${TAG}probe" 2>/dev/null || { echo "demo: \`ip netns\` is unavailable"; return 1; }
    ip netns del "${TAG}probe"
}

pcap_demo() {
    step "pcap in -> pcap out (no namespaces): $WORK"
    python3 - "$WORK" <<'PY'
import struct, sys
def csum(b):
    s = sum((b[i] << 8) + (b[i+1] if i+1 < len(b) else 0) for i in range(0, len(b), 2))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def frame(sport, dport, dst=b'\x0a\x0a\x00\x02'):
    src = b'\x0a\x0a\x00\x01'
    tcp = bytearray(struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 0x50, 0x02, 65535, 0, 0))
    pseudo = src + dst + struct.pack('!BBH', 0, 6, len(tcp))
    struct.pack_into('!H', tcp, 16, csum(pseudo + tcp))
    ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, dst))
    struct.pack_into('!H', ip, 10, csum(ip))
    return bytes.fromhex('0200000000fe') + bytes.fromhex('0200000a0001') + b'\x08\x00' + bytes(ip) + bytes(tcp)
frames = [frame(40001, 8080), frame(40002, 9090), frame(40003, 80, b'\x0a\x0a\x00\x64')]
with open(sys.argv[1] + '/vm1-in.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack('<IIII', i + 1, 0, len(fr), len(fr)) + fr)
PY
    sed -e "s#\"demo.sl\"#\"$ROOT/examples/run/demo.sl\"#" \
        -e "s#af_packet:sl-vm1-sw#pcap:$WORK/vm1-in.pcap:$WORK/vm1-out.pcap#" \
        -e "s#af_packet:sl-vm2-sw#pcap::$WORK/vm2-out.pcap#" \
        -e "s#/run/sluice/sluice.sock#$SOCK#" examples/run/default.json > "$WORK/config.json"
    echo "in:  3 TCP SYNs from vm1: to vm2:8080 (allowed), to vm2:9090 (blocked), to the VIP 10.10.0.100:80"
    "$SLUICE" run "$WORK/config.json" --duration 2
    echo "out (vm2's device):"
    if command -v tshark >/dev/null; then tshark -r "$WORK/vm2-out.pcap" 2>/dev/null
    else tcpdump -nr "$WORK/vm2-out.pcap" 2>/dev/null || ls -l "$WORK/vm2-out.pcap"; fi
}

if [ -n "${SLUICE_DEMO_PCAP:-}" ]; then echo "demo: SLUICE_DEMO_PCAP set: pcap mode"; pcap_demo; exit $?; fi
if ! can_netns; then pcap_demo; exit $?; fi

step "topology: namespaces $VM1 (10.10.0.1) and $VM2 (10.10.0.2), vSwitch in $SW"
for n in $SW $VM1 $VM2; do
    ip netns add "$n"
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
setup_vm() {  # ns mac ip switch-side-interface
    ip link add "$4" netns "$SW" type veth peer name eth0 netns "$1"
    ip -n "$1" link set eth0 address "$2"
    ip -n "$1" addr add "$3/24" dev eth0
    ip -n "$1" link set eth0 up
    ip -n "$SW" link set "$4" up
    # af_packet hands frames over as the kernel built them: no checksum offload on the VM side.
    ip netns exec "$1" ethtool -K eth0 tx off >/dev/null 2>&1 || echo "demo: note: ethtool missing; TCP checksums may be left to offload"
}
setup_vm "$VM1" 02:00:00:0a:00:01 10.10.0.1 sl-vm1-sw
setup_vm "$VM2" 02:00:00:0a:00:02 10.10.0.2 sl-vm2-sw

step "sluice run examples/run/default.json (policy examples/run/demo.sl)"
sed -e "s#\"demo.sl\"#\"$ROOT/examples/run/demo.sl\"#" -e "s#/run/sluice/sluice.sock#$SOCK#" \
    examples/run/default.json > "$WORK/config.json"
ip netns exec "$SW" "$SLUICE" run "$WORK/config.json" --quiet 2>"$WORK/run.log" &
PID=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "demo: sluice run did not start:"; cat "$WORK/run.log"; exit 1; }
export SLUICE_CTL_SOCKET=$SOCK

step "allowed: ping vm1 -> vm2"
ip netns exec "$VM1" ping -c 3 -i 0.2 -W 2 10.10.0.2

step "allowed: TCP 8080 vm1 -> vm2, 1 MB transfer"
head -c 1000000 /dev/urandom > "$WORK/src.bin"
(ip netns exec "$VM2" timeout 10 nc -l -p 8080 > "$WORK/dst.bin") &
sleep 0.3
ip netns exec "$VM1" nc -w 3 -N 10.10.0.2 8080 < "$WORK/src.bin"
wait $!
if cmp -s "$WORK/src.bin" "$WORK/dst.bin"; then echo "transfer ok: $(stat -c %s "$WORK/dst.bin") bytes intact"
else echo "transfer FAILED"; fi

step "allowed through NAT: vm1 -> VIP 10.10.0.100:80 (DNAT to vm2:8080)"
(ip netns exec "$VM2" timeout 5 nc -l -p 8080) &
sleep 0.3
echo "hello via the VIP" | ip netns exec "$VM1" nc -w 2 -N 10.10.0.100 80 && echo "vip ok"
wait $!

step "blocked: TCP 9090 vm1 -> vm2 (vm2 listens; the policy denies it)"
(ip netns exec "$VM2" timeout 4 nc -l -p 9090 >/dev/null) &
sleep 0.3
if ip netns exec "$VM1" nc -z -w 2 10.10.0.2 9090; then echo "connected (unexpected)"; else echo "blocked, as the policy says"; fi
wait $! 2>/dev/null

step "sluice ctl trace \"tcp 10.10.0.1:1234 -> 10.10.0.2:9090 flags S\""
"$SLUICE" ctl trace "tcp 10.10.0.1:1234 -> 10.10.0.2:9090 flags S"
step "sluice ctl sessions"
"$SLUICE" ctl sessions --limit 10
step "sluice ctl stats"
"$SLUICE" ctl stats
