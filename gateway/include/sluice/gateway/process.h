// `sluice gateway CONFIG` without packet I/O (docs/gateway.md): the config, and the loop that
// answers RSP on a UDP socket and follows the controller's store.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sluice/rsp/hmac.h"
#include "sluice/support/expected.h"

namespace sluice::gateway {

struct GatewayKey {
    uint32_t id = 0;
    std::vector<uint8_t> bytes;
};

struct GatewayConfig {
    std::string store;               // the controller's file store
    std::string listen = "0.0.0.0";  // RSP address (IPv4 or IPv6)
    uint16_t port = 4790;            // 0: any free port (tests)
    uint32_t sender = 1;             // this gateway's RSP sender id
    std::vector<GatewayKey> keys;    // accepted keys; replies are signed with replyKey
    uint32_t replyKey = 0;
    size_t maxPeers = 4096;  // learners with a replay window
    uint32_t watchIntervalMs = 50;
    // The relay of forwarding-cache misses (VXLAN over UDP), when "relay" is configured.
    bool relay = false;
    std::string relayListen = "0.0.0.0";
    uint16_t relayPort = 4789;  // 0: any free port (tests)
    uint16_t hostPort = 4789;   // the VXLAN port of the hosts packets are relayed to
};

// Parses the JSON config (unknown keys refused; bounds as docs/gateway.md lists). Relative
// store paths are taken relative to the config file's directory.
Expected<GatewayConfig> parseGatewayConfig(const std::string& text, const std::string& path);

// Runs until `stop` is set: RSP on the socket, the store's revision polled every
// watchIntervalMs and the table rebuilt when it moves. Start and store problems go to `log`;
// the counters are printed to `stats` as one JSON object when it ends. Returns 0, or 1 when
// the socket or the store cannot be set up.
// When `dump` is set the loop prints the counters at once (and clears it): SIGUSR1.
int runGateway(const GatewayConfig& config, const std::atomic<bool>& stop, std::ostream& log,
               std::ostream& stats, std::atomic<bool>* dump = nullptr);

}  // namespace sluice::gateway
