// Route tables and ECMP groups (README.md, "Routes"). Prefixes are intervals, so coverage is
// exact interval arithmetic: blackholes are the gaps of the union of a table's prefixes (per
// address family used by the table), hidden routes are prefixes covered by the union of
// strictly longer ones. Blackhole witnesses are replayed through a one-rule probe layer that
// routes with the table.
#include <algorithm>
#include <map>

#include "checks.h"
#include "replay.h"

namespace sluice::verify {

using lang::Family;
using lang::u128;

namespace {

struct Interval {
    u128 lo, hi;
};

Interval prefixInterval(const lang::IpAddr& prefix, int len) {
    unsigned w = prefix.width();
    unsigned hostBits = len >= static_cast<int>(w) ? 0 : w - static_cast<unsigned>(len);
    u128 mask = hostBits >= 128 ? ~u128(0) : ((u128(1) << hostBits) - 1);
    u128 lo = prefix.value & ~mask;
    return {lo, lo | mask};
}

// Gaps of [0, max] not covered by the intervals.
std::vector<Interval> gaps(std::vector<Interval> iv, u128 max) {
    std::sort(iv.begin(), iv.end(), [](auto& a, auto& b) { return a.lo < b.lo; });
    std::vector<Interval> out;
    u128 next = 0;
    bool done = false;
    for (const auto& i : iv) {
        if (done) break;
        if (i.lo > next) out.push_back({next, i.lo - 1});
        if (i.hi >= next) {
            if (i.hi == max) {
                done = true;
                break;
            }
            next = i.hi + 1;
        }
    }
    if (!done) out.push_back({next, max});
    return out;
}

std::string entryName(const lang::RouteTable& t, const lang::RouteEntry& e) {
    return t.name + " " + e.prefix.str() + "/" + std::to_string(e.prefixLen);
}

std::string rangeText(Family fam, const Interval& i) {
    return lang::IpAddr{fam, i.lo}.str() + " - " + lang::IpAddr{fam, i.hi}.str();
}

void checkTable(CheckContext& cc, uint32_t ti) {
    const auto& policy = *cc.policy;
    const auto& t = policy.routeTables[ti];
    for (Family fam : {Family::V4, Family::V6}) {
        std::vector<Interval> iv;
        for (const auto& e : t.routes)
            if (e.prefix.family == fam) iv.push_back(prefixInterval(e.prefix, e.prefixLen));
        if (iv.empty()) continue;
        u128 max = fam == Family::V4 ? u128(0xffffffffu) : ~u128(0);
        auto g = gaps(iv, max);
        if (g.empty()) continue;
        std::string msg = "route table " + t.name + " has no route for " + rangeText(fam, g[0]);
        if (g.size() > 1) msg += " (and " + std::to_string(g.size() - 1) + " more ranges)";
        msg += ": packets routed there are dropped (blackhole)";
        auto& f = cc.add(FindingKind::Blackhole, msg, t.range);
        f.involved.push_back({t.name, t.range});
        Witness w;
        w.headers.srcIp = {fam, fam == Family::V4 ? u128(0x0a000001) : u128(1)};
        w.headers.dstIp = {fam, g[0].lo};
        w.headers.etherType = fam == Family::V4 ? 0x0800 : 0x86DD;
        w.headers.proto = lang::kProtoUdp;
        w.headers.srcPort = 1024;
        w.headers.dstPort = 53;
        w.where = "route table " + t.name + " lookup";
        w.dir = lang::Direction::Out;
        f.witness = w;
        std::optional<lang::Headers> pw;
        if (cc.options.replay) pw = cc.replayHeaders(f);
        if (pw) {
            auto probe = replay::routeProbe(policy, ti);
            auto r = replay::runPort(probe.policy, probe.port, lang::Direction::Out, *pw);
            f.witness->replay = "interpreter: " + r.output.str(*probe.policy) +
                                (r.dropReason.empty() ? "" : " (" + r.dropReason + ")");
            if (r.verdict != lang::Verdict::Deny || r.dropReason != "no route")
                cc.internalError("replay of blackhole in " + t.name + " disagrees: " +
                                     f.witness->replay, &f);
        }
    }
    // Hidden routes.
    for (size_t i = 0; i < t.routes.size(); ++i) {
        const auto& e = t.routes[i];
        Interval me = prefixInterval(e.prefix, e.prefixLen);
        std::vector<Interval> inner;
        std::vector<size_t> who;
        for (size_t j = 0; j < t.routes.size(); ++j) {
            const auto& o = t.routes[j];
            if (j == i || o.prefix.family != e.prefix.family || o.prefixLen <= e.prefixLen)
                continue;
            Interval x = prefixInterval(o.prefix, o.prefixLen);
            if (x.lo >= me.lo && x.hi <= me.hi) {
                inner.push_back(x);
                who.push_back(j);
            }
        }
        if (inner.empty()) continue;
        // Covered when the inner intervals leave no gap inside `me`.
        std::vector<Interval> shifted;
        for (auto x : inner) shifted.push_back({x.lo - me.lo, x.hi - me.lo});
        if (!gaps(shifted, me.hi - me.lo).empty()) continue;
        std::string msg = "route " + entryName(t, e) + " is never used: hidden by " +
                          std::to_string(who.size()) + " more specific route" +
                          (who.size() > 1 ? "s" : "");
        auto& f = cc.add(FindingKind::HiddenRoute, msg, e.range);
        f.involved.push_back({entryName(t, e), e.range});
        for (size_t j : who) f.involved.push_back({entryName(t, t.routes[j]), t.routes[j].range});
    }
}

void checkEcmp(CheckContext& cc) {
    const auto& policy = *cc.policy;
    for (const auto& g : policy.ecmpGroups) {
        uint64_t weight = 0;
        size_t usable = 0;
        for (const auto& m : g.members) {
            if (m.address.family == Family::None || m.weight == 0) continue;
            ++usable;
            weight += m.weight;
        }
        std::string why;
        if (g.members.empty()) why = "has no member";
        else if (usable == 0 && weight == 0) why = "has no usable member (zero total weight)";
        if (why.empty()) continue;
        auto& f = cc.add(FindingKind::EcmpUnusable, "ECMP group " + g.name + " " + why +
                                                        ": traffic routed to it is lost",
                         g.range);
        f.involved.push_back({g.name, g.range});
        for (const auto& t : policy.routeTables)
            for (const auto& e : t.routes)
                if (e.kind == lang::NextHopKind::Ecmp &&
                    policy.ecmpGroups[e.ecmp].name == g.name)
                    f.involved.push_back({entryName(t, e), e.range});
    }
}

}  // namespace

void checkRoutes(CheckContext& cc) {
    for (uint32_t t = 0; t < cc.policy->routeTables.size(); ++t) checkTable(cc, t);
    checkEcmp(cc);
}

}  // namespace sluice::verify
