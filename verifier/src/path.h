// The network-level path (interp/network.h, DESIGN.md section 3) as formulas: the sender's
// outbound pipeline, the forwarding decision (a route to a port; else the policy's port with
// the VNI and the destination address; else the uplink), then that port's inbound pipeline.
// Each hop may meet the session pairs an earlier path left (for replies).
#pragma once

#include <vector>

#include "encoding.h"

namespace sluice::verify::enc {

struct PathEnc {
    struct Hop {
        uint32_t port;
        Direction dir;
        PipelineEnc pipe;
        SymHeaders in;
        z3::expr taken;  // the path runs this hop
    };
    std::vector<Hop> hops;
    z3::expr allow;   // the path delivers the packet (to a VM) or lets it leave (the wire)
    z3::expr toVm;    // it ends at a port's VM: inbound with no route, or an inbound route
    z3::expr vmPort;  // BV32: that port
    SymHeaders out;   // final headers

    // The pairs this path records for packets of the other direction, at `port` and `dir`
    // (the direction those packets travel), active when the path delivers.
    Sessions sessionsFor(Context& ctx, const lang::Policy& policy, uint32_t port,
                         Direction dir) const;
};

// The path of a packet sent by `port`'s VM (Out) or arriving from the wire for `port` (In).
// `earlier`: the path whose session pairs this one may meet (a connection's first packet).
PathEnc encodePath(Context& ctx, const lang::Policy& policy, uint32_t port, Direction dir,
                   const SymHeaders& in, const PathEnc* earlier = nullptr);

}  // namespace sluice::verify::enc
