// Resolver (resolver.h): ports, ECMP groups, meters, credits, route tables, assertions.
#include "resolver.h"

namespace sluice::lang::resolver {

std::map<std::string, std::vector<Resolver::SettingView>> Resolver::settings(
    const ast::SettingsDecl& d, std::vector<std::string> allowed, std::set<std::string> repeatable,
    const char* what) {
    std::map<std::string, std::vector<SettingView>> out;
    for (const ast::Setting& s : d.settings) {
        if (s.name.text.empty()) continue;
        if (std::find(allowed.begin(), allowed.end(), s.name.text) == allowed.end()) {
            std::string list;
            for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
            error(DiagKind::MissingProperty, s.name.range,
                  "unknown setting '" + s.name.text + "' in " + what + " '" + d.name.text +
                      "'; expected one of: " + list);
            std::string best = closest(s.name.text, allowed);
            if (!best.empty()) note(s.name.range, "did you mean '" + best + "'?");
            continue;
        }
        auto& list = out[s.name.text];
        if (!list.empty() && !repeatable.count(s.name.text)) {
            error(
                DiagKind::DuplicateProperty, s.name.range,
                "setting '" + s.name.text + "' given twice in " + what + " '" + d.name.text + "'");
            note(list.front().setting->name.range, "first '" + s.name.text + "' is here");
            continue;
        }
        SettingView v;
        v.setting = &s;
        for (const ast::SettingArg& a : s.args) {
            if (a.comma)
                v.hasComma = true;
            else
                v.values.push_back(&a.value);
        }
        list.push_back(std::move(v));
    }
    return out;
}

void Resolver::require(const std::map<std::string, std::vector<SettingView>>& s,
                       std::initializer_list<const char*> names, const ast::SettingsDecl& d,
                       const char* what) {
    for (const char* n : names) {
        if (s.count(n) == 0) {
            error(DiagKind::MissingProperty, d.name.range,
                  std::string(what) + " '" + d.name.text + "' lacks the required setting '" + n +
                      "'");
        }
    }
}

std::optional<RVal> Resolver::single(const SettingView& s, const char* shape) {
    std::vector<RVal> vals;
    for (const ast::Value* v : s.values) {
        for (RVal& r : expandOne(*v)) vals.push_back(std::move(r));
    }
    if (s.hasComma || s.values.size() != 1 || vals.size() > 1) {
        error(DiagKind::TypeMismatch, s.setting->range,
              "'" + s.setting->name.text + "' takes " + shape);
        return std::nullopt;
    }
    if (vals.empty()) return std::nullopt;  // a bad constant, reported already
    return vals[0];
}

std::vector<RVal> Resolver::list(const SettingView& s) {
    std::vector<RVal> vals;
    for (const ast::Value* v : s.values) {
        for (RVal& r : expandOne(*v)) vals.push_back(std::move(r));
    }
    if (s.values.empty()) {
        error(DiagKind::EmptyList, s.setting->range,
              "'" + s.setting->name.text + "' needs at least one value");
    }
    return vals;
}

ast::Ident Resolver::nameOf(const ast::Value& v) { return ast::Ident{v.lo.text, v.range}; }

bool Resolver::isName(const ast::Value& v, const SettingView& s, const char* what) {
    if (v.hi || v.lo.kind != ast::AtomKind::Name) {
        error(DiagKind::TypeMismatch, v.range,
              "'" + s.setting->name.text + "' takes " + what + ", not '" + v.lo.text + "'");
        return false;
    }
    return true;
}

void Resolver::lowerPort(const ast::SettingsDecl& d, Port& out) {
    out.name = d.name.text;
    out.range = d.range;
    auto s = settings(d, {"mac", "ip", "vni", "layers", "credit"}, {}, "port");
    require(s, {"mac", "ip", "vni", "layers"}, d, "port");
    if (auto it = s.find("mac"); it != s.end()) {
        if (auto v = single(it->second[0], "one MAC address")) {
            if (v->hi)
                valueError(DiagKind::TypeMismatch, *v, "'mac' takes one MAC address, not a range");
            else if (auto m = mac(*v, v->lo, "the port's mac"))
                out.mac = *m;
        }
    }
    if (auto it = s.find("ip"); it != s.end()) {
        for (const RVal& v : list(it->second[0])) {
            if (auto ip = plainAddress(v, "the port's ip")) out.ips.push_back(*ip);
        }
    }
    if (auto it = s.find("vni"); it != s.end()) {
        if (auto v = single(it->second[0], "one VNI (0..16777215)")) {
            if (v->hi)
                valueError(DiagKind::TypeMismatch, *v, "'vni' takes one value, not a range");
            else if (auto n = integer(*v, v->lo, fieldMax(Field::Vni), "vni"))
                out.vni = static_cast<uint32_t>(*n);
        }
    }
    if (auto it = s.find("layers"); it != s.end()) {
        const SettingView& sv = it->second[0];
        if (sv.values.empty()) {
            error(DiagKind::EmptyList, sv.setting->range, "'layers' needs at least one layer");
        }
        std::map<uint32_t, SourceRange> seen;
        for (const ast::Value* v : sv.values) {
            if (!isName(*v, sv, "layer names")) continue;
            if (auto idx = lookup(nameOf(*v), DeclKind::Layer)) {
                auto [pos, fresh] = seen.emplace(*idx, v->range);
                if (!fresh) {
                    error(DiagKind::DuplicateProperty, v->range,
                          "layer '" + v->lo.text + "' listed twice");
                    note(pos->second, "first listed here");
                    continue;
                }
                out.layers.push_back(*idx);
            }
        }
    }
    if (auto it = s.find("credit"); it != s.end()) {
        const SettingView& sv = it->second[0];
        if (sv.values.size() != 1 || sv.hasComma) {
            error(DiagKind::TypeMismatch, sv.setting->range,
                  "'credit' takes one credit policy name");
        } else if (isName(*sv.values[0], sv, "a credit policy name")) {
            out.credit = lookup(nameOf(*sv.values[0]), DeclKind::Credit);
        }
    }
}

std::map<std::string, const ast::Value*> Resolver::pairs(const std::vector<const ast::Value*>& vals,
                                                         size_t from,
                                                         const std::vector<std::string>& keys,
                                                         const std::string& what) {
    std::map<std::string, const ast::Value*> out;
    for (size_t i = from; i < vals.size(); i += 2) {
        const ast::Value& k = *vals[i];
        std::string key = k.hi ? "" : k.lo.text;
        if (k.hi || k.lo.kind != ast::AtomKind::Name ||
            std::find(keys.begin(), keys.end(), key) == keys.end()) {
            std::string list;
            for (const std::string& a : keys) list += (list.empty() ? "" : ", ") + a;
            error(DiagKind::MissingProperty, k.range,
                  "unexpected '" + k.lo.text + "' in " + what + "; expected one of: " + list);
            continue;
        }
        if (i + 1 >= vals.size()) {
            error(DiagKind::MissingProperty, k.range,
                  "'" + key + "' in " + what + " needs a value");
            break;
        }
        if (out.count(key)) {
            error(DiagKind::DuplicateProperty, k.range, "'" + key + "' given twice in " + what);
            note(out[key]->range, "first value is here");
            continue;
        }
        out[key] = vals[i + 1];
    }
    return out;
}

std::optional<RVal> Resolver::one(const ast::Value& v, const std::string& what) {
    std::vector<RVal> vals = expandOne(v);
    if (vals.size() != 1) {
        if (!vals.empty()) error(DiagKind::TypeMismatch, v.range, what + " takes one value");
        return std::nullopt;
    }
    if (vals[0].hi) {
        valueError(DiagKind::TypeMismatch, vals[0], what + " takes one value, not a range");
        return std::nullopt;
    }
    return vals[0];
}

std::optional<uint32_t> Resolver::count(const ast::Value& v, const std::string& what, uint32_t min,
                                        uint32_t max) {
    auto r = one(v, what);
    if (!r) return std::nullopt;
    auto n = integer(*r, r->lo, max, what);
    if (!n) return std::nullopt;
    if (*n < min) {
        valueError(DiagKind::OutOfRange, *r, what + " must be at least " + std::to_string(min));
        return std::nullopt;
    }
    return static_cast<uint32_t>(*n);
}

void Resolver::lowerEcmp(const ast::SettingsDecl& d, EcmpGroup& out) {
    out.name = d.name.text;
    out.range = d.range;
    auto s = settings(d, {"member", "hash", "probe"}, {"member"}, "ecmp group");
    std::map<std::string, SourceRange> names;
    for (const SettingView& m : s["member"]) {
        const auto& v = m.values;
        if (v.size() < 2 || m.hasComma || !isName(*v[0], m, "a member name and an address")) {
            if (v.size() < 2 || m.hasComma) {
                error(DiagKind::BadEcmp, m.setting->range,
                      "'member' takes a name and an address: member NAME ADDR [weight N]");
            }
            continue;
        }
        EcmpMember member;
        member.name = v[0]->lo.text;
        member.range = m.setting->range;
        auto [it, fresh] = names.emplace(member.name, v[0]->range);
        if (!fresh) {
            error(DiagKind::DuplicateName, v[0]->range,
                  "redefinition of member '" + member.name + "'");
            note(it->second, "previous definition is here");
            continue;
        }
        auto addr = one(*v[1], "a member address");
        if (!addr) continue;
        auto ip = plainAddress(*addr, "member '" + member.name + "'");
        if (!ip) continue;
        member.address = *ip;
        auto opts = pairs(v, 2, {"weight"}, "member '" + member.name + "'");
        if (auto w = opts.find("weight"); w != opts.end()) {
            auto n = count(*w->second, "weight", 1);
            if (!n) continue;
            member.weight = *n;
        }
        out.members.push_back(std::move(member));
    }
    // The runtime picks a member by hashing into the sum of the weights: it must fit.
    uint64_t total = 0;
    for (const EcmpMember& m : out.members) total += m.weight;  // <= 2^32 members x 2^32
    if (total > kMaxEcmpTotalWeight) {
        error(DiagKind::BadEcmp, d.name.range,
              "the member weights of ecmp group '" + d.name.text + "' add up to " +
                  std::to_string(total) + "; at most " + std::to_string(kMaxEcmpTotalWeight));
    }
    if (s["member"].empty()) {
        error(DiagKind::BadEcmp, d.name.range, "ecmp group '" + d.name.text + "' has no members");
    }
    if (auto it = s.find("hash"); it != s.end() && !it->second.empty()) {
        std::map<Field, SourceRange> seen;
        for (const ast::Value* v : it->second[0].values) {
            if (!isName(*v, it->second[0], "match field names")) continue;
            auto f = field(nameOf(*v));
            if (!f) continue;
            auto [pos, fresh] = seen.emplace(*f, v->range);
            if (!fresh) {
                error(DiagKind::DuplicateProperty, v->range,
                      "hash field '" + v->lo.text + "' listed twice");
                note(pos->second, "first listed here");
                continue;
            }
            out.hashFields.push_back(*f);
        }
        if (it->second[0].values.empty()) {
            error(DiagKind::EmptyList, it->second[0].setting->range,
                  "'hash' needs at least one field");
        }
    } else {
        out.hashFields = {Field::SrcIp, Field::DstIp, Field::Proto, Field::SrcPort, Field::DstPort};
    }
    if (auto it = s.find("probe"); it != s.end() && !it->second.empty()) {
        HealthProbe p;
        auto opts = pairs(it->second[0].values, 0,
                          {"interval", "timeout", "down_after", "up_after"}, "probe");
        for (auto& [key, val] : opts) {
            if (key == "interval" || key == "timeout") {
                auto r = one(*val, key);
                if (!r) continue;
                auto ms = durationMs(*r, "probe " + key);
                if (!ms) continue;
                if (*ms == 0) {
                    valueError(DiagKind::OutOfRange, *r, "probe " + key + " must be positive");
                    continue;
                }
                if (!atMost(*r, *ms, kMaxProbeMs, "probe " + key, "1h")) continue;
                (key == "interval" ? p.intervalMs : p.timeoutMs) = *ms;
            } else if (auto n = count(*val, key, 1, kMaxProbeCount)) {
                (key == "down_after" ? p.downAfter : p.upAfter) = *n;
            }
        }
        out.probe = p;
    }
}

void Resolver::lowerMeter(const ast::SettingsDecl& d, Meter& out) {
    out.name = d.name.text;
    out.range = d.range;
    auto s = settings(d, {"rate", "burst"}, {}, "meter");
    require(s, {"rate"}, d, "meter");
    if (auto it = s.find("rate"); it != s.end()) {
        if (auto v = single(it->second[0], "one rate (e.g. 2Gbps or 1Mpps)")) {
            if (auto q = quantity(*v, {QuantityKind::Bps, QuantityKind::Pps}, "the meter rate")) {
                bool bps = q->kind == QuantityKind::Bps;
                if (q->amount == 0) {
                    valueError(DiagKind::OutOfRange, *v, "the meter rate must be positive");
                } else if (atMost(*v, q->amount, bps ? kMaxRateBps : kMaxRatePps, "the meter rate",
                                  bps ? "10Tbps" : "10Gpps")) {
                    (bps ? out.rateBps : out.ratePps) = q->amount;
                }
            }
        }
    }
    if (auto it = s.find("burst"); it != s.end()) {
        if (auto v = single(it->second[0], "one size (e.g. 1MB)")) {
            auto q = quantity(*v, {QuantityKind::Bytes}, "the meter burst");
            if (q && atMost(*v, q->amount, kMaxBurstBytes, "the meter burst", "1TB")) {
                out.burstBytes = q->amount;
            }
        }
    }
}

void Resolver::lowerCredit(const ast::SettingsDecl& d, CreditPolicy& out) {
    out.name = d.name.text;
    out.range = d.range;
    auto s = settings(d, {"bandwidth", "cpu"}, {}, "credit policy");
    if (s.empty()) {
        error(DiagKind::MissingProperty, d.name.range,
              "credit policy '" + d.name.text + "' needs 'bandwidth' or 'cpu'");
    }
    for (auto& [name, views] : s) {
        const SettingView& sv = views[0];
        bool bw = name == "bandwidth";
        std::string what = "'" + name + "' of credit policy '" + d.name.text + "'";
        auto opts = pairs(sv.values, 0, {"base", "max", "host", "cap", "consume"}, what);
        bool ok = true;
        for (const char* req : {"base", "max", "host", "cap"}) {
            if (!opts.count(req)) {
                error(DiagKind::MissingProperty, sv.setting->name.range,
                      what + " lacks '" + req + "'");
                ok = false;
            }
        }
        CreditSpec spec;
        spec.range = sv.setting->range;
        auto amount = [&](const char* key, double& slot) {
            auto it = opts.find(key);
            if (it == opts.end()) return;
            auto r = one(*it->second, key);
            if (!r) {
                ok = false;
                return;
            }
            auto q = quantity(*r, {bw ? QuantityKind::Bps : QuantityKind::Percent},
                              std::string("'") + key + "' of " + name);
            if (!q) {
                ok = false;
                return;
            }
            if (!atMost(*r, q->amount, bw ? kMaxRateBps : kMaxCpuPercent,
                        std::string("'") + key + "' of " + name, bw ? "10Tbps" : "100000%")) {
                ok = false;
                return;
            }
            slot = bw ? q->asDouble() : q->asDouble() / 10000.0;
        };
        amount("base", spec.base);
        amount("max", spec.max);
        amount("host", spec.hostTotal);
        if (auto it = opts.find("cap"); it != opts.end()) {
            auto r = one(*it->second, "cap");
            auto ms = r ? durationMs(*r, "the credit cap") : std::nullopt;
            if (ms && atMost(*r, *ms, kMaxCreditCapMs, "the credit cap", "1h"))
                spec.capMs = *ms;
            else
                ok = false;
        }
        std::optional<RVal> consumeVal;
        if (auto it = opts.find("consume"); it != opts.end()) {
            consumeVal = one(*it->second, "consume");
            auto q = consumeVal ? quantity(*consumeVal, {QuantityKind::Percent}, "consume")
                                : std::nullopt;
            if (q)
                spec.consume = q->asDouble() / 10000.0;
            else
                ok = false;
        }
        if (!ok) continue;
        if (!(spec.base <= spec.max && spec.max <= spec.hostTotal)) {
            error(DiagKind::BadCredit, sv.setting->range, what + ": need base <= max <= host");
            continue;
        }
        if (consumeVal && !(spec.consume > 0 && spec.consume <= 1.0)) {
            valueError(DiagKind::BadCredit, *consumeVal,
                       "consume must be above 0% and at most 100%");
            continue;
        }
        (bw ? out.bandwidth : out.cpu) = spec;
    }
}

void Resolver::lowerRoutes(const ast::Routes& r, RouteTable& out) {
    out.name = r.name.text;
    out.range = r.range;
    std::map<std::tuple<int, u128, int>, SourceRange> seen;
    for (const ast::RouteEntry& e : r.entries) {
        RouteEntry entry;
        entry.range = e.range;
        auto pv = one(e.prefix, "a route");
        if (!pv) continue;
        auto a = address(*pv, pv->lo, "a route prefix");
        if (!a) continue;
        entry.prefix = a->ip;
        entry.prefixLen = a->prefixLen >= 0 ? a->prefixLen : static_cast<int>(a->ip.width());
        auto key = std::make_tuple(static_cast<int>(a->ip.family), a->ip.value, entry.prefixLen);
        auto [it, fresh] = seen.emplace(key, e.prefix.range);
        if (!fresh) {
            error(DiagKind::DuplicateRoute, e.prefix.range,
                  "prefix " + entry.prefix.str() + "/" + std::to_string(entry.prefixLen) +
                      " is routed twice in table '" + r.name.text + "'");
            note(it->second, "first route for it is here");
            continue;
        }
        bool ok = true;
        switch (e.hop) {
            case ast::HopKind::Port: {
                entry.kind = NextHopKind::Port;
                auto idx = lookup(e.target, DeclKind::Port);
                ok = idx.has_value();
                entry.port = idx.value_or(0);
                break;
            }
            case ast::HopKind::Ecmp: {
                entry.kind = NextHopKind::Ecmp;
                auto idx = lookup(e.target, DeclKind::Ecmp);
                ok = idx.has_value();
                entry.ecmp = idx.value_or(0);
                break;
            }
            case ast::HopKind::Host:
            case ast::HopKind::Gateway: {
                entry.kind = e.hop == ast::HopKind::Host ? NextHopKind::Host : NextHopKind::Gateway;
                ok = false;
                if (!e.address) break;
                auto v = one(*e.address, "a next hop");
                if (!v) break;
                auto ip =
                    plainAddress(*v, e.hop == ast::HopKind::Host ? "the host" : "the gateway");
                if (!ip) break;
                entry.address = *ip;
                ok = true;
                break;
            }
            case ast::HopKind::Drop:
                entry.kind = NextHopKind::Drop;
                break;
        }
        if (ok) out.routes.push_back(entry);
    }
}

bool Resolver::lowerAssert(const ast::Assert& a, Assertion& out) {
    size_t errors = diags_.errorCount();
    out.name = a.name.text;
    out.range = a.range;
    switch (a.kind) {
        case ast::AssertKindAst::Isolated:
            out.kind = AssertKind::Isolated;
            break;
        case ast::AssertKindAst::ReachableEvery:
            out.kind = AssertKind::ReachableEvery;
            break;
        default:
            out.kind = AssertKind::ReachableSome;
            break;
    }
    auto endpoints = [&](const std::vector<ast::Value>& vals, std::vector<MatchValue>& dest) {
        for (const ast::Value& v : vals) {
            if (!v.hi && v.lo.kind == ast::AtomKind::Name) {
                const Entry* e = findEntry(v.lo.text);
                if (e != nullptr && e->kind == DeclKind::Port) {
                    const_cast<Entry*>(e)->used = true;
                    for (const IpAddr& ip : policy_->ports[e->index].ips) {
                        MatchValue mv;
                        mv.family = ip.family;
                        mv.lo = mv.hi = ip.value;
                        mv.prefixLen = static_cast<int>(ip.width());
                        mv.range = v.range;
                        dest.push_back(mv);
                    }
                    continue;
                }
            }
            for (const RVal& r : expandOne(v)) {
                if (!r.hi && r.lo.kind == ast::AtomKind::Name && findEntry(r.lo.text) == nullptr) {
                    valueError(DiagKind::UnknownName, r,
                               "unknown name '" + r.lo.text +
                                   "'; expected an address, prefix, constant or port");
                    suggest(r.lo.text, DeclKind::Port);
                    continue;
                }
                MatchValue mv;
                if (matchValue(Field::SrcIp, r, mv)) dest.push_back(mv);
            }
        }
    };
    endpoints(a.from, out.from);
    endpoints(a.to, out.to);
    conditions(a.conditions, out.conditions);
    warnDisjointFamilies(a, out);
    return diags_.errorCount() == errors;
}

}  // namespace sluice::lang::resolver
