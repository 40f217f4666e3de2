// A composed header transposition (VFP 6.1): everything the pipeline decided for a flow,
// reduced to what must be done to its bytes, once, at the end. Built on a miss by comparing
// the metadata as it arrived with the metadata as it leaves; applied on every hit.
// Checksums are updated incrementally with deltas computed once per flow (RFC 1624): every
// packet of a flow has the same old values, so the one's-complement difference is a constant.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "sluice/runtime/flow.h"

namespace sluice::rt {

enum TranspositionFlag : uint16_t {
    kTpDrop = 1 << 0,
    kTpDecap = 1 << 1,  // strip the received outer headers (up to layout.innerEth)
    kTpSetSrcIp = 1 << 2,
    kTpSetDstIp = 1 << 3,
    kTpSetSrcPort = 1 << 4,
    kTpSetDstPort = 1 << 5,
    kTpSetDscp = 1 << 6,
    kTpSetL2 = 1 << 7,  // rewrite the (inner) Ethernet addresses
    kTpEncap = 1 << 8,  // push the outer header template
    kTpRewriteL3 = kTpSetSrcIp | kTpSetDstIp | kTpSetSrcPort | kTpSetDstPort | kTpSetDscp,
};

struct Transposition {
    uint16_t flags = 0;
    uint8_t family = 0;  // inner L3 family (4/6)
    uint8_t proto = 0;
    uint8_t dscp = 0;
    uint8_t encapLen = 0;  // 50 (IPv4 outer) or 70 (IPv6 outer)
    uint8_t encapFamily = 0;
    DropReason dropReason = DropReason::None;
    uint16_t txDev = 0;  // device index in the runtime
    uint16_t srcPortBe = 0, dstPortBe = 0;
    uint16_t ipDelta = 0;  // IPv4 header checksum delta
    uint16_t l4Delta = 0;  // TCP/UDP/ICMPv6 checksum delta
    uint8_t eth[12] = {};  // dst MAC, src MAC
    uint8_t srcIp[16] = {}, dstIp[16] = {};
    uint8_t encap[72] = {};  // outer Ethernet + IP + UDP + VXLAN, lengths/checksum filled per packet
};

// Outer header parameters for kTpEncap.
struct EncapSpec {
    uint64_t srcMac = 0, dstMac = 0;
    lang::IpAddr src, dst;
    uint32_t vni = 0;
    uint16_t udpSrcPort = 0;  // flow entropy
};

// Fills `t` to turn a packet whose metadata is `in` (parsed with `inTunnelled`) into `out`.
// `l2` (when non-null: dst then src MAC) rewrites the inner Ethernet addresses; `encap`
// pushes an outer header. Returns false when the change cannot be done by rewriting (e.g. the
// address family changes).
bool buildTransposition(const lang::Headers& in, bool inTunnelled, const lang::Headers& out,
                        const uint8_t* l2, const EncapSpec* encap, uint16_t txDev,
                        Transposition& t);

// Applies `t` to `m`, whose parse layout is `lay`. Returns DropReason::None or why it failed.
DropReason applyTransposition(rte_mbuf* m, const PacketLayout& lay, const Transposition& t);

// Full IPv4 header checksum (for tests and templates).
uint16_t ipv4HeaderChecksum(const uint8_t* ip, unsigned len);
// Verifies IPv4 header and TCP/UDP/ICMP checksums of an Ethernet frame (tests). True if all
// present checksums are right.
bool verifyChecksums(const uint8_t* frame, uint32_t len);

}  // namespace sluice::rt
