#!/usr/bin/env python3
"""Writes the hand-made seed frames of tests/fuzz/corpus/frame/ (one frame per file):
every header the parser knows, valid and cut short. Run from anywhere; overwrites the seeds."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "frame")
VM_MAC = bytes.fromhex("020000000001")
GW_MAC = bytes.fromhex("0200000000fe")


def eth(etype, payload, tags=()):
    h = GW_MAC + VM_MAC
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + payload


def ipv4(proto, payload, src="10.0.0.1", dst="10.0.0.2", frag=0, ihl=5, dscp=0):
    opts = b"\x01" * ((ihl - 5) * 4)
    total = 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, dscp << 2, total, 1, frag, 64, proto, 0,
                    bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return h + opts + payload


def ipv6(nxt, payload, exts=b""):
    src = bytes.fromhex("fd000000000000000000000000000001")
    dst = bytes.fromhex("fd000000000000000000000000000002")
    body = exts + payload
    return struct.pack("!IHBB", 0x60000000, len(body), nxt, 64) + src + dst + body


def tcp(sport=1234, dport=80, flags=0x02, doff=5):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, doff << 4, flags, 65535, 0, 0) + \
        b"\x00" * ((doff - 5) * 4)


def udp(sport=5353, dport=53, payload=b"hello"):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(t=8, code=0, ident=7):
    return struct.pack("!BBHHH", t, code, 0, ident, 1) + b"ping"


def arp(op=1):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + VM_MAC + bytes([10, 0, 0, 1]) + \
        b"\x00" * 6 + bytes([10, 0, 0, 254])


def vxlan(inner, vni=100, flags=0x08):
    v = struct.pack("!B3xI", flags, vni << 8) + inner
    return eth(0x0800, ipv4(17, udp(40000, 4789, v), "192.168.0.2", "192.168.0.1"))


seeds = {
    "ipv4_tcp_syn": eth(0x0800, ipv4(6, tcp())),
    "ipv4_tcp_options": eth(0x0800, ipv4(6, tcp(doff=8), ihl=6, dscp=46)),
    "ipv4_udp": eth(0x0800, ipv4(17, udp())),
    "ipv4_icmp_echo": eth(0x0800, ipv4(1, icmp())),
    "ipv4_fragment": eth(0x0800, ipv4(17, udp(), frag=0x2000)),
    "ipv4_gre": eth(0x0800, ipv4(47, b"\x00" * 8)),
    "ipv6_tcp": eth(0x86DD, ipv6(6, tcp())),
    "ipv6_hbh_udp": eth(0x86DD, ipv6(0, udp(), exts=bytes([17, 0]) + b"\x00" * 6)),
    "ipv6_routing_dstopts_icmp": eth(0x86DD, ipv6(43, icmp(128), exts=bytes([60, 0]) + b"\x00" * 6 +
                                                   bytes([58, 0]) + b"\x00" * 6)),
    "ipv6_fragment": eth(0x86DD, ipv6(44, b"\x11\x00\x00\x01\x00\x00\x00\x01" + udp())),
    "vlan_ipv4_tcp": eth(0x0800, ipv4(6, tcp()), tags=[(0x8100, 10)]),
    "qinq_ipv6_udp": eth(0x86DD, ipv6(17, udp()), tags=[(0x88A8, 20), (0x8100, 10)]),
    "three_vlans": eth(0x0800, ipv4(6, tcp()), tags=[(0x8100, 1), (0x8100, 2), (0x8100, 3)]),
    "arp_request": eth(0x0806, arp()),
    "vxlan_ipv4_tcp": vxlan(eth(0x0800, ipv4(6, tcp(), "10.1.0.1", "10.1.0.2"))),
    "vxlan_ipv6_udp": vxlan(eth(0x86DD, ipv6(17, udp()))),
    "vxlan_arp": vxlan(eth(0x0806, arp())),
    "vxlan_no_vni_flag": vxlan(eth(0x0800, ipv4(6, tcp())), flags=0),
    "ipv4_tcp_truncated": eth(0x0800, ipv4(6, tcp()))[:40],
    "ipv4_bad_total_length": eth(0x0800, ipv4(6, tcp()))[:14] + b"\x45\x00\xff\xff" +
    eth(0x0800, ipv4(6, tcp()))[18:],
    "ethernet_only": eth(0x0800, b""),
    "runt": b"\x02\x00\x00",
}

os.makedirs(OUT, exist_ok=True)
for name, frame in seeds.items():
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(frame)
print(f"{len(seeds)} frames in {OUT}")
