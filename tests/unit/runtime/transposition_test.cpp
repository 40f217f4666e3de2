// Building transpositions on sl_meta (no EAL): the reverse of a session pair made by inverting
// the forward one must be exactly what building it from the reply's metadata gives, field for
// field and delta for delta (the slow path built it that way before issue 10).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "sluice/runtime/flow.h"
#include "transposition_build.h"

namespace sluice::rt {
namespace {

// Values that make one's-complement corner cases (0 <-> 0xffff words) likely.
uint64_t corner(std::mt19937_64& rng, unsigned bits) {
    const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    switch (rng() % 4) {
        case 0: return 0;
        case 1: return mask;
        case 2: return mask & 0xffff0000ffff0000ull;
        default: return rng() & mask;
    }
}

sl_meta randomIn(std::mt19937_64& rng) {
    static const uint8_t protos[] = {lang::kProtoTcp, lang::kProtoUdp, lang::kProtoIcmp,
                                     lang::kProtoIcmpV6, 47};
    FlowKey k;
    std::memset(&k, 0, sizeof k);
    k.family = rng() % 2 ? 4 : 6;
    for (int i = 0; i < (k.family == 4 ? 4 : 16); ++i) {
        k.srcIp[i] = static_cast<uint8_t>(corner(rng, 8));
        k.dstIp[i] = static_cast<uint8_t>(corner(rng, 8));
    }
    k.proto = protos[rng() % 5];
    k.srcPort = static_cast<uint16_t>(corner(rng, 16));
    k.dstPort = static_cast<uint16_t>(corner(rng, 16));
    k.icmpType = rng() % 2 ? 8 : 128;
    if (rng() % 3 == 0) {
        k.outerFamily = 4;
        k.vni = 77;
        k.outerSrc[0] = 192;
        k.outerDst[0] = 10;
    }
    return keyToMeta(k, static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng() % 64));
}

// The pipelines' output: some of the addresses, ports and DSCP rewritten.
sl_meta randomOut(std::mt19937_64& rng, const sl_meta& in) {
    sl_meta out = in;
    const bool v4 = in.src_family == 4;
    auto addr = [&](sl_ip& a) {
        if (rng() % 2) return;
        a.lo = corner(rng, v4 ? 32 : 64);
        a.hi = v4 ? 0 : corner(rng, 64);
    };
    addr(out.src_ip);
    addr(out.dst_ip);
    if (rng() % 2) out.src_port = static_cast<uint16_t>(corner(rng, 16));
    if (rng() % 2) out.dst_port = static_cast<uint16_t>(corner(rng, 16));
    if (rng() % 4 == 0) out.dscp = static_cast<uint8_t>(rng() % 64);
    return out;
}

// The reverse as the slow path built it before: from the reply key's metadata to the reply of
// the packet as it arrived.
bool rederived(const sl_meta& in, const sl_meta& out, bool revTunnelled, const uint8_t* l2,
               const EncapSpec* encap, uint16_t txDev, Transposition& rev) {
    const FlowKey revKey = replyKey(out, 3, 99);
    const sl_meta revIn = keyToMeta(revKey, 0, in.dscp);
    sl_meta revOut = in;
    std::swap(revOut.src_ip, revOut.dst_ip);
    std::swap(revOut.src_family, revOut.dst_family);
    std::swap(revOut.src_port, revOut.dst_port);
    revOut.dscp = revIn.dscp;
    return buildTransposition(revIn, revTunnelled, revOut, l2, encap, txDev, rev);
}

TEST(RuntimeTransposition, InverseEqualsRederived) {
    std::mt19937_64 rng(1012);
    const uint8_t l2[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xfe};
    EncapSpec v4encap;
    v4encap.src = lang::IpAddr::v4(0xc0a80101);
    v4encap.dst = lang::IpAddr::v4(0xc0a80102);
    v4encap.vni = 4242;
    v4encap.udpSrcPort = 50000;
    EncapSpec bad = v4encap;
    bad.dst = lang::IpAddr::v6(1);  // families differ: no transposition
    unsigned inverted = 0, rewrites = 0;
    for (int iter = 0; iter < 50000; ++iter) {
        const sl_meta in = randomIn(rng);
        const sl_meta out = randomOut(rng, in);
        Transposition fwd;
        ASSERT_TRUE(buildTransposition(in, in.outer_dst_family != 0, out, l2, nullptr, 1, fwd));
        const bool revTunnelled = rng() % 2;
        const unsigned kind = rng() % 3;
        const uint8_t* l2p = kind == 0 ? l2 : nullptr;
        const EncapSpec* encap = kind == 1 ? &v4encap : kind == 2 ? &bad : nullptr;
        Transposition want, got;
        std::memset(&got, 0xa5, sizeof got);  // every byte must be written
        const bool wantOk = rederived(in, out, revTunnelled, l2p, encap, 2, want);
        bool ok = false;
        ASSERT_TRUE(invertTransposition(fwd, in, out, revTunnelled, l2p, encap, 2, got, ok))
            << "iteration " << iter;
        ++inverted;
        ASSERT_EQ(ok, wantOk) << "iteration " << iter;
        if (!ok) continue;
        rewrites += (want.flags & kTpRewriteL3) != 0;
        ASSERT_EQ(std::memcmp(&got, &want, sizeof got), 0)
            << "iteration " << iter << ": flags " << got.flags << " vs " << want.flags
            << ", ipDelta " << got.ipDelta << " vs " << want.ipDelta << ", l4Delta "
            << got.l4Delta << " vs " << want.l4Delta;
    }
    EXPECT_GT(rewrites, 20000u);  // the cases above mostly rewrite something
    EXPECT_EQ(inverted, 50000u);
}

// Where the reply key cannot carry what the pipeline wrote (the protocol rewritten, IPv4
// addresses with bits above 32) the inversion declines and the caller builds the reverse.
TEST(RuntimeTransposition, InverseDeclinesWhatItCannotInvert) {
    std::mt19937_64 rng(7);
    sl_meta in = randomIn(rng);
    while (in.src_family != 4) in = randomIn(rng);
    sl_meta out = in;
    out.proto = in.proto == lang::kProtoTcp ? lang::kProtoUdp : lang::kProtoTcp;
    Transposition fwd, rev;
    ASSERT_TRUE(buildTransposition(in, false, out, nullptr, nullptr, 1, fwd));
    bool ok = false;
    EXPECT_FALSE(invertTransposition(fwd, in, out, false, nullptr, nullptr, 1, rev, ok));
    out = in;
    out.dst_ip.lo |= uint64_t{1} << 40;
    ASSERT_TRUE(buildTransposition(in, false, out, nullptr, nullptr, 1, fwd));
    EXPECT_FALSE(invertTransposition(fwd, in, out, false, nullptr, nullptr, 1, rev, ok));
    out = in;
    out.dst_family = 6;  // no forward transposition at all
    EXPECT_FALSE(buildTransposition(in, false, out, nullptr, nullptr, 1, fwd));
}

}  // namespace
}  // namespace sluice::rt
