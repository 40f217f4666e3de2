// Semantic diff (README.md, "Diff"). For each port present in both policies and each
// direction, OLD's and NEW's pipelines are encoded over the same ingress packet and Z3 is
// asked for a packet whose outcome differs (verdict, output, or final headers when both
// deliver). Each answer is one class: the combination of deciding rules (per layer, both
// sides) is blocked and the query repeated. Pruning: when one layer changed, only in its
// rules, the packet is constrained to the changed rules' region at that layer's input and
// only rules overlapping that region are encoded.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>

#include "box.h"
#include "diff_geometric.h"
#include "encoding.h"
#include "pset.h"
#include "replay.h"
#include "sluice/verify/diff.h"

namespace sluice::verify {

using lang::Direction;

namespace {

// Boxes per rule on the geometric diff path (a rule needing more goes to Z3).
constexpr size_t kGeometricBoxCap = 256;

bool sameValues(const std::vector<lang::MatchValue>& a, const std::vector<lang::MatchValue>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].lo != b[i].lo || a[i].hi != b[i].hi || a[i].family != b[i].family ||
            a[i].prefixLen != b[i].prefixLen)
            return false;
    return true;
}

bool sameConditions(const std::vector<lang::Condition>& a, const std::vector<lang::Condition>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].field != b[i].field || !sameValues(a[i].values, b[i].values)) return false;
    return true;
}

bool sameRule(const lang::Rule& a, const lang::Rule& b) {
    return a.name == b.name && a.priority == b.priority &&
           sameConditions(a.conditions, b.conditions) && enc::sameOutcome(a, b);
}

bool sameRoutes(const lang::Policy& a, const lang::Policy& b) {
    if (a.routeTables.size() != b.routeTables.size()) return false;
    for (size_t t = 0; t < a.routeTables.size(); ++t) {
        const auto& x = a.routeTables[t];
        const auto& y = b.routeTables[t];
        if (x.name != y.name || x.routes.size() != y.routes.size()) return false;
        for (size_t i = 0; i < x.routes.size(); ++i) {
            const auto& r = x.routes[i];
            const auto& s = y.routes[i];
            if (!(r.prefix == s.prefix) || r.prefixLen != s.prefixLen || r.kind != s.kind ||
                r.port != s.port || r.ecmp != s.ecmp || !(r.address == s.address))
                return false;
            if (r.kind == lang::NextHopKind::Port &&
                a.ports[r.port].name != b.ports[s.port].name)
                return false;
        }
    }
    return true;
}

// Group structure equal apart from the rules.
bool sameGroupShell(const lang::Group& a, const lang::Group& b) {
    return a.name == b.name && a.priority == b.priority && a.mode == b.mode &&
           a.lpmField == b.lpmField && sameConditions(a.conditions, b.conditions);
}

bool sameLayer(const lang::Layer& a, const lang::Layer& b, Direction d) {
    const auto& ga = a.groupsFor(d);
    const auto& gb = b.groupsFor(d);
    if (a.name != b.name || a.audit != b.audit || ga.size() != gb.size()) return false;
    if (!enc::sameAction(a.defaultFor(d), b.defaultFor(d))) return false;
    for (size_t g = 0; g < ga.size(); ++g) {
        if (!sameGroupShell(ga[g], gb[g]) || ga[g].rules.size() != gb[g].rules.size())
            return false;
        for (size_t r = 0; r < ga[g].rules.size(); ++r)
            if (!sameRule(ga[g].rules[r], gb[g].rules[r])) return false;
    }
    return true;
}

// A side of the comparison: one policy, one port (or a bare layer on a probe port).
struct Side {
    std::shared_ptr<const lang::Policy> policy;
    uint32_t port = 0;
};

// Puts a bare layer on a synthetic port so that it can be diffed like a port.
Side layerSide(const std::shared_ptr<const lang::Policy>& p, uint32_t layer) {
    auto copy = std::make_shared<lang::Policy>(*p);
    lang::Port port;
    port.name = "layer:" + p->layers[layer].name;
    port.layers = {layer};
    copy->ports.push_back(port);
    return {copy, static_cast<uint32_t>(copy->ports.size() - 1)};
}

struct Pruning {
    std::optional<size_t> position;  // index in traversal order of the one changed layer
    std::vector<std::vector<bool>> keepOld, keepNew;  // [group][rule]
    // Changed rules (group, rule) per side.
    std::vector<std::pair<uint32_t, uint32_t>> changedOld, changedNew;
};

std::vector<uint32_t> traversal(const lang::Policy& p, uint32_t port, Direction d) {
    std::vector<uint32_t> order = p.ports[port].layers;
    if (d == Direction::In) std::reverse(order.begin(), order.end());
    return order;
}

std::optional<Pruning> planPruning(const Side& o, const Side& n, Direction d, size_t cap) {
    auto lo = traversal(*o.policy, o.port, d);
    auto ln = traversal(*n.policy, n.port, d);
    if (lo.size() != ln.size() || !sameRoutes(*o.policy, *n.policy)) return std::nullopt;
    std::optional<size_t> changed;
    for (size_t k = 0; k < lo.size(); ++k) {
        const auto& a = o.policy->layers[lo[k]];
        const auto& b = n.policy->layers[ln[k]];
        if (a.name != b.name) return std::nullopt;
        if (sameLayer(a, b, d)) continue;
        if (changed) return std::nullopt;
        changed = k;
    }
    Pruning pr;
    if (!changed) {
        pr.position = std::nullopt;
        return pr;
    }
    const auto& a = o.policy->layers[lo[*changed]];
    const auto& b = n.policy->layers[ln[*changed]];
    const auto& ga = a.groupsFor(d);
    const auto& gb = b.groupsFor(d);
    if (ga.size() != gb.size() || a.audit != b.audit ||
        !enc::sameAction(a.defaultFor(d), b.defaultFor(d)))
        return std::nullopt;
    for (size_t g = 0; g < ga.size(); ++g)
        if (!sameGroupShell(ga[g], gb[g])) return std::nullopt;
    pr.position = changed;
    geo::Region region;
    auto collect = [&](const std::vector<lang::Group>& mine, const std::vector<lang::Group>& other,
                       std::vector<std::pair<uint32_t, uint32_t>>& out) {
        for (size_t g = 0; g < mine.size(); ++g) {
            std::map<std::string, const lang::Rule*> byName;
            for (const auto& r : other[g].rules) byName[r.name] = &r;
            for (size_t r = 0; r < mine[g].rules.size(); ++r) {
                const auto& rule = mine[g].rules[r];
                auto it = byName.find(rule.name);
                if (it != byName.end() && sameRule(rule, *it->second)) continue;
                out.emplace_back(static_cast<uint32_t>(g), static_cast<uint32_t>(r));
                auto boxes = geo::conditionBoxes({&mine[g].conditions, &rule.conditions}, cap);
                if (!boxes) return false;
                region.insert(region.end(), boxes->begin(), boxes->end());
            }
        }
        return true;
    };
    if (!collect(ga, gb, pr.changedOld) || !collect(gb, ga, pr.changedNew)) return std::nullopt;
    auto keep = [&](const std::vector<lang::Group>& groups, std::vector<std::vector<bool>>& out) {
        out.resize(groups.size());
        for (size_t g = 0; g < groups.size(); ++g) {
            out[g].assign(groups[g].rules.size(), true);
            for (size_t r = 0; r < groups[g].rules.size(); ++r) {
                auto boxes = geo::conditionBoxes(
                    {&groups[g].conditions, &groups[g].rules[r].conditions}, cap);
                if (boxes) out[g][r] = geo::intersects(*boxes, region);
            }
        }
    };
    keep(ga, pr.keepOld);
    keep(gb, pr.keepNew);
    return pr;
}

struct Decision {
    std::vector<std::string> trace;          // "layer.rule" per evaluated layer
    std::vector<lang::SourceRange> ranges;
    std::vector<z3::expr> literals;          // selector literals true in the model
    double log2 = -1;                        // size of the first layer decider's region
    std::optional<geo::Region> firstRegion;
};

Decision decisions(smt::Context& ctx, const z3::model& m, const enc::PipelineEnc& p,
                   const lang::Policy& policy, Direction d) {
    Decision out;
    for (size_t k = 0; k < p.layers.size(); ++k) {
        if (!ctx.modelBool(m, p.reached[k])) break;
        const auto& le = p.layers[k];
        const auto& layer = policy.layers[le.layer];
        bool found = false;
        for (size_t g = 0; g < le.sel.size() && !found; ++g)
            for (size_t r = 0; r < le.sel[g].size(); ++r)
                if (le.sel[g][r] && ctx.modelBool(m, *le.sel[g][r])) {
                    const auto& group = layer.groupsFor(d)[g];
                    out.trace.push_back(layer.name + "." + group.rules[r].name);
                    out.ranges.push_back(group.rules[r].range);
                    out.literals.push_back(*le.sel[g][r]);
                    if (k == 0)
                        out.firstRegion = geo::conditionBoxes(
                            {&group.conditions, &group.rules[r].conditions}, 64);
                    found = true;
                    break;
                }
        if (!found) {
            out.trace.push_back(layer.name + ".default");
            out.ranges.push_back(layer.range);
            out.literals.push_back(le.selDefault);
        }
    }
    return out;
}

double regionLog2(const geo::Region& r) {
    double sum = 0;
    for (const auto& b : r) sum += std::exp2(std::min(b.log2Volume(), 1000.0));
    return sum > 0 ? std::log2(sum) : 0;
}

SideOutcome outcomeOf(const lang::Policy& policy, const replay::PortConnection& c, Direction d,
                      const lang::Headers& packet) {
    const interp::Result& r = c.syn;
    SideOutcome s;
    if (c.reply && packet.proto == lang::kProtoTcp && packet.tcpFlags == 0x02) {
        s.reply = std::string(lang::verdictName(c.reply->verdict)) + " -> " +
                  c.reply->output.str(policy);
        if (!c.reply->dropReason.empty()) s.reply += " (" + c.reply->dropReason + ")";
    }
    s.verdict = r.verdict;
    s.output = r.output.str(policy);
    s.headers = lang::formatPacketText(r.headers);
    for (const auto& step : r.layers) {
        const auto& layer = policy.layers[step.layer];
        if (step.group && step.rule)
            s.trace.push_back(layer.name + "." +
                              layer.groupsFor(d)[*step.group].rules[*step.rule].name);
        else
            s.trace.push_back(layer.name + (step.viaSession ? ".session" : ".default"));
    }
    return s;
}

// The first layer where the two traces differ decides; else the last layer.
std::string decidingRule(const std::vector<std::string>& mine,
                         const std::vector<std::string>& other) {
    for (size_t i = 0; i < mine.size(); ++i)
        if (i >= other.size() || mine[i] != other[i]) return mine[i];
    return mine.empty() ? "" : mine.back();
}

class PortDiff {
public:
    PortDiff(DiffReport& report, const DiffOptions& options, smt::Context& ctx)
        : report_(report), options_(options), ctx_(ctx), start_(std::chrono::steady_clock::now()) {}

    // Seconds left under the time limit (a large number without one).
    double remaining() const {
        if (options_.timeLimitSeconds <= 0) return 1e9;
        return options_.timeLimitSeconds -
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

    void run(const std::string& name, const Side& o, const Side& n, Direction d) {
        auto& z = ctx_.z3();
        if (remaining() <= 0) {
            report_.truncated = true;
            return;
        }
        std::optional<Pruning> pr;
        if (options_.prune) pr = planPruning(o, n, d, 4096);
        if (pr && !pr->position) return;  // identical pipelines in this direction
        if (pr && geometric(name, o, n, d)) return;
        auto h = ctx_.freshHeaders("x_");
        auto filterFor = [&](const Side& s, bool isOld) {
            return [&, isOld](uint32_t layer) -> enc::RuleFilter {
                if (!pr || !pr->position) return nullptr;
                auto order = traversal(*s.policy, s.port, d);
                if (order[*pr->position] != layer) return nullptr;
                const auto* keep = isOld ? &pr->keepOld : &pr->keepNew;
                return [keep](uint32_t g, uint32_t r) { return (*keep)[g][r]; };
            };
        };
        auto po = enc::encodePipeline(ctx_, *o.policy, o.port, d, h, filterFor(o, true));
        auto pn = enc::encodePipeline(ctx_, *n.policy, n.port, d, h, filterFor(n, false));
        z3::solver s(z);
        s.add(ctx_.universe(h));
        if (pr && pr->position) {
            // The packet reaches the changed layer inside a changed rule's region.
            size_t k = *pr->position;
            const smt::SymHeaders& at = k == 0 ? h : po.layers[k - 1].after;
            z3::expr in = z.bool_val(false);
            auto add = [&](const Side& side, const std::vector<std::pair<uint32_t, uint32_t>>& c) {
                auto order = traversal(*side.policy, side.port, d);
                const auto& groups = side.policy->layers[order[k]].groupsFor(d);
                for (auto [g, r] : c)
                    in = in || (ctx_.conditions(at, groups[g].conditions) &&
                                ctx_.conditions(at, groups[g].rules[r].conditions));
            };
            add(o, pr->changedOld);
            add(n, pr->changedNew);
            s.add(po.reached[k] && in);
        }
        z3::expr drop = z.bv_val(enc::kDrop, 3);
        z3::expr differs = po.outKind != pn.outKind || po.outIndex != pn.outIndex ||
                           po.outAddr != pn.outAddr || po.outFam != pn.outFam ||
                           (po.outKind != drop && pn.outKind != drop &&
                            !ctx_.equals(po.out, pn.out));
        // Connections: a TCP SYN both sides pass, whose SYN-ACK one side lets back through
        // the port's other direction (session pairs included) and the other does not.
        z3::expr syn = h.get(lang::Field::Proto) ==
                           ctx_.fieldVal(lang::Field::Proto, lang::kProtoTcp) &&
                       h.get(lang::Field::TcpFlags) == ctx_.fieldVal(lang::Field::TcpFlags, 0x02);
        auto replyKind = [&](const Side& side, const enc::PipelineEnc& p) {
            auto sessions = enc::sessionsOf(ctx_, *side.policy, p, h, p.outKind != drop);
            smt::SymHeaders reply = enc::replyOf(ctx_, p.out);
            reply.get(lang::Field::TcpFlags) = ctx_.fieldVal(lang::Field::TcpFlags, 0x12);
            Direction back = d == Direction::In ? Direction::Out : Direction::In;
            return enc::encodePipeline(ctx_, *side.policy, side.port, back, reply, nullptr,
                                       &sessions)
                .outKind;
        };
        z3::expr ro = replyKind(o, po), rn = replyKind(n, pn);
        differs = differs || (syn && po.outKind != drop && pn.outKind != drop &&
                              (ro == drop) != (rn == drop));
        s.add(differs);
        for (size_t c = 0; c < options_.maxClassesPerPortDir; ++c) {
            double left = remaining();
            if (left <= 0) {
                report_.truncated = true;
                break;
            }
            if (options_.timeLimitSeconds > 0) {
                z3::params prm(z);
                prm.set("timeout", static_cast<unsigned>(left * 1000) + 1);
                s.set(prm);
            }
            auto res = ctx_.checkCanonical(s, h);
            if (res == z3::unknown) report_.truncated = true;
            if (res != z3::sat) break;
            z3::model m = s.get_model();
            lang::Headers w = ctx_.modelHeaders(m, h);
            Decision dOld = decisions(ctx_, m, po, *o.policy, d);
            Decision dNew = decisions(ctx_, m, pn, *n.policy, d);
            Change ch;
            ch.port = name;
            ch.dir = d;
            ch.witness = w;
            ch.oldRanges = dOld.ranges;
            ch.newRanges = dNew.ranges;
            // Size: the region of the first layer's deciders on both sides.
            geo::Region region = geo::universe();
            for (auto* dec : {&dOld, &dNew}) {
                if (!dec->firstRegion) continue;
                geo::Region next;
                for (const auto& a : region)
                    for (const auto& b : *dec->firstRegion)
                        if (auto x = a.intersect(b)) next.push_back(*x);
                region = std::move(next);
            }
            ch.sizeLog2 = regionLog2(region);
            // Replayed from the printed witness, as the operator would run it.
            auto printed = replay::printedPacket(w);
            if (!printed.error.empty()) internalError(ch, printed.error);
            auto co = replay::runConnection(o.policy, o.port, d, printed.headers);
            auto cn = replay::runConnection(n.policy, n.port, d, printed.headers);
            ch.oldSide = outcomeOf(*o.policy, co, d, printed.headers);
            ch.newSide = outcomeOf(*n.policy, cn, d, printed.headers);
            ch.oldSide.rule = decidingRule(ch.oldSide.trace, ch.newSide.trace);
            ch.newSide.rule = decidingRule(ch.newSide.trace, ch.oldSide.trace);
            if (options_.replay) checkReplay(ch, co, cn, m, po, pn, *o.policy, *n.policy);
            report_.changes.push_back(std::move(ch));
            z3::expr_vector lits(z);
            for (auto& l : dOld.literals) lits.push_back(l);
            for (auto& l : dNew.literals) lits.push_back(l);
            s.add(!z3::mk_and(lits));
        }
    }

private:
    // The geometric diff (diff_geometric.h) when the pipeline is the one changed layer, the
    // port is the same and the connection's reply path did not change; false: ask Z3.
    bool geometric(const std::string& name, const Side& o, const Side& n, Direction d) {
        if (!options_.geometric || o.port != n.port) return false;
        auto lo = traversal(*o.policy, o.port, d), ln = traversal(*n.policy, n.port, d);
        if (lo.size() != 1 || ln.size() != 1) return false;
        Direction back = d == Direction::In ? Direction::Out : Direction::In;
        auto bo = traversal(*o.policy, o.port, back), bn = traversal(*n.policy, n.port, back);
        if (bo.size() != bn.size()) return false;
        for (size_t k = 0; k < bo.size(); ++k)
            if (!sameLayer(o.policy->layers[bo[k]], n.policy->layers[bn[k]], back)) return false;
        const lang::Layer& la = o.policy->layers[lo[0]];
        const lang::Layer& lb = n.policy->layers[ln[0]];
        std::optional<geodiff::Result> res;
        try {
            pset::Space::open(0);
            res = geodiff::diffLayer(la, lb, d, kGeometricBoxCap, options_.maxClassesPerPortDir,
                                     [this] { return remaining() <= 0; });
        } catch (const std::exception&) {
            return false;  // BDD budget: the solver path decides instead
        }
        if (!res) return false;
        if (res->stopped) report_.truncated = true;
        ++report_.geometricLayers;
        const auto& ga = la.groupsFor(d).front();
        const auto& gb = lb.groupsFor(d).front();
        for (const auto& k : res->classes) {
            Change ch;
            ch.port = name;
            ch.dir = d;
            ch.witness = k.witness;
            ch.oldRanges = {k.oldRule ? ga.rules[*k.oldRule].range : la.range};
            ch.newRanges = {k.newRule ? gb.rules[*k.newRule].range : lb.range};
            geo::Region region = geo::universe();
            for (auto [g, r] : {std::pair{&ga, k.oldRule}, std::pair{&gb, k.newRule}}) {
                if (!r) continue;
                auto boxes = geo::conditionBoxes({&g->conditions, &g->rules[*r].conditions}, 64);
                if (!boxes) continue;
                geo::Region next;
                for (const auto& a : region)
                    for (const auto& b : *boxes)
                        if (auto x = a.intersect(b)) next.push_back(*x);
                region = std::move(next);
            }
            ch.sizeLog2 = regionLog2(region);
            auto printed = replay::printedPacket(k.witness);
            if (!printed.error.empty()) internalError(ch, printed.error);
            auto co = replay::runConnection(o.policy, o.port, d, printed.headers);
            auto cn = replay::runConnection(n.policy, n.port, d, printed.headers);
            ch.oldSide = outcomeOf(*o.policy, co, d, printed.headers);
            ch.newSide = outcomeOf(*n.policy, cn, d, printed.headers);
            ch.oldSide.rule = decidingRule(ch.oldSide.trace, ch.newSide.trace);
            ch.newSide.rule = decidingRule(ch.newSide.trace, ch.oldSide.trace);
            if (options_.replay) {
                // The interpreters must decide by the claimed rules, with other verdicts.
                auto decider = [](const interp::Result& r) -> std::optional<uint32_t> {
                    if (r.layers.empty() || !r.layers[0].rule) return std::nullopt;
                    return *r.layers[0].rule;
                };
                bool ok = !co.syn.layers.empty() && !cn.syn.layers.empty() &&
                          decider(co.syn) == k.oldRule && decider(cn.syn) == k.newRule &&
                          co.syn.verdict != cn.syn.verdict;
                if (!ok)
                    internalError(ch, "old " + std::string(lang::verdictName(co.syn.verdict)) +
                                          " by " + ch.oldSide.rule + ", new " +
                                          lang::verdictName(cn.syn.verdict) + " by " +
                                          ch.newSide.rule + " (the boxes claimed other deciders)");
            }
            report_.changes.push_back(std::move(ch));
        }
        return true;
    }

    void checkReplay(const Change& ch, const replay::PortConnection& co,
                     const replay::PortConnection& cn, const z3::model& m,
                     const enc::PipelineEnc& po, const enc::PipelineEnc& pn,
                     const lang::Policy& op, const lang::Policy& np) {
        const interp::Result& ro = co.syn;
        const interp::Result& rn = cn.syn;
        auto agrees = [&](const interp::Result& r, const enc::PipelineEnc& p) {
            unsigned kind = static_cast<unsigned>(ctx_.modelValue(m, p.outKind));
            bool allow = kind != enc::kDrop;
            if ((r.verdict == lang::Verdict::Allow) != allow) return false;
            if (static_cast<unsigned>(r.output.kind) != kind) return false;
            if (allow && !(ctx_.modelHeaders(m, p.out) == r.headers)) return false;
            return true;
        };
        bool differ = ro.verdict != rn.verdict || ro.output.str(op) != rn.output.str(np) ||
                      (ro.verdict == lang::Verdict::Allow && !(ro.headers == rn.headers));
        bool synPkt = ch.witness.proto == lang::kProtoTcp && ch.witness.tcpFlags == 0x02;
        if (synPkt && co.reply && cn.reply)
            differ = differ || (co.reply->verdict != cn.reply->verdict);
        if (agrees(ro, po) && agrees(rn, pn) && differ) return;
        internalError(ch, "old " + std::string(lang::verdictName(ro.verdict)) + " " +
                              ro.output.str(op) + ", new " + lang::verdictName(rn.verdict) +
                              " " + rn.output.str(np));
    }

    void internalError(const Change& ch, const std::string& what) {
        Finding f{FindingKind::Internal, Severity::Error,
                  "internal error: diff witness on " + ch.port + " " +
                      lang::directionName(ch.dir) + " does not replay: " + what,
                  {}, {}, std::nullopt};
        Witness w;
        w.headers = ch.witness;
        w.port = ch.port;
        w.dir = ch.dir;
        w.where = "port " + ch.port + " " + lang::directionName(ch.dir);
        f.witness = w;
        report_.internalErrors.push_back(std::move(f));
    }

    DiffReport& report_;
    const DiffOptions& options_;
    smt::Context& ctx_;
    std::chrono::steady_clock::time_point start_;
};

std::set<uint32_t> attachedLayers(const lang::Policy& p) {
    std::set<uint32_t> s;
    for (const auto& port : p.ports) s.insert(port.layers.begin(), port.layers.end());
    return s;
}

}  // namespace

bool DiffReport::gateFailed() const {
    for (const auto& c : changes)
        if (!c.expected) return true;
    for (const auto& e : expectations)
        if (!e.used) return true;
    for (const auto* ports : {&portsAdded, &portsRemoved})
        for (const auto& p : *ports) {
            bool named = false;
            for (const auto& e : expectations)
                named = named || (e.kind == Expectation::Kind::Port && e.name == p);
            if (!named) return true;
        }
    return false;
}

Expected<std::vector<Expectation>> parseExpectations(const std::string& text) {
    std::vector<Expectation> out;
    std::istringstream in(text);
    std::string line;
    int no = 0;
    while (std::getline(in, line)) {
        ++no;
        auto hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        std::istringstream ws(line);
        std::vector<std::string> words;
        for (std::string w; ws >> w;) words.push_back(w);
        if (words.empty()) continue;
        Expectation e;
        e.line = no;
        if (words[0] == "rule" && words.size() == 2) {
            e.kind = Expectation::Kind::Rule;
            e.name = words[1];
        } else if (words[0] == "port" && (words.size() == 2 || words.size() == 3)) {
            e.kind = Expectation::Kind::Port;
            e.name = words[1];
            if (words.size() == 3) {
                if (words[2] == "in") e.dir = Direction::In;
                else if (words[2] == "out") e.dir = Direction::Out;
                else return makeError("expected `in` or `out`", "line " + std::to_string(no));
            }
        } else {
            return makeError("expected `rule LAYER.RULE` or `port PORT [in|out]`",
                             "line " + std::to_string(no));
        }
        out.push_back(e);
    }
    return out;
}

DiffReport diffPolicies(std::shared_ptr<const lang::Policy> oldPolicy,
                        std::shared_ptr<const lang::Policy> newPolicy, const DiffOptions& options,
                        std::vector<Expectation> expectations) {
    auto start = std::chrono::steady_clock::now();
    DiffReport report;
    report.expectations = std::move(expectations);
    smt::Context ctx;
    PortDiff pd(report, options, ctx);
    const auto& op = *oldPolicy;
    const auto& np = *newPolicy;
    try {
        for (uint32_t i = 0; i < op.ports.size(); ++i) {
            int j = np.findPort(op.ports[i].name);
            if (j < 0) {
                report.portsRemoved.push_back(op.ports[i].name);
                continue;
            }
            for (Direction d : {Direction::Out, Direction::In})
                pd.run(op.ports[i].name, {oldPolicy, i}, {newPolicy, static_cast<uint32_t>(j)},
                       d);
        }
        for (const auto& p : np.ports)
            if (op.findPort(p.name) < 0) report.portsAdded.push_back(p.name);
        // Layers attached to no port on either side are compared on their own.
        auto ao = attachedLayers(op), an = attachedLayers(np);
        for (uint32_t l = 0; l < op.layers.size(); ++l) {
            if (ao.count(l)) continue;
            int m = np.findLayer(op.layers[l].name);
            if (m < 0 || an.count(static_cast<uint32_t>(m))) continue;
            Side so = layerSide(oldPolicy, l);
            Side sn = layerSide(newPolicy, static_cast<uint32_t>(m));
            for (Direction d : {Direction::Out, Direction::In})
                pd.run("layer:" + op.layers[l].name, so, sn, d);
        }
    } catch (const z3::exception& e) {
        Finding f{FindingKind::Internal, Severity::Error,
                  std::string("internal error: Z3: ") + e.msg(), {}, {}, std::nullopt};
        report.internalErrors.push_back(f);
    }
    // Expectations.
    for (auto& e : report.expectations)
        for (const auto* ports : {&report.portsAdded, &report.portsRemoved})
            for (const auto& p : *ports)
                if (e.kind == Expectation::Kind::Port && e.name == p) e.used = true;
    if (!report.expectations.empty()) {
        for (auto& c : report.changes) {
            c.expected = false;
            for (auto& e : report.expectations) {
                bool hit = false;
                if (e.kind == Expectation::Kind::Port) {
                    hit = e.name == c.port && (!e.dir || *e.dir == c.dir);
                } else {
                    for (const auto* t : {&c.oldSide.trace, &c.newSide.trace})
                        hit = hit || std::find(t->begin(), t->end(), e.name) != t->end();
                }
                if (hit) {
                    e.used = true;
                    c.expected = true;
                }
            }
        }
    }
    report.solverCalls = ctx.checks;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

void printDiff(std::ostream& out, const lang::Policy& oldPolicy, const lang::Policy& newPolicy,
               const DiffReport& report) {
    for (const auto& p : report.portsRemoved) out << "port " << p << ": removed\n";
    for (const auto& p : report.portsAdded) out << "port " << p << ": added\n";
    for (const auto& c : report.changes) {
        out << "port " << c.port << " " << lang::directionName(c.dir) << ": "
            << lang::formatPacketText(c.witness) << "\n";
        out << "    old: " << lang::verdictName(c.oldSide.verdict) << " -> " << c.oldSide.output
            << " by " << c.oldSide.rule << "\n";
        out << "    new: " << lang::verdictName(c.newSide.verdict) << " -> " << c.newSide.output
            << " by " << c.newSide.rule << "\n";
        if (c.oldSide.reply != c.newSide.reply)
            out << "    SYN-ACK back: old " << c.oldSide.reply << ", new " << c.newSide.reply
                << "\n";
        out << "    class size: about 2^" << static_cast<int>(std::lround(c.sizeLog2))
            << " header values" << (c.expected ? "" : "  [UNEXPECTED]") << "\n";
        auto show = [&](const lang::Policy& p, const std::vector<lang::SourceRange>& rs,
                        const char* side) {
            if (!p.sources) return;
            for (const auto& r : rs)
                if (r.valid())
                    out << "    " << side << " rule at " << p.sources->describe(r.begin) << "\n";
        };
        show(oldPolicy, c.oldRanges, "old");
        show(newPolicy, c.newRanges, "new");
    }
    for (const auto& e : report.expectations)
        if (!e.used)
            out << "expectation on line " << e.line << " (" << e.name << ") matched no change\n";
    for (const auto& f : report.internalErrors) out << "error: " << f.message << "\n";
    out << "diff: " << report.changes.size() << " changed class(es)"
        << (report.different() ? "" : " (same)") << "\n";
}

std::string diffToJson(const DiffReport& report) {
    using nlohmann::json;
    json changes = json::array();
    for (const auto& c : report.changes) {
        auto side = [](const SideOutcome& s) {
            return json{{"verdict", lang::verdictName(s.verdict)},
                        {"rule", s.rule},
                        {"output", s.output},
                        {"headers", s.headers},
                        {"trace", s.trace},
                        {"reply", s.reply}};
        };
        changes.push_back({{"port", c.port},
                           {"dir", lang::directionName(c.dir)},
                           {"witness", lang::formatPacketText(c.witness)},
                           {"old", side(c.oldSide)},
                           {"new", side(c.newSide)},
                           {"size_log2", c.sizeLog2},
                           {"expected", c.expected}});
    }
    json internal = json::array();
    for (const auto& f : report.internalErrors) internal.push_back(f.message);
    json unmet = json::array();
    for (const auto& e : report.expectations)
        if (!e.used) unmet.push_back({{"line", e.line}, {"name", e.name}});
    json j{{"changes", changes},
           {"ports_added", report.portsAdded},
           {"ports_removed", report.portsRemoved},
           {"internal_errors", internal},
           {"unmet_expectations", unmet},
           {"different", report.different()},
           {"truncated", report.truncated},
           {"solver_calls", report.solverCalls},
           {"seconds", report.seconds}};
    return j.dump(2);
}

}  // namespace sluice::verify
