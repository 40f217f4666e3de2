#include "smt.h"

#include <algorithm>

namespace sluice::verify::smt {

std::string u128ToDecimal(u128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v != 0) {
        s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    std::reverse(s.begin(), s.end());
    return s;
}

u128 decimalToU128(const std::string& s) {
    u128 v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') break;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

u128 fieldMax(Field f) {
    unsigned w = lang::fieldInfo(f).width;
    return w >= 128 ? ~u128(0) : ((u128(1) << w) - 1);
}

namespace {
z3::context& threadContext() {
    thread_local z3::context* ctx = new z3::context();
    return *ctx;
}
}  // namespace

Context::Context() : ctx_(threadContext()) {}

z3::expr Context::bv(u128 v, unsigned width) {
    if (v <= u128(UINT64_MAX)) return ctx_.bv_val(static_cast<uint64_t>(v), width);
    return ctx_.bv_val(u128ToDecimal(v).c_str(), width);
}

SymHeaders Context::freshHeaders(const std::string& prefix) {
    SymHeaders h;
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        const auto& info = lang::fieldInfo(static_cast<Field>(i));
        h.field.push_back(ctx_.bv_const((prefix + std::string(info.name)).c_str(), info.width));
    }
    const char* names[4] = {"fam_src", "fam_dst", "fam_osrc", "fam_odst"};
    for (auto* n : names) h.fam.push_back(ctx_.bv_const((prefix + n).c_str(), 2));
    return h;
}

z3::expr Context::universe(const SymHeaders& h) {
    auto v4 = famVal(Family::V4), v6 = famVal(Family::V6), none = famVal(Family::None);
    auto high0 = [&](const z3::expr& ip) { return ip.extract(127, 32) == ctx_.bv_val(0, 96); };
    z3::expr inner = h.fam[0] == h.fam[1] && (h.fam[0] == v4 || h.fam[0] == v6) &&
                     z3::implies(h.fam[0] == v4, high0(h.get(Field::SrcIp)) &&
                                                     high0(h.get(Field::DstIp)));
    z3::expr zero128 = bv(0, 128);
    z3::expr outer =
        h.fam[2] == h.fam[3] && h.fam[2] != ctx_.bv_val(3, 2) &&
        z3::implies(h.fam[2] == none, h.get(Field::OuterSrcIp) == zero128 &&
                                          h.get(Field::OuterDstIp) == zero128) &&
        z3::implies(h.fam[2] == v4, high0(h.get(Field::OuterSrcIp)) &&
                                        high0(h.get(Field::OuterDstIp)));
    // Well-formed: what the packet parser (lang::parsePacketText) can produce. A field the
    // protocol does not carry is 0; the ethertype follows the family; VNI only in a tunnel.
    auto is = [&](Field f, u128 v) { return h.get(f) == fieldVal(f, v); };
    z3::expr proto = h.get(Field::Proto);
    auto protoIs = [&](uint8_t p) { return proto == fieldVal(Field::Proto, p); };
    z3::expr ports = protoIs(lang::kProtoTcp) || protoIs(lang::kProtoUdp);
    z3::expr icmp = protoIs(lang::kProtoIcmp) || protoIs(lang::kProtoIcmpV6);
    z3::expr carried =
        z3::implies(!ports, is(Field::SrcPort, 0) && is(Field::DstPort, 0)) &&
        z3::implies(!protoIs(lang::kProtoTcp), is(Field::TcpFlags, 0)) &&
        z3::implies(!icmp, is(Field::IcmpType, 0) && is(Field::IcmpCode, 0)) &&
        z3::ite(h.fam[0] == v4, is(Field::EtherType, 0x0800), is(Field::EtherType, 0x86DD)) &&
        z3::implies(h.fam[2] == none, is(Field::Vni, 0));
    if (fault == EncodingFault::IllFormedPackets) return inner && outer;
    return inner && outer && carried;
}

SymHeaders Context::constant(const lang::Headers& hd) {
    SymHeaders h;
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        auto f = static_cast<Field>(i);
        h.field.push_back(fieldVal(f, hd.get(f)));
    }
    h.fam.push_back(famVal(hd.srcIp.family));
    h.fam.push_back(famVal(hd.dstIp.family));
    h.fam.push_back(famVal(hd.outerSrc.family));
    h.fam.push_back(famVal(hd.outerDst.family));
    return h;
}

z3::expr Context::equals(const SymHeaders& a, const SymHeaders& b) {
    z3::expr e = ctx_.bool_val(true);
    for (size_t i = 0; i < a.field.size(); ++i) e = e && a.field[i] == b.field[i];
    for (size_t i = 0; i < a.fam.size(); ++i) e = e && a.fam[i] == b.fam[i];
    return e;
}

std::vector<z3::expr> Context::canonicalHints(const SymHeaders& h) {
    std::vector<z3::expr> hints;
    hints.push_back(h.get(Field::SrcMac) == fieldVal(Field::SrcMac, 0));
    hints.push_back(h.get(Field::DstMac) == fieldVal(Field::DstMac, 0));
    hints.push_back(h.get(Field::Dscp) == fieldVal(Field::Dscp, 0));
    hints.push_back(h.fam[2] == famVal(Family::None));
    hints.push_back(h.get(Field::Vni) == fieldVal(Field::Vni, 0));
    return hints;
}

z3::expr Context::matchValue(const SymHeaders& h, Field f, const lang::MatchValue& v) {
    const z3::expr& x = h.get(f);
    z3::expr e = ctx_.bool_val(true);
    if (isIpField(f)) e = h.family(f) == famVal(v.family);
    if (v.lo == v.hi) return e && x == fieldVal(f, v.lo);
    if (v.lo != 0) e = e && z3::uge(x, fieldVal(f, v.lo));
    if (v.hi != fieldMax(f)) e = e && z3::ule(x, fieldVal(f, v.hi));
    return e;
}

z3::expr Context::condition(const SymHeaders& h, const lang::Condition& c) {
    z3::expr_vector alts(ctx_);
    for (const auto& v : c.values) alts.push_back(matchValue(h, c.field, v));
    if (alts.empty()) return ctx_.bool_val(false);
    return alts.size() == 1 ? alts[0] : z3::mk_or(alts);
}

z3::expr Context::conditions(const SymHeaders& h, const std::vector<lang::Condition>& cs) {
    z3::expr_vector all(ctx_);
    for (const auto& c : cs) all.push_back(condition(h, c));
    if (all.empty()) return ctx_.bool_val(true);
    return all.size() == 1 ? all[0] : z3::mk_and(all);
}

u128 Context::modelValue(const z3::model& m, const z3::expr& e) {
    z3::expr v = m.eval(e, true);
    return decimalToU128(v.get_decimal_string(0));
}

bool Context::modelBool(const z3::model& m, const z3::expr& e) {
    return m.eval(e, true).is_true();
}

lang::Headers Context::modelHeaders(const z3::model& m, const SymHeaders& h) {
    lang::Headers out;
    auto famOf = [&](int i) { return famFromCode(static_cast<unsigned>(modelValue(m, h.fam[i]))); };
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        auto f = static_cast<Field>(i);
        u128 v = modelValue(m, h.field[i]);
        out.set(f, v, isIpField(f) ? famOf(famIndex(f)) : Family::None);
    }
    return out;
}

z3::check_result Context::check(z3::solver& s, const std::vector<z3::expr>& assumptions) {
    ++checks;
    if (assumptions.empty()) return s.check();
    z3::expr_vector a(ctx_);
    for (const auto& e : assumptions) a.push_back(e);
    return s.check(a);
}

z3::check_result Context::checkCanonical(z3::solver& s, const SymHeaders& h,
                                         std::vector<z3::expr> assumptions) {
    size_t base = assumptions.size();
    for (auto& hint : canonicalHints(h)) assumptions.push_back(hint);
    auto r = check(s, assumptions);
    if (r != z3::unsat) return r;
    assumptions.erase(assumptions.begin() + static_cast<long>(base), assumptions.end());
    return check(s, assumptions);
}

}  // namespace sluice::verify::smt
