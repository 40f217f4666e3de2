// Packet metadata: field table, literals, packet text parse/format.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "sluice/lang/packet.h"

namespace sluice::lang {
namespace {

TEST(FieldTable, NamesRoundTripAndWidths) {
    for (size_t i = 0; i < kFieldCount; ++i) {
        Field f = static_cast<Field>(i);
        const FieldInfo& info = fieldInfo(f);
        EXPECT_EQ(info.field, f);
        auto back = fieldByName(info.name);
        ASSERT_TRUE(back.has_value()) << info.name;
        EXPECT_EQ(*back, f);
    }
    EXPECT_EQ(fieldInfo(Field::SrcIp).width, 128u);
    EXPECT_TRUE(fieldInfo(Field::DstIp).isIp);
    EXPECT_EQ(fieldInfo(Field::DstPort).width, 16u);
    EXPECT_EQ(fieldInfo(Field::Vni).width, 24u);
    EXPECT_EQ(fieldInfo(Field::Dscp).width, 6u);
    EXPECT_EQ(fieldInfo(Field::SrcMac).width, 48u);
    EXPECT_TRUE(fieldInfo(Field::SrcPort).rewritable);
    EXPECT_FALSE(fieldInfo(Field::Proto).rewritable);
    EXPECT_FALSE(fieldByName("dstport").has_value());
    EXPECT_FALSE(fieldByName("").has_value());
}

TEST(IpAddr, V4ParseAndPrint) {
    auto a = parseIp("10.1.2.3");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, Family::V4);
    EXPECT_EQ(a->value, u128(0x0a010203));
    EXPECT_EQ(a->str(), "10.1.2.3");
    EXPECT_EQ(parseIp("255.255.255.255")->value, u128(0xffffffffu));
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "1..2.3", "a.b.c.d",
                            "1.2.3.4/24", "0001.1.1.1", "-1.2.3.4"}) {
        EXPECT_FALSE(parseIp(bad).has_value()) << bad;
    }
    EXPECT_EQ(IpAddr{}.str(), "-");
}

struct V6Case {
    const char* in;
    const char* canonical;
};

TEST(IpAddr, V6FormsAndRfc5952) {
    const V6Case cases[] = {
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"fd00::1", "fd00::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"},
        {"1:0:0:1:0:0:0:1", "1:0:0:1::1"},     // longest zero run compressed
        {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},   // first of equal runs
        {"1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"},  // a single zero group is not compressed
        {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
        {"::ffff:10.0.0.1", "::ffff:10.0.0.1"},  // IPv4-mapped keeps the dotted form
        {"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
        {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
    };
    for (const V6Case& c : cases) {
        auto a = parseIp(c.in);
        ASSERT_TRUE(a.has_value()) << c.in;
        EXPECT_EQ(a->family, Family::V6) << c.in;
        EXPECT_EQ(a->str(), c.canonical) << c.in;
        auto again = parseIp(a->str());
        ASSERT_TRUE(again.has_value());
        EXPECT_EQ(*again, *a) << c.in;
    }
    EXPECT_EQ(parseIp("::1")->value, u128(1));
    EXPECT_EQ(parseIp("8000::")->value, u128(0x8000) << 112);
    EXPECT_EQ(parseIp("::ffff:10.0.0.1")->value, (u128(0xffff) << 32) | 0x0a000001);
    for (const char* bad : {":", ":::", "1:2", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::",
                            "g::1", "1:2:3:4:5:6:7:8::", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
                            "::1.2.3", "::1.2.3.4:5", "[::1]", "fd00::/8"}) {
        EXPECT_FALSE(parseIp(bad).has_value()) << bad;
    }
}

TEST(Mac, ParseAndPrint) {
    auto m = parseMac("02:00:5E:10:00:ff");
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, 0x02005e1000ffull);
    EXPECT_EQ(macToString(*m), "02:00:5e:10:00:ff");
    for (const char* bad : {"", "02:00:5e:10:00", "02:00:5e:10:00:ff:01", "0200.5e10.00ff",
                            "02-00-5e-10-00-ff", "2:0:5e:10:0:ff", "02:00:5e:10:00:fg"}) {
        EXPECT_FALSE(parseMac(bad).has_value()) << bad;
    }
}

TEST(Protocol, NamesAndNumbers) {
    EXPECT_EQ(parseProtocol("tcp"), kProtoTcp);
    EXPECT_EQ(parseProtocol("UDP"), kProtoUdp);
    EXPECT_EQ(parseProtocol("icmp"), kProtoIcmp);
    EXPECT_EQ(parseProtocol("icmpv6"), kProtoIcmpV6);
    EXPECT_EQ(parseProtocol("ipv6-icmp"), kProtoIcmpV6);
    EXPECT_EQ(parseProtocol("gre"), 47);
    EXPECT_EQ(parseProtocol("6"), kProtoTcp);
    EXPECT_EQ(parseProtocol("255"), 255);
    EXPECT_FALSE(parseProtocol("256").has_value());
    EXPECT_FALSE(parseProtocol("tcpx").has_value());
    EXPECT_FALSE(parseProtocol("").has_value());
    EXPECT_FALSE(parseProtocol("-1").has_value());
    EXPECT_EQ(protocolName(6), "tcp");
    EXPECT_EQ(protocolName(58), "icmpv6");
    EXPECT_EQ(protocolName(200), "200");
    for (int p = 0; p < 256; ++p) {
        EXPECT_EQ(parseProtocol(protocolName(static_cast<uint8_t>(p))), p);
    }
}

TEST(TcpFlags, LettersRoundTrip) {
    EXPECT_EQ(parseTcpFlags("S"), 0x02);
    EXPECT_EQ(parseTcpFlags("SA"), 0x12);
    EXPECT_EQ(parseTcpFlags("fa"), 0x11);
    EXPECT_EQ(parseTcpFlags(""), 0);
    EXPECT_FALSE(parseTcpFlags("SX").has_value());
    EXPECT_EQ(tcpFlagsToString(0x12), "SA");
    for (int f = 0; f < 256; ++f) {
        EXPECT_EQ(parseTcpFlags(tcpFlagsToString(static_cast<uint8_t>(f))), f);
    }
}

TEST(Headers, GetSetFamily) {
    Headers h;
    h.set(Field::SrcIp, 0x0a000001, Family::V4);
    EXPECT_EQ(h.srcIp, IpAddr::v4(0x0a000001));
    EXPECT_EQ(h.family(Field::SrcIp), Family::V4);
    EXPECT_EQ(h.family(Field::DstPort), Family::None);
    EXPECT_EQ(h.family(Field::OuterDstIp), Family::None);
    h.set(Field::DstPort, 0x12345);  // masked to 16 bits
    EXPECT_EQ(h.dstPort, 0x2345);
    EXPECT_EQ(h.get(Field::DstPort), u128(0x2345));
    h.set(Field::Dscp, 0xff);
    EXPECT_EQ(h.dscp, 0x3f);
    h.set(Field::Vni, 0x1234567);
    EXPECT_EQ(h.vni, 0x234567u);
    h.set(Field::SrcMac, 0x112233445566ull);
    EXPECT_EQ(h.get(Field::SrcMac), u128(0x112233445566ull));
    u128 v6 = parseIp("fd00::7")->value;
    h.set(Field::DstIp, v6, Family::V6);
    EXPECT_EQ(h.get(Field::DstIp), v6);
    EXPECT_EQ(h.family(Field::DstIp), Family::V6);
    // Family::None keeps the address's family.
    h.set(Field::SrcIp, 0x0a000002);
    EXPECT_EQ(h.srcIp, IpAddr::v4(0x0a000002));
    for (size_t i = 0; i < kFieldCount; ++i) {
        Field f = static_cast<Field>(i);
        Headers g;
        g.srcIp = IpAddr::v4(1);
        g.dstIp = IpAddr::v4(2);
        g.outerSrc = IpAddr::v4(3);
        g.outerDst = IpAddr::v4(4);
        g.set(f, 5, fieldInfo(f).isIp ? Family::V4 : Family::None);
        EXPECT_EQ(g.get(f), u128(5)) << fieldInfo(f).name;
    }
}

TEST(PacketText, ParsesTheDesignExample) {
    auto p = parsePacketText("tcp 10.0.0.5:1234 -> 10.0.1.7:443");
    ASSERT_TRUE(p) << p.error().str();
    const Headers& h = p->headers;
    EXPECT_EQ(h.proto, kProtoTcp);
    EXPECT_EQ(h.srcIp, *parseIp("10.0.0.5"));
    EXPECT_EQ(h.dstIp, *parseIp("10.0.1.7"));
    EXPECT_EQ(h.srcPort, 1234);
    EXPECT_EQ(h.dstPort, 443);
    EXPECT_EQ(h.etherType, 0x0800);
    EXPECT_FALSE(h.tunnelled());
    EXPECT_FALSE(p->direction.has_value());
}

TEST(PacketText, OptionsAndNumbers) {
    auto p = parsePacketText("6 1.2.3.4:10->5.6.7.8:80 flags SA vni 42 in");
    ASSERT_TRUE(p) << p.error().str();
    EXPECT_EQ(p->headers.proto, 6);
    EXPECT_EQ(p->headers.tcpFlags, 0x12);
    EXPECT_EQ(p->headers.vni, 42u);
    ASSERT_TRUE(p->direction.has_value());
    EXPECT_EQ(*p->direction, Direction::In);

    auto v6 = parsePacketText("udp [fd00::1]:53 -> [fd00::2]:5353 out");
    ASSERT_TRUE(v6) << v6.error().str();
    EXPECT_EQ(v6->headers.etherType, 0x86DD);
    EXPECT_EQ(v6->headers.srcIp.family, Family::V6);
    EXPECT_EQ(v6->headers.dstPort, 5353);
    EXPECT_EQ(*v6->direction, Direction::Out);

    auto bare = parsePacketText("icmpv6 fd00::1 -> fd00::2 type 128 code 0");
    ASSERT_TRUE(bare) << bare.error().str();
    EXPECT_EQ(bare->headers.icmpType, 128);
    EXPECT_EQ(bare->headers.etherType, 0x86DD);

    auto outer = parsePacketText("udp 10.0.0.1:1 -> 10.0.0.2:2 vni 7 outer 192.168.0.1 -> 192.168.0.2");
    ASSERT_TRUE(outer) << outer.error().str();
    EXPECT_TRUE(outer->headers.tunnelled());
    EXPECT_EQ(outer->headers.outerDst, *parseIp("192.168.0.2"));
}

TEST(PacketText, FormatRoundTrips) {
    const char* texts[] = {
        "tcp 10.0.0.5:1234 -> 10.0.1.7:443",
        "tcp 10.0.0.5:1234 -> 10.0.1.7:443 flags SA",
        "udp [fd00::1]:53 -> [2001:db8::2]:5353",
        "icmp 1.1.1.1 -> 2.2.2.2 type 8 code 0",
        "icmpv6 fd00::1 -> fd00::2 type 135 code 0",
        "udp 10.0.0.1:4789 -> 10.0.0.2:80 vni 5001 outer 192.168.0.1 -> 192.168.0.2",
        "gre 10.0.0.1 -> 10.0.0.2 dscp 46",
        "tcp 10.0.0.1:1 -> 10.0.0.2:2 src_mac 02:00:00:00:00:01 dst_mac 02:00:00:00:00:02",
        "200 10.0.0.1 -> 10.0.0.2",
    };
    for (const char* t : texts) {
        auto p = parsePacketText(t);
        ASSERT_TRUE(p) << t << ": " << p.error().str();
        EXPECT_EQ(formatPacketText(p->headers), t);
        auto again = parsePacketText(formatPacketText(p->headers));
        ASSERT_TRUE(again);
        EXPECT_EQ(again->headers, p->headers) << t;
    }
}

TEST(PacketText, BadInputIsAnErrorWithAMessage) {
    const char* bad[] = {
        "",
        "   ",
        "tcp",
        "tcp 1.2.3.4:1",
        "tcp 1.2.3.4:1 => 5.6.7.8:2",
        "bogus 1.2.3.4 -> 5.6.7.8",
        "tcp 1.2.3.4:65536 -> 5.6.7.8:1",
        "tcp 1.2.3.4:-1 -> 5.6.7.8:1",
        "tcp 1.2.3.4: -> 5.6.7.8:1",
        "tcp 1.2.3.4:0x50 -> 5.6.7.8:1",
        "tcp 1.2.3 -> 5.6.7.8",
        "tcp [fd00::1 -> [fd00::2]:1",
        "tcp [1.2.3.4]:1 -> 5.6.7.8:1",
        "tcp [fd00::1]x -> [fd00::2]",
        "tcp fd00::1 -> 5.6.7.8",
        "icmp 1.2.3.4:5 -> 5.6.7.8",
        "udp 1.2.3.4:1 -> 5.6.7.8:2 flags S",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 flags SZ",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 type 8",
        "icmp 1.2.3.4 -> 5.6.7.8 type 300",
        "icmp 1.2.3.4 -> 5.6.7.8 code 1",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 vni",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 vni 16777216",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 vni 1 vni 2",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 in out",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 sideways",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 outer 1.1.1.1",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 outer 1.1.1.1 -> fd00::1",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 dscp 64",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 src_mac 1:2:3",
        "tcp 1.2.3.4:1 -> 5.6.7.8:2 ->",
    };
    for (const char* t : bad) {
        auto p = parsePacketText(t);
        EXPECT_FALSE(p.ok()) << "accepted: '" << t << "'";
        if (!p.ok()) {
            EXPECT_FALSE(p.error().message.empty()) << t;
        }
    }
}

TEST(PacketText, MessagesNameTheProblem) {
    auto p = parsePacketText("tcp 1.2.3.4:99999 -> 5.6.7.8:1");
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().message.find("99999"), std::string::npos) << p.error().str();
    auto q = parsePacketText("xtp 1.2.3.4 -> 5.6.7.8");
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.error().message.find("xtp"), std::string::npos) << q.error().str();
}


// Random packet texts from a vocabulary of valid and broken pieces: parsing never crashes, and
// whatever parses prints to a text that parses back to the same headers and prints the same.
TEST(PacketText, RandomTextsParseOrFailCleanlyAndRoundTrip) {
    const std::vector<std::string> pieces = {
        "tcp", "udp", "icmp", "icmpv6", "6", "17", "300", "gre", "->", "-", ">", "in", "out",
        "1.2.3.4", "1.2.3.4:80", "10.0.0.1:0", "10.0.0.1:65535", "10.0.0.1:65536", "[fd00::1]:443",
        "[fd00::1]", "fd00::2", "::", "::ffff:1.2.3.4", "[::1]:", "[", "]", ":", "::1:80",
        "vni", "5001", "16777216", "0x10", "flags", "SA", "SX", "type", "code", "8", "0", "255",
        "outer", "192.168.0.1", "192.168.0.2", "dscp", "46", "63", "src_mac", "dst_mac",
        "02:00:00:00:00:01", "02:00", "", " ", "\t", "#", "\xff"};
    std::mt19937 rng(12345);
    size_t parsed = 0;
    for (int n = 0; n < 20000; ++n) {
        std::string text;
        const char* heads[] = {"tcp 10.0.0.1:1 -> 10.0.0.2:2", "udp [fd00::1]:53 -> [fd00::2]:9",
                               "icmp 1.1.1.1 -> 2.2.2.2", "icmpv6 fd00::1 -> fd00::2",
                               "gre 1.1.1.1 -> 2.2.2.2", "tcp fd00::1 -> fd00::2"};
        if (rng() % 4 != 0) text = heads[rng() % 6];
        int count = static_cast<int>(rng() % 8);
        for (int k = 0; k < count; ++k) {
            if (!text.empty()) text += rng() % 4 ? " " : "";
            text += pieces[rng() % pieces.size()];
        }
        auto p = parsePacketText(text);
        if (!p.ok()) {
            EXPECT_FALSE(p.error().message.empty()) << text;
            continue;
        }
        ++parsed;
        std::string printed = formatPacketText(p->headers);
        auto again = parsePacketText(printed);
        ASSERT_TRUE(again.ok()) << text << " printed as " << printed << ": " << again.error().str();
        EXPECT_EQ(again->headers, p->headers) << text << " printed as " << printed;
        EXPECT_EQ(formatPacketText(again->headers), printed);
    }
    // Also build valid texts directly so the round trip is exercised on many packets.
    for (int n = 0; n < 5000; ++n) {
        Headers h;
        bool v6 = rng() % 2;
        h.srcIp = v6 ? IpAddr::v6((u128(rng()) << 96) | rng()) : IpAddr::v4(rng());
        h.dstIp = v6 ? IpAddr::v6((u128(rng()) << 64) | rng()) : IpAddr::v4(rng());
        h.etherType = v6 ? 0x86DD : 0x0800;
        const uint8_t protos[] = {kProtoTcp, kProtoUdp, kProtoIcmp, kProtoIcmpV6, 47, 200};
        h.proto = protos[rng() % 6];
        if (h.proto == kProtoTcp || h.proto == kProtoUdp) {
            h.srcPort = static_cast<uint16_t>(rng());
            h.dstPort = static_cast<uint16_t>(rng());
        }
        if (h.proto == kProtoTcp) h.tcpFlags = static_cast<uint8_t>(rng());
        if (h.proto == kProtoIcmp || h.proto == kProtoIcmpV6) {
            h.icmpType = static_cast<uint8_t>(rng());
            h.icmpCode = static_cast<uint8_t>(rng());
        }
        if (rng() % 3 == 0) {
            h.vni = rng() & 0xffffff;
            h.outerSrc = IpAddr::v4(rng());
            h.outerDst = IpAddr::v4(rng());
        }
        h.dscp = static_cast<uint8_t>(rng() % 64);
        std::string printed = formatPacketText(h);
        auto back = parsePacketText(printed);
        ASSERT_TRUE(back.ok()) << printed << ": " << back.error().str();
        EXPECT_EQ(back->headers, h) << printed;
    }
    EXPECT_GT(parsed, 1000u);
}

TEST(ReplyHeaders, SwapsEndpointsAndAnswersIcmpQueries) {
    auto tcp = parsePacketText("tcp 10.0.0.1:1234 -> 10.0.0.2:80 flags S src_mac 02:00:00:00:00:01");
    ASSERT_TRUE(tcp.ok());
    Headers r = replyHeaders(tcp->headers);
    EXPECT_EQ(formatPacketText(r), "tcp 10.0.0.2:80 -> 10.0.0.1:1234 flags S dst_mac 02:00:00:00:00:01");
    EXPECT_EQ(replyHeaders(r), tcp->headers);

    auto cases = {std::pair{"icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0", 0},
                  std::pair{"icmp 10.0.0.1 -> 10.0.0.2 type 13 code 0", 14},
                  std::pair{"icmp 10.0.0.1 -> 10.0.0.2 type 3 code 1", 3},
                  std::pair{"icmpv6 fd00::1 -> fd00::2 type 128 code 0", 129},
                  std::pair{"icmpv6 fd00::1 -> fd00::2 type 135 code 0", 135}};
    for (auto [text, answer] : cases) {
        auto p = parsePacketText(text);
        ASSERT_TRUE(p.ok()) << text;
        Headers reply = replyHeaders(p->headers);
        EXPECT_EQ(reply.icmpType, answer) << text;
        EXPECT_EQ(reply.srcIp, p->headers.dstIp) << text;
        EXPECT_EQ(replyHeaders(reply), p->headers) << text;
    }
}

}  // namespace
}  // namespace sluice::lang
