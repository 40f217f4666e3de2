// dumpPolicy: one line per model object, indented by nesting; values printed in their
// field's natural notation so a dump reads like the policy.
#include "sluice/lang/dump.h"

#include <sstream>

namespace sluice::lang {

namespace {

std::string num(u128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v != 0) {
        s += static_cast<char>('0' + static_cast<int>(v % 10));
        v /= 10;
    }
    return {s.rbegin(), s.rend()};
}

std::string fieldValue(Field f, u128 v, Family fam) {
    const FieldInfo& info = fieldInfo(f);
    if (info.isIp) return IpAddr{fam, v}.str();
    if (f == Field::SrcMac || f == Field::DstMac) return macToString(static_cast<uint64_t>(v));
    return num(v);
}

std::string matchValue(Field f, const MatchValue& m) {
    std::string s = fieldValue(f, m.lo, m.family);
    if (m.hi != m.lo || m.prefixLen >= 0) s += ".." + fieldValue(f, m.hi, m.family);
    if (m.prefixLen >= 0) s += "/" + std::to_string(m.prefixLen);
    return s;
}

void conditions(std::ostream& out, const std::vector<Condition>& conds) {
    for (const Condition& c : conds) {
        out << ' ' << fieldInfo(c.field).name << '=';
        for (size_t i = 0; i < c.values.size(); ++i) {
            out << (i ? "," : "") << matchValue(c.field, c.values[i]);
        }
    }
}

void action(std::ostream& out, const Policy& p, const Action& a) {
    out << verdictName(a.verdict);
    if (a.decap) out << " decap";
    for (const Rewrite& r : a.rewrites) {
        out << " set " << fieldInfo(r.field).name << '=' << fieldValue(r.field, r.value, r.family);
    }
    if (a.encap) {
        out << " encap vni=" << a.encap->vni << " src=" << a.encap->outerSrc.str()
            << " dst=" << a.encap->outerDst.str();
    }
    if (a.routeTable) out << " route=" << p.routeTables.at(*a.routeTable).name;
    if (a.meter) out << " meter=" << p.meters.at(*a.meter).name;
}

void credit(std::ostream& out, const char* what, const std::optional<CreditSpec>& c) {
    if (!c) return;
    out << "  " << what << " base=" << c->base << " max=" << c->max << " host=" << c->hostTotal
        << " capMs=" << c->capMs << " consume=" << c->consume << '\n';
}

}  // namespace

std::string dumpPolicy(const Policy& p) {
    std::ostringstream out;
    out.precision(17);
    for (const Port& port : p.ports) {
        out << "port " << port.name << " mac=" << macToString(port.mac) << " vni=" << port.vni
            << " ips=";
        for (size_t i = 0; i < port.ips.size(); ++i) out << (i ? "," : "") << port.ips[i].str();
        out << " layers=";
        for (size_t i = 0; i < port.layers.size(); ++i) {
            out << (i ? "," : "") << p.layers.at(port.layers[i]).name;
        }
        if (port.credit) out << " credit=" << p.credits.at(*port.credit).name;
        out << '\n';
    }
    for (const Layer& layer : p.layers) {
        out << "layer " << layer.name << " default in " << verdictName(layer.defaultAction[0].verdict)
            << " out " << verdictName(layer.defaultAction[1].verdict)
            << (layer.audit ? " audit" : "") << '\n';
        for (Direction d : {Direction::In, Direction::Out}) {
            for (const Group& g : layer.groupsFor(d)) {
                out << "  " << directionName(d) << " group " << g.name << " priority " << g.priority;
                if (g.mode == GroupMode::Lpm) out << " lpm " << fieldInfo(g.lpmField).name;
                conditions(out, g.conditions);
                out << '\n';
                for (const Rule& r : g.rules) {
                    out << "    rule " << r.name << " priority " << r.priority;
                    conditions(out, r.conditions);
                    out << " -> ";
                    action(out, p, r.action);
                    if (r.terminating) out << " terminating";
                    if (r.stateful) out << " stateful idleMs=" << r.idleTimeoutMs;
                    if (r.log) out << " log";
                    out << '\n';
                }
            }
        }
    }
    for (const RouteTable& t : p.routeTables) {
        out << "routes " << t.name << '\n';
        for (const RouteEntry& e : t.routes) {
            out << "  " << e.prefix.str() << '/' << e.prefixLen << " -> ";
            switch (e.kind) {
                case NextHopKind::Port: out << "port " << p.ports.at(e.port).name; break;
                case NextHopKind::Host: out << "host " << e.address.str(); break;
                case NextHopKind::Gateway: out << "gateway " << e.address.str(); break;
                case NextHopKind::Ecmp: out << "ecmp " << p.ecmpGroups.at(e.ecmp).name; break;
                case NextHopKind::Drop: out << "drop"; break;
            }
            out << '\n';
        }
    }
    for (const EcmpGroup& g : p.ecmpGroups) {
        out << "ecmp " << g.name << " hash=";
        for (size_t i = 0; i < g.hashFields.size(); ++i) {
            out << (i ? "," : "") << fieldInfo(g.hashFields[i]).name;
        }
        if (g.probe) {
            out << " probe interval=" << g.probe->intervalMs << " timeout=" << g.probe->timeoutMs
                << " down=" << g.probe->downAfter << " up=" << g.probe->upAfter;
        }
        out << '\n';
        for (const EcmpMember& m : g.members) {
            out << "  member " << m.name << ' ' << m.address.str() << " weight " << m.weight << '\n';
        }
    }
    for (const Meter& m : p.meters) {
        out << "meter " << m.name << " bps=" << m.rateBps << " pps=" << m.ratePps
            << " burst=" << m.burstBytes << '\n';
    }
    for (const CreditPolicy& c : p.credits) {
        out << "credit " << c.name << '\n';
        credit(out, "bandwidth", c.bandwidth);
        credit(out, "cpu", c.cpu);
    }
    for (const Assertion& a : p.assertions) {
        out << "assert " << a.name << ' '
            << (a.kind == AssertKind::Isolated         ? "isolated"
                : a.kind == AssertKind::ReachableSome ? "reachable-some"
                                                       : "reachable-every")
            << " from=";
        for (size_t i = 0; i < a.from.size(); ++i) {
            out << (i ? "," : "") << matchValue(Field::SrcIp, a.from[i]);
        }
        out << " to=";
        for (size_t i = 0; i < a.to.size(); ++i) {
            out << (i ? "," : "") << matchValue(Field::DstIp, a.to[i]);
        }
        conditions(out, a.conditions);
        out << '\n';
    }
    return out.str();
}

}  // namespace sluice::lang
