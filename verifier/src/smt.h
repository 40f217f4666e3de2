// The narrow Z3 boundary: packet headers as bit-vectors (every width from lang::fieldInfo),
// address families as 2-bit codes, and conversions between models and lang::Headers.
// Private to verifier/src; nothing here reaches a public header.
#pragma once

#include <z3++.h>

#include <string>
#include <vector>

#include "sluice/lang/model.h"
#include "sluice/verify/concrete.h"

namespace sluice::verify::smt {

using lang::Family;
using lang::Field;
using lang::u128;
using verify::EncodingFault;

// Family codes in the 2-bit family variables.
inline unsigned famCode(Family f) { return f == Family::V4 ? 1 : f == Family::V6 ? 2 : 0; }
inline Family famFromCode(unsigned c) {
    return c == 1 ? Family::V4 : c == 2 ? Family::V6 : Family::None;
}
inline bool isOuterIp(Field f) { return f == Field::OuterSrcIp || f == Field::OuterDstIp; }
inline bool isIpField(Field f) {
    return f == Field::SrcIp || f == Field::DstIp || isOuterIp(f);
}
// Index of an IP field's family variable (0 src, 1 dst, 2 outer src, 3 outer dst).
inline int famIndex(Field f) {
    switch (f) {
        case Field::SrcIp: return 0;
        case Field::DstIp: return 1;
        case Field::OuterSrcIp: return 2;
        default: return 3;
    }
}

std::string u128ToDecimal(u128 v);
u128 decimalToU128(const std::string& s);
u128 fieldMax(Field f);

// Symbolic headers: one bit-vector per field and one family code per IP field.
struct SymHeaders {
    std::vector<z3::expr> field;  // indexed by Field
    std::vector<z3::expr> fam;    // famIndex -> BV2

    const z3::expr& get(Field f) const { return field[static_cast<size_t>(f)]; }
    z3::expr& get(Field f) { return field[static_cast<size_t>(f)]; }
    const z3::expr& family(Field f) const { return fam[famIndex(f)]; }
    z3::expr& family(Field f) { return fam[famIndex(f)]; }
};

class Context {
public:
    Context();
    z3::context& z3() { return ctx_; }

    // Fresh variables named with `prefix`.
    SymHeaders freshHeaders(const std::string& prefix);
    // The packets that exist (well-formed, exactly what the packet text can express): IPv4
    // or IPv6 (src and dst of one family, IPv4 in the low 32 bits, ethertype by family);
    // tunnelled (outer addresses of one family) or not (outer family None, addresses and VNI
    // zero); ports only for TCP/UDP, flags only for TCP, ICMP type/code only for ICMP/ICMPv6
    // (0 otherwise, as the parser sets them).
    z3::expr universe(const SymHeaders& h);
    // Constant headers.
    SymHeaders constant(const lang::Headers& h);
    z3::expr equals(const SymHeaders& a, const SymHeaders& b);
    // Literals preferring plain witnesses (MACs 0, DSCP 0, not tunnelled, ...). Used as
    // assumptions, dropped when they make a query unsat.
    std::vector<z3::expr> canonicalHints(const SymHeaders& h);

    z3::expr bv(u128 v, unsigned width);
    z3::expr fieldVal(Field f, u128 v) { return bv(v, lang::fieldInfo(f).width); }
    z3::expr famVal(Family f) { return ctx_.bv_val(famCode(f), 2); }

    // One match value: family (IP fields) and lo <= x <= hi.
    z3::expr matchValue(const SymHeaders& h, Field f, const lang::MatchValue& v);
    z3::expr condition(const SymHeaders& h, const lang::Condition& c);
    z3::expr conditions(const SymHeaders& h, const std::vector<lang::Condition>& cs);

    lang::Headers modelHeaders(const z3::model& m, const SymHeaders& h);
    u128 modelValue(const z3::model& m, const z3::expr& e);
    bool modelBool(const z3::model& m, const z3::expr& e);

    size_t checks = 0;  // solver calls made through check()
    EncodingFault fault = EncodingFault::None;  // test-only broken encodings
    // solver.check with assumptions, counting.
    z3::check_result check(z3::solver& s, const std::vector<z3::expr>& assumptions = {});
    // Check, preferring canonical witnesses: tries hints first.
    z3::check_result checkCanonical(z3::solver& s, const SymHeaders& h,
                                    std::vector<z3::expr> assumptions = {});

private:
    // One Z3 context per thread, reused and never deleted: Z3 4.8's Z3_del_context takes
    // minutes after a 10K-rule run, while expressions are reference-counted and freed as
    // they go out of use anyway.
    z3::context& ctx_;
};

}  // namespace sluice::verify::smt
