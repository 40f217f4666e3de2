#!/usr/bin/env bash
# Issue 10's end-to-end comparison: iperf3 TCP vm1 -> vm2:8080 on the demo's namespaces and veths,
# through (a) a Linux bridge with a stateful iptables filter doing what examples/run/demo.sl does
# (the OpenStack-style host firewall), with the VMs' default offloads and with checksum offload off
# as the vSwitch setups need, and (b) `sluice run` on the same veths with each device kind given.
# The setups alternate within each round so that machine load hits them alike; medians are printed.
# Needs root, iperf3 and iptables (scripts/setup.sh installs them). Traffic stays between the
# namespaces this script creates and removes.
# Usage: bench/e2e/iperf_compare.sh [--build DIR] [--rounds N] [--seconds S] [--kinds "af_packet af_xdp"]
#        [--workers N] [--streams P]   (N > 1: a receive queue per worker, veths with N queues)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=build/release
ROUNDS=5
SECONDS_PER_RUN=5
KINDS="af_packet af_xdp"
WORKERS=1
STREAMS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --build) BUILD=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
        --kinds) KINDS=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --streams) STREAMS=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "iperf_compare: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
SLUICE=$ROOT/$BUILD/cli/sluice
[ "$(id -u)" -eq 0 ] || { echo "iperf_compare: needs root (network namespaces)" >&2; exit 1; }
for t in iperf3 iptables ethtool python3; do
    command -v $t >/dev/null || { echo "iperf_compare: $t missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ -x "$SLUICE" ] || { echo "iperf_compare: $SLUICE not built" >&2; exit 1; }

TAG=ipc$$
SW=${TAG}sw VM1=${TAG}vm1 VM2=${TAG}vm2
WORK=$(mktemp -d /tmp/sluice-iperf.XXXXXX)
SPID="" IPID=""
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    [ -n "$IPID" ] && kill "$IPID" 2>/dev/null && wait "$IPID" 2>/dev/null
    for n in $VM1 $VM2 $SW; do ip netns del "$n" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

for n in $SW $VM1 $VM2; do
    ip netns add "$n"
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
setup_vm() {  # ns mac ip switch-side-interface
    ip link add "$4" netns "$SW" numrxqueues "$WORKERS" numtxqueues "$WORKERS" type veth \
        peer name eth0 netns "$1" numrxqueues "$WORKERS" numtxqueues "$WORKERS"
    ip -n "$1" link set eth0 address "$2"
    ip -n "$1" addr add "$3/24" dev eth0
    ip -n "$1" link set eth0 up
    ip -n "$SW" link set "$4" up
}
setup_vm "$VM1" 02:00:00:0a:00:01 10.10.0.1 sl-vm1-sw
setup_vm "$VM2" 02:00:00:0a:00:02 10.10.0.2 sl-vm2-sw
ip netns exec "$VM2" iperf3 -s -p 8080 -D -I "$WORK/iperf.pid" >/dev/null 2>&1
sleep 0.3

offloads() {  # on|off: the VMs' checksum (and so TSO) offload
    for n in $VM1 $VM2; do
        ip netns exec "$n" ethtool -K eth0 tx "$1" >/dev/null 2>&1
        # The bridge answers ARP with the peer's MAC, the vSwitch with its gateway MAC.
        ip -n "$n" neigh flush dev eth0
    done
}

bridge_up() {
    ip -n "$SW" link add br0 type bridge
    ip -n "$SW" link set sl-vm1-sw master br0
    ip -n "$SW" link set sl-vm2-sw master br0
    ip -n "$SW" link set br0 up
    ip netns exec "$SW" sysctl -qw net.bridge.bridge-nf-call-iptables=1
    # demo.sl: egress allowed and stateful; inbound ping from 10.10.0.0/16 and TCP 8080; else deny.
    ip netns exec "$SW" iptables -P FORWARD DROP
    ip netns exec "$SW" iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    ip netns exec "$SW" iptables -A FORWARD -m conntrack --ctstate NEW -p icmp -s 10.10.0.0/16 -j ACCEPT
    ip netns exec "$SW" iptables -A FORWARD -m conntrack --ctstate NEW -p tcp --dport 8080 -j ACCEPT
}
bridge_down() {
    ip netns exec "$SW" iptables -F FORWARD
    ip netns exec "$SW" iptables -P FORWARD ACCEPT
    ip -n "$SW" link del br0
}

sluice_up() {  # device kind
    sed -e "s#\"demo.sl\"#\"$ROOT/examples/run/demo.sl\"#" \
        -e "s#af_packet:sl-vm\([12]\)-sw#$1:sl-vm\1-sw#" \
        -e "s#/run/sluice/sluice.sock#$WORK/sluice.sock#" -e "s#\"workers\": 1#\"workers\": $WORKERS#" \
        examples/run/default.json > "$WORK/config.json"
    rm -f "$WORK/sluice.sock"
    ip netns exec "$SW" "$SLUICE" run "$WORK/config.json" --quiet 2>"$WORK/run.log" &
    SPID=$!
    for _ in $(seq 100); do [ -S "$WORK/sluice.sock" ] && break; sleep 0.1; done
    [ -S "$WORK/sluice.sock" ] || { echo "iperf_compare: sluice run ($1) did not start:" >&2; cat "$WORK/run.log" >&2; return 1; }
}
sluice_down() {
    # Where the worker's CPU goes: user time is the vSwitch, system time the kernel work its
    # rx/tx syscalls carry (af_packet/af_xdp kicks run the veth peer's receive path inline).
    for t in /proc/"$SPID"/task/*; do
        read -r -a st < "$t/stat"
        case "${st[1]}" in *worker*|*lcore*) echo "${st[1]} user ${st[13]} sys ${st[14]} ticks" ;; esac
    done > "$WORK/cpu-$1.txt" 2>/dev/null
    SLUICE_CTL_SOCKET=$WORK/sluice.sock "$SLUICE" ctl stats --json > "$WORK/stats-$1.json" 2>&1
    kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=""
}

CPUS_ALL=0-$(($(nproc) - 1))
measure() {  # CPUS: prints Gbit/s received, or "fail"
    if ! ip netns exec "$VM1" ping -c 1 -W 2 10.10.0.2 >/dev/null 2>&1; then echo fail; return; fi
    taskset -pc "$1" "$(cat "$WORK/iperf.pid")" >/dev/null
    ip netns exec "$VM1" timeout $((SECONDS_PER_RUN + 15)) taskset -c "$1" iperf3 -c 10.10.0.2 -p 8080 \
        -t "$SECONDS_PER_RUN" -P "$STREAMS" -J > "$WORK/iperf.json" 2>/dev/null
    python3 -c 'import json,sys
try: print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e9))
except Exception: print("fail")' "$WORK/iperf.json"
}

# sluice's worker busy-polls lcore 1 (CPU 1); the "stack-on-cpu0" bridge run gives the kernel
# and iperf3 the same CPU budget they have beside the vSwitch; the sluice runs pin them there.
SETUPS="bridge+iptables(offload-on) bridge+iptables(tx-off) bridge+iptables(tx-off,stack-on-cpu0)"
for k in $KINDS; do SETUPS="$SETUPS sluice-$k"; done
declare -A RESULTS
for r in $(seq "$ROUNDS"); do
    for s in $SETUPS; do
        case "$s" in
            "bridge+iptables(offload-on)") offloads on; bridge_up; v=$(measure "$CPUS_ALL"); bridge_down ;;
            "bridge+iptables(tx-off)") offloads off; bridge_up; v=$(measure "$CPUS_ALL"); bridge_down ;;
            "bridge+iptables(tx-off,stack-on-cpu0)") offloads off; bridge_up; v=$(measure 0); bridge_down ;;
            sluice-*) offloads off
                      if sluice_up "${s#sluice-}"; then v=$(measure 0); sluice_down "${s#sluice-}"; else v=fail; fi ;;
        esac
        RESULTS[$s]="${RESULTS[$s]:-} $v"
        echo "round $r: $s $v Gbit/s" >&2
    done
done

echo "iperf3 TCP vm1 -> vm2:8080, ${SECONDS_PER_RUN}s per run, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %8s  %s\n' setup median "runs (Gbit/s)"
BASE=""
for s in $SETUPS; do
    med=$(echo ${RESULTS[$s]} | tr ' ' '\n' | grep -v fail | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "fail"}')
    [ -z "$BASE" ] && BASE=$med
    ratio=""
    [ "$med" != fail ] && [ "$BASE" != fail ] && ratio=$(awk -v a="$med" -v b="$BASE" 'BEGIN {printf "%.2fx", a/b}')
    printf '%-40s %8s  %-6s %s\n' "$s" "$med" "$ratio" "${RESULTS[$s]}"
done
for k in $KINDS; do
    [ -s "$WORK/cpu-$k.txt" ] && echo "sluice-$k last run, threads: $(tr '\n' ';' < "$WORK/cpu-$k.txt")"
    [ -f "$WORK/stats-$k.json" ] && echo "sluice-$k last run, per port: $(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print("; ".join("%s rx %d tx %d dropped %d %s" % (p["name"], p["rx_packets"], p["tx_packets"], p["dropped"], p["drops"] or "") for p in d["ports"] if p["rx_packets"] or p["tx_packets"]) + "; workers rx " + " ".join(str(w["rx_packets"]) for w in d.get("per_worker", [])))' "$WORK/stats-$k.json" 2>/dev/null)"
done
