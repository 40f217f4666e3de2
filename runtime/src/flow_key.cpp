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

}  // namespace

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
