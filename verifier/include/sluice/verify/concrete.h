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
};

struct EncodedResult {
    lang::Verdict verdict = lang::Verdict::Deny;
    lang::Headers headers;  // final metadata
    uint8_t outputKind = 0;  // numeric interp::OutputKind
    uint32_t outputIndex = 0;
    lang::IpAddr outputAddress;
    std::vector<EncodedLayerStep> layers;  // layers evaluated, in traversal order
};

// Builds the symbolic pipeline of `port` in `dir`, fixes the packet to `packet` and reads the
// model. No sessions exist (the first packet of a flow).
EncodedResult evaluateEncoding(const lang::Policy& policy, uint32_t port, lang::Direction dir,
                               const lang::Headers& packet);

}  // namespace sluice::verify
