// Where a class of packets (src in FROM, dst in TO) enters the network, shared by assertions
// and `sluice query` (README.md, "Assertions: what reaches means"):
//  (1) sent by the VM of a port A that owns a FROM address, with that address as source;
//  (2a) from the wire for a port B that owns a TO address, with that address as destination
//      and a source that is no local port's address (tunnelled: B's VNI);
//  (2b) from the wire with a destination in TO that no local port owns (a VIP, a remote
//      address) and a non-local source, taken by whichever port's inbound accepts it.
// And the interpreter's side of the same question, for replaying witnesses.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "path.h"
#include "sluice/interp/network.h"

namespace sluice::verify {

struct EntryPoint {
    int port;  // -1: (2b), any port's inbound
    lang::Direction dir;
    z3::expr guard;  // constraints on the ingress packet for this entry
};

std::vector<EntryPoint> entryPoints(smt::Context& ctx, const lang::Policy& policy,
                                    const smt::SymHeaders& h,
                                    const std::vector<lang::MatchValue>& from,
                                    const std::vector<lang::MatchValue>& to);

// The ports whose paths an entry starts (one, or every port's inbound for (2b)).
std::vector<uint32_t> entryPorts(const lang::Policy& policy, const EntryPoint& e);

// "port web1 out", or "inbound from the wire, to no local address" for (2b).
std::string entryName(const lang::Policy& policy, const EntryPoint& e);

// The connection of a SYN whose path is `fwd`, sent by port `from`'s VM (or from the wire):
// established when the SYN is delivered and its SYN-ACK comes back.
z3::expr established(smt::Context& ctx, const lang::Policy& policy, const enc::PathEnc& fwd,
                     std::optional<uint32_t> from);

// One line describing a path the interpreter took: verdict, output, drop reason, hops.
std::string pathText(const lang::Policy& policy, const interp::PathResult& r);

// The SYN-ACK of a delivered SYN and its path through `in` (which holds the SYN's session
// pairs); `text` gets what happened. True when it comes back (to the sender's VM when the
// sender is port `from`'s VM).
bool replyComesBack(interp::Interpreter& in, const lang::Policy& policy,
                    const interp::PathResult& syn, std::optional<uint32_t> from,
                    std::string& text);

// Replays an entry with the interpreter; true when delivered (connected, when `connection`:
// the packet is a TCP SYN whose SYN-ACK must come back). `text` gets the paths taken.
bool deliveredByInterpreter(const std::shared_ptr<const lang::Policy>& policy,
                            const EntryPoint& e, const lang::Headers& packet, bool connection,
                            std::string& text);

}  // namespace sluice::verify
