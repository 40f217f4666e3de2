// Replays witnesses through the reference interpreter. Layer-level findings are replayed on a
// one-layer policy: the layer's default, one group with the rules that can match the witness,
// and a synthetic port holding that layer, so the interpreter's step names the group's winner.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "sluice/interp/interpreter.h"
#include "sluice/lang/model.h"

namespace sluice::verify::replay {

// A witness as the operator sees it: its packet text (lang::formatPacketText), parsed back
// with the packet parser. Every replay starts from these headers, never from the solver's
// header set. `error` is set when the text does not parse back to the same headers: the
// encoding admitted a packet that cannot exist (a V099 internal error).
struct PrintedPacket {
    lang::Headers headers;
    std::string text;
    std::string error;
};
PrintedPacket printedPacket(const lang::Headers& witness);

struct MiniLayer {
    std::shared_ptr<lang::Policy> policy;
    uint32_t port = 0;             // the synthetic port
    std::vector<uint32_t> ruleMap;  // mini rule index -> original rule index
};

// `rules` are indices into the group (kept in order); `includeGroupConditions` keeps the
// group's own conditions.
MiniLayer miniLayer(const lang::Policy& policy, uint32_t layer, lang::Direction dir,
                    uint32_t group, const std::vector<uint32_t>& rules);

struct LayerOutcome {
    std::optional<uint32_t> rule;  // original index of the deciding rule; none: default
    lang::Verdict verdict = lang::Verdict::Deny;
    lang::Headers after;
    std::string text;  // one-line description
};
LayerOutcome runLayer(const MiniLayer& mini, lang::Direction dir, const lang::Headers& packet);

// A one-rule layer that allows and routes with `table`, on a synthetic port; outbound.
MiniLayer routeProbe(const lang::Policy& policy, uint32_t table);

// A connection at one port: the SYN through `dir`, then, when the port passes it, its SYN-ACK
// (lang::replyHeaders, flags SA) through the other direction of the same port, which meets
// the session pairs the SYN left.
struct PortConnection {
    interp::Result syn;
    std::optional<interp::Result> reply;
};
PortConnection runConnection(std::shared_ptr<const lang::Policy> policy, uint32_t port,
                             lang::Direction dir, const lang::Headers& syn);

// Evaluates a whole port pipeline with a fresh interpreter (no sessions).
interp::Result runPort(std::shared_ptr<const lang::Policy> policy, uint32_t port,
                       lang::Direction dir, const lang::Headers& packet);

}  // namespace sluice::verify::replay
