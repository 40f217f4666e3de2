#include "sluice/compiler/sampler.h"

namespace sluice::compiler {

using lang::Family;
using lang::Field;
using lang::u128;

BoundarySampler::BoundarySampler(const lang::Policy& policy, uint64_t seed)
    : policy_(policy), rng_(seed) {
    for (const auto& l : policy.layers)
        for (int d = 0; d < 2; ++d)
            for (const auto& g : l.groups[d])
                if (!g.rules.empty()) groups_.push_back(&g);
}

void BoundarySampler::applyCondition(lang::Headers& h, const lang::Condition& c, bool inside) {
    if (c.values.empty()) return;
    const lang::MatchValue& v = c.values[rng_() % c.values.size()];
    u128 x;
    switch (rng_() % 5) {
        case 0: x = v.lo; break;
        case 1: x = v.hi; break;
        case 2: x = v.lo + (v.hi - v.lo) / 2; break;
        case 3: x = inside ? v.lo : v.lo - 1; break;
        default: x = inside ? v.hi : v.hi + 1; break;
    }
    if (lang::fieldInfo(c.field).isIp) {
        if (v.family == Family::V4) x &= 0xffffffffu;
        h.set(c.field, x, v.family);
    } else {
        h.set(c.field, x);
    }
}

lang::Headers BoundarySampler::next() {
    lang::Headers h;
    bool v6 = rng_() % 8 == 0;
    auto addr = [&] {
        return v6 ? lang::IpAddr::v6((u128(0xfd00) << 112) | (rng_() & 0xffff))
                  : lang::IpAddr::v4(static_cast<uint32_t>(rng_()));
    };
    h.srcIp = addr();
    h.dstIp = addr();
    static const uint8_t kProtos[] = {6, 17, 1, 58};
    h.proto = kProtos[rng_() % 4];
    h.srcPort = static_cast<uint16_t>(rng_());
    h.dstPort = static_cast<uint16_t>(rng_());
    h.tcpFlags = static_cast<uint8_t>(rng_() % 64);
    if (rng_() % 5 == 0) {
        h.vni = static_cast<uint32_t>(rng_() % 0x1000000);
        h.outerSrc = lang::IpAddr::v4(static_cast<uint32_t>(rng_()));
        h.outerDst = lang::IpAddr::v4(static_cast<uint32_t>(rng_()));
    }
    if (!groups_.empty() && rng_() % 10 != 0) {
        const lang::Group& g = *groups_[rng_() % groups_.size()];
        const lang::Rule& r = g.rules[rng_() % g.rules.size()];
        bool inside = rng_() % 4 != 0;
        for (const auto& c : g.conditions) applyCondition(h, c, true);
        for (const auto& c : r.conditions) applyCondition(h, c, inside);
        if (rng_() % 3 == 0) {  // overlap with a neighbour: priority ties and shadowing
            const lang::Rule& r2 = g.rules[rng_() % g.rules.size()];
            for (const auto& c : r2.conditions) {
                if (rng_() % 2) applyCondition(h, c, true);
            }
        }
        // Keep src and dst in one family.
        if (h.srcIp.family != h.dstIp.family) {
            if (h.dstIp.family == Family::V4) h.srcIp = lang::IpAddr::v4(static_cast<uint32_t>(rng_()));
            else h.srcIp = lang::IpAddr::v6(h.dstIp.value ^ 1);
        }
    }
    return h;
}

}  // namespace sluice::compiler
