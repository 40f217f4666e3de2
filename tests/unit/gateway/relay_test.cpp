// relayVxlan on hand-made VXLAN payloads: IPv4 and IPv6 inner destinations found and their
// inner destination MAC rewritten, every drop reason, nothing touched on a drop.
#include <gtest/gtest.h>

#include <vector>

#include "sluice/gateway/relay.h"

namespace {

using namespace sluice;
using namespace sluice::gateway;

controller::Address ip(const char* s) { return *controller::parseAddress(s); }

std::vector<uint8_t> frame(uint32_t vni, uint16_t type, const controller::Address& dst,
                           size_t ipBytes, uint8_t flags = 0x08) {
    std::vector<uint8_t> f = {flags, 0, 0, 0, uint8_t(vni >> 16), uint8_t(vni >> 8), uint8_t(vni), 0};
    for (int i = 0; i < 12; ++i) f.push_back(0xee);  // inner dst and src MAC
    f.push_back(uint8_t(type >> 8));
    f.push_back(uint8_t(type));
    std::vector<uint8_t> l3(ipBytes, 0);
    if (type == 0x0800) {
        l3[0] = 0x45;
        // A truncated header (the drop cases) carries no destination to fill in.
        if (ipBytes >= 20) std::copy(dst.bytes.begin(), dst.bytes.begin() + 4, l3.begin() + 16);
    } else {
        l3[0] = 0x60;
        if (ipBytes >= 40) std::copy(dst.bytes.begin(), dst.bytes.end(), l3.begin() + 24);
    }
    f.insert(f.end(), l3.begin(), l3.end());
    return f;
}

struct Fixture {
    std::shared_ptr<VmTable> table;
    Fixture() {
        controller::Tables t;
        t.revision = 2;
        t.vms[{100, ip("10.1.0.5")}] = {ip("192.168.0.2"), *controller::parseMac("02:00:00:00:00:05"), 1};
        t.vms[{100, ip("fd00::6")}] = {ip("fd00:1::3"), *controller::parseMac("02:00:00:00:00:06"), 2};
        table = std::make_shared<VmTable>(t);
    }
};

TEST(GatewayRelay, FindsTheHostAndRewritesTheInnerMac) {
    Fixture fx;
    controller::Address host;
    auto f4 = frame(100, 0x0800, ip("10.1.0.5"), 28);
    auto before = f4;
    ASSERT_EQ(relayVxlan(f4.data(), f4.size(), fx.table.get(), host), RelayDrop::None);
    EXPECT_EQ(host, ip("192.168.0.2"));
    EXPECT_EQ(std::vector<uint8_t>(f4.begin() + 8, f4.begin() + 14),
              (std::vector<uint8_t>{2, 0, 0, 0, 0, 5}));
    EXPECT_EQ(std::vector<uint8_t>(f4.begin() + 14, f4.end()),
              std::vector<uint8_t>(before.begin() + 14, before.end()));
    auto f6 = frame(100, 0x86DD, ip("fd00::6"), 48);
    ASSERT_EQ(relayVxlan(f6.data(), f6.size(), fx.table.get(), host), RelayDrop::None);
    EXPECT_EQ(host, ip("fd00:1::3"));
    EXPECT_EQ(f6[8 + 5], 6);
}

TEST(GatewayRelay, EveryDropReasonAndNothingTouched) {
    Fixture fx;
    controller::Address host;
    struct Case {
        std::vector<uint8_t> f;
        RelayDrop want;
    };
    std::vector<Case> cases = {
        {frame(100, 0x0800, ip("10.1.0.5"), 19), RelayDrop::TooShort},
        {frame(100, 0x86DD, ip("fd00::6"), 39), RelayDrop::TooShort},
        {frame(100, 0x0800, ip("10.1.0.5"), 28, 0x00), RelayDrop::NoVni},
        {frame(100, 0x0806, ip("10.1.0.5"), 28), RelayDrop::NotIp},
        {frame(100, 0x0800, ip("10.1.0.9"), 28), RelayDrop::UnknownDestination},
        {frame(101, 0x0800, ip("10.1.0.5"), 28), RelayDrop::UnknownDestination},
        {frame(100, 0x86DD, ip("fd00::7"), 40), RelayDrop::UnknownDestination},
    };
    // An IPv4 ethertype carrying an IPv6 header is not IP as declared.
    auto mismatched = frame(100, 0x0800, ip("10.1.0.5"), 28);
    mismatched[22] = 0x60;
    cases.push_back({mismatched, RelayDrop::NotIp});
    for (size_t i = 0; i < cases.size(); ++i) {
        auto f = cases[i].f;
        EXPECT_EQ(relayVxlan(f.data(), f.size(), fx.table.get(), host), cases[i].want) << i;
        EXPECT_EQ(f, cases[i].f) << "case " << i << " changed a dropped packet";
    }
    auto f = frame(100, 0x0800, ip("10.1.0.5"), 28);
    EXPECT_EQ(relayVxlan(f.data(), f.size(), nullptr, host), RelayDrop::UnknownDestination);
    for (size_t i = 0; i < kRelayDropCount; ++i)
        EXPECT_STRNE(relayDropName(static_cast<RelayDrop>(i)), "none");
}

}  // namespace
