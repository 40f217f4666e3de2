// The Z3 fallback for regions the box arithmetic cannot decide (IPv6 / wide dimensions, rules
// whose OR-conditions expand to too many boxes, split budget exhausted): one query
//     region(p) ∧ source(p) ≠ lowered(p)      -- must be unsat
// per region, the source from the model's conditions with the interpreter's meaning, the
// lowered side from the IR rows as the generated code checks them (narrow dims on the key,
// wide dims exactly on 128 bits with the family).
#include <map>
#include <z3++.h>

#include "ir/keys.h"
#include "tv_internal.h"

namespace sluice::tv {

namespace {

unsigned storageWidth(Field f) {
    switch (f) {
        case Field::SrcMac: case Field::DstMac: return 64;
        case Field::Vni: return 32;
        case Field::EtherType: case Field::SrcPort: case Field::DstPort: return 16;
        case Field::OuterSrcIp: case Field::OuterDstIp: case Field::SrcIp: case Field::DstIp:
            return 128;
        default: return 8;
    }
}

}  // namespace

struct Smt::Impl {
    z3::context ctx;
    z3::params params{ctx};
    z3::solver solver{ctx};
    std::map<Field, z3::expr> vals, fams;
    std::set<Field> v6;
    std::map<const SourceAlt*, z3::expr> altCache;
    // Well-formedness of the packet variables. Variables are made inside a query's push()
    // scope, so their constraints are re-asserted in every query (a pop drops them).
    std::vector<z3::expr> wellFormed;

    Impl() {
        params.set("timeout", 20000u);
        solver.set(params);
    }

    // An IP field with no IPv6 value on either side is a 32-bit value zero-extended: the high
    // bits cannot change any answer (IPv4 values are < 2^32; IPv6/none packets fail every IPv4
    // condition and key interval whatever their value).
    z3::expr val(Field f) {
        auto it = vals.find(f);
        if (it != vals.end()) return it->second;
        std::string name = "v_" + std::string(lang::fieldInfo(f).name);
        bool narrowIp = lang::fieldInfo(f).isIp && !v6.count(f);
        z3::expr v = narrowIp ? z3::zext(ctx.bv_const(name.c_str(), 32), 96)
                              : ctx.bv_const(name.c_str(), storageWidth(f));
        vals.emplace(f, v);
        if (lang::fieldInfo(f).isIp && !narrowIp) {
            // Well-formed packets: an IPv4 address fits in 32 bits.
            z3::expr wf = z3::implies(fam(f) == ctx.bv_val(4, 8),
                                      z3::ult(v, ctx.bv_val(1, 128) * ctx.bv_val(uint64_t{1} << 32, 128)));
            wellFormed.push_back(wf);
            solver.add(wf);
        }
        return v;
    }
    z3::expr fam(Field f) {
        auto it = fams.find(f);
        if (it != fams.end()) return it->second;
        z3::expr v = ctx.bv_const(("fam_" + std::string(lang::fieldInfo(f).name)).c_str(), 8);
        fams.emplace(f, v);
        return v;
    }
    z3::expr big(u128 v, unsigned w) {
        if (w <= 64) return ctx.bv_val(static_cast<uint64_t>(v), w);
        return z3::concat(ctx.bv_val(static_cast<uint64_t>(v >> 64), 64), ctx.bv_val(static_cast<uint64_t>(v), 64));
    }
    z3::expr key(Field f) {
        z3::expr v = val(f);
        if (!lang::fieldInfo(f).isIp) return storageWidth(f) == 64 ? v : z3::zext(v, 64 - storageWidth(f));
        z3::expr fm = fam(f);
        z3::expr k4 = ctx.bv_val(ir::kTagV4, 64) | z3::zext(v.extract(31, 0), 32);
        z3::expr k6 = ctx.bv_val(ir::kTagV6, 64) | z3::zext(v.extract(127, 66), 2);
        return z3::ite(fm == ctx.bv_val(4, 8), k4, z3::ite(fm == ctx.bv_val(6, 8), k6, ctx.bv_val(0, 64)));
    }
    // lang::MatchValue::contains.
    z3::expr holds(Field f, u128 lo, u128 hi, Family family) {
        unsigned w = storageWidth(f);
        z3::expr v = val(f);
        z3::expr c = z3::uge(v, big(lo, w)) && z3::ule(v, big(hi, w));
        if (w < 128 && (lo >> w)) c = ctx.bool_val(false);
        if (lang::fieldInfo(f).isIp) c = c && fam(f) == ctx.bv_val(static_cast<unsigned>(family), 8);
        else if (family != Family::None) c = ctx.bool_val(false);
        return c;
    }
    z3::expr altCond(const SourceAlt& a) {
        auto it = altCache.find(&a);
        if (it != altCache.end()) return it->second;
        z3::expr all = ctx.bool_val(true);
        if (a.route) {
            const lang::RouteEntry& e = *a.route;
            all = fam(Field::DstIp) == ctx.bv_val(static_cast<unsigned>(e.prefix.family), 8);
            int width = static_cast<int>(e.prefix.width()), len = std::max(e.prefixLen, 0);
            if (len > 0) {
                z3::expr v = val(Field::DstIp);
                z3::expr p = big(e.prefix.value, 128);
                unsigned hiBit = static_cast<unsigned>(width - 1), loBit = static_cast<unsigned>(width - len);
                all = all && v.extract(hiBit, loBit) == p.extract(hiBit, loBit);
            }
        } else {
            for (const lang::Condition& c : *a.conds) {
                if (a.lpmField && c.field == *a.lpmField) continue;
                z3::expr any = ctx.bool_val(false);
                for (const lang::MatchValue& v : c.values) any = any || holds(c.field, v.lo, v.hi, v.family);
                all = all && any;
            }
            if (a.lpmValue) all = all && holds(*a.lpmField, a.lpmValue->lo, a.lpmValue->hi, a.lpmValue->family);
        }
        altCache.emplace(&a, all);
        return all;
    }
    z3::expr rowHolds(const ir::Table& t, const ir::Row& r) {
        z3::expr c = ctx.bool_val(true);
        for (size_t d = 0; d < t.dims.size(); ++d) {
            const ir::DimMatch& m = r.dims[d];
            if (m.any) continue;
            if (t.wide[d]) {
                c = c && holds(t.dims[d], m.lo, m.hi, m.family);
            } else {
                auto [lo, hi] = ir::projectDim(t.dims[d], m);
                z3::expr k = key(t.dims[d]);
                c = c && z3::uge(k, ctx.bv_val(lo, 64)) && z3::ule(k, ctx.bv_val(hi, 64));
            }
        }
        return c;
    }
    std::string describe(const z3::expr& e) {
        int64_t v = static_cast<int32_t>(e.get_numeral_uint64());
        return v < 0 ? std::string("no rule") : "rule #" + std::to_string(v);
    }
    std::string witness(z3::model& model) {
        lang::Headers h;
        h.etherType = 0x0800;
        for (auto& [f, v] : vals) {
            std::string s = model.eval(v, true).get_decimal_string(0);
            u128 x = 0;
            for (char c : s) x = x * 10 + static_cast<unsigned>(c - '0');
            Family fm = Family::None;
            if (lang::fieldInfo(f).isIp) fm = static_cast<Family>(model.eval(fam(f), true).get_numeral_uint());
            h.set(f, x, fm);
            if (lang::fieldInfo(f).isIp && fm != Family::V4 && fm != Family::V6) h.set(f, 0, Family::None);
        }
        return lang::formatPacketText(h);
    }
};

Smt::Smt() : impl_(std::make_unique<Impl>()) {}
Smt::~Smt() = default;

void Smt::beginTable(const TableSource& s) {
    Impl& z = *impl_;
    z.solver.reset();
    z.vals.clear();
    z.fams.clear();
    z.altCache.clear();
    z.wellFormed.clear();
    z.v6 = s.v6;
}

SmtDecision Smt::check(const TableSource& s, const std::vector<const SourceAlt*>& src,
                       const Box& region, const std::vector<uint32_t>& rows) {
    Impl& z = *impl_;
    const ir::Table& t = *s.table;
    SmtDecision out;
    try {
        z.solver.push();
        for (const z3::expr& wf : z.wellFormed) z.solver.add(wf);
        for (size_t d = 0; d < region.size(); ++d) {
            if (region[d].first == 0 && region[d].second == ~uint64_t{0}) continue;
            z3::expr k = z.key(t.dims[d]);
            z.solver.add(z3::uge(k, z.ctx.bv_val(region[d].first, 64)) && z3::ule(k, z.ctx.bv_val(region[d].second, 64)));
        }
        z3::expr srcRes = z.ctx.bv_val(-1, 32);
        for (size_t i = src.size(); i-- > 0;)
            srcRes = z3::ite(z.altCond(*src[i]), z.ctx.bv_val(src[i]->result, 32), srcRes);
        z3::expr low = z.ctx.bv_val(-1, 32);
        for (size_t i = rows.size(); i-- > 0;) {
            const ir::Row& r = t.rows[rows[i]];
            low = z3::ite(z.rowHolds(t, r), z.ctx.bv_val(static_cast<int>(r.rule), 32), low);
        }
        z.solver.add(srcRes != low);
        z3::check_result r = z.solver.check();
        if (r == z3::sat) {
            z3::model model = z.solver.get_model();
            out.outcome = Outcome::Differ;
            out.packet = z.witness(model);
            out.detail = "source picks " + z.describe(model.eval(srcRes, true)) + ", lowered picks " +
                         z.describe(model.eval(low, true));
        } else if (r == z3::unknown) {
            out.detail = "solver gave up: " + z.solver.reason_unknown();
        } else {
            out.outcome = Outcome::Equal;
        }
        z.solver.pop();
    } catch (const z3::exception& e) {
        out.outcome = Outcome::Unknown;
        out.detail = std::string("Z3: ") + e.msg();
        beginTable(s);  // drop whatever the failed query left on the solver
    }
    return out;
}

}  // namespace sluice::tv
