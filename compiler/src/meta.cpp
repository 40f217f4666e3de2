#include "sluice/compiler/meta.h"

#include <cstring>

namespace sluice::compiler {

namespace {
sl_ip toIp(const lang::IpAddr& a) {
    return {static_cast<uint64_t>(a.value), static_cast<uint64_t>(a.value >> 64)};
}
// Anything but 4 or 6 is "no address" (value 0), whatever the value bits say.
lang::IpAddr fromIp(const sl_ip& ip, uint8_t fam) {
    auto family = static_cast<lang::Family>(fam);
    if (family != lang::Family::V4 && family != lang::Family::V6) return {};
    return {family, (lang::u128(ip.hi) << 64) | ip.lo};
}
}  // namespace

sl_meta toMeta(const lang::Headers& h) {
    sl_meta m;
    std::memset(&m, 0, sizeof m);
    m.src_ip = toIp(h.srcIp);
    m.dst_ip = toIp(h.dstIp);
    m.outer_src = toIp(h.outerSrc);
    m.outer_dst = toIp(h.outerDst);
    m.src_family = static_cast<uint8_t>(h.srcIp.family);
    m.dst_family = static_cast<uint8_t>(h.dstIp.family);
    m.outer_src_family = static_cast<uint8_t>(h.outerSrc.family);
    m.outer_dst_family = static_cast<uint8_t>(h.outerDst.family);
    m.src_mac = h.srcMac;
    m.dst_mac = h.dstMac;
    m.vni = h.vni;
    m.ethertype = h.etherType;
    m.src_port = h.srcPort;
    m.dst_port = h.dstPort;
    m.proto = h.proto;
    m.tcp_flags = h.tcpFlags;
    m.icmp_type = h.icmpType;
    m.icmp_code = h.icmpCode;
    m.dscp = h.dscp;
    return m;
}

lang::Headers fromMeta(const sl_meta& m) {
    lang::Headers h;
    h.srcIp = fromIp(m.src_ip, m.src_family);
    h.dstIp = fromIp(m.dst_ip, m.dst_family);
    h.outerSrc = fromIp(m.outer_src, m.outer_src_family);
    h.outerDst = fromIp(m.outer_dst, m.outer_dst_family);
    h.srcMac = m.src_mac;
    h.dstMac = m.dst_mac;
    h.vni = m.vni;
    h.etherType = m.ethertype;
    h.srcPort = m.src_port;
    h.dstPort = m.dst_port;
    h.proto = m.proto;
    h.tcpFlags = m.tcp_flags;
    h.icmpType = m.icmp_type;
    h.icmpCode = m.icmp_code;
    h.dscp = m.dscp;
    return h;
}

}  // namespace sluice::compiler
