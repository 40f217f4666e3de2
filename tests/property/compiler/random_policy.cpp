#include "random_policy.h"

#include <algorithm>
#include <optional>

namespace sluice::testing {

using lang::Family;
using lang::Field;
using lang::MatchValue;
using lang::u128;

namespace {

template <typename T>
T pick(std::mt19937_64& rng, std::initializer_list<T> xs) {
    return *(xs.begin() + std::uniform_int_distribution<size_t>(0, xs.size() - 1)(rng));
}
uint64_t uni(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}
bool coin(std::mt19937_64& rng, double p) { return std::bernoulli_distribution(p)(rng); }

// Addresses from a small space so rules overlap and packets hit them.
MatchValue prefixValue(std::mt19937_64& rng, Family fam) {
    MatchValue v;
    v.family = fam;
    if (fam == Family::V4) {
        int len = static_cast<int>(pick<uint64_t>(rng, {0, 8, 16, 20, 24, 24, 28, 32, 32}));
        u128 addr = (u128(10) << 24) | (uni(rng, 0, 3) << 16) | (uni(rng, 0, 7) << 8) | uni(rng, 0, 255);
        u128 host = len == 0 ? 0xffffffffu : ((u128(1) << (32 - len)) - 1);
        v.lo = addr & ~host & 0xffffffffu;
        v.hi = v.lo | host;
        v.prefixLen = len;
        if (coin(rng, 0.1)) {  // a range, not a prefix
            v.prefixLen = -1;
            v.hi = v.lo + uni(rng, 0, 300);
            if (v.hi > 0xffffffffu) v.hi = 0xffffffffu;
        }
    } else {
        int len = static_cast<int>(pick<uint64_t>(rng, {0, 32, 48, 64, 120, 128}));
        u128 addr = (u128(0xfd00) << 112) | (u128(uni(rng, 0, 3)) << 64) | uni(rng, 0, 255);
        u128 host = len == 0 ? ~u128(0) : len == 128 ? 0 : ((u128(1) << (128 - len)) - 1);
        v.lo = addr & ~host;
        v.hi = v.lo | host;
        v.prefixLen = len;
    }
    return v;
}

MatchValue intValue(std::mt19937_64& rng, Field f) {
    MatchValue v;
    switch (f) {
        case Field::Proto: v.lo = v.hi = pick<uint64_t>(rng, {1, 6, 17, 58}); break;
        case Field::SrcPort:
        case Field::DstPort:
            v.lo = pick<uint64_t>(rng, {0, 22, 53, 80, 443, 1024, 8080, 65535});
            v.hi = coin(rng, 0.5) ? v.lo : std::min<uint64_t>(65535, static_cast<uint64_t>(v.lo) + uni(rng, 1, 2000));
            break;
        case Field::Vni: v.lo = v.hi = uni(rng, 0, 3) * 100; break;
        case Field::Dscp: v.lo = uni(rng, 0, 63); v.hi = coin(rng, 0.5) ? v.lo : std::min<uint64_t>(63, static_cast<uint64_t>(v.lo) + 8); break;
        case Field::TcpFlags: v.lo = v.hi = pick<uint64_t>(rng, {0x02, 0x12, 0x10, 0x01}); break;
        default: v.lo = v.hi = uni(rng, 0, 3); break;
    }
    return v;
}

lang::Condition randomCondition(std::mt19937_64& rng, Field f, Family fam) {
    lang::Condition c;
    c.field = f;
    int n = coin(rng, 0.8) ? 1 : static_cast<int>(uni(rng, 2, 3));
    for (int i = 0; i < n; ++i) {
        if (lang::fieldInfo(f).isIp) c.values.push_back(prefixValue(rng, coin(rng, 0.85) ? fam : (fam == Family::V4 ? Family::V6 : Family::V4)));
        else c.values.push_back(intValue(rng, f));
    }
    return c;
}

std::vector<lang::Condition> randomConditions(std::mt19937_64& rng, int maxConds, std::optional<Field> must) {
    static const Field kFields[] = {Field::SrcIp, Field::DstIp, Field::Proto, Field::SrcPort,
                                    Field::DstPort, Field::Vni, Field::Dscp, Field::TcpFlags,
                                    Field::OuterDstIp};
    Family fam = coin(rng, 0.85) ? Family::V4 : Family::V6;
    std::vector<lang::Condition> cs;
    std::vector<Field> used;
    if (must) {
        lang::Condition c = randomCondition(rng, *must, fam);
        for (auto& v : c.values) if (v.prefixLen < 0) { v.prefixLen = lang::fieldInfo(*must).isIp ? (v.family == Family::V4 ? 32 : 128) : 16; v.hi = v.lo; }
        cs.push_back(c);
        used.push_back(*must);
    }
    int n = static_cast<int>(uni(rng, 0, static_cast<uint64_t>(maxConds)));
    for (int i = 0; i < n; ++i) {
        Field f = kFields[uni(rng, 0, std::size(kFields) - 1)];
        if (std::find(used.begin(), used.end(), f) != used.end()) continue;
        used.push_back(f);
        cs.push_back(randomCondition(rng, f, fam));
    }
    return cs;
}

lang::Action randomAction(std::mt19937_64& rng, const lang::Policy& p, bool allowOnly) {
    lang::Action a;
    a.verdict = (!allowOnly && coin(rng, 0.35)) ? lang::Verdict::Deny : lang::Verdict::Allow;
    if (a.verdict == lang::Verdict::Deny) return a;
    if (coin(rng, 0.1)) a.decap = true;
    if (coin(rng, 0.25)) {
        lang::Rewrite rw;
        rw.field = pick<Field>(rng, {Field::DstIp, Field::SrcIp, Field::DstPort, Field::Dscp, Field::SrcMac});
        if (lang::fieldInfo(rw.field).isIp) {
            rw.family = coin(rng, 0.9) ? Family::V4 : Family::V6;
            rw.value = rw.family == Family::V4 ? ((u128(10) << 24) | uni(rng, 0, 0x3ffff)) : ((u128(0xfd00) << 112) | uni(rng, 0, 255));
        } else {
            rw.value = uni(rng, 0, 70000);
        }
        a.rewrites.push_back(rw);
    }
    if (coin(rng, 0.1)) {
        lang::Encap e;
        e.vni = static_cast<uint32_t>(uni(rng, 1, 3) * 100);
        e.outerSrc = lang::IpAddr::v4(0xc0a80001);
        e.outerDst = lang::IpAddr::v4(0xc0a80000 | static_cast<uint32_t>(uni(rng, 2, 9)));
        a.encap = e;
    }
    if (!p.routeTables.empty() && coin(rng, 0.25)) a.routeTable = static_cast<uint32_t>(uni(rng, 0, p.routeTables.size() - 1));
    return a;
}

}  // namespace

std::shared_ptr<lang::Policy> randomPolicy(std::mt19937_64& rng, const RandomPolicyOptions& o) {
    auto p = std::make_shared<lang::Policy>();
    int nRoutes = static_cast<int>(uni(rng, 0, 2));
    for (int r = 0; r < nRoutes; ++r) {
        lang::RouteTable rt;
        rt.name = "rt" + std::to_string(r);
        int n = static_cast<int>(uni(rng, 1, coin(rng, 0.3) ? 60 : 8));
        std::vector<std::pair<u128, int>> seen;
        for (int i = 0; i < n; ++i) {
            lang::RouteEntry e;
            MatchValue v = prefixValue(rng, coin(rng, 0.9) ? Family::V4 : Family::V6);
            if (v.prefixLen < 0) continue;
            if (std::find(seen.begin(), seen.end(), std::make_pair(v.lo, v.prefixLen + 1000 * static_cast<int>(v.family))) != seen.end()) continue;
            seen.push_back({v.lo, v.prefixLen + 1000 * static_cast<int>(v.family)});
            e.prefix = {v.family, v.lo};
            e.prefixLen = v.prefixLen;
            e.kind = pick<lang::NextHopKind>(rng, {lang::NextHopKind::Port, lang::NextHopKind::Host, lang::NextHopKind::Gateway, lang::NextHopKind::Ecmp, lang::NextHopKind::Drop});
            e.port = static_cast<uint32_t>(uni(rng, 0, 1));
            e.ecmp = 0;
            if (e.kind == lang::NextHopKind::Host || e.kind == lang::NextHopKind::Gateway) e.address = lang::IpAddr::v4(0xc0a80000 | static_cast<uint32_t>(uni(rng, 1, 50)));
            rt.routes.push_back(e);
        }
        p->routeTables.push_back(rt);
    }
    // One member, as the front end requires (E308): an empty group is no valid policy, and the
    // runtime, having no member to pick, drops what the interpreter sends to the group.
    p->ecmpGroups.push_back({"fw", {{"fw1", lang::IpAddr::v4(0xc0a80015), 1, {}}}, {}, {}, {}});
    int nLayers = static_cast<int>(uni(rng, 1, 3));
    for (int l = 0; l < nLayers; ++l) {
        lang::Layer layer;
        layer.name = "L" + std::to_string(l);
        layer.audit = coin(rng, 0.2);  // audit mode: would-denies go on (docs/language.md)
        for (int d = 0; d < 2; ++d) {
            layer.defaultAction[d].verdict = coin(rng, 0.6) ? lang::Verdict::Allow : lang::Verdict::Deny;
            int nGroups = static_cast<int>(uni(rng, 0, 3));
            for (int g = 0; g < nGroups; ++g) {
                lang::Group grp;
                grp.name = "g" + std::to_string(g);
                grp.priority = static_cast<uint32_t>(g * 10);
                if (coin(rng, 0.2)) grp.conditions = randomConditions(rng, 1, std::nullopt);
                if (coin(rng, 0.25)) {
                    grp.mode = lang::GroupMode::Lpm;
                    grp.lpmField = coin(rng, 0.8) ? Field::DstIp : Field::SrcIp;
                }
                int nRules = static_cast<int>(uni(rng, 0, static_cast<uint64_t>(o.maxRules)));
                if (o.bigGroups && coin(rng, 0.2)) nRules = static_cast<int>(uni(rng, 60, 200));
                bool simple = coin(rng, 0.3);  // one field only: interval / hash shaped tables
                Field simpleField = pick<Field>(rng, {Field::DstIp, Field::DstPort, Field::SrcIp});
                for (int r = 0; r < nRules; ++r) {
                    lang::Rule rule;
                    rule.name = "r" + std::to_string(d) + "_" + std::to_string(g) + "_" + std::to_string(r);
                    rule.priority = static_cast<uint32_t>(r * 2 + 1);
                    std::optional<Field> must;
                    if (grp.mode == lang::GroupMode::Lpm) must = grp.lpmField;
                    if (simple) {
                        Field f = must ? *must : simpleField;
                        rule.conditions = {randomCondition(rng, f, coin(rng, 0.9) ? Family::V4 : Family::V6)};
                        if (must) for (auto& v : rule.conditions[0].values) if (v.prefixLen < 0) { v.prefixLen = v.family == Family::V4 ? 32 : 128; v.hi = v.lo; }
                    } else {
                        rule.conditions = randomConditions(rng, 3, must);
                    }
                    rule.terminating = coin(rng, 0.3);
                    rule.action = randomAction(rng, *p, false);
                    rule.stateful = rule.action.verdict == lang::Verdict::Allow && coin(rng, 0.15);
                    rule.log = coin(rng, 0.25);
                    grp.rules.push_back(std::move(rule));
                }
                layer.groups[d].push_back(std::move(grp));
            }
        }
        p->layers.push_back(std::move(layer));
    }
    int nPorts = static_cast<int>(uni(rng, 1, 2));
    for (int i = 0; i < nPorts; ++i) {
        lang::Port port;
        port.name = "port" + std::to_string(i);
        int n = static_cast<int>(uni(rng, 1, 3));
        for (int k = 0; k < n; ++k) port.layers.push_back(static_cast<uint32_t>(uni(rng, 0, p->layers.size() - 1)));
        p->ports.push_back(std::move(port));
    }
    return p;
}

lang::Headers randomPacket(std::mt19937_64& rng, const lang::Policy& p) {
    lang::Headers h;
    bool v6 = coin(rng, 0.15);
    auto addr = [&](bool six) {
        return six ? lang::IpAddr::v6((u128(0xfd00) << 112) | (u128(uni(rng, 0, 3)) << 64) | uni(rng, 0, 255))
                   : lang::IpAddr::v4(static_cast<uint32_t>((10u << 24) | (uni(rng, 0, 3) << 16) | (uni(rng, 0, 7) << 8) | uni(rng, 0, 255)));
    };
    h.srcIp = addr(v6);
    h.dstIp = addr(v6);
    h.proto = static_cast<uint8_t>(pick<uint64_t>(rng, {1, 6, 17, 58, 6, 6}));
    h.srcPort = static_cast<uint16_t>(pick<uint64_t>(rng, {0, 22, 53, 80, 443, 1023, 1024, 3000, 65535}));
    h.dstPort = static_cast<uint16_t>(pick<uint64_t>(rng, {0, 22, 53, 80, 443, 1023, 1024, 3000, 8080, 65535}));
    h.dscp = static_cast<uint8_t>(uni(rng, 0, 63));
    h.tcpFlags = static_cast<uint8_t>(pick<uint64_t>(rng, {0x02, 0x12, 0x10}));
    if (coin(rng, 0.2)) {
        h.vni = static_cast<uint32_t>(uni(rng, 0, 3) * 100);
        h.outerSrc = lang::IpAddr::v4(0xc0a80001);
        h.outerDst = lang::IpAddr::v4(0xc0a80002);
    }
    // Bias: move one field onto a boundary of a random rule value.
    std::vector<const lang::Condition*> conds;
    for (const auto& l : p.layers)
        for (int d = 0; d < 2; ++d)
            for (const auto& g : l.groups[d])
                for (const auto& r : g.rules)
                    for (const auto& c : r.conditions) conds.push_back(&c);
    int tweaks = static_cast<int>(uni(rng, 0, 3));
    for (int t = 0; t < tweaks && !conds.empty(); ++t) {
        const lang::Condition& c = *conds[uni(rng, 0, conds.size() - 1)];
        if (c.values.empty()) continue;
        const MatchValue& v = c.values[uni(rng, 0, c.values.size() - 1)];
        u128 x = pick<int>(rng, {0, 1, 2, 3}) == 0 ? v.lo : coin(rng, 0.5) ? v.hi : coin(rng, 0.5) ? v.lo - 1 : v.hi + 1;
        if (lang::fieldInfo(c.field).isIp) {
            if (v.family == Family::V4) x &= 0xffffffffu;
            h.set(c.field, x, v.family);
            if (c.field == Field::SrcIp || c.field == Field::DstIp) {
                // keep both addresses in one family
                Field other = c.field == Field::SrcIp ? Field::DstIp : Field::SrcIp;
                if (h.family(other) != v.family) h.set(other, v.family == Family::V4 ? 0x0a000001 : ((u128(0xfd00) << 112) | 1), v.family);
            }
        } else {
            h.set(c.field, x);
        }
    }
    return h;
}

}  // namespace sluice::testing
