// Parser and transposition-building tests on plain bytes (no EAL), plus random bytes into the
// parser: it must never read out of bounds or crash (run under ASan/valgrind to be strict).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>
#include <string>

#include "frames.h"
#include "sluice/runtime/flow.h"
#include "sluice/compiler/meta.h"
#include "sluice/runtime/slow_path.h"

namespace sluice::rt {
namespace {

using namespace test;

TEST(RuntimeParser, TcpV4Key) {
    Bytes f = ipv4(0x0200000000feULL, 0x020000000001ULL, ip4("10.0.0.1"), ip4("10.0.0.2"), 6,
                   1234, 80, 0x02);
    FlowKey k;
    PacketLayout lay;
    ASSERT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), 3, false, k, lay), DropReason::None);
    EXPECT_EQ(k.family, 4);
    EXPECT_EQ(k.proto, 6);
    EXPECT_EQ(k.srcPort, 1234);
    EXPECT_EQ(k.dstPort, 80);
    EXPECT_EQ(k.ingress, 3);
    EXPECT_EQ(lay.tcpFlags, 0x02);
    EXPECT_EQ(lay.l3, 14);
    EXPECT_EQ(lay.l4, 34);
    lang::Headers h = keyToHeaders(k, lay.tcpFlags);
    EXPECT_EQ(lang::formatPacketText(h).substr(0, 31), "tcp 10.0.0.1:1234 -> 10.0.0.2:8");
    EXPECT_EQ(h.srcMac, 0x020000000001ULL);
}

TEST(RuntimeParser, VlanTaggedIcmpEcho) {
    Bytes f = ipv4(1, 2, ip4("10.0.0.1"), ip4("10.0.0.2"), 1, 77, 0);
    Bytes tagged(f.begin(), f.begin() + 12);
    tagged.insert(tagged.end(), {0x81, 0x00, 0x00, 0x05});
    tagged.insert(tagged.end(), f.begin() + 12, f.end());
    FlowKey k;
    PacketLayout lay;
    ASSERT_EQ(parseFrame(tagged.data(), static_cast<uint32_t>(tagged.size()), 0, false, k, lay),
              DropReason::None);
    EXPECT_EQ(lay.l3, 18);
    EXPECT_EQ(k.icmpType, 8);
    EXPECT_EQ(k.srcPort, 77);  // echo identifier
}

TEST(RuntimeParser, VxlanOnUplinkOnly) {
    Bytes inner = ipv4(1, 2, ip4("10.0.0.3"), ip4("10.0.0.1"), 17, 5000, 53);
    Bytes f = vxlan(inner, 3, 4, ip4("192.168.1.2"), ip4("192.168.1.1"), 4242);
    FlowKey k;
    PacketLayout lay;
    ASSERT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), kUplinkIngress, true, k, lay),
              DropReason::None);
    EXPECT_TRUE(lay.tunnelled);
    EXPECT_EQ(k.vni, 4242u);
    EXPECT_EQ(k.outerFamily, 4);
    EXPECT_EQ(k.proto, 17);
    EXPECT_EQ(k.dstPort, 53);
    EXPECT_EQ(lay.innerEth, 50);
    // From a VM the same bytes are plain UDP to port 4789.
    ASSERT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), 0, false, k, lay), DropReason::None);
    EXPECT_FALSE(lay.tunnelled);
    EXPECT_EQ(k.dstPort, 4789);
}

TEST(RuntimeParser, MalformedFramesHaveReasons) {
    Bytes f = ipv4(1, 2, ip4("10.0.0.1"), ip4("10.0.0.2"), 6, 1, 2);
    FlowKey k;
    PacketLayout lay;
    EXPECT_EQ(parseFrame(f.data(), 10, 0, false, k, lay), DropReason::TruncatedEthernet);
    EXPECT_EQ(parseFrame(f.data(), 20, 0, false, k, lay), DropReason::TruncatedIpv4);
    Bytes bad = f;
    bad[14] = 0x44;  // IHL 4
    EXPECT_EQ(parseFrame(bad.data(), static_cast<uint32_t>(bad.size()), 0, false, k, lay), DropReason::BadIpv4Header);
    bad = f;
    put16(bad, 16, 2000);  // total length beyond the frame
    EXPECT_EQ(parseFrame(bad.data(), static_cast<uint32_t>(bad.size()), 0, false, k, lay), DropReason::BadIpv4Length);
    bad = f;
    bad[20] = 0x20;  // MF
    EXPECT_EQ(parseFrame(bad.data(), static_cast<uint32_t>(bad.size()), 0, false, k, lay), DropReason::IpFragment);
    bad = f;
    bad[14 + 20 + 12] = 0x10;  // TCP data offset 4
    EXPECT_EQ(parseFrame(bad.data(), static_cast<uint32_t>(bad.size()), 0, false, k, lay), DropReason::BadTcpHeader);
    Bytes lldp = eth(1, 2, 0x88cc);
    lldp.resize(60);
    EXPECT_EQ(parseFrame(lldp.data(), 60, 0, false, k, lay), DropReason::UnsupportedEtherType);
    Bytes arp = arpRequest(2, 1, 2);
    arp[14 + 4] = 8;  // hlen
    EXPECT_EQ(parseFrame(arp.data(), static_cast<uint32_t>(arp.size()), 0, false, k, lay), DropReason::BadArp);
    Bytes vx = vxlan(f, 3, 4, 1, 2, 5);
    vx[14 + 28] = 0;  // VXLAN I flag clear
    EXPECT_EQ(parseFrame(vx.data(), static_cast<uint32_t>(vx.size()), kUplinkIngress, true, k, lay), DropReason::BadVxlan);
    EXPECT_STREQ(dropReasonName(DropReason::BadVxlan), "bad_vxlan");
}

// drop_reasons.def is the one list: every reason has a distinct snake_case name and a summary,
// and the stable names counters and flow logs key on are where they were.
TEST(RuntimeDropReasons, OneListGivesEveryReasonANameAndASummary) {
    std::set<std::string> names;
    for (size_t r = 0; r < kDropReasonCount; ++r) {
        std::string name = dropReasonName(static_cast<DropReason>(r));
        EXPECT_NE(name, "unknown") << r;
        EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos) << name;
        EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
        EXPECT_GT(std::strlen(dropReasonSummary(static_cast<DropReason>(r))), 5u) << name;
    }
    EXPECT_STREQ(dropReasonName(DropReason::None), "none");
    EXPECT_STREQ(dropReasonName(DropReason::PolicyDeny), "policy_deny");
    EXPECT_STREQ(dropReasonName(DropReason::SlowPathError), "slow_path_error");
    EXPECT_EQ(static_cast<size_t>(DropReason::SlowPathError) + 1, kDropReasonCount);
    EXPECT_STREQ(dropReasonName(DropReason::Count), "unknown");
}

TEST(RuntimeParser, ReplyKeyPairsEcho) {
    Bytes f = ipv4(1, 2, ip4("10.0.0.1"), ip4("10.0.0.2"), 1, 99, 0);
    FlowKey k;
    PacketLayout lay;
    ASSERT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), 0, false, k, lay), DropReason::None);
    FlowKey r = replyKey(keyToHeaders(k, 0), 1, k.srcPort);
    Bytes reply = ipv4(2, 1, ip4("10.0.0.2"), ip4("10.0.0.1"), 1, 99, 0, 0, "", 0);
    FlowKey k2;
    ASSERT_EQ(parseFrame(reply.data(), static_cast<uint32_t>(reply.size()), 1, false, k2, lay), DropReason::None);
    EXPECT_EQ(std::memcmp(&r, &k2, sizeof r), 0);
}

// Random bytes and random mutations of valid frames: never crash, always a defined result.
TEST(RuntimeParser, RandomBytesNeverCrash) {
    std::mt19937 rng(12345);
    std::vector<Bytes> seeds = {
        ipv4(1, 2, 3, 4, 6, 5, 6), ipv4(1, 2, 3, 4, 17, 5, 6), ipv4(1, 2, 3, 4, 1, 5, 6),
        arpRequest(2, 1, 2), vxlan(ipv4(1, 2, 3, 4, 6, 5, 6), 1, 2, 3, 4, 5)};
    size_t ok = 0;
    for (int i = 0; i < 200000; ++i) {
        Bytes b;
        if (i % 2 == 0) {
            b.resize(rng() % 200);
            for (auto& x : b) x = static_cast<uint8_t>(rng());
        } else {
            b = seeds[rng() % seeds.size()];
            for (int m = 0; m < 4; ++m) b[rng() % b.size()] = static_cast<uint8_t>(rng());
            b.resize(rng() % (b.size() + 1));
        }
        // Copy to an exact-size heap buffer so ASan/valgrind catch any over-read.
        std::unique_ptr<uint8_t[]> buf(new uint8_t[b.size() + 1]);
        if (!b.empty()) std::memcpy(buf.get(), b.data(), b.size());  // data() may be null
        FlowKey k;
        PacketLayout lay;
        DropReason r = parseFrame(buf.get(), static_cast<uint32_t>(b.size()), kUplinkIngress, true, k, lay);
        ASSERT_LT(static_cast<size_t>(r), kDropReasonCount);
        if (r == DropReason::None) {
            ++ok;
            ASSERT_LE(lay.l4, b.size());
            ASSERT_LE(lay.l3, b.size());
        }
    }
    EXPECT_GT(ok, 0u);  // mutations of valid frames still parse sometimes
}

// The hit path's parser agrees with the full parser: whenever parseFast4 accepts a frame, the
// full parser accepts it too with the same layout and a key whose compact form is the fast key
// (and expandKey gives the full key back). Frames: valid ones of every kind, then mutated.
TEST(RuntimeParser, FastParserAgreesWithFullParser) {
    std::vector<Bytes> base = {
        ipv4(0x0200000000feULL, 0x020000000001ULL, ip4("10.0.0.1"), ip4("10.0.0.2"), 6, 1234, 80,
             0x12, "payload"),
        ipv4(1, 2, ip4("10.0.0.1"), ip4("10.0.0.2"), 17, 5353, 53, 0, "query-bytes-here"),
        ipv4(1, 2, ip4("10.0.0.1"), ip4("10.0.0.2"), 1, 77, 0, 0, "ping-payload-ping", 8),
        ipv4(1, 2, ip4("10.0.0.1"), ip4("10.0.0.2"), 1, 77, 0, 0, "ping-payload-ping", 3),
        vxlan(ipv4(1, 2, ip4("10.0.0.1"), ip4("10.0.0.2"), 6, 1, 2, 0x02), 3, 4,
              ip4("192.168.0.1"), ip4("192.168.0.2"), 100),
    };
    std::mt19937 rng(1234);
    unsigned fastAccepted = 0, checked = 0;
    auto check = [&](const Bytes& f, uint16_t ingress, bool uplink) {
        FlowKey4 fk;
        PacketLayout fl;
        auto len = static_cast<uint32_t>(f.size());
        if (!parseFast4(f.data(), len, ingress, uplink, fk, fl)) return false;
        ++checked;
        FlowKey k;
        PacketLayout lay;
        EXPECT_EQ(parseFrame(f.data(), len, ingress, uplink, k, lay), DropReason::None);
        EXPECT_FALSE(lay.isArp);
        FlowKey4 c;
        EXPECT_TRUE(compactKey(k, c));
        EXPECT_EQ(std::memcmp(&c, &fk, sizeof c), 0);
        FlowKey back;
        expandKey(fk, back);
        EXPECT_EQ(std::memcmp(&back, &k, sizeof k), 0);
        EXPECT_EQ(fl.l3, lay.l3);
        EXPECT_EQ(fl.l4, lay.l4);
        EXPECT_EQ(fl.l3Len, lay.l3Len);
        EXPECT_EQ(fl.tcpFlags, lay.tcpFlags);
        EXPECT_EQ(fl.dscp, lay.dscp);
        EXPECT_EQ(fl.innerEth, lay.innerEth);
        EXPECT_EQ(fl.tunnelled, lay.tunnelled);
        return true;
    };
    for (size_t b = 0; b < base.size(); ++b) {
        // Unmutated: all are the fast path's frames on the VM side (VXLAN from a VM is plain
        // UDP); on the uplink VXLAN goes to the full parser.
        EXPECT_TRUE(check(base[b], 3, false)) << b;
        EXPECT_EQ(check(base[b], kUplinkIngress, true), b < 4) << b;
    }
    for (int round = 0; round < 20000; ++round) {
        Bytes f = base[rng() % base.size()];
        int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            switch (rng() % 4) {
                case 0: f[rng() % f.size()] = static_cast<uint8_t>(rng()); break;
                case 1: f[14 + rng() % 30] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
                case 2: f.resize(f.size() - std::min<size_t>(f.size() - 1, rng() % 12)); break;
                default: f.push_back(static_cast<uint8_t>(rng())); break;
            }
        }
        bool uplink = rng() % 2;
        fastAccepted += check(f, uplink ? kUplinkIngress : 5, uplink);
    }
    EXPECT_GT(fastAccepted, 1000u);  // the comparison ran on many accepted frames
    EXPECT_EQ(checked, fastAccepted + 9);
}

// IPv6 + L4 (proto 6 TCP, 17 UDP, 58 ICMPv6) without extension headers, or with a
// hop-by-hop header of 8 bytes (`hopByHop`), for the fast parser's agreement test.
Bytes ipv6Frame(uint8_t proto, uint16_t sport, uint16_t dport, uint8_t tcpFlags,
                const std::string& payload, uint8_t icmpType = 128, bool hopByHop = false) {
    Bytes f = eth(0x0200000000feULL, 0x020000000001ULL, 0x86dd);
    size_t l4len = (proto == 6 ? 20 : 8) + payload.size();
    size_t ext = hopByHop ? 8 : 0;
    Bytes ip(40 + ext + l4len);
    ip[0] = 0x6b;  // version 6, traffic class 0xb4 (DSCP 45)
    ip[1] = 0x40;
    put16(ip, 4, static_cast<uint16_t>(ext + l4len));
    ip[6] = hopByHop ? 0 : proto;
    ip[7] = 64;
    ip[8] = 0xfd;
    ip[23] = 1;
    ip[24] = 0xfd;
    ip[39] = 2;
    if (hopByHop) ip[40] = proto;  // next header; length 0 = 8 bytes
    uint8_t* l4 = ip.data() + 40 + ext;
    std::memcpy(l4 + (proto == 6 ? 20 : 8), payload.data(), payload.size());
    if (proto == 58) {
        l4[0] = icmpType;
        l4[4] = static_cast<uint8_t>(sport >> 8);
        l4[5] = static_cast<uint8_t>(sport);
    } else {
        put16(ip, 40 + ext, sport);
        put16(ip, 42 + ext, dport);
        if (proto == 6) {
            l4[12] = 0x50;
            l4[13] = tcpFlags;
        } else {
            put16(ip, 44 + ext, static_cast<uint16_t>(l4len));
        }
    }
    f.insert(f.end(), ip.begin(), ip.end());
    return f;
}

// The IPv6 fast parser agrees with the full parser as the IPv4 one does: whenever parseFast6
// accepts a frame, parseFrame accepts it with the same key and layout. Frames of every kind it
// handles, ones it must leave to the full parser (extension header, VXLAN on the uplink),
// then mutated.
TEST(RuntimeParser, Fast6ParserAgreesWithFullParser) {
    std::vector<Bytes> base = {
        ipv6Frame(6, 1234, 443, 0x12, "payload"),
        ipv6Frame(17, 5353, 53, 0, "query-bytes-here"),
        ipv6Frame(58, 77, 0, 0, "ping-payload-ping", 128),
        ipv6Frame(58, 77, 0, 0, "unreachable-body", 1),
        ipv6Frame(17, 1000, 4789, 0, "vxlan-header-and-inner"),
        ipv6Frame(6, 1234, 443, 0x10, "after-hop-by-hop", 0, true),
    };
    std::mt19937 rng(4321);
    unsigned accepted = 0;
    auto check = [&](const Bytes& f, uint16_t ingress, bool uplink) {
        FlowKey fk;
        PacketLayout fl;
        auto len = static_cast<uint32_t>(f.size());
        if (!parseFast6(f.data(), len, ingress, uplink, fk, fl)) return false;
        FlowKey k;
        PacketLayout lay;
        EXPECT_EQ(parseFrame(f.data(), len, ingress, uplink, k, lay), DropReason::None);
        EXPECT_EQ(std::memcmp(&fk, &k, sizeof k), 0) << formatKey(fk) << " vs " << formatKey(k);
        EXPECT_EQ(fl.l3, lay.l3);
        EXPECT_EQ(fl.l4, lay.l4);
        EXPECT_EQ(fl.l3Len, lay.l3Len);
        EXPECT_EQ(fl.tcpFlags, lay.tcpFlags);
        EXPECT_EQ(fl.dscp, lay.dscp);
        EXPECT_EQ(fl.innerEth, lay.innerEth);
        EXPECT_EQ(fl.tunnelled, lay.tunnelled);
        EXPECT_EQ(fl.isArp, lay.isArp);
        FlowKey4 c;
        EXPECT_FALSE(compactKey(fk, c));  // IPv6 keys live in the wide table
        return true;
    };
    for (size_t b = 0; b < base.size(); ++b) {
        // The first five on the VM side; on the uplink the VXLAN one goes to the full parser,
        // and the one with an extension header always does.
        EXPECT_EQ(check(base[b], 3, false), b < 5) << b;
        EXPECT_EQ(check(base[b], kUplinkIngress, true), b < 4) << b;
    }
    {
        FlowKey k;
        PacketLayout lay;
        const Bytes& f = base[0];
        ASSERT_TRUE(parseFast6(f.data(), static_cast<uint32_t>(f.size()), 3, false, k, lay));
        EXPECT_EQ(k.srcPort, 1234);
        EXPECT_EQ(k.dstPort, 443);
        EXPECT_EQ(lay.dscp, 45);
        EXPECT_EQ(lay.tcpFlags, 0x12);
    }
    for (int round = 0; round < 20000; ++round) {
        Bytes f = base[rng() % base.size()];
        int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            switch (rng() % 4) {
                case 0: f[rng() % f.size()] = static_cast<uint8_t>(rng()); break;
                case 1: f[12 + rng() % 48] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
                case 2: f.resize(f.size() - std::min<size_t>(f.size() - 1, rng() % 12)); break;
                default: f.push_back(static_cast<uint8_t>(rng())); break;
            }
        }
        bool uplink = rng() % 2;
        accepted += check(f, uplink ? kUplinkIngress : 5, uplink);
    }
    EXPECT_GT(accepted, 1000u);  // the comparison ran on many accepted frames
}

// compactKey is exact: keys that differ in any field have different compact forms, and keys
// without one (IPv6, MACs together with a tunnel) are refused.
TEST(RuntimeParser, CompactKeyRoundTripsAndRefuses) {
    Bytes f = ipv4(0x0200000000feULL, 0x020000000001ULL, ip4("10.0.0.1"), ip4("10.0.0.2"), 6,
                   1234, 80, 0x02);
    FlowKey k;
    PacketLayout lay;
    ASSERT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), 3, false, k, lay), DropReason::None);
    FlowKey4 c, c2;
    ASSERT_TRUE(compactKey(k, c));
    for (size_t byte = 0; byte < sizeof(FlowKey); ++byte) {
        FlowKey m = k;
        reinterpret_cast<uint8_t*>(&m)[byte] ^= 0x01;
        if (!compactKey(m, c2)) continue;  // no compact form: the wide table keys it
        EXPECT_NE(std::memcmp(&c, &c2, sizeof c), 0) << "byte " << byte;
        FlowKey back;
        expandKey(c2, back);
        EXPECT_EQ(std::memcmp(&back, &m, sizeof m), 0) << "byte " << byte;
    }
    FlowKey t = k;
    t.outerFamily = 4;
    t.vni = 100;
    EXPECT_FALSE(compactKey(t, c2));  // MACs and a tunnel: wide
    std::memset(t.srcMac, 0, 6);
    std::memset(t.dstMac, 0, 6);
    EXPECT_TRUE(compactKey(t, c2));
    FlowKey v6 = k;
    v6.family = 6;
    EXPECT_FALSE(compactKey(v6, c2));
}

// The miss path's sl_meta conversions are the Headers ones composed with the compiler's (the
// stages no longer go through lang::Headers): random keys and random metadata, families and
// bits outside what a parser produces included.
TEST(RuntimeParser, MetaConversionsAgreeWithHeaders) {
    std::mt19937_64 rng(20261202);
    auto byte = [&] { return static_cast<uint8_t>(rng()); };
    const uint8_t families[] = {0, 4, 6, 5, 255};
    const uint8_t protos[] = {lang::kProtoTcp, lang::kProtoUdp, lang::kProtoIcmp,
                              lang::kProtoIcmpV6, 47};
    for (int iter = 0; iter < 20000; ++iter) {
        FlowKey k;
        for (size_t i = 0; i < sizeof k; ++i) reinterpret_cast<uint8_t*>(&k)[i] = byte();
        k.family = families[rng() % 5];
        k.outerFamily = families[rng() % 5];
        k.proto = protos[rng() % 5];
        if (rng() % 2) k.icmpType = (rng() % 2) ? 8 : 128;
        const uint8_t flags = byte(), dscp = byte() & 63;
        sl_meta a = keyToMeta(k, flags, dscp);
        sl_meta b = compiler::toMeta(keyToHeaders(k, flags, dscp));
        ASSERT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "keyToMeta, iteration " << iter;

        sl_meta m;
        for (size_t i = 0; i < sizeof m; ++i) reinterpret_cast<uint8_t*>(&m)[i] = byte();
        m.src_family = families[rng() % 5];
        m.dst_family = families[rng() % 5];
        m.outer_src_family = families[rng() % 5];
        m.outer_dst_family = families[rng() % 5];
        m.proto = protos[rng() % 5];
        if (rng() % 2) m.icmp_type = static_cast<uint8_t>(rng() % 20);
        sl_meta c = m;
        canonicalMeta(c);
        sl_meta d = compiler::toMeta(compiler::fromMeta(m));
        ASSERT_EQ(std::memcmp(&c, &d, sizeof c), 0) << "canonicalMeta, iteration " << iter;
        const uint16_t ingress = static_cast<uint16_t>(rng()), id = static_cast<uint16_t>(rng());
        FlowKey r1 = replyKey(m, ingress, id);
        FlowKey r2 = replyKey(compiler::fromMeta(m), ingress, id);
        ASSERT_EQ(std::memcmp(&r1, &r2, sizeof r1), 0) << "replyKey, iteration " << iter;
    }
    for (unsigned proto = 0; proto < 256; ++proto) {
        for (unsigned type = 0; type < 256; ++type) {
            lang::Headers h;
            h.proto = static_cast<uint8_t>(proto);
            h.icmpType = static_cast<uint8_t>(type);
            ASSERT_EQ(answerIcmpType(h.proto, h.icmpType), lang::replyHeaders(h).icmpType)
                << "proto " << proto << " type " << type;
        }
    }
}

}  // namespace
}  // namespace sluice::rt
