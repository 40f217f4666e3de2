#!/usr/bin/env python3
"""Writes the seed messages of tests/fuzz/corpus/rsp/ (one RSP message per file), signed with
the fuzz target's key (key id 1, bytes 0x00..0x1f). An encoder of its own, written from
docs/rsp.md, so the unit tests also check the C++ codec against a second implementation
(rsp_codec_test decodes the valid_* seeds). Run from anywhere; overwrites the seeds."""
import hashlib
import hmac
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "rsp")
KEY_ID = 1
KEY = bytes(range(32))
QUERY, REPLY = 1, 2
CHANGED, UNCHANGED, DELETED, UNKNOWN = 1, 2, 3, 4


def ip(text):
    if ":" in text:
        import ipaddress
        return 6, ipaddress.IPv6Address(text).packed
    return 4, bytes(map(int, text.split("."))) + bytes(12)


def header(mtype, count, seq, sender=7, flags=0, key_id=KEY_ID, version=1):
    return b"SRSP" + struct.pack("!BBHIIQH6x", version, mtype, flags, key_id, sender, seq, count)


def query_entry(vni, dst, known=0):
    fam, addr = ip(dst)
    return struct.pack("!IB3x", vni, fam) + addr + struct.pack("!Q", known)


def reply_entry(vni, dst, status, version=0, underlay=None, mac=bytes(6)):
    fam, addr = ip(dst)
    ufam, uaddr = ip(underlay) if underlay else (0, bytes(16))
    return struct.pack("!IBBBx", vni, fam, status, ufam) + addr + struct.pack("!Q", version) + \
        uaddr + mac + bytes(2)


def sign(body, key=KEY):
    return body + hmac.new(key, body, hashlib.sha256).digest()


def message(mtype, entries, seq, **kw):
    return sign(header(mtype, len(entries), seq, **kw) + b"".join(entries))


SEEDS = {
    "valid_query_one.bin": message(QUERY, [query_entry(100, "10.1.0.5")], 1),
    "valid_query_reconcile.bin": message(
        QUERY, [query_entry(100, "10.1.0.5", 3), query_entry(0xFFFFFF, "fd00::1", 9)], 2,
        flags=1),
    "valid_query_full.bin": message(
        QUERY, [query_entry(i, "10.2.0.%d" % i, i) for i in range(24)], 3),
    "valid_reply_statuses.bin": message(REPLY, [
        reply_entry(100, "10.1.0.5", CHANGED, 4, "192.168.0.2", bytes.fromhex("020000000005")),
        reply_entry(100, "10.1.0.6", UNCHANGED, 9),
        reply_entry(100, "10.1.0.7", DELETED),
        reply_entry(100, "fd00::7", UNKNOWN),
        reply_entry(7, "fd00::8", CHANGED, 1, "fd00:1::2", bytes.fromhex("02000000000a")),
    ], 4),
    "valid_reply_full.bin": message(REPLY, [
        reply_entry(i, "10.3.0.%d" % i, CHANGED, i + 1, "192.168.1.%d" % i,
                    bytes([2, 0, 0, 0, 0, i])) for i in range(24)], 5),
    "bad_mac.bin": message(QUERY, [query_entry(1, "10.0.0.1")], 6)[:-1] + b"\x00",
    "other_key.bin": sign(header(QUERY, 1, 7) + query_entry(1, "10.0.0.1"), bytes(32)),
    "unknown_key.bin": message(QUERY, [query_entry(1, "10.0.0.1")], 8, key_id=2),
    "bad_vni_signed.bin": message(QUERY, [query_entry(1 << 24, "10.0.0.1")], 9),
    "bad_next_hop_signed.bin": message(REPLY, [reply_entry(1, "10.0.0.1", CHANGED, 0)], 10),
    "count_mismatch.bin": sign(header(QUERY, 3, 11) + query_entry(1, "10.0.0.1")),
    "sequence_zero.bin": message(QUERY, [query_entry(1, "10.0.0.1")], 0),
    "version_2.bin": message(QUERY, [query_entry(1, "10.0.0.1")], 12, version=2),
    "truncated_header.bin": header(QUERY, 1, 13)[:20],
    "empty.bin": b"",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
