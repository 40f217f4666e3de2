// applyWrites: the one place where a commit's rules live (every store calls it).
#include "sluice/controller/store.h"

#include <string>

namespace sluice::controller {
namespace {

constexpr uint32_t kMaxVni = 0xFFFFFF;

std::string vmName(const VmKey& k) {
    return "VM " + formatAddress(k.ip) + " in VNI " + std::to_string(k.vni);
}
std::string routeName(const RouteKey& k) {
    return "route " + formatPrefix(k.prefix) + " in VNI " + std::to_string(k.vni);
}

bool validFamily(const Address& a) { return a.family == 4 || a.family == 6; }

// The compare-and-swap of one write against the record's current version (0: absent).
std::string casProblem(uint64_t expect, uint64_t current, bool deleting, const std::string& name) {
    if (deleting && current == 0) return "no " + name;
    if (expect == kAnyVersion || expect == current) return {};
    if (expect == kMustBeAbsent) return name + " exists (version " + std::to_string(current) + ")";
    if (current == 0) return "no " + name + " (expected version " + std::to_string(expect) + ")";
    return name + " is at version " + std::to_string(current) + ", not " + std::to_string(expect);
}

}  // namespace

CommitResult applyWrites(Tables& t, const std::vector<Write>& writes, const StoreLimits& limits) {
    using Outcome = CommitResult::Outcome;
    auto fail = [&](Outcome o, size_t i, std::string msg) {
        return CommitResult{o, t.revision, std::move(msg), i};
    };
    if (writes.empty()) return fail(Outcome::Refused, 0, "nothing to commit");
    if (writes.size() > limits.maxWritesPerCommit)
        return fail(
            Outcome::Refused, 0,
            "more than " + std::to_string(limits.maxWritesPerCommit) + " writes in one commit");
    if (t.revision == kAnyVersion - 1) return fail(Outcome::Refused, 0, "revision space exhausted");
    // Checked on a copy of the touched records' state, so that a later write in the same commit
    // sees an earlier one (add then move in one commit works) and a failure changes nothing.
    Tables next = t;
    const uint64_t rev = t.revision + 1;
    for (size_t i = 0; i < writes.size(); ++i) {
        const Write& w = writes[i];
        switch (w.op) {
            case Write::Op::PutVm:
            case Write::Op::DeleteVm: {
                if (w.vm.vni > kMaxVni) return fail(Outcome::Refused, i, "VNI above 16777215");
                if (!validFamily(w.vm.ip)) return fail(Outcome::Refused, i, "VM address missing");
                auto it = next.vms.find(w.vm);
                uint64_t current = it == next.vms.end() ? 0 : it->second.version;
                bool del = w.op == Write::Op::DeleteVm;
                if (auto p = casProblem(w.expectVersion, current, del, vmName(w.vm)); !p.empty())
                    return fail(Outcome::Conflict, i, p);
                if (del) {
                    next.vms.erase(it);
                    break;
                }
                if (!validFamily(w.vmValue.host))
                    return fail(Outcome::Refused, i, "host underlay address missing");
                if (!isUnicastMac(w.vmValue.mac))
                    return fail(Outcome::Refused, i,
                                "MAC " + formatMac(w.vmValue.mac) + " is not a unicast address");
                if (it == next.vms.end() && next.vms.size() >= limits.maxVms)
                    return fail(
                        Outcome::Refused, i,
                        "the store holds its limit of " + std::to_string(limits.maxVms) + " VMs");
                VmEntry e = w.vmValue;
                e.version = rev;
                next.vms[w.vm] = e;
                break;
            }
            case Write::Op::PutRoute:
            case Write::Op::DeleteRoute: {
                if (w.route.vni > kMaxVni) return fail(Outcome::Refused, i, "VNI above 16777215");
                if (!validFamily(w.route.prefix.address))
                    return fail(Outcome::Refused, i, "route prefix missing");
                auto it = next.routes.find(w.route);
                uint64_t current = it == next.routes.end() ? 0 : it->second.version;
                bool del = w.op == Write::Op::DeleteRoute;
                if (auto p = casProblem(w.expectVersion, current, del, routeName(w.route));
                    !p.empty())
                    return fail(Outcome::Conflict, i, p);
                if (del) {
                    next.routes.erase(it);
                    break;
                }
                if (!validFamily(w.routeValue.nextHop))
                    return fail(Outcome::Refused, i, "route next hop missing");
                if (it == next.routes.end() && next.routes.size() >= limits.maxRoutes)
                    return fail(Outcome::Refused, i,
                                "the store holds its limit of " + std::to_string(limits.maxRoutes) +
                                    " routes");
                RouteEntry e = w.routeValue;
                e.version = rev;
                next.routes[w.route] = e;
                break;
            }
        }
    }
    next.revision = rev;
    t = std::move(next);
    return CommitResult{CommitResult::Outcome::Committed, rev, {}, 0};
}

}  // namespace sluice::controller
