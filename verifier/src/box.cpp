#include "box.h"

#include <cmath>

#include "smt.h"

namespace sluice::verify::geo {

using lang::Field;
using lang::Family;

namespace {

// Most selective dimensions first: addresses, then ports and protocol.
constexpr std::array<size_t, kDims> kOrder = {
    static_cast<size_t>(Field::SrcIp),   static_cast<size_t>(Field::DstIp),
    static_cast<size_t>(Field::DstPort), static_cast<size_t>(Field::SrcPort),
    static_cast<size_t>(Field::Proto),   kInnerFam,
    static_cast<size_t>(Field::SrcMac),  static_cast<size_t>(Field::DstMac),
    static_cast<size_t>(Field::EtherType), static_cast<size_t>(Field::Vni),
    static_cast<size_t>(Field::OuterSrcIp), static_cast<size_t>(Field::OuterDstIp),
    static_cast<size_t>(Field::TcpFlags), static_cast<size_t>(Field::IcmpType),
    static_cast<size_t>(Field::IcmpCode), static_cast<size_t>(Field::Dscp),
    kOuterFam};

constexpr u128 kV4Max = 0xffffffffu;

Box fullBox() {
    Box b;
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        b.lo[i] = 0;
        b.hi[i] = smt::fieldMax(static_cast<Field>(i));
    }
    b.lo[kInnerFam] = 1;
    b.hi[kInnerFam] = 2;
    b.lo[kOuterFam] = 0;
    b.hi[kOuterFam] = 2;
    return b;
}

bool clamp(Box& b, size_t d, u128 lo, u128 hi) {
    if (b.lo[d] < lo) b.lo[d] = lo;
    if (b.hi[d] > hi) b.hi[d] = hi;
    return b.lo[d] <= b.hi[d];
}

void splitByUniverse(const Box& b, Region& out) {
    for (u128 in = b.lo[kInnerFam]; in <= b.hi[kInnerFam]; ++in) {
        for (u128 ou = b.lo[kOuterFam]; ou <= b.hi[kOuterFam]; ++ou) {
            Box c = b;
            c.lo[kInnerFam] = c.hi[kInnerFam] = in;
            c.lo[kOuterFam] = c.hi[kOuterFam] = ou;
            bool ok = true;
            if (in == 1) {
                ok = ok && clamp(c, static_cast<size_t>(Field::SrcIp), 0, kV4Max);
                ok = ok && clamp(c, static_cast<size_t>(Field::DstIp), 0, kV4Max);
            }
            if (ou == 0) {
                ok = ok && clamp(c, static_cast<size_t>(Field::OuterSrcIp), 0, 0);
                ok = ok && clamp(c, static_cast<size_t>(Field::OuterDstIp), 0, 0);
            } else if (ou == 1) {
                ok = ok && clamp(c, static_cast<size_t>(Field::OuterSrcIp), 0, kV4Max);
                ok = ok && clamp(c, static_cast<size_t>(Field::OuterDstIp), 0, kV4Max);
            }
            if (ok) out.push_back(c);
        }
    }
}

}  // namespace

bool Box::intersects(const Box& o) const {
    for (size_t d : kOrder)
        if (lo[d] > o.hi[d] || o.lo[d] > hi[d]) return false;
    return true;
}

bool Box::contains(const Box& o) const {
    for (size_t d : kOrder)
        if (o.lo[d] < lo[d] || o.hi[d] > hi[d]) return false;
    return true;
}

std::optional<Box> Box::intersect(const Box& o) const {
    Box r;
    for (size_t d = 0; d < kDims; ++d) {
        r.lo[d] = std::max(lo[d], o.lo[d]);
        r.hi[d] = std::min(hi[d], o.hi[d]);
        if (r.lo[d] > r.hi[d]) return std::nullopt;
    }
    return r;
}

bool Box::containsPoint(const lang::Headers& h) const {
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        u128 v = h.get(static_cast<Field>(i));
        if (v < lo[i] || v > hi[i]) return false;
    }
    u128 in = smt::famCode(h.srcIp.family), ou = smt::famCode(h.outerSrc.family);
    return lo[kInnerFam] <= in && in <= hi[kInnerFam] && lo[kOuterFam] <= ou &&
           ou <= hi[kOuterFam];
}

double Box::log2Volume() const {
    double v = 0;
    for (size_t d = 0; d < kDims; ++d) {
        u128 n = hi[d] - lo[d];
        double x = static_cast<double>(n) + 1.0;
        v += std::log2(x);
    }
    return v;
}

std::optional<Region> conditionBoxes(const std::vector<const std::vector<lang::Condition>*>& lists,
                                     size_t cap) {
    Region cur{fullBox()};
    for (const auto* list : lists) {
        for (const auto& c : *list) {
            Region next;
            size_t d = static_cast<size_t>(c.field);
            for (const auto& b : cur) {
                for (const auto& v : c.values) {
                    Box n = b;
                    if (smt::isIpField(c.field)) {
                        size_t fd = smt::isOuterIp(c.field) ? kOuterFam : kInnerFam;
                        u128 code = smt::famCode(v.family);
                        if (!clamp(n, fd, code, code)) continue;
                    }
                    if (!clamp(n, d, v.lo, v.hi)) continue;
                    next.push_back(n);
                    if (next.size() > cap) return std::nullopt;
                }
            }
            cur = std::move(next);
            if (cur.empty()) return cur;
        }
    }
    Region out;
    for (const auto& b : cur) splitByUniverse(b, out);
    if (out.size() > cap) return std::nullopt;
    return out;
}

Region universe() {
    Region out;
    splitByUniverse(fullBox(), out);
    return out;
}

bool intersects(const Region& a, const Region& b) {
    for (const auto& x : a)
        for (const auto& y : b)
            if (x.intersects(y)) return true;
    return false;
}

bool containedInOne(const Region& a, const Region& b) {
    for (const auto& x : a) {
        bool in = false;
        for (const auto& y : b)
            if (y.contains(x)) {
                in = true;
                break;
            }
        if (!in) return false;
    }
    return true;
}

CoverResult subtract(const Region& target, const std::vector<const Box*>& cutters, size_t cap) {
    std::vector<Box> pieces(target.begin(), target.end());
    std::vector<Box> next;
    for (const Box* cut : cutters) {
        next.clear();
        for (const Box& p0 : pieces) {
            if (!p0.intersects(*cut)) {
                next.push_back(p0);
                continue;
            }
            Box p = p0;
            for (size_t d : kOrder) {
                if (p.lo[d] < cut->lo[d]) {
                    Box below = p;
                    below.hi[d] = cut->lo[d] - 1;
                    next.push_back(below);
                    p.lo[d] = cut->lo[d];
                }
                if (p.hi[d] > cut->hi[d]) {
                    Box above = p;
                    above.lo[d] = cut->hi[d] + 1;
                    next.push_back(above);
                    p.hi[d] = cut->hi[d];
                }
            }
            // What is left of p lies inside the cutter: gone.
        }
        pieces.swap(next);
        if (pieces.empty()) return {Cover::Covered, {}};
        if (pieces.size() > cap) return {Cover::Unknown, {}};
    }
    if (pieces.empty()) return {Cover::Covered, {}};
    return {Cover::NotCovered, pieces.front()};
}

lang::Headers pointOf(const Box& b) {
    auto pick = [&](size_t d, u128 preferred) {
        return (b.lo[d] <= preferred && preferred <= b.hi[d]) ? preferred : b.lo[d];
    };
    lang::Headers h;
    Family in = smt::famFromCode(static_cast<unsigned>(b.lo[kInnerFam]));
    Family ou = smt::famFromCode(static_cast<unsigned>(b.lo[kOuterFam]));
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        auto f = static_cast<Field>(i);
        u128 v = b.lo[i];
        switch (f) {
            case Field::EtherType: v = pick(i, in == Family::V6 ? 0x86DD : 0x0800); break;
            case Field::Proto:
                v = pick(i, lang::kProtoTcp) == lang::kProtoTcp ? u128(lang::kProtoTcp)
                                                                : pick(i, lang::kProtoUdp);
                break;
            default: break;
        }
        Family fam = Family::None;
        if (smt::isIpField(f)) fam = smt::isOuterIp(f) ? ou : in;
        h.set(f, v, fam);
    }
    return h;
}

}  // namespace sluice::verify::geo
