// Translation validation with Z3. For each table the source side is built from the policy
// model (lang::Rule conditions, lang::RouteEntry prefixes) with the interpreter's meaning; the
// lowered side from the IR (rows and classifier). The space is split along the classifier's own
// regions (tree leaves, interval segments); each region is one small Z3 query
//     region(p) && source(p) != lowered(p)   -- must be unsat
// with the source rules pruned to those whose key boxes meet the region (sound: the key
// projection is monotone, keys.h). Hash tables are checked concretely (every row key probes to
// its first row) plus one Z3 query for the rows themselves.
#include "sluice/compiler/validate.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <z3++.h>

#include "ir/keys.h"
#include "lower/lower.h"

namespace sluice::compiler {

namespace {


using lang::Family;
using lang::Field;
using lang::u128;
using Box2 = std::vector<std::pair<uint64_t, uint64_t>>;

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

struct Alt {
    z3::expr cond;
    int result;
    Box2 box;            // per table dim, projected hull
    bool exact = false;  // cond <=> packet keys inside box (narrow dims, one value each)
};

class Validator {
public:
    Validator() : params_(ctx_), solver_(ctx_) {
        params_.set("timeout", 20000u);
        solver_.set(params_);
    }

    TvReport report;

    void validateModule(const lang::Policy& policy, const ir::Module& m) {
        for (const ir::LayerIR& L : m.layers) {
            const lang::Layer& layer = policy.layers[L.layer];
            for (const ir::GroupIR& G : L.groups) {
                const lang::Group& g = layer.groupsFor(L.dir)[G.groupIndex];
                std::set<Field> v6;
                for (const lang::Rule& r : g.rules)
                    for (const lang::Condition& c : r.conditions)
                        for (const lang::MatchValue& v : c.values)
                            if (v.family == Family::V6) v6.insert(c.field);
                beginTable(G.table, v6);
                std::vector<Alt> src = sourceGroup(g, G.table);
                validateTable(G.table, src);
            }
        }
        for (size_t r = 0; r < m.routes.size(); ++r) {
            std::set<Field> v6;
            for (const lang::RouteEntry& e : policy.routeTables[r].routes)
                if (e.prefix.family == Family::V6) v6.insert(Field::DstIp);
            beginTable(m.routes[r].table, v6);
            validateTable(m.routes[r].table, sourceRoutes(policy.routeTables[r], m.routes[r].table));
        }
    }

private:
    // Fresh packet variables per table. An IP field that holds no IPv6 value on either side
    // (source rules, lowered rows) is encoded as a 32-bit value zero-extended: with no IPv6
    // interval anywhere, the high 96 bits cannot change any answer (IPv4 values are < 2^32 by
    // well-formedness; IPv6/none packets fail every IPv4 condition and every IPv4 key interval
    // whatever their value), and the solver gets 4x smaller comparisons.
    void beginTable(const ir::Table& t, std::set<Field> v6) {
        for (size_t d = 0; d < t.dims.size(); ++d) {
            if (t.wide[d]) v6.insert(t.dims[d]);
        }
        solver_.reset();
        vals_.clear();
        fams_.clear();
        v6Fields_ = std::move(v6);
    }

    // ---- packet variables
    z3::expr val(Field f) {
        auto it = vals_.find(f);
        if (it != vals_.end()) return it->second;
        std::string name = "v_" + std::string(lang::fieldInfo(f).name);
        bool narrowIp = lang::fieldInfo(f).isIp && !v6Fields_.count(f);
        z3::expr v = narrowIp ? z3::zext(ctx_.bv_const(name.c_str(), 32), 96)
                              : ctx_.bv_const(name.c_str(), storageWidth(f));
        vals_.emplace(f, v);
        if (lang::fieldInfo(f).isIp) {
            z3::expr fam = famVar(f);
            // Well-formed packets: an IPv4 address fits in 32 bits.
            if (!narrowIp) solver_.add(z3::implies(fam == ctx_.bv_val(4, 8), z3::ult(v, ctx_.bv_val(1, 128) * ctx_.bv_val(uint64_t{1} << 32, 128))));
        }
        return v;
    }
    z3::expr famVar(Field f) {
        auto it = fams_.find(f);
        if (it != fams_.end()) return it->second;
        z3::expr v = ctx_.bv_const(("fam_" + std::string(lang::fieldInfo(f).name)).c_str(), 8);
        fams_.emplace(f, v);
        return v;
    }
    z3::expr big(u128 v, unsigned w) {
        if (w <= 64) return ctx_.bv_val(static_cast<uint64_t>(v), w);
        return z3::concat(ctx_.bv_val(static_cast<uint64_t>(v >> 64), 64), ctx_.bv_val(static_cast<uint64_t>(v), 64));
    }
    z3::expr key(Field f) {
        z3::expr v = val(f);
        if (!lang::fieldInfo(f).isIp) return storageWidth(f) == 64 ? v : z3::zext(v, 64 - storageWidth(f));
        z3::expr fam = famVar(f);
        z3::expr k4 = ctx_.bv_val(ir::kTagV4, 64) | z3::zext(v.extract(31, 0), 32);
        z3::expr k6 = ctx_.bv_val(ir::kTagV6, 64) | z3::zext(v.extract(127, 66), 2);
        return z3::ite(fam == ctx_.bv_val(4, 8), k4, z3::ite(fam == ctx_.bv_val(6, 8), k6, ctx_.bv_val(0, 64)));
    }
    // Source meaning of one match value (lang::MatchValue::contains).
    z3::expr valueHolds(Field f, u128 lo, u128 hi, Family fam) {
        unsigned w = storageWidth(f);
        z3::expr v = val(f);
        z3::expr c = z3::uge(v, big(lo, w)) && z3::ule(v, big(hi, w));
        if (lo >> w && w < 128) c = ctx_.bool_val(false);
        if (lang::fieldInfo(f).isIp) c = c && famVar(f) == ctx_.bv_val(static_cast<unsigned>(fam), 8);
        else if (fam != Family::None) c = ctx_.bool_val(false);
        return c;
    }

    // ---- source sides
    Box2 fullBox(const ir::Table& t) { return Box2(t.dims.size(), {0, ~uint64_t{0}}); }
    void narrow(const ir::Table& t, Box2& box, Field f, const std::vector<lang::MatchValue>& vs) {
        auto d = std::find(t.dims.begin(), t.dims.end(), f);
        if (d == t.dims.end()) return;
        uint64_t lo = ~uint64_t{0}, hi = 0;
        for (const lang::MatchValue& v : vs) {
            ir::DimMatch m{false, v.lo, v.hi, v.family};
            auto [a, b] = ir::projectDim(f, m);
            lo = std::min(lo, a);
            hi = std::max(hi, b);
        }
        auto& slot = box[static_cast<size_t>(d - t.dims.begin())];
        slot = {std::max(slot.first, lo), std::min(slot.second, hi)};
    }

    std::vector<Alt> sourceGroup(const lang::Group& g, const ir::Table& t) {
        struct Item { int len; uint32_t rule; z3::expr cond; Box2 box; bool exact; };
        std::vector<Item> items;
        auto narrowIn = [&](const lang::Condition& c) {
            return c.values.size() == 1 && c.values[0].family != Family::V6 &&
                   std::find(t.dims.begin(), t.dims.end(), c.field) != t.dims.end();
        };
        for (uint32_t i = 0; i < g.rules.size(); ++i) {
            const lang::Rule& r = g.rules[i];
            bool exact = std::all_of(r.conditions.begin(), r.conditions.end(), narrowIn);
            z3::expr all = ctx_.bool_val(true);
            Box2 box = fullBox(t);
            const lang::Condition* lpmCond = nullptr;
            for (const lang::Condition& c : r.conditions) {
                if (g.mode == lang::GroupMode::Lpm && c.field == g.lpmField) { lpmCond = &c; continue; }
                z3::expr any = ctx_.bool_val(false);
                for (const lang::MatchValue& v : c.values) any = any || valueHolds(c.field, v.lo, v.hi, v.family);
                all = all && any;
                narrow(t, box, c.field, c.values);
            }
            if (!lpmCond) {
                items.push_back({g.mode == lang::GroupMode::Lpm ? -1 : 0, i, all, box, exact});
                continue;
            }
            // LPM: the rule stands at the length of the longest value it matches (interpreter).
            for (const lang::MatchValue& v : lpmCond->values) {
                int len = v.prefixLen;
                if (len < 0 && v.lo == v.hi) {
                    len = lang::fieldInfo(g.lpmField).isIp ? (v.family == Family::V4 ? 32 : 128)
                                                           : static_cast<int>(lang::fieldInfo(g.lpmField).width);
                }
                Box2 b = box;
                narrow(t, b, g.lpmField, {v});
                bool ex = exact || (std::all_of(r.conditions.begin(), r.conditions.end(), [&](const lang::Condition& c) {
                    return c.field == g.lpmField || narrowIn(c);
                }) && v.family != Family::V6 && std::find(t.dims.begin(), t.dims.end(), g.lpmField) != t.dims.end());
                items.push_back({len, i, all && valueHolds(g.lpmField, v.lo, v.hi, v.family), b, ex});
            }
        }
        std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
            if (a.len != b.len) return a.len > b.len;
            return a.rule < b.rule;
        });
        std::vector<Alt> out;
        for (Item& it : items) out.push_back({it.cond, static_cast<int>(it.rule), it.box, it.exact});
        return out;
    }

    std::vector<Alt> sourceRoutes(const lang::RouteTable& rt, const ir::Table& t) {
        // Interpreter: the first entry of the greatest prefix length whose prefix contains dst.
        struct Item { int len; uint32_t idx; z3::expr cond; Box2 box; bool exact; };
        std::vector<Item> items;
        for (uint32_t i = 0; i < rt.routes.size(); ++i) {
            const lang::RouteEntry& e = rt.routes[i];
            if (e.prefix.family == Family::None) continue;
            int width = static_cast<int>(e.prefix.width());
            if (e.prefixLen > width) continue;
            z3::expr fam = famVar(Field::DstIp) == ctx_.bv_val(static_cast<unsigned>(e.prefix.family), 8);
            z3::expr c = fam;
            int len = std::max(e.prefixLen, 0);
            if (len > 0) {
                z3::expr v = val(Field::DstIp);
                z3::expr p = big(e.prefix.value, 128);
                unsigned hiBit = static_cast<unsigned>(width - 1), loBit = static_cast<unsigned>(width - len);
                c = c && v.extract(hiBit, loBit) == p.extract(hiBit, loBit);
            }
            u128 host = width - len >= 128 ? ~u128(0) : ((u128(1) << (width - len)) - 1);
            Box2 box = fullBox(t);
            narrow(t, box, Field::DstIp, {lang::MatchValue{e.prefix.value & ~host, (e.prefix.value & ~host) | host, e.prefix.family, len, {}}});
            items.push_back({e.prefixLen, i, c, box, e.prefix.family == Family::V4});
        }
        std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.len > b.len; });
        std::vector<Alt> out;
        for (Item& it : items) out.push_back({it.cond, static_cast<int>(it.idx), it.box, it.exact});
        return out;
    }

    // ---- lowered side
    z3::expr rowHolds(const ir::Table& t, const ir::Row& r) {
        z3::expr c = ctx_.bool_val(true);
        for (size_t d = 0; d < t.dims.size(); ++d) {
            const ir::DimMatch& m = r.dims[d];
            if (m.any) continue;
            if (t.wide[d]) {
                c = c && valueHolds(t.dims[d], m.lo, m.hi, m.family);
            } else {
                // Narrow dims are checked on the key (codegen): lo <= key <= hi.
                auto [lo, hi] = ir::projectDim(t.dims[d], m);
                z3::expr k = key(t.dims[d]);
                c = c && z3::uge(k, ctx_.bv_val(lo, 64)) && z3::ule(k, ctx_.bv_val(hi, 64));
            }
        }
        return c;
    }
    z3::expr chain(const std::vector<std::pair<z3::expr, int>>& alts) {
        z3::expr r = ctx_.bv_val(-1, 32);
        for (size_t i = alts.size(); i-- > 0;) r = z3::ite(alts[i].first, ctx_.bv_val(alts[i].second, 32), r);
        return r;
    }
    z3::expr rowsChain(const ir::Table& t, const std::vector<uint32_t>& rows) {
        std::vector<std::pair<z3::expr, int>> alts;
        for (uint32_t r : rows) alts.push_back({rowHolds(t, t.rows[r]), static_cast<int>(t.rows[r].rule)});
        return chain(alts);
    }
    z3::expr sourceChain(const std::vector<Alt>& src, const Box2& region) {
        std::vector<std::pair<z3::expr, int>> alts;
        for (const Alt& a : src) {
            bool meets = true;
            for (size_t d = 0; d < region.size(); ++d) {
                if (a.box[d].first > region[d].second || a.box[d].second < region[d].first) meets = false;
            }
            if (!meets) continue;
            alts.push_back({a.cond, a.result});
            if (a.exact && covers(a.box, region)) break;  // nothing after it is reachable here
        }
        return chain(alts);
    }

    // One region: the lowered answer `low` must equal the source on every packet inside.
    void check(const ir::Table& t, const std::vector<Alt>& src, const Box2& region, z3::expr low) {
        if (!report.failures.empty() && report.failures.back().table == t.name) return;
        z3::solver& solver = solver_;
        solver.push();
        for (size_t d = 0; d < region.size(); ++d) {
            if (region[d].first == 0 && region[d].second == ~uint64_t{0}) continue;
            z3::expr k = key(t.dims[d]);
            solver.add(z3::uge(k, ctx_.bv_val(region[d].first, 64)) && z3::ule(k, ctx_.bv_val(region[d].second, 64)));
        }
        z3::expr srcRes = sourceChain(src, region);
        solver.add(srcRes != low);
        ++report.solverQueries;
        z3::check_result r = solver.check();
        if (r == z3::sat) {
            z3::model model = solver.get_model();
            report.failures.push_back({t.name, witness(model), "source picks " + describe(model.eval(srcRes, true)) +
                                                                   ", lowered picks " + describe(model.eval(low, true))});
        } else if (r == z3::unknown) {
            report.failures.push_back({t.name, "-", "solver gave up: " + solver.reason_unknown()});
        }
        solver.pop();
    }
    std::string describe(const z3::expr& e) {
        int64_t v = static_cast<int32_t>(e.get_numeral_uint64());
        return v < 0 ? std::string("no rule") : "rule #" + std::to_string(v);
    }
    std::string witness(z3::model& model) {
        lang::Headers h;
        h.etherType = 0x0800;
        for (auto& [f, v] : vals_) {
            z3::expr e = model.eval(v, true);
            std::string s = e.get_decimal_string(0);
            u128 x = 0;
            for (char c : s) x = x * 10 + static_cast<unsigned>(c - '0');
            Family fam = Family::None;
            if (lang::fieldInfo(f).isIp) fam = static_cast<Family>(model.eval(famVar(f), true).get_numeral_uint());
            h.set(f, x, fam);
            if (lang::fieldInfo(f).isIp && fam != Family::V4 && fam != Family::V6) h.set(f, 0, Family::None);
        }
        return lang::formatPacketText(h);
    }

    void walkTree(const ir::Table& t, const std::vector<Alt>& src, int32_t node, Box2 region) {
        const ir::Classifier& c = t.cls;
        if (node < 0) {
            uint32_t leaf = static_cast<uint32_t>(~node);
            std::vector<uint32_t> rows(c.leafRows.begin() + c.leafBegin[leaf], c.leafRows.begin() + c.leafEnd[leaf]);
            if (decideCheaply(t, src, region, rows)) {
                ++report.decidedCheaply;
                return;
            }
            check(t, src, region, rowsChain(t, rows));
            return;
        }
        const ir::TreeNode& n = c.nodes[static_cast<size_t>(node)];
        Box2 l = region, r = region;
        l[n.dim].second = std::min(l[n.dim].second, n.split);
        if (n.split == ~uint64_t{0}) r[n.dim] = {1, 0};
        else r[n.dim].first = std::max(r[n.dim].first, n.split + 1);
        if (l[n.dim].first <= l[n.dim].second) walkTree(t, src, n.left, l);
        if (r[n.dim].first <= r[n.dim].second) walkTree(t, src, n.right, r);
    }

    void validateTable(const ir::Table& t, const std::vector<Alt>& src) {
        ++report.tables;
        const ir::Classifier& c = t.cls;
        std::vector<uint32_t> all(t.rows.size());
        for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
        switch (c.kind) {
            case ir::ClassifierKind::Linear: check(t, src, fullBox(t), rowsChain(t, all)); break;
            case ir::ClassifierKind::Tree: walkTree(t, src, c.nodes.empty() ? ~0 : 0, fullBox(t)); break;
            case ir::ClassifierKind::Interval:
                for (size_t i = 0; i < c.bounds.size(); ++i) {
                    Box2 region = fullBox(t);
                    region[c.intervalDim] = {c.bounds[i], i + 1 < c.bounds.size() ? c.bounds[i + 1] - 1 : ~uint64_t{0}};
                    int w = c.winners[i];
                    z3::expr low = w < 0 ? ctx_.bv_val(-1, 32) : ctx_.bv_val(static_cast<int>(t.rows[static_cast<size_t>(w)].rule), 32);
                    // The winner is only returned when its row holds (narrow dims: exact on keys).
                    if (w >= 0) low = z3::ite(rowHolds(t, t.rows[static_cast<size_t>(w)]), low, ctx_.bv_val(-1, 32));
                    if (decideCheaply(t, src, region, w < 0 ? std::vector<uint32_t>{} : std::vector<uint32_t>{static_cast<uint32_t>(w)})) {
                        ++report.decidedCheaply;
                        continue;
                    }
                    check(t, src, region, low);
                }
                break;
            case ir::ClassifierKind::Hash: {
                // Concrete: every row key must probe to the first row holding that key.
                std::map<std::vector<uint64_t>, uint32_t> first;
                for (uint32_t i = 0; i < t.rows.size(); ++i) {
                    std::vector<uint64_t> k;
                    for (size_t d = 0; d < t.dims.size(); ++d) k.push_back(ir::projectDim(t.dims[d], t.rows[i].dims[d]).first);
                    first.emplace(k, i);
                }
                for (auto& [k, row] : first) {
                    uint64_t h = c.hashSeed;
                    for (uint64_t x : k) h = ir::hashMix(h, x);
                    size_t mask = c.slots.size() - 1;
                    int32_t found = -1;
                    for (size_t s = h & mask, n = 0; n <= mask; s = (s + 1) & mask, ++n) {
                        if (c.slots[s] == 0) break;
                        std::vector<uint64_t> rk;
                        for (size_t d = 0; d < t.dims.size(); ++d) rk.push_back(ir::projectDim(t.dims[d], t.rows[c.slots[s] - 1].dims[d]).first);
                        if (rk == k) { found = static_cast<int32_t>(c.slots[s] - 1); break; }
                    }
                    ++report.decidedCheaply;
                    if (found != static_cast<int32_t>(row)) {
                        report.failures.push_back({t.name, "(key of row " + std::to_string(row) + ")",
                                                   "hash probe finds row " + std::to_string(found) + ", first-match row is " + std::to_string(row)});
                        return;
                    }
                }
                // And the rows themselves against the source (keys decide rows exactly).
                check(t, src, fullBox(t), rowsChain(t, all));
                break;
            }
        }
    }

    // Geometric decision of a region without Z3: the first source alternative meeting the
    // region covers it and is exact, the first lowered row meeting it covers it and is exact
    // (narrow dims only), and both name the same rule; or neither side has any. Sound because
    // the key projection is monotone (keys.h): what does not meet the region matches nothing
    // in it. Anything else goes to Z3.
    static bool covers(const Box2& b, const Box2& region) {
        for (size_t d = 0; d < region.size(); ++d) {
            if (b[d].first > region[d].first || b[d].second < region[d].second) return false;
        }
        return true;
    }
    static bool meets(const Box2& b, const Box2& region) {
        for (size_t d = 0; d < region.size(); ++d) {
            if (b[d].first > region[d].second || b[d].second < region[d].first) return false;
        }
        return true;
    }
    bool decideCheaply(const ir::Table& t, const std::vector<Alt>& src, const Box2& region,
                       const std::vector<uint32_t>& rows) {
        const Alt* a = nullptr;
        for (const Alt& x : src) {
            if (meets(x.box, region)) { a = &x; break; }
        }
        if (a && !(a->exact && covers(a->box, region))) return false;
        const ir::Row* r = nullptr;
        for (uint32_t i : rows) {
            Box2 b(t.dims.size());
            bool exact = true;
            for (size_t d = 0; d < t.dims.size(); ++d) {
                b[d] = ir::projectDim(t.dims[d], t.rows[i].dims[d]);
                if (t.wide[d] && !t.rows[i].dims[d].any) exact = false;
            }
            if (!meets(b, region)) continue;
            if (!exact || !covers(b, region)) return false;
            r = &t.rows[i];
            break;
        }
        if (!a && !r) return true;
        return a && r && static_cast<uint32_t>(a->result) == r->rule;
    }

    z3::context ctx_;
    z3::params params_;
    z3::solver solver_;
    std::map<Field, z3::expr> vals_, fams_;
    std::set<Field> v6Fields_;
};

}  // namespace

Expected<TvReport> validateTranslation(const lang::Policy& policy, const CompileOptions& options) {
    auto t0 = std::chrono::steady_clock::now();
    ir::Module m;
    if (Status s = ir::runLowering(policy, options, m, nullptr); !s) return s.error();
    try {
        Validator v;
        v.validateModule(policy, m);
        v.report.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return v.report;
    } catch (const z3::exception& e) {
        return makeError(std::string("translation validation: Z3: ") + e.msg());
    }
}

}  // namespace sluice::compiler
