#include "pset.h"

#include <algorithm>

#include "smt.h"

namespace sluice::verify::pset {

using lang::Field;
using lang::Family;
using lang::u128;

namespace {

// BuDDy's node: refcount/level, low, high, hash, next (5 ints).
constexpr size_t kNodeBytes = 20;
constexpr int kInitialNodes = 1 << 18;
constexpr int kCacheEntries = 1 << 18;

bool gExhausted = false;
int gPeakNodes = 0;

void onError(int code) {
    // Node budget reached, or out of memory: operations from here on are garbage; the
    // caller sees exhausted() and abandons the check (BuDDy's default handler exits).
    (void)code;
    gExhausted = true;
}

void onResize(int, int newSize) { gPeakNodes = std::max(gPeakNodes, newSize); }

constexpr Field kOrder[] = {Field::Proto,     Field::SrcIp,      Field::DstIp,
                            Field::SrcPort,   Field::DstPort,    Field::TcpFlags,
                            Field::IcmpType,  Field::IcmpCode,   Field::EtherType,
                            Field::Vni,       Field::OuterSrcIp, Field::OuterDstIp,
                            Field::SrcMac,    Field::DstMac,     Field::Dscp};

}  // namespace

Space::Space() : fields_(lang::kFieldCount) {
    int v = 0;
    innerFam_ = {v, 2};
    v += 2;
    outerFam_ = {v, 2};
    v += 2;
    for (Field f : kOrder) {
        unsigned w = lang::fieldInfo(f).width;
        fields_[static_cast<size_t>(f)] = {v, w};
        v += static_cast<int>(w);
    }
    vars_ = v;
    varDim_.resize(static_cast<size_t>(v));
    varShift_.resize(static_cast<size_t>(v));
    auto mark = [&](const Var& var, size_t dim) {
        for (unsigned i = 0; i < var.width; ++i) {
            varDim_[static_cast<size_t>(var.first) + i] = static_cast<unsigned char>(dim);
            varShift_[static_cast<size_t>(var.first) + i] = static_cast<unsigned char>(var.width - 1 - i);
        }
    };
    mark(innerFam_, lang::kFieldCount);
    mark(outerFam_, lang::kFieldCount + 1);
    for (size_t f = 0; f < lang::kFieldCount; ++f) mark(fields_[f], f);
    bdd_init(kInitialNodes, kCacheEntries);
    bdd_error_hook(onError);
    bdd_gbc_hook(nullptr);  // BuDDy prints every garbage collection otherwise
    bdd_resize_hook(onResize);
    bdd_setmaxincrease(1 << 22);
    bdd_setcacheratio(4);  // the operation caches grow with the node table
    bdd_setvarnum(vars_);
    gPeakNodes = bdd_getallocnum();
}

Space& Space::get() {
    static Space space;
    return space;
}

Space& Space::open(size_t maxBytes) {
    Space& s = get();
    if (maxBytes == 0) maxBytes = size_t(1) << 30;
    s.budgetBytes_ = maxBytes;
    size_t nodes = std::min<size_t>(maxBytes / kNodeBytes, 0x7fffffff);
    // BuDDy refuses a maximum below the table it already has (the table never shrinks).
    int have = bdd_getallocnum();
    if (nodes > static_cast<size_t>(have)) bdd_setmaxnodenum(static_cast<int>(nodes));
    else bdd_setmaxnodenum(have + 1);
    bdd_clear_error();
    gExhausted = false;
    gPeakNodes = have;
    return s;
}

bool Space::exhausted() const { return gExhausted; }

size_t Space::peakBytes() const {
    return static_cast<size_t>(std::max(gPeakNodes, bdd_getallocnum())) * kNodeBytes;
}

Set Space::range(Var v, u128 lo, u128 hi) const {
    if (lo > hi) return bddfalse;
    u128 max = v.width >= 128 ? ~u128(0) : (u128(1) << v.width) - 1;
    Set ge = bddtrue, le = bddtrue;
    // From the least significant bit up (variables are most significant first).
    for (unsigned i = 0; i < v.width; ++i) {
        int var = v.first + static_cast<int>(v.width - 1 - i);
        bool l = (lo >> i) & 1, h = (hi >> i) & 1;
        if (lo != 0) ge = l ? (bdd_ithvar(var) & ge) : (bdd_ithvar(var) | ge);
        if (hi != max) le = h ? (bdd_nithvar(var) | le) : (bdd_nithvar(var) & le);
    }
    return ge & le;
}

Set Space::equals(Var v, u128 value) const {
    Set r = bddtrue;
    for (unsigned i = 0; i < v.width; ++i) {
        int var = v.first + static_cast<int>(v.width - 1 - i);
        r &= ((value >> i) & 1) ? bdd_ithvar(var) : bdd_nithvar(var);
    }
    return r;
}

Set Space::field(Field f, u128 lo, u128 hi) { return range(varOf(f), lo, hi); }

Set Space::family(bool outer, Family fam) {
    return equals(outer ? outerFam_ : innerFam_, smt::famCode(fam));
}

const Set& Space::universe() {
    if (haveUniverse_) return universe_;
    auto is = [&](Field f, u128 v) { return equals(varOf(f), v); };
    const u128 v4max = 0xffffffffu;
    Set v4 = family(false, Family::V4), v6 = family(false, Family::V6);
    Set inner = (v4 & field(Field::SrcIp, 0, v4max) & field(Field::DstIp, 0, v4max) &
                 is(Field::EtherType, 0x0800)) |
                (v6 & is(Field::EtherType, 0x86DD));
    Set onone = family(true, Family::None), ov4 = family(true, Family::V4),
        ov6 = family(true, Family::V6);
    Set outer = (onone & is(Field::OuterSrcIp, 0) & is(Field::OuterDstIp, 0) & is(Field::Vni, 0)) |
                (ov4 & field(Field::OuterSrcIp, 0, v4max) & field(Field::OuterDstIp, 0, v4max)) |
                ov6;
    Set tcp = is(Field::Proto, lang::kProtoTcp), udp = is(Field::Proto, lang::kProtoUdp);
    Set icmp = is(Field::Proto, lang::kProtoIcmp) | is(Field::Proto, lang::kProtoIcmpV6);
    Set noPorts = is(Field::SrcPort, 0) & is(Field::DstPort, 0);
    Set noIcmp = is(Field::IcmpType, 0) & is(Field::IcmpCode, 0);
    Set carried = ((tcp | udp) | noPorts) & (tcp | is(Field::TcpFlags, 0)) & (icmp | noIcmp);
    universe_ = inner & outer & carried;
    haveUniverse_ = true;
    return universe_;
}

Set Space::condition(const lang::Condition& c) {
    Set out = bddfalse;
    for (const auto& v : c.values) {
        Set s = range(varOf(c.field), v.lo, v.hi);
        if (smt::isIpField(c.field)) s &= family(smt::isOuterIp(c.field), v.family);
        out |= s;
    }
    return out;
}

Set Space::conditions(const std::vector<const std::vector<lang::Condition>*>& lists) {
    return match(lists) & universe();
}

Set Space::match(const std::vector<const std::vector<lang::Condition>*>& lists) {
    Set out = bddtrue;
    for (const auto* list : lists)
        for (const auto& c : *list) {
            out &= condition(c);
            if (out == bddfalse) return out;
        }
    return out;
}

namespace {

// Value of each dimension (fields, then inner and outer family codes) of a packet.
std::vector<u128> dims(const lang::Headers& h) {
    std::vector<u128> d(lang::kFieldCount + 2);
    for (size_t i = 0; i < lang::kFieldCount; ++i) d[i] = h.get(static_cast<Field>(i));
    d[lang::kFieldCount] = smt::famCode(h.srcIp.family);
    d[lang::kFieldCount + 1] = smt::famCode(h.outerSrc.family);
    return d;
}

}  // namespace

bool Space::contains(const Set& s, const lang::Headers& h) const {
    auto d = dims(h);
    auto bitOf = [&](int var) {
        auto i = static_cast<size_t>(var);
        return ((d[varDim_[i]] >> varShift_[i]) & 1) != 0;
    };
    int node = s.id();
    while (node != 0 && node != 1) node = bitOf(bdd_var(node)) ? bdd_high(node) : bdd_low(node);
    return node == 1;
}

lang::Headers Space::pick(const Set& s) const {
    std::vector<u128> pref(lang::kFieldCount + 2, 0);
    pref[static_cast<size_t>(Field::Proto)] = lang::kProtoTcp;
    pref[static_cast<size_t>(Field::EtherType)] = 0x0800;
    pref[lang::kFieldCount] = 1;  // IPv4
    std::vector<u128> val(lang::kFieldCount + 2, 0);
    // Variables in order: (dimension, width, first variable).
    std::vector<std::pair<size_t, Var>> layout;
    layout.emplace_back(lang::kFieldCount, innerFam_);
    layout.emplace_back(lang::kFieldCount + 1, outerFam_);
    for (Field f : kOrder) layout.emplace_back(static_cast<size_t>(f), varOf(f));
    int node = s.id();
    for (const auto& [dim, v] : layout) {
        for (unsigned i = 0; i < v.width; ++i) {
            int var = v.first + static_cast<int>(i);
            unsigned shift = v.width - 1 - i;
            bool want = (pref[dim] >> shift) & 1;
            bool bit = want;
            if (node > 1 && bdd_var(node) == var) {
                int next = want ? bdd_high(node) : bdd_low(node);
                if (next == 0) {
                    bit = !want;
                    next = want ? bdd_low(node) : bdd_high(node);
                }
                node = next;
            }
            if (bit) val[dim] |= u128(1) << shift;
        }
    }
    lang::Headers h;
    Family in = smt::famFromCode(static_cast<unsigned>(val[lang::kFieldCount]));
    Family ou = smt::famFromCode(static_cast<unsigned>(val[lang::kFieldCount + 1]));
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        auto f = static_cast<Field>(i);
        Family fam = Family::None;
        if (smt::isIpField(f)) fam = smt::isOuterIp(f) ? ou : in;
        h.set(f, val[i], fam);
    }
    return h;
}

double Space::log2Count(const Set& s) const {
    if (s == bddfalse) return 0;
    return bdd_satcountln(s);
}

}  // namespace sluice::verify::pset
