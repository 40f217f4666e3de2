// The gateway's relay of forwarding-cache misses (Achelous 4.2, path 1-2): a vSwitch with no
// entry for (VNI, destination) sends the VXLAN packet to the gateway, which reads the VNI and
// the inner destination IP, looks the VM up, sets the inner destination MAC to the VM's, and
// sends the same VXLAN payload on to the VM's host. Bytes in, a decision out: no sockets here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/gateway/responder.h"

namespace sluice::gateway {

#define SLUICE_RELAY_DROPS(X)                                                             \
    X(TooShort, "too_short")                     /* shorter than VXLAN + Ethernet + IP */ \
    X(NoVni, "no_vni")                           /* the VXLAN I flag is not set */        \
    X(NotIp, "not_ip")                           /* inner frame neither IPv4 nor IPv6 */  \
    X(UnknownDestination, "unknown_destination") /* no VM for (VNI, dst) */

enum class RelayDrop : uint8_t {
#define SLUICE_RELAY_ENUM(name, text) name,
    SLUICE_RELAY_DROPS(SLUICE_RELAY_ENUM)
#undef SLUICE_RELAY_ENUM
        None,
};
inline constexpr size_t kRelayDropCount = static_cast<size_t>(RelayDrop::None);
const char* relayDropName(RelayDrop d);

struct RelayCounters {
    uint64_t relayed = 0;
    uint64_t drops[kRelayDropCount] = {};
};

// Decides where a VXLAN datagram (the UDP payload: 8-byte VXLAN header, inner Ethernet)
// goes: None with `host` set (and the inner destination MAC rewritten in place), or a drop.
RelayDrop relayVxlan(uint8_t* payload, size_t len, const VmTable* table, controller::Address& host);

}  // namespace sluice::gateway
