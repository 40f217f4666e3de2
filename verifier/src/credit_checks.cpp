// Achelous credit policies (README.md, "Credits"): per resource (bandwidth, CPU), the bases
// guaranteed to the ports of one host must fit the host (sum over ports of their policy's
// base <= host total), every policy must agree on the host total, and each spec must satisfy
// base <= max <= host, 0 < consume <= 1, and a non-zero cap when max > base.
#include <cmath>
#include <sstream>

#include "checks.h"

namespace sluice::verify {

namespace {

std::string amount(double v, bool bandwidth) {
    std::ostringstream s;
    if (bandwidth) {
        if (v >= 1e9) s << v / 1e9 << "Gbps";
        else if (v >= 1e6) s << v / 1e6 << "Mbps";
        else s << v << "bps";
    } else {
        s << v * 100 << "%";
    }
    return s.str();
}

void checkResource(CheckContext& cc, bool bandwidth) {
    const auto& policy = *cc.policy;
    const char* res = bandwidth ? "bandwidth" : "cpu";
    auto spec = [&](const lang::CreditPolicy& c) -> const std::optional<lang::CreditSpec>& {
        return bandwidth ? c.bandwidth : c.cpu;
    };
    // Per-spec consistency.
    for (const auto& c : policy.credits) {
        const auto& s = spec(c);
        if (!s) continue;
        std::vector<std::string> why;
        if (s->base > s->max) why.push_back("base " + amount(s->base, bandwidth) + " > max " +
                                            amount(s->max, bandwidth));
        if (s->max > s->hostTotal)
            why.push_back("max " + amount(s->max, bandwidth) + " > host " +
                          amount(s->hostTotal, bandwidth));
        if (!(s->consume > 0 && s->consume <= 1)) why.push_back("consume outside (0, 100%]");
        if (s->max > s->base && s->capMs == 0) why.push_back("max > base but cap is 0");
        for (const auto& w : why) {
            auto& f = cc.add(FindingKind::CreditInconsistent,
                             std::string("credit ") + c.name + " " + res + ": " + w, s->range);
            f.involved.push_back({c.name, c.range});
        }
    }
    // Host totals must agree; the sum of bases over ports must fit the smallest.
    double host = 0;
    const lang::CreditPolicy* hostFrom = nullptr;
    double sum = 0;
    std::vector<Involved> users;
    for (const auto& p : policy.ports) {
        if (!p.credit) continue;
        const auto& c = policy.credits[*p.credit];
        const auto& s = spec(c);
        if (!s) continue;
        sum += s->base;
        users.push_back({p.name, p.range});
        if (!hostFrom) {
            host = s->hostTotal;
            hostFrom = &c;
        } else if (s->hostTotal != host) {
            auto& f = cc.add(FindingKind::CreditInconsistent,
                             std::string("credit ") + c.name + " " + res + " states host " +
                                 amount(s->hostTotal, bandwidth) + " but " + hostFrom->name +
                                 " states " + amount(host, bandwidth),
                             s->range);
            f.involved.push_back({c.name, c.range});
            f.involved.push_back({hostFrom->name, hostFrom->range});
            host = std::min(host, s->hostTotal);
        }
    }
    if (hostFrom && sum > host * (1 + 1e-12)) {
        std::string msg = std::string(res) + " bases of " + std::to_string(users.size()) +
                          " ports sum to " + amount(sum, bandwidth) + ", more than the host's " +
                          amount(host, bandwidth) + ": the guarantees cannot all be met";
        lang::SourceRange where = hostFrom->range;
        auto& f = cc.add(FindingKind::CreditOverbooked, msg, where);
        for (const auto& c : policy.credits)
            if (spec(c)) f.involved.push_back({c.name, c.range});
        for (auto& u : users) f.involved.push_back(u);
    }
}

}  // namespace

void checkCredits(CheckContext& cc) {
    checkResource(cc, true);
    checkResource(cc, false);
}

}  // namespace sluice::verify
