// Frame parser: Ethernet, up to two VLAN tags, ARP, IPv4, IPv6 (common extension headers),
// TCP, UDP, ICMP, ICMPv6, and VXLAN on the uplink. Every length is checked before it is read;
// a malformed frame returns the reason it is dropped (counted by the caller).
#include <cstring>

#include "fast_parse.h"
#include "sluice/runtime/flow.h"

namespace sluice::rt {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthArp = 0x0806;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint16_t kEthQinQ = 0x88a8;
constexpr uint16_t kVxlanPort = 4789;

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t rd24(const uint8_t* p) { return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]; }

struct L3Result {
    DropReason reason = DropReason::None;
};

// Parses L3 and L4 at `off`; fills addresses, proto, ports, ICMP fields, dscp.
DropReason parseL3(const uint8_t* d, uint32_t len, uint32_t off, uint16_t etherType,
                   FlowKey& key, PacketLayout& lay, uint32_t& l4Off, uint32_t& l3End) {
    if (etherType == kEthIpv4) {
        if (len < off + 20) return DropReason::TruncatedIpv4;
        const uint8_t* ip = d + off;
        if ((ip[0] >> 4) != 4) return DropReason::BadIpv4Header;
        uint32_t ihl = (ip[0] & 0x0f) * 4u;
        if (ihl < 20) return DropReason::BadIpv4Header;
        if (len < off + ihl) return DropReason::TruncatedIpv4;
        uint32_t total = rd16(ip + 2);
        if (total < ihl || off + total > len) return DropReason::BadIpv4Length;
        uint16_t frag = rd16(ip + 6);
        if ((frag & 0x3fff) != 0) return DropReason::IpFragment;  // MF or offset
        key.family = 4;
        lay.dscp = ip[1] >> 2;
        key.proto = ip[9];
        std::memcpy(key.srcIp, ip + 12, 4);
        std::memcpy(key.dstIp, ip + 16, 4);
        lay.l3 = static_cast<uint16_t>(off);
        lay.l3Len = static_cast<uint16_t>(total);
        l4Off = off + ihl;
        l3End = off + total;
        return DropReason::None;
    }
    // IPv6
    if (len < off + 40) return DropReason::TruncatedIpv6;
    const uint8_t* ip = d + off;
    if ((ip[0] >> 4) != 6) return DropReason::BadIpv6Length;
    uint32_t payload = rd16(ip + 4);
    if (off + 40 + payload > len) return DropReason::BadIpv6Length;
    key.family = 6;
    lay.dscp = static_cast<uint8_t>(((ip[0] & 0x0f) << 4 | ip[1] >> 4) >> 2);
    std::memcpy(key.srcIp, ip + 8, 16);
    std::memcpy(key.dstIp, ip + 24, 16);
    uint8_t next = ip[6];
    uint32_t p = off + 40;
    l3End = off + 40 + payload;
    // Hop-by-hop (0), routing (43), destination options (60) are skipped; fragments (44) and
    // anything else unknown stop the walk as the protocol.
    for (int guard = 0; guard < 8 && (next == 0 || next == 43 || next == 60); ++guard) {
        if (l3End < p + 8) return DropReason::UnsupportedIpv6Extension;
        uint32_t extLen = (d[p + 1] + 1u) * 8u;
        if (l3End < p + extLen) return DropReason::UnsupportedIpv6Extension;
        next = d[p];
        p += extLen;
    }
    if (next == 0 || next == 43 || next == 60) return DropReason::UnsupportedIpv6Extension;
    if (next == 44) return DropReason::IpFragment;
    key.proto = next;
    lay.l3 = static_cast<uint16_t>(off);
    lay.l3Len = static_cast<uint16_t>(40 + payload);
    l4Off = p;
    return DropReason::None;
}

DropReason parseL4(const uint8_t* d, uint32_t l4Off, uint32_t l3End, FlowKey& key,
                   PacketLayout& lay) {
    uint32_t avail = l3End - l4Off;
    switch (key.proto) {
        case lang::kProtoTcp: {
            if (avail < 20) return DropReason::TruncatedTcp;
            const uint8_t* t = d + l4Off;
            uint32_t doff = (t[12] >> 4) * 4u;
            if (doff < 20 || doff > avail) return DropReason::BadTcpHeader;
            key.srcPort = rd16(t);
            key.dstPort = rd16(t + 2);
            lay.tcpFlags = t[13];
            break;
        }
        case lang::kProtoUdp: {
            if (avail < 8) return DropReason::TruncatedUdp;
            const uint8_t* u = d + l4Off;
            uint32_t ulen = rd16(u + 4);
            if (ulen < 8 || ulen > avail) return DropReason::BadUdpLength;
            key.srcPort = rd16(u);
            key.dstPort = rd16(u + 2);
            break;
        }
        case lang::kProtoIcmp:
        case lang::kProtoIcmpV6: {
            if (avail < 8) return DropReason::TruncatedIcmp;
            const uint8_t* c = d + l4Off;
            key.icmpType = c[0];
            key.icmpCode = c[1];
            bool echo = key.proto == lang::kProtoIcmp ? (c[0] == 8 || c[0] == 0)
                                                      : (c[0] == 128 || c[0] == 129);
            if (echo) key.srcPort = rd16(c + 4);  // identifier
            break;
        }
        default:
            break;  // other protocols: addresses and proto only
    }
    lay.l4 = static_cast<uint16_t>(l4Off);
    return DropReason::None;
}

// Ethernet + VLANs at `off`. Returns the ethertype after the tags and the L3 offset.
DropReason parseEth(const uint8_t* d, uint32_t len, uint32_t off, FlowKey& key,
                    uint16_t& etherType, uint32_t& l3Off) {
    if (len < off + 14) return DropReason::TruncatedEthernet;
    std::memcpy(key.dstMac, d + off, 6);
    std::memcpy(key.srcMac, d + off + 6, 6);
    uint16_t et = rd16(d + off + 12);
    uint32_t p = off + 14;
    int tags = 0;
    while (et == kEthVlan || et == kEthQinQ) {
        if (++tags > 2) return DropReason::TooManyVlans;
        if (len < p + 4) return DropReason::TruncatedVlan;
        et = rd16(d + p + 2);
        p += 4;
    }
    etherType = et;
    l3Off = p;
    key.etherType = et;
    return DropReason::None;
}

}  // namespace

DropReason parseFrame(const uint8_t* d, uint32_t len, uint16_t ingress, bool fromUplink,
                      FlowKey& key, PacketLayout& lay) {
    std::memset(&key, 0, sizeof key);
    lay = PacketLayout{};
    key.ingress = ingress;
    uint16_t et = 0;
    uint32_t l3 = 0;
    if (DropReason r = parseEth(d, len, 0, key, et, l3); r != DropReason::None) return r;
    if (et == kEthArp) {
        if (len < l3 + 28) return DropReason::TruncatedArp;
        const uint8_t* a = d + l3;
        // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
        if (rd16(a) != 1 || rd16(a + 2) != kEthIpv4 || a[4] != 6 || a[5] != 4)
            return DropReason::BadArp;
        lay.isArp = true;
        lay.l3 = static_cast<uint16_t>(l3);
        return DropReason::None;
    }
    if (et != kEthIpv4 && et != kEthIpv6) return DropReason::UnsupportedEtherType;
    uint32_t l4 = 0, l3End = 0;
    if (DropReason r = parseL3(d, len, l3, et, key, lay, l4, l3End); r != DropReason::None)
        return r;
    if (fromUplink && key.proto == lang::kProtoUdp && l3End >= l4 + 8 &&
        rd16(d + l4 + 2) == kVxlanPort) {
        // VXLAN: the outer headers become the tunnel fields, the inner frame the flow.
        uint32_t v = l4 + 8;
        if (l3End < v + 8) return DropReason::TruncatedVxlan;
        if ((d[v] & 0x08) == 0) return DropReason::BadVxlan;  // I flag: VNI valid
        uint32_t vni = rd24(d + v + 4);
        uint8_t outerFamily = key.family;
        uint8_t outerSrc[16], outerDst[16];
        std::memcpy(outerSrc, key.srcIp, 16);
        std::memcpy(outerDst, key.dstIp, 16);
        std::memset(&key, 0, sizeof key);
        lay = PacketLayout{};
        key.ingress = ingress;
        key.vni = vni;
        key.outerFamily = outerFamily;
        std::memcpy(key.outerSrc, outerSrc, 16);
        std::memcpy(key.outerDst, outerDst, 16);
        uint32_t inner = v + 8;
        lay.tunnelled = true;
        lay.innerEth = static_cast<uint16_t>(inner);
        if (DropReason r = parseEth(d, l3End, inner, key, et, l3); r != DropReason::None)
            return r;
        if (et == kEthArp) {
            lay.isArp = true;
            return DropReason::UnsupportedEtherType;  // ARP is answered locally, never tunnelled
        }
        if (et != kEthIpv4 && et != kEthIpv6) return DropReason::UnsupportedEtherType;
        uint32_t innerEnd = l3End;
        if (DropReason r = parseL3(d, innerEnd, l3, et, key, lay, l4, l3End);
            r != DropReason::None)
            return r;
    }
    DropReason r = parseL4(d, l4, l3End, key, lay);
    if (ingress == kUplinkIngress) {
        // Wire-side inner MACs are not part of the flow identity (see runtime/README.md).
        std::memset(key.srcMac, 0, 6);
        std::memset(key.dstMac, 0, 6);
    }
    return r;
}

bool parseFast4(const uint8_t* d, uint32_t len, uint16_t ingress, bool fromUplink, FlowKey4& key,
                PacketLayout& lay) {
    uint8_t flags = 0;
    if (!fast::parse4(d, len, ingress, fromUplink, key, flags)) return false;
    lay = fast::ipv4Layout(d, flags);
    return true;
}

bool parseFast6(const uint8_t* d, uint32_t len, uint16_t ingress, bool fromUplink, FlowKey& key,
                PacketLayout& lay) {
    return fast::parse6(d, len, ingress, fromUplink, key, lay);
}

}  // namespace sluice::rt
