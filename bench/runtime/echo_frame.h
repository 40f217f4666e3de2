// The benches' test frame: a 60-byte ICMP echo request vm1 (10.10.NET.1) -> vm2 (10.10.0.2) of
// examples/run/demo.sl, identifier `id`, checksums filled in. Shared by runtime_bench and
// reload_bench.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sluice::bench {

inline uint16_t csum(const uint8_t* p, size_t len) {
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}

// Out of line: inlined into a caller that appends to an mbuf, GCC 12 cannot see the 60 bytes
// and warns (-Warray-bounds).
[[gnu::noinline]] inline void echoFrame(uint8_t* f, uint16_t id, uint8_t net = 0) {
    std::memset(f, 0, 60);
    const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0xfe}, src[6] = {0x02, 0, 0, 0x0a, 0, 0x01};
    std::memcpy(f, dst, 6);
    std::memcpy(f + 6, src, 6);
    f[12] = 0x08;
    uint8_t* ip = f + 14;
    ip[0] = 0x45;
    ip[3] = 46;
    ip[8] = 64;
    ip[9] = 1;
    const uint8_t a[4] = {10, 10, net, 1}, b[4] = {10, 10, 0, 2};
    std::memcpy(ip + 12, a, 4);
    std::memcpy(ip + 16, b, 4);
    uint16_t c = csum(ip, 20);
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
    uint8_t* icmp = ip + 20;
    icmp[0] = 8;
    icmp[4] = static_cast<uint8_t>(id >> 8);
    icmp[5] = static_cast<uint8_t>(id);
    c = csum(icmp, 26);
    icmp[2] = static_cast<uint8_t>(c >> 8);
    icmp[3] = static_cast<uint8_t>(c);
}

}  // namespace sluice::bench
