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
    const uint64_t w = __builtin_bswap64(mac << 16);
    std::memcpy(b, &w, 6);
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

namespace {

// ipBytes of the address an sl_meta holds (compiler::fromMeta's IpAddr): IPv4 the low 32 bits,
// anything else 16 bytes.
void metaBytes(const sl_ip& a, uint8_t family, uint8_t* b) {
    if (family == 4) {
        const uint32_t v = __builtin_bswap32(static_cast<uint32_t>(a.lo));
        std::memset(b, 0, 16);
        std::memcpy(b, &v, 4);
    } else {
        const uint64_t hi = __builtin_bswap64(a.hi), lo = __builtin_bswap64(a.lo);
        std::memcpy(b, &hi, 8);
        std::memcpy(b + 8, &lo, 8);
    }
}

bool sameIp(const sl_ip& a, uint8_t fa, const sl_ip& b, uint8_t fb) {
    return fa == fb && a.lo == b.lo && a.hi == b.hi;
}

bool hasPseudoHeader(uint8_t proto) {
    return proto == lang::kProtoTcp || proto == lang::kProtoUdp || proto == lang::kProtoIcmpV6;
}
bool hasPorts(uint8_t proto) { return proto == lang::kProtoTcp || proto == lang::kProtoUdp; }

// The parts of a transposition that do not depend on the metadata: L2 rewrite, encap template.
bool finishTransposition(const uint8_t* l2, const EncapSpec* encap, Transposition& t) {
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

}  // namespace

bool buildTransposition(const sl_meta& in, bool inTunnelled, const sl_meta& out,
                        const uint8_t* l2, const EncapSpec* encap, uint16_t txDev,
                        Transposition& t) {
    t = Transposition{};
    t.txDev = txDev;
    t.proto = in.proto;
    if (in.src_family != out.src_family || in.dst_family != out.dst_family) return false;
    t.family = in.src_family;
    if (inTunnelled) t.flags |= kTpDecap;
    unsigned alen = t.family == 4 ? 4 : 16;
    uint8_t oldb[16], newb[16];
    uint32_t ipDelta = 0, l4Delta = 0;
    const bool l4HasPseudo = hasPseudoHeader(in.proto);
    if (t.family == 4 || t.family == 6) {
        if (!sameIp(in.src_ip, in.src_family, out.src_ip, out.src_family)) {
            metaBytes(in.src_ip, in.src_family, oldb);
            metaBytes(out.src_ip, out.src_family, newb);
            std::memcpy(t.srcIp, newb, 16);
            t.flags |= kTpSetSrcIp;
            uint32_t d = deltaOf(oldb, newb, alen);
            ipDelta += d;
            if (l4HasPseudo) l4Delta += d;
        }
        if (!sameIp(in.dst_ip, in.dst_family, out.dst_ip, out.dst_family)) {
            metaBytes(in.dst_ip, in.dst_family, oldb);
            metaBytes(out.dst_ip, out.dst_family, newb);
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
    if (hasPorts(in.proto) && in.src_port != out.src_port) {
        t.flags |= kTpSetSrcPort;
        wr16(reinterpret_cast<uint8_t*>(&t.srcPortBe), out.src_port);
        l4Delta += (~static_cast<uint32_t>(in.src_port) & 0xffffu) + out.src_port;
    }
    if (hasPorts(in.proto) && in.dst_port != out.dst_port) {
        t.flags |= kTpSetDstPort;
        wr16(reinterpret_cast<uint8_t*>(&t.dstPortBe), out.dst_port);
        l4Delta += (~static_cast<uint32_t>(in.dst_port) & 0xffffu) + out.dst_port;
    }
    t.ipDelta = static_cast<uint16_t>(fold(ipDelta));
    t.l4Delta = static_cast<uint16_t>(fold(l4Delta));
    return finishTransposition(l2, encap, t);
}

// The reply arrives with out's values where fwd rewrote (fwd.srcIp/dstIp/ports hold them) and
// leaves with in's: the reverse rewrites exactly those fields, swapped, and its checksum deltas
// are those of the fields alone. The sums per field are taken as buildTransposition takes them
// (old -> new), so the folded deltas are bit for bit the same (one's complement negation of
// fwd's would differ for 0 vs 0xffff).
bool invertTransposition(const Transposition& fwd, const sl_meta& in, const sl_meta& out,
                         bool revTunnelled, const uint8_t* l2, const EncapSpec* encap,
                         uint16_t txDev, Transposition& rev, bool& ok) {
    const uint8_t f = in.src_family;
    if ((f != 4 && f != 6) || in.dst_family != f || out.src_family != f || out.dst_family != f ||
        in.proto != out.proto)
        return false;
    if (f == 4 && ((in.src_ip.lo | in.dst_ip.lo | out.src_ip.lo | out.dst_ip.lo) >> 32 |
                   in.src_ip.hi | in.dst_ip.hi | out.src_ip.hi | out.dst_ip.hi) != 0)
        return false;  // the reply key keeps 32 bits: the comparisons could differ
    rev = Transposition{};
    rev.txDev = txDev;
    rev.proto = in.proto;
    rev.family = f;
    if (revTunnelled) rev.flags |= kTpDecap;
    const unsigned alen = f == 4 ? 4 : 16;
    const bool pseudo = hasPseudoHeader(in.proto);
    uint32_t ipDelta = 0, l4Delta = 0;
    if (fwd.flags & kTpSetDstIp) {  // the reply's source: out's destination back to in's
        metaBytes(in.dst_ip, f, rev.srcIp);
        rev.flags |= kTpSetSrcIp;
        const uint32_t d = deltaOf(fwd.dstIp, rev.srcIp, alen);
        ipDelta += d;
        if (pseudo) l4Delta += d;
    }
    if (fwd.flags & kTpSetSrcIp) {
        metaBytes(in.src_ip, f, rev.dstIp);
        rev.flags |= kTpSetDstIp;
        const uint32_t d = deltaOf(fwd.srcIp, rev.dstIp, alen);
        ipDelta += d;
        if (pseudo) l4Delta += d;
    }
    if (hasPorts(in.proto) && (fwd.flags & kTpSetDstPort)) {
        rev.flags |= kTpSetSrcPort;
        wr16(reinterpret_cast<uint8_t*>(&rev.srcPortBe), in.dst_port);
        l4Delta += (~static_cast<uint32_t>(out.dst_port) & 0xffffu) + in.dst_port;
    }
    if (hasPorts(in.proto) && (fwd.flags & kTpSetSrcPort)) {
        rev.flags |= kTpSetDstPort;
        wr16(reinterpret_cast<uint8_t*>(&rev.dstPortBe), in.src_port);
        l4Delta += (~static_cast<uint32_t>(out.src_port) & 0xffffu) + in.src_port;
    }
    rev.ipDelta = static_cast<uint16_t>(fold(ipDelta));
    rev.l4Delta = static_cast<uint16_t>(fold(l4Delta));
    ok = finishTransposition(l2, encap, rev);
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
