// Resolver (resolver.h): match values, priorities, actions, layers, groups and rules.
#include "resolver.h"

namespace sluice::lang::resolver {

bool Resolver::matchValue(Field f, const RVal& v, MatchValue& out) {
    const FieldInfo& info = fieldInfo(f);
    std::string what(info.name);
    out.range = v.at;
    if (info.isIp) {
        auto lo = address(v, v.lo, what);
        if (!lo) return false;
        out.family = lo->ip.family;
        if (!v.hi) {
            int len = lo->prefixLen >= 0 ? lo->prefixLen : static_cast<int>(lo->ip.width());
            out.lo = lo->ip.value;
            out.hi = lo->ip.value | hostMask(lo->ip.width(), len);
            out.prefixLen = len;
            return true;
        }
        auto hi = address(v, *v.hi, what);
        if (!hi) return false;
        if (lo->prefixLen >= 0 || hi->prefixLen >= 0) {
            valueError(DiagKind::TypeMismatch, v,
                       "the bounds of an address range must be addresses, not prefixes");
            return false;
        }
        if (lo->ip.family != hi->ip.family) {
            valueError(DiagKind::FamilyMismatch, v, "address range mixes IPv4 and IPv6");
            return false;
        }
        out.lo = lo->ip.value;
        out.hi = hi->ip.value;
    } else if (f == Field::SrcMac || f == Field::DstMac) {
        auto lo = mac(v, v.lo, what);
        if (!lo) return false;
        out.lo = out.hi = *lo;
        if (v.hi) {
            auto hi = mac(v, *v.hi, what);
            if (!hi) return false;
            out.hi = *hi;
        }
    } else {
        auto one = [&](const ast::Atom& a) -> std::optional<u128> {
            if (a.kind == ast::AtomKind::Name && findEntry(a.text) == nullptr) {
                if (f == Field::Proto) {
                    if (auto p = parseProtocol(a.text)) return *p;
                    valueError(
                        DiagKind::UnknownName, v,
                        "unknown protocol '" + a.text +
                            "'; expected tcp, udp, icmp, icmpv6, gre, esp, ah, sctp or 0..255");
                    return std::nullopt;
                }
                if (f == Field::TcpFlags) {
                    if (auto fl = parseTcpFlags(a.text)) return *fl;
                    valueError(
                        DiagKind::BadLiteral, v,
                        "bad TCP flags '" + a.text + "'; expected letters of FSRPAUEC or 0..255");
                    return std::nullopt;
                }
            }
            std::string desc = what;
            if (f == Field::Dscp) desc = "dscp";
            return integer(v, a, fieldMax(f), desc);
        };
        auto lo = one(v.lo);
        if (!lo) return false;
        out.lo = out.hi = *lo;
        if (v.hi) {
            auto hi = one(*v.hi);
            if (!hi) return false;
            out.hi = *hi;
        }
    }
    if (out.lo > out.hi) {
        valueError(DiagKind::EmptyRange, v,
                   "range " + v.lo.text + ".." + (v.hi ? v.hi->text : "") +
                       " is empty (the first bound is greater than the second)");
        return false;
    }
    return true;
}

void Resolver::fieldSuggestion(const ast::Ident& id) {
    std::vector<std::string> names;
    for (size_t i = 0; i < kFieldCount; ++i)
        names.emplace_back(fieldInfo(static_cast<Field>(i)).name);
    std::string best = closest(id.text, names);
    if (!best.empty()) note(id.range, "did you mean '" + best + "'?");
}

std::optional<Field> Resolver::field(const ast::Ident& id) {
    if (id.text.empty()) return std::nullopt;
    auto f = fieldByName(id.text);
    if (!f) {
        error(DiagKind::UnknownField, id.range, "unknown field '" + id.text + "'");
        fieldSuggestion(id);
    }
    return f;
}

bool Resolver::conditions(const std::vector<ast::Condition>& in, std::vector<Condition>& out) {
    bool ok = true;
    std::map<Field, SourceRange> seen;
    for (const ast::Condition& c : in) {
        auto f = field(c.field);
        if (!f) {
            ok = false;
            continue;
        }
        auto [it, fresh] = seen.emplace(*f, c.field.range);
        if (!fresh) {
            error(
                DiagKind::DuplicateField, c.field.range,
                "field '" + c.field.text + "' is matched twice; list its values in one condition");
            note(it->second, "first condition on '" + c.field.text + "' is here");
            ok = false;
            continue;
        }
        Condition cond;
        cond.field = *f;
        cond.range = c.range;
        for (const RVal& v : expand(c.values)) {
            MatchValue mv;
            if (matchValue(*f, v, mv)) {
                cond.values.push_back(mv);
            } else {
                ok = false;
            }
        }
        if (cond.values.empty()) {
            ok = false;
            continue;
        }
        out.push_back(std::move(cond));
    }
    return ok;
}

unsigned Resolver::families(const std::vector<Condition>& conds, Field f) {
    for (const Condition& c : conds) {
        if (c.field != f) continue;
        unsigned m = 0;
        for (const MatchValue& v : c.values) m |= v.family == Family::V4 ? 1u : 2u;
        return m;
    }
    return 3;
}

const char* Resolver::familyText(unsigned mask) {
    return mask == 1 ? "IPv4" : mask == 2 ? "IPv6" : "IPv4 and IPv6";
}

std::optional<uint32_t> Resolver::priority(const ast::Atom& a) {
    if (a.text.empty()) return std::nullopt;
    RVal v;
    v.lo = a;
    v.at = v.origin = a.range;
    auto p = integer(v, a, 0xffffffffu, "a priority");
    if (!p) return std::nullopt;
    return static_cast<uint32_t>(*p);
}

std::optional<uint32_t> Resolver::parsedPriority(const ast::Atom& a) {
    if (a.text.empty() || a.text.size() > 10 || a.kind != ast::AtomKind::Int) return std::nullopt;
    uint64_t v = std::stoull(a.text);
    if (v > 0xffffffffu) return std::nullopt;
    return static_cast<uint32_t>(v);
}

void Resolver::lowerAction(const ast::Rule& r, unsigned trafficFamilies, Action& act) {
    act.range = r.actions.empty() ? r.range : r.actions.front().range;
    if (!r.actions.empty()) act.range.end = r.actions.back().range.end;
    const ast::ActionItem* deny = nullptr;
    const ast::ActionItem* allow = nullptr;
    const ast::ActionItem* encap = nullptr;
    const ast::ActionItem* decap = nullptr;
    const ast::ActionItem* route = nullptr;
    const ast::ActionItem* meter = nullptr;
    std::map<Field, SourceRange> sets;
    auto twice = [&](const ast::ActionItem* prev, const ast::ActionItem& a, const char* what) {
        if (prev == nullptr) return false;
        error(DiagKind::ConflictingActions, a.range,
              std::string("a rule can have only one '") + what + "' action");
        note(prev->range, "previous '" + std::string(what) + "' is here");
        return true;
    };
    for (const ast::ActionItem& a : r.actions) {
        switch (a.kind) {
            case ast::ActionKind::Deny:
                if (!twice(deny, a, "deny")) deny = &a;
                break;
            case ast::ActionKind::Allow:
                if (!twice(allow, a, "allow")) allow = &a;
                break;
            case ast::ActionKind::Decap:
                if (twice(decap, a, "decap")) break;
                decap = &a;
                if (!a.name.text.empty() && a.name.text != "vxlan") {
                    error(DiagKind::TypeMismatch, a.name.range,
                          "unsupported encapsulation '" + a.name.text + "'; expected 'vxlan'");
                }
                act.decap = true;
                break;
            case ast::ActionKind::Encap:
                if (twice(encap, a, "encap")) break;
                encap = &a;
                lowerEncap(a, act);
                break;
            case ast::ActionKind::Route:
                if (twice(route, a, "route")) break;
                route = &a;
                act.routeTable = lookup(a.name, DeclKind::Routes);
                break;
            case ast::ActionKind::Meter:
                if (twice(meter, a, "meter")) break;
                meter = &a;
                act.meter = lookup(a.name, DeclKind::Meter);
                break;
            case ast::ActionKind::Set: {
                auto f = field(a.name);
                if (!f) break;
                const FieldInfo& info = fieldInfo(*f);
                if (!info.rewritable) {
                    std::string list;
                    for (size_t i = 0; i < kFieldCount; ++i) {
                        const FieldInfo& fi = fieldInfo(static_cast<Field>(i));
                        if (!fi.rewritable) continue;
                        if (!list.empty()) list += ", ";
                        list += fi.name;
                    }
                    error(DiagKind::FieldNotRewritable, a.name.range,
                          "field '" + a.name.text + "' cannot be rewritten; 'set' takes " + list);
                    break;
                }
                auto [it, fresh] = sets.emplace(*f, a.range);
                if (!fresh) {
                    error(DiagKind::ConflictingActions, a.range,
                          "field '" + a.name.text + "' is set twice");
                    note(it->second, "previous 'set " + a.name.text + "' is here");
                    break;
                }
                if (!a.value) break;
                std::vector<RVal> vals = expandOne(*a.value);
                if (vals.size() != 1) {
                    if (!vals.empty()) {
                        error(DiagKind::TypeMismatch, a.value->range,
                              "'set " + a.name.text + "' takes one value, not a list");
                    }
                    break;
                }
                const RVal& v = vals[0];
                Rewrite rw;
                rw.field = *f;
                rw.range = a.range;
                std::string what = "'set " + a.name.text + "'";
                if (info.isIp) {
                    auto ip = plainAddress(v, what);
                    if (!ip) break;
                    unsigned fam = ip->family == Family::V4 ? 1u : 2u;
                    if ((trafficFamilies & fam) == 0) {
                        valueError(DiagKind::FamilyMismatch, v,
                                   "cannot set " + a.name.text + " to an " +
                                       (fam == 1 ? "IPv4" : "IPv6") +
                                       " address in a rule that matches only " +
                                       familyText(trafficFamilies) + " traffic");
                        break;
                    }
                    rw.value = ip->value;
                    rw.family = ip->family;
                } else if (v.hi) {
                    valueError(DiagKind::TypeMismatch, v, what + " takes one value, not a range");
                    break;
                } else if (*f == Field::SrcMac || *f == Field::DstMac) {
                    auto m = mac(v, v.lo, what);
                    if (!m) break;
                    rw.value = *m;
                } else {
                    auto n = integer(v, v.lo, fieldMax(*f), std::string(info.name));
                    if (!n) break;
                    rw.value = *n;
                }
                act.rewrites.push_back(rw);
                break;
            }
        }
    }
    if (deny != nullptr) {
        act.verdict = Verdict::Deny;
        for (const ast::ActionItem& a : r.actions) {
            if (&a == deny || a.kind == ast::ActionKind::Deny) continue;
            error(DiagKind::ConflictingActions, a.range,
                  "'deny' cannot be combined with other actions");
            note(deny->range, "'deny' is here");
            break;
        }
        act.rewrites.clear();
        act.encap.reset();
        act.decap = false;
        act.routeTable.reset();
        act.meter.reset();
    } else {
        act.verdict = Verdict::Allow;
    }
}

void Resolver::lowerEncap(const ast::ActionItem& a, Action& act) {
    if (!a.name.text.empty() && a.name.text != "vxlan") {
        error(DiagKind::TypeMismatch, a.name.range,
              "unsupported encapsulation '" + a.name.text + "'; expected 'vxlan'");
        return;
    }
    Encap e;
    e.range = a.range;
    std::map<std::string, SourceRange> seen;
    bool ok = true;
    bool haveVni = false, haveSrc = false, haveDst = false;
    for (const ast::ActionArg& arg : a.args) {
        const std::string& key = arg.key.text;
        if (key != "vni" && key != "src" && key != "dst") {
            error(DiagKind::MissingProperty, arg.key.range,
                  "unknown encap argument '" + key + "'; expected vni, src and dst");
            ok = false;
            continue;
        }
        auto [it, fresh] = seen.emplace(key, arg.key.range);
        if (!fresh) {
            error(DiagKind::DuplicateProperty, arg.key.range,
                  "encap argument '" + key + "' given twice");
            note(it->second, "first '" + key + "' is here");
            ok = false;
            continue;
        }
        std::vector<RVal> vals = expandOne(arg.value);
        if (vals.size() != 1) {
            if (!vals.empty())
                error(DiagKind::TypeMismatch, arg.value.range, "encap " + key + " takes one value");
            ok = false;
            continue;
        }
        const RVal& v = vals[0];
        if (key == "vni") {
            auto n = v.hi ? std::nullopt : integer(v, v.lo, fieldMax(Field::Vni), "vni");
            if (v.hi)
                valueError(DiagKind::TypeMismatch, v, "encap vni takes one value, not a range");
            if (!n) {
                ok = false;
                continue;
            }
            e.vni = static_cast<uint32_t>(*n);
            haveVni = true;
        } else {
            auto ip = plainAddress(v, "encap " + key);
            if (!ip) {
                ok = false;
                continue;
            }
            (key == "src" ? e.outerSrc : e.outerDst) = *ip;
            (key == "src" ? haveSrc : haveDst) = true;
        }
    }
    for (auto [have, key] : {std::pair{haveVni, "vni"}, {haveSrc, "src"}, {haveDst, "dst"}}) {
        if (!have && !seen.count(key)) {
            error(DiagKind::MissingProperty, a.range,
                  std::string("encap vxlan needs '") + key +
                      "' (encap vxlan vni N src ADDR dst ADDR)");
            ok = false;
        }
    }
    if (haveSrc && haveDst && e.outerSrc.family != e.outerDst.family) {
        error(DiagKind::FamilyMismatch, a.range,
              "encap src and dst addresses must be of one family");
        ok = false;
    }
    if (ok) act.encap = e;
}

void Resolver::lowerLayer(const ast::Layer& l, Layer& out) {
    out.name = l.name.text;
    out.range = l.range;
    for (Action& a : out.defaultAction) {
        a.verdict = Verdict::Deny;
        a.range = l.name.range;
    }
    std::optional<SourceRange> defaults[2];
    std::optional<SourceRange> audit;
    std::map<std::string, SourceRange> ruleNames;
    struct GroupSeen {
        std::map<uint32_t, SourceRange> priorities;
        std::map<std::string, SourceRange> names;
    } seen[2];
    for (const ast::LayerItem& item : l.items) {
        if (auto* d = std::get_if<ast::LayerDefault>(&item)) {
            for (int dir = 0; dir < 2; ++dir) {
                bool applies = d->dir == ast::Dir::Both ||
                               (d->dir == ast::Dir::In) == (dir == static_cast<int>(Direction::In));
                if (!applies) continue;
                if (defaults[dir]) {
                    error(DiagKind::DuplicateProperty, d->range,
                          std::string("default action for '") +
                              directionName(static_cast<Direction>(dir)) + "' given twice");
                    note(*defaults[dir], "previous default is here");
                    break;
                }
                defaults[dir] = d->range;
                out.defaultAction[dir].verdict = d->allow ? Verdict::Allow : Verdict::Deny;
                out.defaultAction[dir].range = d->range;
            }
            continue;
        }
        if (auto* a = std::get_if<ast::LayerAudit>(&item)) {
            if (audit) {
                error(DiagKind::DuplicateProperty, a->range, "'audit' given twice");
                note(*audit, "first one is here");
                continue;
            }
            audit = a->range;
            out.audit = true;
            out.auditRange = a->range;
            continue;
        }
        const auto& ld = std::get<ast::LayerDirection>(item);
        int dir = static_cast<int>(ld.dir == ast::Dir::Out ? Direction::Out : Direction::In);
        for (const ast::Group& g : ld.groups) {
            Group group;
            bool ok = lowerGroup(g, ruleNames, group);
            // Checked even when the group itself has errors, so one run reports all.
            if (auto prio = parsedPriority(g.priority)) {
                auto [pit, pfresh] = seen[dir].priorities.emplace(*prio, g.priority.range);
                if (!pfresh) {
                    error(DiagKind::DuplicatePriority, g.priority.range,
                          "group '" + g.name.text + "' has the same priority (" +
                              std::to_string(*prio) + ") as another group of this direction");
                    note(pit->second,
                         "other group with priority " + std::to_string(*prio) + " is here");
                    ok = false;
                }
            }
            if (!g.name.text.empty()) {
                auto [nit, nfresh] = seen[dir].names.emplace(g.name.text, g.name.range);
                if (!nfresh) {
                    error(DiagKind::DuplicateName, g.name.range,
                          "redefinition of group '" + g.name.text +
                              "' in this direction of layer '" + l.name.text + "'");
                    note(nit->second, "previous definition is here");
                    ok = false;
                }
            }
            if (ok) out.groups[dir].push_back(std::move(group));
        }
    }
    for (auto& groups : out.groups) {
        std::stable_sort(groups.begin(), groups.end(),
                         [](const Group& a, const Group& b) { return a.priority < b.priority; });
    }
    if (out.audit && !layerCanDeny(out)) {
        error(DiagKind::AuditWithoutDeny, out.auditRange,
                      "'audit' has no effect: layer '" + out.name +
                          "' allows by default in both directions and none of its rules denies");
    }
}

bool Resolver::layerCanDeny(const Layer& layer) {
    for (const Action& a : layer.defaultAction) {
        if (a.verdict == Verdict::Deny) return true;
    }
    for (const auto& groups : layer.groups) {
        for (const Group& g : groups) {
            for (const Rule& r : g.rules) {
                if (r.action.verdict == Verdict::Deny) return true;
            }
        }
    }
    return false;
}

bool Resolver::lowerGroup(const ast::Group& g, std::map<std::string, SourceRange>& ruleNames,
                          Group& out) {
    bool ok = true;
    out.name = g.name.text;
    out.range = g.range;
    auto p = priority(g.priority);
    if (!p) ok = false;
    out.priority = p.value_or(0);
    if (!conditions(g.conditions, out.conditions)) ok = false;
    std::optional<Field> lpm = std::nullopt;
    if (g.lpmField.has_value()) {
        lpm = field(*g.lpmField);
        if (lpm && !fieldInfo(*lpm).isIp) {
            error(DiagKind::TypeMismatch, g.lpmField->range,
                  "lpm needs an address field (src_ip, dst_ip, outer_src_ip, outer_dst_ip), not '" +
                      g.lpmField->text + "'");
            lpm.reset();
        }
        if (!lpm) ok = false;
        out.mode = GroupMode::Lpm;
        out.lpmField = lpm.value_or(Field::DstIp);
    }
    unsigned groupFamilies =
        families(out.conditions, Field::SrcIp) & families(out.conditions, Field::DstIp);
    std::map<uint32_t, SourceRange> priorities;
    for (const ast::Rule& r : g.rules) {
        Rule rule;
        bool ruleOk = lowerRule(r, groupFamilies, rule);
        if (!r.name.text.empty()) {
            auto [it, fresh] = ruleNames.emplace(r.name.text, r.name.range);
            if (!fresh) {
                error(DiagKind::DuplicateName, r.name.range,
                      "redefinition of rule '" + r.name.text + "' in this layer");
                note(it->second, "previous definition is here");
                ruleOk = false;
            }
        }
        if (auto rp = parsedPriority(r.priority)) {  // lowerRule reported a bad one
            auto [it, fresh] = priorities.emplace(*rp, r.priority.range);
            if (!fresh) {
                error(DiagKind::DuplicatePriority, r.priority.range,
                      "rule '" + r.name.text + "' has the same priority (" + std::to_string(*rp) +
                          ") as another rule of group '" + g.name.text + "'");
                note(it->second, "other rule with priority " + std::to_string(*rp) + " is here");
                ruleOk = false;
            }
        } else {
            ruleOk = false;
        }
        if (ruleOk && lpm) {
            const Field lpmField = out.lpmField;  // == *lpm (a plain copy keeps GCC quiet)
            const Condition* c = nullptr;
            for (const Condition& cond : rule.conditions) {
                if (cond.field == lpmField) c = &cond;
            }
            std::string fname(fieldInfo(lpmField).name);
            if (c == nullptr) {
                error(DiagKind::LpmFieldMissing, r.name.range,
                      "rule '" + r.name.text + "' in lpm group '" + g.name.text +
                          "' has no condition on " + fname);
                note(g.lpmField->range, "the group matches by longest prefix of " + fname);
                ruleOk = false;
            } else {
                for (const MatchValue& v : c->values) {
                    if (v.prefixLen < 0) {
                        error(DiagKind::LpmFieldMissing, v.range,
                              "values of " + fname + " in lpm group '" + g.name.text +
                                  "' must be prefixes or addresses, not ranges");
                        ruleOk = false;
                        break;
                    }
                }
            }
        }
        if (ruleOk && in_.warnings) warnContradiction(rule, out);
        if (ruleOk)
            out.rules.push_back(std::move(rule));
        else
            ok = false;
    }
    std::stable_sort(out.rules.begin(), out.rules.end(),
                     [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
    return ok;
}

bool Resolver::lowerRule(const ast::Rule& r, unsigned groupFamilies, Rule& out) {
    size_t errors = diags_.errorCount();
    out.name = r.name.text;
    out.range = r.range;
    out.priority = 0;
    if (auto p = priority(r.priority)) out.priority = *p;
    conditions(r.conditions, out.conditions);
    unsigned src = families(out.conditions, Field::SrcIp);
    unsigned dst = families(out.conditions, Field::DstIp);
    if ((src & dst) == 0) {
        SourceRange at = r.name.range;
        for (const Condition& c : out.conditions) {
            if (c.field == Field::DstIp) at = c.range;
        }
        error(DiagKind::FamilyMismatch, at,
              "rule '" + r.name.text + "' can never match: src_ip is " + familyText(src) +
                  " only and dst_ip is " + familyText(dst) + " only");
    }
    unsigned traffic = src & dst & groupFamilies;
    if (traffic == 0) traffic = 3;  // already reported, or the group's own problem
    lowerAction(r, traffic, out.action);
    const ast::Rule::Flag* seenFlag[3] = {nullptr, nullptr, nullptr};
    for (const ast::Rule::Flag& f : r.flags) {
        static const char* const kFlagNames[] = {"terminating", "stateful", "log"};
        const ast::Rule::Flag*& slot = seenFlag[static_cast<int>(f.kind)];
        if (slot != nullptr) {
            error(DiagKind::DuplicateProperty, f.range,
                  std::string("'") + kFlagNames[static_cast<int>(f.kind)] + "' given twice");
            note(slot->range, "first one is here");
            continue;
        }
        slot = &f;
        if (f.kind == ast::Rule::FlagKind::Terminating) {
            out.terminating = true;
            continue;
        }
        if (f.kind == ast::Rule::FlagKind::Log) {
            out.log = true;
            continue;
        }
        out.stateful = true;
        if (f.idle) {
            std::vector<RVal> vals = expandOne(*f.idle);
            if (vals.size() == 1) {
                if (auto ms = durationMs(vals[0], "the idle timeout")) {
                    if (*ms == 0) {
                        valueError(DiagKind::OutOfRange, vals[0],
                                   "the idle timeout must be positive");
                    } else if (atMost(vals[0], *ms, kMaxIdleTimeoutMs, "the idle timeout",
                                      "168h")) {
                        out.idleTimeoutMs = *ms;
                    }
                }
            } else if (!vals.empty()) {
                error(DiagKind::TypeMismatch, f.idle->range, "idle takes one duration");
            }
        }
        if (out.action.verdict == Verdict::Deny && !r.actions.empty()) {
            error(DiagKind::StatefulDeny, f.range,
                  "rule '" + r.name.text +
                      "' is stateful but denies; only permitting rules can "
                      "create sessions");
        }
    }
    return diags_.errorCount() == errors;
}

}  // namespace sluice::lang::resolver
