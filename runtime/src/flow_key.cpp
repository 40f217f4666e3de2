// FlowKey <-> policy metadata conversions and formatting.
#include <cstring>
#include <sstream>

#include "sluice/runtime/flow.h"

namespace sluice::rt {
namespace {

// Byte-order conversions by wide loads and byte swaps (the miss path converts every key
// several times; byte loops cost ~3x as many instructions).
uint64_t load64be(const uint8_t* b) {
    uint64_t v;
    std::memcpy(&v, b, 8);
    return __builtin_bswap64(v);
}

void store64be(uint64_t v, uint8_t* b) {
    v = __builtin_bswap64(v);
    std::memcpy(b, &v, 8);
}

lang::IpAddr readIp(const uint8_t* b, uint8_t family) {
    if (family == 4) {
        uint32_t v;
        std::memcpy(&v, b, 4);
        return lang::IpAddr::v4(__builtin_bswap32(v));
    }
    if (family == 6) {
        return lang::IpAddr::v6(static_cast<lang::u128>(load64be(b)) << 64 | load64be(b + 8));
    }
    return {};
}

void writeIp(const lang::IpAddr& a, uint8_t* b, uint8_t& family) {
    std::memset(b, 0, 16);
    family = static_cast<uint8_t>(a.family);
    if (a.family == lang::Family::V4) {
        const uint32_t v = __builtin_bswap32(static_cast<uint32_t>(a.value));
        std::memcpy(b, &v, 4);
    } else if (a.family == lang::Family::V6) {
        store64be(static_cast<uint64_t>(a.value >> 64), b);
        store64be(static_cast<uint64_t>(a.value), b + 8);
    }
}

uint64_t readMac(const uint8_t* m) {
    uint64_t v = 0;
    std::memcpy(&v, m, 6);
    return __builtin_bswap64(v) >> 16;
}

void writeMac(uint64_t v, uint8_t* m) {
    const uint64_t w = __builtin_bswap64(v << 16);
    std::memcpy(m, &w, 6);
}

// Whether n bytes are all zero, by wide loads (compactKey runs on every install).
template <size_t N>
bool allZero(const uint8_t* p) {
    static_assert(N == 6 || N == 12 || N == 16);
    uint64_t a = 0, b = 0;
    if constexpr (N == 6) {
        std::memcpy(&a, p, 6);
    } else {
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + 8, N - 8);
    }
    return (a | b) == 0;
}

bool isEcho(uint8_t proto, uint8_t type) {
    return proto == lang::kProtoIcmp ? (type == 8 || type == 0)
                                     : proto == lang::kProtoIcmpV6 && (type == 128 || type == 129);
}

// An address of the key as the ABI holds it (host order; IPv4 in the low 32 bits of lo).
sl_ip metaIp(const uint8_t* b, uint8_t family) {
    if (family == 4) {
        uint32_t v;
        std::memcpy(&v, b, 4);
        return sl_ip{__builtin_bswap32(v), 0};
    }
    return sl_ip{load64be(b + 8), load64be(b)};  // family 6 (callers pass 4 or 6 only)
}

// The family an sl_meta address is read with (compiler::fromMeta): 4, 6, or none.
uint8_t knownFamily(uint8_t f) { return f == 4 || f == 6 ? f : 0; }

// 16 address bytes in network order of an ABI address of (known) family `f`, as writeIp, into
// bytes already zero.
void metaIpBytes(const sl_ip& ip, uint8_t f, uint8_t* b) {
    if (f == 4) {
        const uint32_t v = __builtin_bswap32(static_cast<uint32_t>(ip.lo));
        std::memcpy(b, &v, 4);
    } else if (f == 6) {
        store64be(ip.hi, b);
        store64be(ip.lo, b + 8);
    }
}

}  // namespace

uint8_t answerIcmpType(uint8_t proto, uint8_t type) {
    if (proto == lang::kProtoIcmp) {
        switch (type) {
            case 8: return 0;
            case 0: return 8;
            case 13: return 14;
            case 14: return 13;
            case 15: return 16;
            case 16: return 15;
            case 17: return 18;
            case 18: return 17;
            default: return type;
        }
    }
    if (proto == lang::kProtoIcmpV6) {
        if (type == 128) return 129;
        if (type == 129) return 128;
    }
    return type;
}

sl_meta keyToMeta(const FlowKey& key, uint8_t tcpFlags, uint8_t dscp) {
    sl_meta m;
    keyToMeta(key, tcpFlags, dscp, m);
    return m;
}

void keyToMeta(const FlowKey& key, uint8_t tcpFlags, uint8_t dscp, sl_meta& m) {
    std::memset(&m, 0, sizeof m);
    const uint8_t f = knownFamily(key.family), of = knownFamily(key.outerFamily);
    if (f != 0) {
        m.src_ip = metaIp(key.srcIp, f);
        m.dst_ip = metaIp(key.dstIp, f);
    }
    if (of != 0) {
        m.outer_src = metaIp(key.outerSrc, of);
        m.outer_dst = metaIp(key.outerDst, of);
    }
    m.src_family = m.dst_family = f;
    m.outer_src_family = m.outer_dst_family = of;
    m.src_mac = readMac(key.srcMac);
    m.dst_mac = readMac(key.dstMac);
    m.vni = key.vni;
    m.ethertype = key.etherType;
    if (key.proto != lang::kProtoIcmp && key.proto != lang::kProtoIcmpV6) {
        m.src_port = key.srcPort;
        m.dst_port = key.dstPort;
    }
    m.proto = key.proto;
    m.tcp_flags = key.proto == lang::kProtoTcp ? tcpFlags : 0;
    m.icmp_type = key.icmpType;
    m.icmp_code = key.icmpCode;
    m.dscp = dscp;
}

void canonicalMeta(sl_meta& m) {
    auto fix = [](sl_ip& ip, uint8_t& f) {
        if (f != 4 && f != 6) {
            f = 0;
            ip = sl_ip{0, 0};
        }
    };
    fix(m.src_ip, m.src_family);
    fix(m.dst_ip, m.dst_family);
    fix(m.outer_src, m.outer_src_family);
    fix(m.outer_dst, m.outer_dst_family);
    std::memset(m.pad, 0, sizeof m.pad);
}

FlowKey replyKey(const sl_meta& m, uint16_t ingress, uint16_t icmpId) {
    FlowKey k;
    std::memset(&k, 0, sizeof k);
    // The reply: addresses, ports, MACs and tunnel endpoints swapped.
    writeMac(m.dst_mac, k.srcMac);
    writeMac(m.src_mac, k.dstMac);
    k.etherType = m.ethertype;
    k.vni = m.vni;
    k.outerFamily = knownFamily(m.outer_dst_family);
    if (k.outerFamily != 0 || m.outer_src_family != 0) {  // plain packets: no outer addresses
        metaIpBytes(m.outer_dst, k.outerFamily, k.outerSrc);
        metaIpBytes(m.outer_src, knownFamily(m.outer_src_family), k.outerDst);
    }
    k.family = knownFamily(m.dst_family);
    metaIpBytes(m.dst_ip, k.family, k.srcIp);
    metaIpBytes(m.src_ip, knownFamily(m.src_family), k.dstIp);
    k.proto = m.proto;
    if (m.proto != lang::kProtoIcmp && m.proto != lang::kProtoIcmpV6) {
        k.srcPort = m.dst_port;
        k.dstPort = m.src_port;
    }
    k.icmpType = answerIcmpType(m.proto, m.icmp_type);
    k.icmpCode = m.icmp_code;
    k.ingress = ingress;
    if (isEcho(m.proto, m.icmp_type)) k.srcPort = icmpId;
    return k;
}

bool compactKey(const FlowKey& k, FlowKey4& c) {
    if (k.family != 4 || k.etherType != 0x0800 || k.dscp != 0) return false;
    if (!allZero<12>(k.srcIp + 4) || !allZero<12>(k.dstIp + 4)) return false;
    std::memset(&c, 0, sizeof c);
    if (k.outerFamily == 4) {
        if (!allZero<6>(k.srcMac) || !allZero<6>(k.dstMac) || !allZero<12>(k.outerSrc + 4) ||
            !allZero<12>(k.outerDst + 4))
            return false;
        c.tunnelled = 1;
        std::memcpy(c.ctx, &k.vni, 4);
        std::memcpy(c.ctx + 4, k.outerSrc, 4);
        std::memcpy(c.ctx + 8, k.outerDst, 4);
    } else if (k.outerFamily == 0) {
        if (k.vni != 0 || !allZero<16>(k.outerSrc) || !allZero<16>(k.outerDst)) return false;
        std::memcpy(c.ctx, k.dstMac, 6);
        std::memcpy(c.ctx + 6, k.srcMac, 6);
    } else {
        return false;
    }
    if (k.pad[0] != 0 || k.pad[1] != 0) return false;
    std::memcpy(c.srcIp, k.srcIp, 4);
    std::memcpy(c.dstIp, k.dstIp, 4);
    c.srcPortBe = __builtin_bswap16(k.srcPort);
    c.dstPortBe = __builtin_bswap16(k.dstPort);
    c.ingress = k.ingress;
    c.proto = k.proto;
    c.icmpType = k.icmpType;
    c.icmpCode = k.icmpCode;
    return true;
}

void expandKey(const FlowKey4& c, FlowKey& k) {
    std::memset(&k, 0, sizeof k);
    k.family = 4;
    k.etherType = 0x0800;
    std::memcpy(k.srcIp, c.srcIp, 4);
    std::memcpy(k.dstIp, c.dstIp, 4);
    k.srcPort = __builtin_bswap16(c.srcPortBe);
    k.dstPort = __builtin_bswap16(c.dstPortBe);
    k.ingress = c.ingress;
    k.proto = c.proto;
    k.icmpType = c.icmpType;
    k.icmpCode = c.icmpCode;
    if (c.tunnelled) {
        k.outerFamily = 4;
        std::memcpy(&k.vni, c.ctx, 4);
        std::memcpy(k.outerSrc, c.ctx + 4, 4);
        std::memcpy(k.outerDst, c.ctx + 8, 4);
    } else {
        std::memcpy(k.dstMac, c.ctx, 6);
        std::memcpy(k.srcMac, c.ctx + 6, 6);
    }
}

lang::Headers keyToHeaders(const FlowKey& key, uint8_t tcpFlags, uint8_t dscp) {
    lang::Headers h;
    h.srcMac = readMac(key.srcMac);
    h.dstMac = readMac(key.dstMac);
    h.etherType = key.etherType;
    h.vni = key.vni;
    h.outerSrc = readIp(key.outerSrc, key.outerFamily);
    h.outerDst = readIp(key.outerDst, key.outerFamily);
    h.srcIp = readIp(key.srcIp, key.family);
    h.dstIp = readIp(key.dstIp, key.family);
    h.proto = key.proto;
    bool icmp = key.proto == lang::kProtoIcmp || key.proto == lang::kProtoIcmpV6;
    if (!icmp) {
        h.srcPort = key.srcPort;
        h.dstPort = key.dstPort;
    }
    h.tcpFlags = key.proto == lang::kProtoTcp ? tcpFlags : 0;
    h.icmpType = key.icmpType;
    h.icmpCode = key.icmpCode;
    h.dscp = dscp;
    return h;
}

void headersToKey(const lang::Headers& h, FlowKey& key) {
    writeMac(h.srcMac, key.srcMac);
    writeMac(h.dstMac, key.dstMac);
    key.etherType = h.etherType;
    key.vni = h.vni;
    writeIp(h.outerSrc, key.outerSrc, key.outerFamily);
    uint8_t f = 0;
    writeIp(h.outerDst, key.outerDst, f);
    writeIp(h.srcIp, key.srcIp, key.family);
    writeIp(h.dstIp, key.dstIp, f);
    key.proto = h.proto;
    bool icmp = h.proto == lang::kProtoIcmp || h.proto == lang::kProtoIcmpV6;
    if (!icmp) {
        key.srcPort = h.srcPort;
        key.dstPort = h.dstPort;
    }
    key.icmpType = h.icmpType;
    key.icmpCode = h.icmpCode;
    key.dscp = 0;
}

FlowKey replyKey(const lang::Headers& h, uint16_t ingress, uint16_t icmpId) {
    lang::Headers r = lang::replyHeaders(h);
    FlowKey k;
    std::memset(&k, 0, sizeof k);
    headersToKey(r, k);
    k.ingress = ingress;
    if (isEcho(h.proto, h.icmpType)) k.srcPort = icmpId;
    return k;
}

std::string formatKey(const FlowKey& key) {
    lang::Headers h = keyToHeaders(key, 0);
    std::ostringstream os;
    os << lang::formatPacketText(h);
    if (isEcho(key.proto, key.icmpType)) os << " id " << key.srcPort;
    return os.str();
}

}  // namespace sluice::rt
