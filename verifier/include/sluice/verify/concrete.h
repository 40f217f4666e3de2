// The Z3 encoding evaluated on one concrete packet: the property tests compare this with the
// reference interpreter (they must agree on verdict, output, final headers and per-layer rule).
#pragma once

#include <optional>
#include <vector>

#include "sluice/lang/model.h"

namespace sluice::verify {

struct EncodedLayerStep {
    uint32_t layer = 0;
    std::optional<uint32_t> group;  // deciding group (none: the layer default)
    std::optional<uint32_t> rule;
    lang::Verdict verdict = lang::Verdict::Deny;
    bool auditDeny = false;  // an audit layer let a would-deny through
};

struct EncodedResult {
    lang::Verdict verdict = lang::Verdict::Deny;
    lang::Headers headers;  // final metadata
    uint8_t outputKind = 0;  // numeric interp::OutputKind
    uint32_t outputIndex = 0;
    lang::IpAddr outputAddress;
    std::vector<EncodedLayerStep> layers;  // layers evaluated, in traversal order
};

// Deliberately broken encodings (test-only, as compiler::FaultInjection): the property tests
// must flag each of them, so that they cannot pass while detecting nothing.
enum class EncodingFault : uint8_t {
    None,
    IgnoreTerminating,  // a terminating winner does not end its layer
    IllFormedPackets,   // the universe admits fields a protocol does not carry
    IgnoreAudit,        // audit layers drop what they would deny
};

// Builds the symbolic pipeline of `port` in `dir`, fixes the packet to `packet` and reads the
// model. No sessions exist (the first packet of a flow).
EncodedResult evaluateEncoding(const lang::Policy& policy, uint32_t port, lang::Direction dir,
                               const lang::Headers& packet,
                               EncodingFault fault = EncodingFault::None);

// A packet of the encoding's packet universe with the `wanted` field values (IP fields take
// IPv4 when given), as the solver picks it; nullopt when the universe has none.
std::optional<lang::Headers> universePacket(
    const std::vector<std::pair<lang::Field, lang::u128>>& wanted,
    EncodingFault fault = EncodingFault::None);

}  // namespace sluice::verify
