// Test helpers: build Ethernet frames with correct checksums, and read them back.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sluice::rt::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, size_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
}
inline uint16_t get16(const Bytes& b, size_t off) {
    return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}
inline uint32_t get32(const Bytes& b, size_t off) {
    return uint32_t(b[off]) << 24 | uint32_t(b[off + 1]) << 16 | uint32_t(b[off + 2]) << 8 | b[off + 3];
}

inline uint32_t ip4(const char* s) {
    unsigned a, b, c, d;
    std::sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d);
    return a << 24 | b << 16 | c << 8 | d;
}

inline uint16_t csum(const uint8_t* p, size_t len, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
    if (len & 1) sum += uint32_t(p[len - 1]) << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

inline Bytes eth(uint64_t dst, uint64_t src, uint16_t type) {
    Bytes b(14);
    for (int i = 0; i < 6; ++i) {
        b[i] = static_cast<uint8_t>(dst >> (40 - 8 * i));
        b[6 + i] = static_cast<uint8_t>(src >> (40 - 8 * i));
    }
    put16(b, 12, type);
    return b;
}

// IPv4 + L4 (proto 6 TCP, 17 UDP, 1 ICMP echo) with valid checksums.
inline Bytes ipv4(uint64_t dmac, uint64_t smac, uint32_t src, uint32_t dst, uint8_t proto,
                  uint16_t sport, uint16_t dport, uint8_t tcpFlags = 0x02,
                  const std::string& payload = "", uint8_t icmpType = 8) {
    Bytes f = eth(dmac, smac, 0x0800);
    size_t l4len = (proto == 6 ? 20 : 8) + payload.size();
    Bytes ip(20 + l4len);
    ip[0] = 0x45;
    put16(ip, 2, static_cast<uint16_t>(ip.size()));
    ip[8] = 64;
    ip[9] = proto;
    for (int i = 0; i < 4; ++i) {
        ip[12 + i] = static_cast<uint8_t>(src >> (24 - 8 * i));
        ip[16 + i] = static_cast<uint8_t>(dst >> (24 - 8 * i));
    }
    put16(ip, 10, csum(ip.data(), 20));
    uint8_t* l4 = ip.data() + 20;
    std::memcpy(l4 + (proto == 6 ? 20 : 8), payload.data(), payload.size());
    uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
                      static_cast<uint32_t>(l4len);
    if (proto == 6) {
        l4[0] = static_cast<uint8_t>(sport >> 8); l4[1] = static_cast<uint8_t>(sport);
        l4[2] = static_cast<uint8_t>(dport >> 8); l4[3] = static_cast<uint8_t>(dport);
        l4[4] = 0x10;  // seq
        l4[12] = 0x50;
        l4[13] = tcpFlags;
        l4[14] = 0xff; l4[15] = 0xff;
        uint16_t c = csum(l4, l4len, pseudo);
        l4[16] = static_cast<uint8_t>(c >> 8); l4[17] = static_cast<uint8_t>(c);
    } else if (proto == 17) {
        l4[0] = static_cast<uint8_t>(sport >> 8); l4[1] = static_cast<uint8_t>(sport);
        l4[2] = static_cast<uint8_t>(dport >> 8); l4[3] = static_cast<uint8_t>(dport);
        l4[4] = static_cast<uint8_t>(l4len >> 8); l4[5] = static_cast<uint8_t>(l4len);
        uint16_t c = csum(l4, l4len, pseudo);
        if (c == 0) c = 0xffff;
        l4[6] = static_cast<uint8_t>(c >> 8); l4[7] = static_cast<uint8_t>(c);
    } else {
        l4[0] = icmpType;
        l4[4] = static_cast<uint8_t>(sport >> 8); l4[5] = static_cast<uint8_t>(sport);  // id
        l4[7] = 1;                                                                      // seq
        uint16_t c = csum(l4, l4len);
        l4[2] = static_cast<uint8_t>(c >> 8); l4[3] = static_cast<uint8_t>(c);
    }
    f.insert(f.end(), ip.begin(), ip.end());
    return f;
}

inline Bytes arpRequest(uint64_t smac, uint32_t sip, uint32_t tip) {
    Bytes f = eth(0xffffffffffffULL, smac, 0x0806);
    Bytes a(28);
    put16(a, 0, 1);
    put16(a, 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a, 6, 1);
    for (int i = 0; i < 6; ++i) a[8 + i] = static_cast<uint8_t>(smac >> (40 - 8 * i));
    for (int i = 0; i < 4; ++i) {
        a[14 + i] = static_cast<uint8_t>(sip >> (24 - 8 * i));
        a[24 + i] = static_cast<uint8_t>(tip >> (24 - 8 * i));
    }
    f.insert(f.end(), a.begin(), a.end());
    return f;
}

// Wraps `inner` in Ethernet/IPv4/UDP/VXLAN (UDP checksum 0).
inline Bytes vxlan(const Bytes& inner, uint64_t dmac, uint64_t smac, uint32_t src, uint32_t dst,
                   uint32_t vni, uint16_t sport = 50000) {
    Bytes f = eth(dmac, smac, 0x0800);
    Bytes ip(20 + 8 + 8);
    ip[0] = 0x45;
    put16(ip, 2, static_cast<uint16_t>(ip.size() + inner.size()));
    ip[8] = 64;
    ip[9] = 17;
    for (int i = 0; i < 4; ++i) {
        ip[12 + i] = static_cast<uint8_t>(src >> (24 - 8 * i));
        ip[16 + i] = static_cast<uint8_t>(dst >> (24 - 8 * i));
    }
    put16(ip, 10, csum(ip.data(), 20));
    put16(ip, 20, sport);
    put16(ip, 22, 4789);
    put16(ip, 24, static_cast<uint16_t>(16 + inner.size()));
    ip[28] = 0x08;
    ip[32] = static_cast<uint8_t>(vni >> 16);
    ip[33] = static_cast<uint8_t>(vni >> 8);
    ip[34] = static_cast<uint8_t>(vni);
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), inner.begin(), inner.end());
    return f;
}

inline uint64_t mac(const Bytes& f, size_t off) {
    uint64_t v = 0;
    for (int i = 0; i < 6; ++i) v = v << 8 | f[off + i];
    return v;
}

}  // namespace sluice::rt::test
