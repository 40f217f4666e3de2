#include "box.h"

#include <algorithm>
#include <cmath>

#include "smt.h"

namespace sluice::verify::geo {

using lang::Field;
using lang::Family;

namespace {

// Families first (a piece split off along a family gets clamped to that family's address
// space, see normalise), then the most selective dimensions.
constexpr std::array<size_t, kDims> kOrder = {
    kOuterFam, kInnerFam,
    static_cast<size_t>(Field::SrcIp),   static_cast<size_t>(Field::DstIp),
    static_cast<size_t>(Field::DstPort), static_cast<size_t>(Field::SrcPort),
    static_cast<size_t>(Field::Proto),
    static_cast<size_t>(Field::SrcMac),  static_cast<size_t>(Field::DstMac),
    static_cast<size_t>(Field::EtherType), static_cast<size_t>(Field::Vni),
    static_cast<size_t>(Field::OuterSrcIp), static_cast<size_t>(Field::OuterDstIp),
    static_cast<size_t>(Field::TcpFlags), static_cast<size_t>(Field::IcmpType),
    static_cast<size_t>(Field::IcmpCode), static_cast<size_t>(Field::Dscp)};

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

// Clamps a box to the packet universe where its families are decided: an IPv4 family means
// addresses below 2^32; outer family None means outer addresses 0. False when nothing is left.
bool normalise(Box& b) {
    const size_t src = static_cast<size_t>(Field::SrcIp), dst = static_cast<size_t>(Field::DstIp);
    const size_t osrc = static_cast<size_t>(Field::OuterSrcIp);
    const size_t odst = static_cast<size_t>(Field::OuterDstIp);
    if (b.hi[kInnerFam] == 1 && (!clamp(b, src, 0, kV4Max) || !clamp(b, dst, 0, kV4Max)))
        return false;
    const size_t vni = static_cast<size_t>(Field::Vni);
    if (b.lo[vni] > 0 && !clamp(b, kOuterFam, 1, 2)) return false;  // a VNI needs a tunnel
    if (b.hi[kOuterFam] == 0 && !clamp(b, vni, 0, 0)) return false;
    if (b.lo[kOuterFam] == b.hi[kOuterFam]) {
        u128 top = b.lo[kOuterFam] == 0 ? 0 : b.lo[kOuterFam] == 1 ? kV4Max : ~u128(0);
        if (!clamp(b, osrc, 0, top) || !clamp(b, odst, 0, top)) return false;
    }
    return true;
}

// Splits a box by inner family (IPv4 and IPv6 address spaces differ); the outer family is
// split only when the box constrains the outer addresses (otherwise outer family None with
// zero addresses is the box's lowest corner, and no cutter can split along those addresses
// without fixing the family).
//
// Well-formed packets only (smt::Context::universe, the packet parser): each box is also split
// by protocol class, and in each piece the fields its protocols do not carry are pinned to 0
// (ports outside TCP/UDP, flags outside TCP, ICMP type/code outside ICMP/ICMPv6); the
// ethertype follows the inner family; a VNI range without 0 needs a tunnel, no tunnel means
// VNI 0. Sub-boxes of a pinned box stay pinned, so subtraction keeps the universe exact.
// (Known limit: a box free in the outer family and wider than VNI 0 keeps the points "not
// tunnelled, VNI != 0"; witnesses prefer VNI 0 and are replayed from their text.)
struct ProtoClass {
    u128 lo, hi;
    bool ports, flags, icmp;
};
constexpr ProtoClass kProtoClasses[] = {
    {lang::kProtoTcp, lang::kProtoTcp, true, true, false},
    {lang::kProtoUdp, lang::kProtoUdp, true, false, false},
    {lang::kProtoIcmp, lang::kProtoIcmp, false, false, true},
    {lang::kProtoIcmpV6, lang::kProtoIcmpV6, false, false, true},
    {0, 0, false, false, false},
    {2, 5, false, false, false},
    {7, 16, false, false, false},
    {18, 57, false, false, false},
    {59, 255, false, false, false},
};

void splitByProtocol(const Box& b, Region& out) {
    const size_t proto = static_cast<size_t>(Field::Proto);
    for (const auto& pc : kProtoClasses) {
        Box c = b;
        if (!clamp(c, proto, pc.lo, pc.hi)) continue;
        bool ok = true;
        if (!pc.ports)
            ok = clamp(c, static_cast<size_t>(Field::SrcPort), 0, 0) &&
                 clamp(c, static_cast<size_t>(Field::DstPort), 0, 0);
        if (ok && !pc.flags) ok = clamp(c, static_cast<size_t>(Field::TcpFlags), 0, 0);
        if (ok && !pc.icmp)
            ok = clamp(c, static_cast<size_t>(Field::IcmpType), 0, 0) &&
                 clamp(c, static_cast<size_t>(Field::IcmpCode), 0, 0);
        if (ok) out.push_back(c);
    }
}

void splitByUniverse(const Box& b0, Region& out) {
    const size_t osrc = static_cast<size_t>(Field::OuterSrcIp);
    const size_t odst = static_cast<size_t>(Field::OuterDstIp);
    const size_t vni = static_cast<size_t>(Field::Vni);
    const size_t eth = static_cast<size_t>(Field::EtherType);
    Box b = b0;
    if (b.lo[vni] > 0 && !clamp(b, kOuterFam, 1, 2)) return;
    bool outerFree = b.lo[kOuterFam] == 0 && b.hi[kOuterFam] == 2 && b.lo[osrc] == 0 &&
                     b.hi[osrc] == ~u128(0) && b.lo[odst] == 0 && b.hi[odst] == ~u128(0);
    Region pieces;
    for (u128 in = b.lo[kInnerFam]; in <= b.hi[kInnerFam]; ++in) {
        u128 ouLo = outerFree ? 0 : b.lo[kOuterFam];
        u128 ouHi = outerFree ? 0 : b.hi[kOuterFam];
        for (u128 ou = ouLo; ou <= ouHi; ++ou) {
            Box c = b;
            c.lo[kInnerFam] = c.hi[kInnerFam] = in;
            u128 type = in == 1 ? 0x0800 : 0x86DD;
            if (!clamp(c, eth, type, type)) continue;
            if (!outerFree) {
                c.lo[kOuterFam] = c.hi[kOuterFam] = ou;
                if (ou == 0 && !clamp(c, vni, 0, 0)) continue;
            }
            if (normalise(c)) pieces.push_back(c);
        }
    }
    for (const auto& p : pieces) splitByProtocol(p, out);
}

}  // namespace

namespace {

Box pointBox(const Box& b, bool high) {
    Box p = b;
    for (size_t d = 0; d < kDims; ++d) p.lo[d] = p.hi[d] = high ? b.hi[d] : b.lo[d];
    return p;
}

bool covered(const Box& point, const std::vector<const Box*>& cutters) {
    for (const Box* c : cutters)
        if (c->contains(point)) return true;
    return false;
}

CoverResult searchPoint(const Region& target, const std::vector<Box>& pieces,
                        const std::vector<const Box*>& cutters) {
    for (size_t i = 0; i < pieces.size() && i < 64; ++i)
        for (bool high : {false, true}) {
            Box p = pointBox(pieces[i], high);
            if (!covered(p, cutters)) return {Cover::NotCovered, p};
        }
    uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int t = 0; t < 256 && !target.empty(); ++t) {
        const Box& b = target[next() % target.size()];
        Box p = b;
        for (size_t d = 0; d < kDims; ++d) {
            u128 span = b.hi[d] - b.lo[d];
            u128 r = (u128(next()) << 64) | next();
            u128 v = span == ~u128(0) ? r : b.lo[d] + r % (span + 1);
            p.lo[d] = p.hi[d] = v;
        }
        // Outer addresses as the drawn outer family allows (the box is outer-free then).
        for (size_t d : {static_cast<size_t>(Field::OuterSrcIp),
                         static_cast<size_t>(Field::OuterDstIp)}) {
            if (p.lo[kOuterFam] == 0) p.lo[d] = p.hi[d] = 0;
            if (p.lo[kOuterFam] == 1) p.lo[d] = p.hi[d] = p.lo[d] & kV4Max;
        }
        if (!b.contains(p)) continue;
        if (!covered(p, cutters)) return {Cover::NotCovered, p};
    }
    return {Cover::Unknown, {}};
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
    if (!normalise(r)) return std::nullopt;
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
    // Pieces inside one cutter go at once (the common case: a wide rule covers a narrow one).
    std::vector<Box> pieces;
    for (const auto& t : target) {
        bool inside = false;
        for (const Box* c : cutters)
            if (c->contains(t)) {
                inside = true;
                break;
            }
        if (!inside) pieces.push_back(t);
    }
    if (pieces.empty()) return {Cover::Covered, {}};
    // In place: a split piece is replaced by its parts outside the cutter (appended; they
    // cannot meet this cutter again); removed pieces are compacted once per cutter.
    std::vector<char> gone;
    for (const Box* cut : cutters) {
        size_t n = pieces.size();
        bool removed = false;
        gone.assign(n, 0);
        for (size_t i = 0; i < n; ++i) {
            if (!pieces[i].intersects(*cut)) continue;
            Box p = pieces[i];
            for (size_t d : kOrder) {
                if (p.lo[d] < cut->lo[d]) {
                    Box below = p;
                    below.hi[d] = cut->lo[d] - 1;
                    if (normalise(below)) pieces.push_back(below);
                    p.lo[d] = cut->lo[d];
                }
                if (p.hi[d] > cut->hi[d]) {
                    Box above = p;
                    above.lo[d] = cut->hi[d] + 1;
                    if (normalise(above)) pieces.push_back(above);
                    p.hi[d] = cut->hi[d];
                }
            }
            gone[i] = 1;  // what is left of it lies inside the cutter
            removed = true;
        }
        if (removed) {
            size_t w = 0;
            for (size_t i = 0; i < pieces.size(); ++i)
                if (i >= n || !gone[i]) {
                    if (w != i) pieces[w] = pieces[i];
                    ++w;
                }
            pieces.resize(w);
        }
        if (pieces.empty()) return {Cover::Covered, {}};
        if (pieces.size() > cap) return searchPoint(target, pieces, cutters);
    }
    if (pieces.empty()) return {Cover::Covered, {}};
    return {Cover::NotCovered, pieces.front()};
}

Box boxOf(const lang::Headers& h) {
    Box b;
    for (size_t i = 0; i < lang::kFieldCount; ++i) b.lo[i] = b.hi[i] = h.get(static_cast<Field>(i));
    b.lo[kInnerFam] = b.hi[kInnerFam] = smt::famCode(h.srcIp.family);
    b.lo[kOuterFam] = b.hi[kOuterFam] = smt::famCode(h.outerSrc.family);
    return b;
}

std::optional<Box> probe(const Region& target, size_t randomPerBox,
                         const std::function<bool(const Box&)>& accept) {
    const size_t vni = static_cast<size_t>(Field::Vni);
    // A point is tried only when it is inside its box and a packet of the universe there
    // (no VNI without a tunnel, outer addresses as the outer family allows).
    auto tryPoint = [&](const Box& b, const Box& p) {
        if (p.lo[kOuterFam] == 0 && p.lo[vni] != 0) return false;
        return b.contains(p) && accept(p);
    };
    for (const auto& b : target) {
        Box p = boxOf(pointOf(b));
        if (tryPoint(b, p)) return p;
        for (bool high : {false, true}) {
            p = pointBox(b, high);
            if (tryPoint(b, p)) return p;
        }
    }
    uint64_t state = 0x2545f4914f6cdd1dull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (size_t t = 0; t < randomPerBox; ++t)
        for (const auto& b : target) {
            Box p = b;
            for (size_t d = 0; d < kDims; ++d) {
                u128 span = b.hi[d] - b.lo[d];
                u128 r = (u128(next()) << 64) | next();
                u128 v = span == ~u128(0) ? r : b.lo[d] + r % (span + 1);
                p.lo[d] = p.hi[d] = v;
            }
            for (size_t d : {static_cast<size_t>(Field::OuterSrcIp),
                             static_cast<size_t>(Field::OuterDstIp)}) {
                if (p.lo[kOuterFam] == 0) p.lo[d] = p.hi[d] = 0;
                if (p.lo[kOuterFam] == 1) p.lo[d] = p.hi[d] = p.lo[d] & kV4Max;
            }
            if (p.lo[kOuterFam] == 0) p.lo[vni] = p.hi[vni] = 0;
            if (tryPoint(b, p)) return p;
        }
    return std::nullopt;
}

lang::Headers pointOf(const Box& b) {
    auto pick = [&](size_t d, u128 preferred) {
        return (b.lo[d] <= preferred && preferred <= b.hi[d]) ? preferred : b.lo[d];
    };
    lang::Headers h;
    Family in = smt::famFromCode(static_cast<unsigned>(b.lo[kInnerFam]));
    Family ou = smt::famFromCode(static_cast<unsigned>(b.lo[kOuterFam]));
    // A VNI only in a tunnel (a box free in the outer family may start at "not tunnelled").
    if (b.lo[static_cast<size_t>(Field::Vni)] > 0 && ou == Family::None)
        ou = smt::famFromCode(static_cast<unsigned>(std::max<u128>(b.lo[kOuterFam], 1)));
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        auto f = static_cast<Field>(i);
        u128 v = b.lo[i];
        switch (f) {
            case Field::EtherType: v = pick(i, in == Family::V6 ? 0x86DD : 0x0800); break;
            case Field::Proto:
                v = pick(i, lang::kProtoTcp) == lang::kProtoTcp ? u128(lang::kProtoTcp)
                                                                : pick(i, lang::kProtoUdp);
                break;
            case Field::Vni: v = pick(i, 0); break;
            default: break;
        }
        Family fam = Family::None;
        if (smt::isIpField(f)) fam = smt::isOuterIp(f) ? ou : in;
        h.set(f, v, fam);
    }
    return h;
}

}  // namespace sluice::verify::geo
