// Composed transpositions as data, and building them on a miss (see transposition.h): plain
// bytes and sl_meta, no DPDK, so tests and fuzzers use them without EAL.
#pragma once

#include <cstdint>
#include <type_traits>

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

// No default member initialisers: a Transposition is written whole by buildTransposition or
// invertTransposition, so the miss path's Decision does not zero its two (134 bytes each) first.
// Value-initialise (`Transposition t{}`) where one is made by hand.
struct Transposition {
    uint16_t flags;
    uint8_t family;  // inner L3 family (4/6)
    uint8_t proto;
    uint8_t dscp;
    uint8_t encapLen;  // 50 (IPv4 outer) or 70 (IPv6 outer)
    uint8_t encapFamily;
    DropReason dropReason;
    uint16_t txDev;  // device index in the runtime
    uint16_t srcPortBe, dstPortBe;
    uint16_t ipDelta;  // IPv4 header checksum delta
    uint16_t l4Delta;  // TCP/UDP/ICMPv6 checksum delta
    uint8_t eth[12];   // dst MAC, src MAC
    uint8_t srcIp[16], dstIp[16];
    uint8_t encap[72];  // outer Ethernet + IP + UDP + VXLAN, lengths/checksum filled per packet
};
static_assert(std::is_trivial_v<Transposition> && sizeof(Transposition) == 134);

// Outer header parameters for kTpEncap.
struct EncapSpec {
    uint64_t srcMac = 0, dstMac = 0;
    lang::IpAddr src, dst;
    uint32_t vni = 0;
    uint16_t udpSrcPort = 0;  // flow entropy
};

// Fills `t` to turn a packet whose metadata is `in` (parsed with `inTunnelled`) into `out`
// (both canonical: canonicalMeta). `l2` (when non-null: dst then src MAC) rewrites the inner
// Ethernet addresses; `encap` pushes an outer header. Returns false when the change cannot be
// done by rewriting (e.g. the address family changes).
bool buildTransposition(const sl_meta& in, bool inTunnelled, const sl_meta& out,
                        const uint8_t* l2, const EncapSpec* encap, uint16_t txDev,
                        Transposition& t);

// The reverse of a session pair (VFP 6.4.1) from its forward transposition `fwd`, built by
// buildTransposition(in, .., out, ..): the reply arrives with out's addresses and ports
// swapped and leaves with in's swapped; every field fwd rewrote is rewritten back, with the
// checksum deltas of those fields alone (no second comparison of whole metadata). Exactly
// buildTransposition(reply of out, revTunnelled, reply of in, l2, encap, txDev) as the slow
// path built it before (RuntimeTransposition.InverseEqualsRederived). Returns false, and leaves
// `rev` unspecified, when it does not apply (the caller builds the reverse then): a family
// other than 4/6, protocol rewritten, or IPv4 addresses with bits above 32.
bool invertTransposition(const Transposition& fwd, const sl_meta& in, const sl_meta& out,
                         bool revTunnelled, const uint8_t* l2, const EncapSpec* encap,
                         uint16_t txDev, Transposition& rev, bool& ok);

}  // namespace sluice::rt
