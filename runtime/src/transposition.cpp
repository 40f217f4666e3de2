// Building and applying composed transpositions (see transposition.h).
#include "transposition.h"

#include <rte_ip.h>

#include <cstring>

namespace sluice::rt {
namespace {

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void wr16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

inline uint32_t fold(uint32_t s) {
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return s;
}

// One's-complement delta of replacing big-endian words old[] by new[] (len bytes, even).
uint32_t deltaOf(const uint8_t* oldb, const uint8_t* newb, unsigned len) {
    uint32_t d = 0;
    for (unsigned i = 0; i < len; i += 2) d += (~rd16(oldb + i) & 0xffffu) + rd16(newb + i);
    return fold(d);
}

// HC' = ~(~HC + delta)  (RFC 1624, eqn. 3)
inline uint16_t applyDelta(uint16_t csum, uint16_t delta) {
    uint32_t s = (~csum & 0xffffu) + delta;
    return static_cast<uint16_t>(~fold(s));
}

void ipBytes(const lang::IpAddr& a, uint8_t* b) {
    std::memset(b, 0, 16);
    if (a.family == lang::Family::V4) {
        auto v = static_cast<uint32_t>(a.value);
        for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
    } else {
        for (int i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(a.value >> (120 - 8 * i));
    }
}

void macBytes(uint64_t mac, uint8_t* b) {
    for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(mac >> (40 - 8 * i));
}

uint32_t sumBytes(const uint8_t* p, uint32_t len) {
    uint32_t s = 0;
    for (uint32_t i = 0; i + 1 < len; i += 2) s += rd16(p + i);
    if (len & 1) s += static_cast<uint32_t>(p[len - 1]) << 8;
    return s;
}

}  // namespace

uint16_t ipv4HeaderChecksum(const uint8_t* ip, unsigned len) {
    uint32_t s = 0;
    for (unsigned i = 0; i < len; i += 2) {
        if (i == 10) continue;
        s += rd16(ip + i);
    }
    return static_cast<uint16_t>(~fold(s));
}

bool buildTransposition(const lang::Headers& in, bool inTunnelled, const lang::Headers& out,
                        const uint8_t* l2, const EncapSpec* encap, uint16_t txDev,
                        Transposition& t) {
    t = Transposition{};
    t.txDev = txDev;
    t.proto = in.proto;
    if (in.srcIp.family != out.srcIp.family || in.dstIp.family != out.dstIp.family) return false;
    t.family = static_cast<uint8_t>(in.srcIp.family);
    if (inTunnelled) t.flags |= kTpDecap;
    unsigned alen = t.family == 4 ? 4 : 16;
    uint8_t oldb[16], newb[16];
    uint32_t ipDelta = 0, l4Delta = 0;
    bool l4HasPseudo = in.proto == lang::kProtoTcp || in.proto == lang::kProtoUdp ||
                       in.proto == lang::kProtoIcmpV6;
    bool hasPorts = in.proto == lang::kProtoTcp || in.proto == lang::kProtoUdp;
    if (t.family == 4 || t.family == 6) {
        if (!(in.srcIp == out.srcIp)) {
            ipBytes(in.srcIp, oldb);
            ipBytes(out.srcIp, newb);
            std::memcpy(t.srcIp, newb, 16);
            t.flags |= kTpSetSrcIp;
            uint32_t d = deltaOf(oldb, newb, alen);
            ipDelta += d;
            if (l4HasPseudo) l4Delta += d;
        }
        if (!(in.dstIp == out.dstIp)) {
            ipBytes(in.dstIp, oldb);
            ipBytes(out.dstIp, newb);
            std::memcpy(t.dstIp, newb, 16);
            t.flags |= kTpSetDstIp;
            uint32_t d = deltaOf(oldb, newb, alen);
            ipDelta += d;
            if (l4HasPseudo) l4Delta += d;
        }
        if (in.dscp != out.dscp) {
            t.flags |= kTpSetDscp;
            t.dscp = out.dscp;
            // DSCP is per packet (not in the key): its checksum delta is taken when applied.
        }
    }
    if (hasPorts && in.srcPort != out.srcPort) {
        t.flags |= kTpSetSrcPort;
        wr16(reinterpret_cast<uint8_t*>(&t.srcPortBe), out.srcPort);
        l4Delta += (~static_cast<uint32_t>(in.srcPort) & 0xffffu) + out.srcPort;
    }
    if (hasPorts && in.dstPort != out.dstPort) {
        t.flags |= kTpSetDstPort;
        wr16(reinterpret_cast<uint8_t*>(&t.dstPortBe), out.dstPort);
        l4Delta += (~static_cast<uint32_t>(in.dstPort) & 0xffffu) + out.dstPort;
    }
    t.ipDelta = static_cast<uint16_t>(fold(ipDelta));
    t.l4Delta = static_cast<uint16_t>(fold(l4Delta));
    if (l2 != nullptr) {
        t.flags |= kTpSetL2;
        std::memcpy(t.eth, l2, 12);
    }
    if (encap != nullptr) {
        if (encap->src.family != encap->dst.family || encap->src.family == lang::Family::None)
            return false;
        t.flags |= kTpEncap;
        uint8_t* e = t.encap;
        macBytes(encap->dstMac, e);
        macBytes(encap->srcMac, e + 6);
        uint8_t s[16], dd[16];
        ipBytes(encap->src, s);
        ipBytes(encap->dst, dd);
        uint8_t* udp;
        if (encap->src.family == lang::Family::V4) {
            t.encapFamily = 4;
            t.encapLen = 50;
            wr16(e + 12, 0x0800);
            uint8_t* ip = e + 14;
            ip[0] = 0x45;
            ip[8] = 64;  // TTL
            ip[9] = 17;  // UDP
            std::memcpy(ip + 12, s, 4);
            std::memcpy(ip + 16, dd, 4);
            wr16(ip + 10, ipv4HeaderChecksum(ip, 20));  // total length added per packet
            udp = ip + 20;
        } else {
            t.encapFamily = 6;
            t.encapLen = 70;
            wr16(e + 12, 0x86dd);
            uint8_t* ip = e + 14;
            ip[0] = 0x60;
            ip[6] = 17;
            ip[7] = 64;
            std::memcpy(ip + 8, s, 16);
            std::memcpy(ip + 24, dd, 16);
            udp = ip + 40;
        }
        wr16(udp, encap->udpSrcPort);
        wr16(udp + 2, 4789);
        uint8_t* vx = udp + 8;
        vx[0] = 0x08;
        vx[4] = static_cast<uint8_t>(encap->vni >> 16);
        vx[5] = static_cast<uint8_t>(encap->vni >> 8);
        vx[6] = static_cast<uint8_t>(encap->vni);
    }
    return true;
}

DropReason applyTransposition(rte_mbuf* m, const PacketLayout& lay, const Transposition& t) {
    uint16_t f = t.flags;
    uint32_t l3 = lay.l3, l4 = lay.l4;
    if ((f & kTpDecap) && lay.tunnelled) {
        if (rte_pktmbuf_adj(m, lay.innerEth) == nullptr) return DropReason::EncapFailed;
        l3 -= lay.innerEth;
        l4 -= lay.innerEth;
    }
    uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
    if (f & kTpRewriteL3) {
        uint8_t* ip = d + l3;
        if (t.family == 4) {
            if (f & kTpSetSrcIp) std::memcpy(ip + 12, t.srcIp, 4);
            if (f & kTpSetDstIp) std::memcpy(ip + 16, t.dstIp, 4);
            uint32_t delta = t.ipDelta;
            if (f & kTpSetDscp) {
                uint16_t before = rd16(ip);
                ip[1] = static_cast<uint8_t>(t.dscp << 2 | (ip[1] & 3));
                delta += (~before & 0xffffu) + rd16(ip);
            }
            wr16(ip + 10, applyDelta(rd16(ip + 10), static_cast<uint16_t>(fold(delta))));
        } else {
            if (f & kTpSetSrcIp) std::memcpy(ip + 8, t.srcIp, 16);
            if (f & kTpSetDstIp) std::memcpy(ip + 24, t.dstIp, 16);
            if (f & kTpSetDscp) {
                uint8_t tc = static_cast<uint8_t>(t.dscp << 2 | ((ip[1] >> 4) & 3));
                ip[0] = static_cast<uint8_t>((ip[0] & 0xf0) | tc >> 4);
                ip[1] = static_cast<uint8_t>((ip[1] & 0x0f) | (tc & 0x0f) << 4);
            }
        }
        uint8_t* l4p = d + l4;
        if (t.proto == lang::kProtoTcp) {
            if (f & kTpSetSrcPort) std::memcpy(l4p, &t.srcPortBe, 2);
            if (f & kTpSetDstPort) std::memcpy(l4p + 2, &t.dstPortBe, 2);
            wr16(l4p + 16, applyDelta(rd16(l4p + 16), t.l4Delta));
        } else if (t.proto == lang::kProtoUdp) {
            if (f & kTpSetSrcPort) std::memcpy(l4p, &t.srcPortBe, 2);
            if (f & kTpSetDstPort) std::memcpy(l4p + 2, &t.dstPortBe, 2);
            uint16_t c = rd16(l4p + 6);
            if (c != 0 || t.family == 6) {
                c = applyDelta(c, t.l4Delta);
                wr16(l4p + 6, c == 0 ? 0xffff : c);
            }
        } else if (t.proto == lang::kProtoIcmpV6) {
            wr16(l4p + 2, applyDelta(rd16(l4p + 2), t.l4Delta));
        }
    }
    if (f & kTpSetL2) std::memcpy(d, t.eth, 12);
    if (f & kTpEncap) {
        uint16_t innerLen = static_cast<uint16_t>(rte_pktmbuf_pkt_len(m));
        auto* e = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, t.encapLen));
        if (e == nullptr) return DropReason::EncapFailed;
        std::memcpy(e, t.encap, t.encapLen);
        if (t.encapFamily == 4) {
            uint8_t* ip = e + 14;
            uint16_t total = static_cast<uint16_t>(innerLen + 36);
            wr16(ip + 2, total);
            wr16(ip + 10, applyDelta(rd16(ip + 10), total));
            wr16(ip + 24, static_cast<uint16_t>(innerLen + 16));  // UDP length
        } else {
            uint8_t* ip = e + 14;
            uint16_t udpLen = static_cast<uint16_t>(innerLen + 16);
            wr16(ip + 4, udpLen);
            wr16(ip + 44, udpLen);
            wr16(ip + 46, 0);
            uint16_t c = rte_ipv6_udptcp_cksum_mbuf(
                m, reinterpret_cast<const rte_ipv6_hdr*>(ip), 14 + 40);
            std::memcpy(ip + 46, &c, 2);
        }
    }
    return DropReason::None;
}

bool verifyChecksums(const uint8_t* frame, uint32_t len) {
    FlowKey key;
    PacketLayout lay;
    // Outer first (as if from the uplink, so VXLAN is recognised), then the inner frame.
    if (parseFrame(frame, len, 0, false, key, lay) != DropReason::None) return false;
    if (lay.isArp) return true;
    const uint8_t* ip = frame + lay.l3;
    uint32_t l4len;
    uint32_t pseudo = 0;
    if (key.family == 4) {
        if (ipv4HeaderChecksum(ip, (ip[0] & 0xf) * 4u) != rd16(ip + 10)) return false;
        l4len = rd16(ip + 2) - (ip[0] & 0xf) * 4u;
        pseudo = sumBytes(ip + 12, 8) + key.proto + l4len;
    } else {
        l4len = lay.l3Len - (lay.l4 - lay.l3);
        pseudo = sumBytes(ip + 8, 32) + key.proto + l4len;
    }
    const uint8_t* l4 = frame + lay.l4;
    uint32_t s = sumBytes(l4, l4len);
    if (key.proto == lang::kProtoTcp || key.proto == lang::kProtoIcmpV6) {
        s += pseudo;
    } else if (key.proto == lang::kProtoUdp) {
        if (key.family == 4 && rd16(l4 + 6) == 0) s = 0xffff;  // no checksum
        else s += pseudo;
    }
    if (key.proto == lang::kProtoTcp || key.proto == lang::kProtoUdp ||
        key.proto == lang::kProtoIcmp || key.proto == lang::kProtoIcmpV6) {
        if (fold(s) != 0xffff) return false;
    }
    if (key.proto == lang::kProtoUdp && key.dstPort == 4789 && l4len > 16) {
        return verifyChecksums(l4 + 16, l4len - 16);
    }
    return true;
}

}  // namespace sluice::rt
