#include "sluice/gateway/relay.h"

#include <cstring>

namespace sluice::gateway {

const char* relayDropName(RelayDrop d) {
    static constexpr const char* kNames[] = {
#define SLUICE_RELAY_NAME(name, text) text,
        SLUICE_RELAY_DROPS(SLUICE_RELAY_NAME)
#undef SLUICE_RELAY_NAME
    };
    auto i = static_cast<size_t>(d);
    return i < kRelayDropCount ? kNames[i] : "none";
}

RelayDrop relayVxlan(uint8_t* p, size_t len, const VmTable* table, controller::Address& host) {
    constexpr size_t kVxlan = 8, kEth = 14;
    if (len < kVxlan + kEth + 20) return RelayDrop::TooShort;
    if ((p[0] & 0x08) == 0) return RelayDrop::NoVni;
    uint32_t vni = uint32_t{p[4]} << 16 | uint32_t{p[5]} << 8 | p[6];
    uint8_t* eth = p + kVxlan;
    uint16_t type = static_cast<uint16_t>(eth[12] << 8 | eth[13]);
    const uint8_t* ip = eth + kEth;
    rsp::IpAddress dst;
    if (type == 0x0800 && (ip[0] >> 4) == 4) {
        dst.family = 4;
        std::memcpy(dst.bytes.data(), ip + 16, 4);
    } else if (type == 0x86DD && (ip[0] >> 4) == 6) {
        if (len < kVxlan + kEth + 40) return RelayDrop::TooShort;
        dst.family = 6;
        std::memcpy(dst.bytes.data(), ip + 24, 16);
    } else {
        return RelayDrop::NotIp;
    }
    const controller::VmEntry* e = table ? table->find(vni, dst) : nullptr;
    if (e == nullptr) return RelayDrop::UnknownDestination;
    std::memcpy(eth, e->mac.bytes.data(), 6);
    host = e->host;
    return RelayDrop::None;
}

}  // namespace sluice::gateway
