// The hit path's parsers (issue 10), inline so the burst loop has no per-packet call: untagged
// Ethernet + IPv4 without options (not a fragment) or IPv6 without extension headers, + TCP,
// UDP (not VXLAN on the uplink) or ICMP/ICMPv6, read with wide loads after one combined
// bounds check. They accept only frames parseFrame (parser.cpp) accepts, with the same key and
// layout (RuntimeParser.Fast*AgreesWithFullParser, fuzz_frame); anything else returns false
// and goes to parseFrame, which also names the drop reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sluice/runtime/flow.h"

namespace sluice::rt::fast {

inline uint16_t ld16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}
inline uint32_t ld32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline uint64_t ld64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline uint16_t be16(const uint8_t* p) { return __builtin_bswap16(ld16(p)); }

constexpr uint16_t kVxlanPortBe = 0xb512;  // 4789 in network order, as loaded

// IPv4: writes the compact key and the TCP flags. Layout when true: l3 14, l4 34 (ipv4Layout).
__attribute__((always_inline)) inline bool parse4(const uint8_t* d, uint32_t len, uint16_t ingress,
                                                  bool fromUplink, FlowKey4& key,
                                                  uint8_t& tcpFlags) {
    // One bounds check covers Ethernet, a 20-byte IPv4 header and 20 bytes of L4 header.
    if (len < 54) return false;
    // Ethertype 0x0800, version 4, IHL 5 (bytes 12-14 as loaded little-endian).
    if ((ld32(d + 12) & 0x00ffffffu) != 0x00450008u) return false;
    const uint8_t* ip = d + 14;
    const uint32_t total = be16(ip + 2);
    if (total < 28 || 14 + total > len || (ld16(ip + 6) & 0xff3fu) != 0) return false;  // MF/offset
    const uint8_t* l4 = ip + 20;
    const uint32_t avail = total - 20;
    const uint8_t proto = ip[9];
    uint32_t ports = ld32(l4);  // source and destination port as on the wire
    uint32_t icmp = 0;
    uint8_t flags = 0;
    if (proto == lang::kProtoTcp) {
        const uint32_t doff = (l4[12] >> 4) * 4u;
        if (avail < 20 || doff < 20 || doff > avail) return false;
        flags = l4[13];
    } else if (proto == lang::kProtoUdp) {
        const uint32_t ulen = be16(l4 + 4);
        if (ulen < 8 || ulen > avail || (fromUplink && (ports >> 16) == kVxlanPortBe)) return false;
    } else if (proto == lang::kProtoIcmp) {
        icmp = ld16(l4);  // type, code
        ports = (l4[0] == 8 || l4[0] == 0) ? ld16(l4 + 4) : 0;  // echo: the identifier
    } else {
        return false;
    }
    uint64_t w0 = 0, w1 = 0;
    if (ingress != kUplinkIngress) {  // wire-side MACs are not flow identity
        w0 = ld64(d);
        w1 = ld32(d + 8);
    }
    w1 |= uint64_t{ingress} << 32 | uint64_t{proto} << 48;  // tunnelled 0
    const uint64_t w2 = ld64(ip + 12);
    const uint64_t w3 = ports | uint64_t{icmp} << 32;
    static_assert(sizeof(FlowKey4) == 32 && offsetof(FlowKey4, ingress) == 12 &&
                  offsetof(FlowKey4, srcIp) == 16 && offsetof(FlowKey4, srcPortBe) == 24 &&
                  offsetof(FlowKey4, icmpType) == 28);
    auto* k = reinterpret_cast<uint8_t*>(&key);
    std::memcpy(k, &w0, 8);
    std::memcpy(k + 8, &w1, 8);
    std::memcpy(k + 16, &w2, 8);
    std::memcpy(k + 24, &w3, 8);
    tcpFlags = flags;
    return true;
}

// The layout parse4 implies for frame `d` (it accepted it).
inline PacketLayout ipv4Layout(const uint8_t* d, uint8_t tcpFlags) {
    PacketLayout lay;
    lay.l3 = 14;
    lay.l4 = 34;
    lay.l3Len = be16(d + 16);
    lay.tcpFlags = tcpFlags;
    lay.dscp = d[15] >> 2;
    return lay;
}

// IPv6: writes the full key (the wide table) and the layout.
__attribute__((always_inline)) inline bool parse6(const uint8_t* d, uint32_t len, uint16_t ingress,
                                                  bool fromUplink, FlowKey& key,
                                                  PacketLayout& lay) {
    // One bounds check: Ethernet, the fixed IPv6 header and 8 bytes of L4 header.
    if (len < 62 || ld16(d + 12) != 0xdd86u || (d[14] >> 4) != 6) return false;
    const uint8_t* ip = d + 14;
    const uint32_t payload = be16(ip + 4);
    const uint8_t proto = ip[6];
    if (payload < 8 || 54 + payload > len) return false;
    const uint8_t* l4 = ip + 40;
    uint16_t sport = 0, dport = 0;
    uint8_t flags = 0, type = 0, code = 0;
    if (proto == lang::kProtoTcp) {
        const uint32_t doff = (l4[12] >> 4) * 4u;
        if (payload < 20 || doff < 20 || doff > payload) return false;
        sport = be16(l4);
        dport = be16(l4 + 2);
        flags = l4[13];
    } else if (proto == lang::kProtoUdp) {
        const uint32_t ulen = be16(l4 + 4);
        if (ulen < 8 || ulen > payload || (fromUplink && ld16(l4 + 2) == kVxlanPortBe)) return false;
        sport = be16(l4);
        dport = be16(l4 + 2);
    } else if (proto == lang::kProtoIcmpV6) {
        type = l4[0];
        code = l4[1];
        if (type == 128 || type == 129) sport = be16(l4 + 4);  // echo: the identifier
    } else {
        return false;
    }
    std::memset(&key, 0, sizeof key);
    std::memcpy(key.srcIp, ip + 8, 32);  // source and destination address
    static_assert(offsetof(FlowKey, dstIp) == offsetof(FlowKey, srcIp) + 16);
    if (ingress != kUplinkIngress) {
        std::memcpy(key.dstMac, d, 6);
        std::memcpy(key.srcMac, d + 6, 6);
    }
    key.etherType = 0x86dd;
    key.ingress = ingress;
    key.proto = proto;
    key.srcPort = sport;
    key.dstPort = dport;
    key.icmpType = type;
    key.icmpCode = code;
    key.family = 6;
    lay = PacketLayout{};
    lay.l3 = 14;
    lay.l4 = 54;
    lay.l3Len = static_cast<uint16_t>(40 + payload);
    lay.tcpFlags = flags;
    lay.dscp = static_cast<uint8_t>(((ip[0] & 0x0f) << 4 | ip[1] >> 4) >> 2);
    return true;
}

}  // namespace sluice::rt::fast
