// The network-level reference semantics (DESIGN.md section 3, docs/language.md "The path of a
// packet"): what eval, verify, diff and the switch all mean by "what happens to a packet". One
// port-direction evaluation (Interpreter::evaluate) is one hop; a path chains the sender's
// outbound pipeline, the forwarding decision and the receiving port's inbound pipeline:
//
//   outbound from port P (P's VM sends):
//     P out; then by its output:
//       route -> port Q            Q in
//       route -> host/gateway/ecmp leaves the policy there (final)
//       no route, not tunnelled    the port with P's VNI and the destination address (first in
//                                  policy order), wherever it is placed: its `in`; none: uplink
//       no route, tunnelled        the port with the packet's VNI and inner destination: its
//                                  `in`; none: uplink (toward the outer destination)
//   inbound to port Q (from the uplink for Q, or reached as above):
//     Q in; then by its output: no route: Q's VM (final); route -> port R: R's VM, no more
//     pipelines (final); route -> host/gateway/ecmp: back out to the wire (final)
//   from the uplink (evaluateFromUplink): the destination port is the one with the packet's
//     VNI and inner destination when tunnelled, with the destination address (any VNI) when
//     not; else the first port whose session pair (at any of its layers) the packet matches
//     (the reply to an SNAT'd flow); none: drop. Then as inbound to that port; its pipeline
//     sees the packet as it arrived, tunnel included.
//
// Placement of ports on hosts is a deployment fact: it changes only how the vSwitch carries
// the packet (a VXLAN tunnel between hosts), never the verdict, so the path has no hosts.
// Session pairs are the Interpreter's: the pairs of every hop are recorded only when the whole
// path delivers the packet, so a reply evaluated afterwards sees them at every hop.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sluice/interp/interpreter.h"

namespace sluice::interp {

// One pipeline run of a path.
struct Hop {
    uint32_t port = 0;  // index into Policy::ports
    Direction dir = Direction::Out;
    Result result;      // that run alone (its output is the hop's, not the path's)
};

struct PathResult {
    Verdict verdict = Verdict::Deny;
    Headers headers;         // final metadata (as delivered or as it leaves)
    Output output;           // final: Vm (delivered to that port's VM), Port (delivered to
                             // that port's VM by an inbound route), Uplink, Host, Gateway,
                             // Ecmp; Drop when dropped
    std::vector<Hop> hops;   // in order; empty when no pipeline ran (no port for the packet)
    std::string dropReason;  // when dropped: "port vm2: layer sg", "no port for destination"
};

// A packet sent by port's VM (Direction::Out), or arriving from the uplink for port (In).
PathResult evaluatePath(Interpreter& interpreter, uint32_t port, Direction dir,
                        const Headers& packet);
// A packet arriving from the uplink whose destination port is found by VNI and address.
PathResult evaluateFromUplink(Interpreter& interpreter, const Headers& packet);

// The policy port the vSwitch's default forwarding delivers to: the first port (in policy
// order) with VNI `vni` (any VNI when `anyVni`) and the address `ip`.
std::optional<uint32_t> findPortByAddress(const lang::Policy& policy, uint32_t vni,
                                          const lang::IpAddr& ip, bool anyVni);

// `sluice eval --json` for a path: the single-hop object of its first hop (port, dir, layers
// and their headers) with verdict, output, headers, fields and drop_reason of the whole path,
// plus `hops`: [{port, dir, verdict, output, headers, layers, drop_reason}].
// `port`/`dir` name the starting point; for a packet from the uplink port is null and dir
// "in".
std::string pathToJson(const lang::Policy& policy, std::optional<uint32_t> port, Direction dir,
                       const PathResult& path);
// Human-readable trace: the final outcome, then each hop as resultToText prints it.
std::string pathToText(const lang::Policy& policy, std::optional<uint32_t> port, Direction dir,
                       const PathResult& path);

}  // namespace sluice::interp
