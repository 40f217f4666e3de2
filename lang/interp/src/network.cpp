// The network-level path: hops chained by the forwarding decision (network.h has the rules).
#include "sluice/interp/network.h"

#include <utility>

namespace sluice::interp {

namespace {

std::string portName(const lang::Policy& policy, uint32_t port) {
    return port < policy.ports.size() ? policy.ports[port].name : "#" + std::to_string(port);
}

// Builds a path's result step by step; finish() records the sessions of a delivered path.
class PathBuilder {
public:
    explicit PathBuilder(Interpreter& interpreter) : interp_(interpreter) {}

    // Runs one hop. Returns its result, or nullptr when it dropped (the path is then final).
    const Result* hop(uint32_t port, Direction dir, const Headers& packet) {
        Result r = interp_.evaluateHop(port, dir, packet, pending_);
        path_.hops.push_back({port, dir, std::move(r)});
        const Result& last = path_.hops.back().result;
        path_.headers = last.headers;
        if (last.verdict != Verdict::Allow) {
            path_.dropReason = "port " + portName(interp_.policy(), port) + " " +
                               lang::directionName(dir) + ": " + last.dropReason;
            return nullptr;
        }
        return &last;
    }

    PathResult drop(std::string reason) {
        path_.verdict = Verdict::Deny;
        path_.output = Output{};
        if (!reason.empty()) path_.dropReason = std::move(reason);
        return std::move(path_);
    }

    PathResult deliver(const Output& output) {
        path_.verdict = Verdict::Allow;
        path_.output = output;
        path_.dropReason.clear();
        interp_.commit(pending_);
        return std::move(path_);
    }

    PathResult& path() { return path_; }

private:
    Interpreter& interp_;
    PathResult path_;
    std::vector<Interpreter::PendingSession> pending_;
};

// The inbound pipeline of `port` and what follows it: every output is final.
PathResult inboundTo(PathBuilder& b, uint32_t port, const Headers& packet) {
    const Result* r = b.hop(port, Direction::In, packet);
    if (!r) return b.drop("");
    return b.deliver(r->output);
}

}  // namespace

std::optional<uint32_t> findPortByAddress(const lang::Policy& policy, uint32_t vni,
                                          const lang::IpAddr& ip, bool anyVni) {
    if (ip.family == lang::Family::None) return std::nullopt;
    for (uint32_t i = 0; i < policy.ports.size(); ++i) {
        const lang::Port& p = policy.ports[i];
        if (!anyVni && p.vni != vni) continue;
        for (const lang::IpAddr& a : p.ips) {
            if (a == ip) return i;
        }
    }
    return std::nullopt;
}

PathResult evaluatePath(Interpreter& interpreter, uint32_t port, Direction dir,
                        const Headers& packet) {
    PathBuilder b(interpreter);
    const lang::Policy& policy = interpreter.policy();
    b.path().headers = packet;
    if (port >= policy.ports.size()) return b.drop("no such port");
    if (dir == Direction::In) return inboundTo(b, port, packet);

    const Result* out = b.hop(port, Direction::Out, packet);
    if (!out) return b.drop("");
    const Headers h = out->headers;
    switch (out->output.kind) {
        case OutputKind::Port:
            return inboundTo(b, out->output.index, h);
        case OutputKind::Uplink: {
            // Default forwarding: the policy's port with that VNI and (inner) destination.
            uint32_t vni = h.tunnelled() ? h.vni : policy.ports[port].vni;
            if (auto q = findPortByAddress(policy, vni, h.dstIp, false)) {
                return inboundTo(b, *q, h);
            }
            return b.deliver(out->output);
        }
        case OutputKind::Drop:  // not reached: a dropping hop returned above
            return b.drop("no route");
        case OutputKind::Vm:
        case OutputKind::Host:
        case OutputKind::Gateway:
        case OutputKind::Ecmp:
            return b.deliver(out->output);
    }
    return b.drop("no route");
}

PathResult evaluateFromUplink(Interpreter& interpreter, const Headers& packet) {
    PathBuilder b(interpreter);
    b.path().headers = packet;
    bool tunnelled = packet.tunnelled();
    const lang::Policy& policy = interpreter.policy();
    auto q = findPortByAddress(policy, packet.vni, packet.dstIp, !tunnelled);
    // An address no port owns (an SNAT'd flow's public address, a VIP): the port whose
    // session pair the packet matches, as the vSwitch's session table finds it.
    for (uint32_t p = 0; !q && p < policy.ports.size(); ++p) {
        if (interpreter.hasSessionFor(p, Direction::In, packet)) q = p;
    }
    if (!q) return b.drop("no port for destination");
    return inboundTo(b, *q, packet);
}

}  // namespace sluice::interp
