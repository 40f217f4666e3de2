// libFuzzer target for the packet parser (runtime/src/parser.cpp, `parseFrame`): any frame
// must be parsed or dropped with a reason, never read out of bounds. Frames from the uplink
// (VXLAN recognised) and from a VM port are both tried. For frames that parse, the layout the
// fast path relies on must lie inside the frame: the L3 header and its length, and the L4
// header of TCP (20 bytes), UDP (8) and ICMP (8) inside the L3 length.
//
// The hit path's parsers must agree: when parseFast4 accepts a frame, parseFrame accepts it
// too, with the same layout and a key whose compact form is parseFast4's key; when parseFast6
// does, with the same layout and key.
//
// parseFrame takes bytes, not an mbuf, so no EAL is needed (and none is started). The input
// is capped at 65535 bytes, the largest mbuf data length.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_fail.h"
#include "sluice/runtime/flow.h"

namespace {

using namespace sluice::rt;
namespace lang = sluice::lang;

std::string describe(const uint8_t* d, uint32_t len, bool uplink, const PacketLayout& lay) {
    std::string s = std::string(uplink ? "uplink" : "vm") + " frame of " + std::to_string(len) +
                    " bytes: l3 " + std::to_string(lay.l3) + " l3Len " +
                    std::to_string(lay.l3Len) + " l4 " + std::to_string(lay.l4) + "\n";
    static const char* kHex = "0123456789abcdef";
    for (uint32_t i = 0; i < len && i < 256; ++i) {
        s += kHex[d[i] >> 4];
        s += kHex[d[i] & 15];
    }
    return s;
}

void checkLayout(const uint8_t* d, uint32_t len, bool uplink, const FlowKey& key,
                 const PacketLayout& lay) {
    auto fail = [&](const char* what) {
        sluice::fuzz::fail("fuzz_frame", what, describe(d, len, uplink, lay));
    };
    if (lay.innerEth + 14u > len) fail("inner Ethernet header outside the frame");
    if (lay.isArp) {
        if (lay.l3 + 28u > len) fail("ARP body outside the frame");
        return;
    }
    if (key.family != 4 && key.family != 6) fail("parsed IP frame without a family");
    if (lay.l3 < lay.innerEth + 14u) fail("L3 header before the end of the Ethernet header");
    uint32_t minL3 = key.family == 4 ? 20 : 40;
    if (lay.l3Len < minL3) fail("L3 length shorter than the IP header");
    uint32_t l3End = uint32_t{lay.l3} + lay.l3Len;
    if (l3End > len) fail("L3 length beyond the frame");
    if (lay.l4 < lay.l3 + minL3 || lay.l4 > l3End) fail("L4 offset outside the L3 packet");
    uint32_t need = 0;
    if (key.proto == lang::kProtoTcp) need = 20;
    if (key.proto == lang::kProtoUdp || key.proto == lang::kProtoIcmp ||
        key.proto == lang::kProtoIcmpV6) {
        need = 8;
    }
    if (lay.l4 + need > l3End) fail("L4 header beyond the L3 length");
    if (lay.tunnelled && key.vni > 0xffffff) fail("VNI wider than 24 bits");
    if (!lay.tunnelled && (key.vni != 0 || key.outerFamily != 0)) fail("tunnel fields untunnelled");
}

bool sameLayout(const PacketLayout& a, const PacketLayout& b) {
    return a.innerEth == b.innerEth && a.l3 == b.l3 && a.l4 == b.l4 && a.l3Len == b.l3Len &&
           a.tcpFlags == b.tcpFlags && a.dscp == b.dscp && a.tunnelled == b.tunnelled &&
           a.isArp == b.isArp;
}

void checkFastParser(const uint8_t* d, uint32_t len, bool uplink, uint16_t ingress,
                     DropReason full, const FlowKey& key, const PacketLayout& lay) {
    FlowKey4 fast;
    PacketLayout fastLay;
    if (!parseFast4(d, len, ingress, uplink, fast, fastLay)) return;
    auto fail = [&](const char* what) {
        sluice::fuzz::fail("fuzz_frame", what, describe(d, len, uplink, fastLay));
    };
    if (full != DropReason::None) fail("parseFast4 accepts a frame parseFrame drops");
    if (!sameLayout(lay, fastLay)) fail("parseFast4 and parseFrame disagree on the layout");
    FlowKey4 compact;
    if (!compactKey(key, compact)) fail("parseFast4 accepts a frame whose key has no compact form");
    if (std::memcmp(&compact, &fast, sizeof compact) != 0)
        fail("parseFast4 and parseFrame disagree on the key");
}

void checkFast6Parser(const uint8_t* d, uint32_t len, bool uplink, uint16_t ingress,
                      DropReason full, const FlowKey& key, const PacketLayout& lay) {
    FlowKey fast;
    PacketLayout fastLay;
    if (!parseFast6(d, len, ingress, uplink, fast, fastLay)) return;
    auto fail = [&](const char* what) {
        sluice::fuzz::fail("fuzz_frame", what, describe(d, len, uplink, fastLay));
    };
    if (full != DropReason::None) fail("parseFast6 accepts a frame parseFrame drops");
    if (!sameLayout(lay, fastLay)) fail("parseFast6 and parseFrame disagree on the layout");
    if (std::memcmp(&key, &fast, sizeof key) != 0) fail("parseFast6 and parseFrame disagree on the key");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 65535) return 0;  // an mbuf's data length is 16 bits
    auto len = static_cast<uint32_t>(size);
    for (bool uplink : {false, true}) {
        FlowKey key;
        PacketLayout lay;
        uint16_t ingress = uplink ? kUplinkIngress : 3;
        DropReason r = parseFrame(data, len, ingress, uplink, key, lay);
        checkFastParser(data, len, uplink, ingress, r, key, lay);
        checkFast6Parser(data, len, uplink, ingress, r, key, lay);
        if (r != DropReason::None) {
            if (std::strcmp(dropReasonName(r), "unknown") == 0) {
                sluice::fuzz::fail("fuzz_frame", "drop reason without a name",
                                   describe(data, len, uplink, lay));
            }
            continue;
        }
        if (key.ingress != ingress) {
            sluice::fuzz::fail("fuzz_frame", "ingress not kept", describe(data, len, uplink, lay));
        }
        checkLayout(data, len, uplink, key, lay);
    }
    return 0;
}
