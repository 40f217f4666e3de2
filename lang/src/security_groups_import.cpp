// Security-group exports -> Sluice policy text (security_groups.h; docs/import.md).
//
// Two steps: read the export (AWS or OpenStack, told apart by its keys) into groups of
// direction-tagged rules and the interfaces into ports with their groups, reporting what
// cannot be mapped where it is; then print one layer per group and per combination of groups
// an interface carries, the group references as consts of member addresses.
#include "sluice/lang/security_groups.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "import_names.h"
#include "json_reader.h"
#include "sluice/lang/packet.h"

namespace sluice::lang {

namespace {

constexpr size_t kMaxGroups = 10'000;
constexpr size_t kMaxRules = 100'000;
constexpr size_t kMaxInterfaces = 100'000;

using json::Value;

struct Remote {
    enum class Kind { Cidr, Group } kind = Kind::Cidr;
    std::string text;               // Cidr: "10.0.0.0/8" as printed; Group: the group id
    std::optional<Family> family;   // Group: only members of this family (OpenStack ethertype)
};

struct Rule {
    bool ingress = true;
    std::optional<uint8_t> proto;  // none: every protocol
    std::optional<std::pair<uint32_t, uint32_t>> ports;  // TCP/UDP destination ports
    std::optional<uint32_t> icmpType, icmpCode;
    Remote remote;
    SourceRange range;
};

struct Group {
    std::string id;
    std::string name;
    std::string ident;  // the Sluice name of its group (and its rules' prefix)
    std::string layer;  // of its own layer: "sg_" + ident
    std::vector<Rule> rules;
    SourceRange range;
};

struct Interface {
    std::string id;
    std::string ident;
    std::string mac;
    std::vector<IpAddr> ips;
    std::vector<std::string> groupIds;
    bool noPortSecurity = false;  // OpenStack port_security_enabled false: nothing filtered
    SourceRange range;
};

class Reader {
public:
    Reader(const SecurityGroupImportOptions& options, DiagnosticEngine& diags)
        : options_(options), diags_(diags) {}

    std::vector<Group> groups;
    std::vector<Interface> interfaces;

    bool readGroups(const SecurityGroupInput& in) {
        auto root = parse(in);
        if (!root) return false;
        std::vector<const Value*> list;
        bool aws = false;
        if (const Value* v = root->isObject() ? root->get("SecurityGroups") : nullptr) {
            aws = true;
            if (!arrayOf(*v, "SecurityGroups", list)) return false;
        } else if (const Value* v2 = root->isObject() ? root->get("security_groups") : nullptr) {
            if (!arrayOf(*v2, "security_groups", list)) return false;
        } else if (root->isObject() && (root->get("security_group_rules") || root->get("rules"))) {
            list.push_back(&*root);  // `openstack security group show -f json`
        } else if (root->isArray()) {
            for (const Value& g : root->items) list.push_back(&g);
            aws = !list.empty() && list[0]->isObject() && list[0]->get("GroupId");
        } else {
            malformed(*root, "expected AWS `describe-security-groups` output (an object with "
                             "\"SecurityGroups\") or OpenStack security groups (\"security_groups\")");
            return false;
        }
        return eachObject(*root, list, kMaxGroups, "security group", [&](const Value& g) {
            if (aws)
                readAwsGroup(g);
            else
                readOpenStackGroup(g);
        });
    }

    bool readInterfaces(const SecurityGroupInput& in) {
        // Ports, layers and consts share one namespace: ports keep clear of the layer names.
        for (const Group& g : groups) portIdents_.insert(g.layer);
        portIdents_.insert("no_security_group");
        portIdents_.insert("no_port_security");
        auto root = parse(in);
        if (!root) return false;
        std::vector<const Value*> list;
        bool aws = false;
        if (const Value* v = root->isObject() ? root->get("NetworkInterfaces") : nullptr) {
            aws = true;
            if (!arrayOf(*v, "NetworkInterfaces", list)) return false;
        } else if (const Value* v2 = root->isObject() ? root->get("ports") : nullptr) {
            if (!arrayOf(*v2, "ports", list)) return false;
        } else {
            malformed(*root, "expected AWS `describe-network-interfaces` output (an object with "
                             "\"NetworkInterfaces\") or OpenStack ports (\"ports\")");
            return false;
        }
        return eachObject(*root, list, kMaxInterfaces, "interface",
                          [&](const Value& i) { readInterface(i, aws); });
    }

    // What cannot be imported: an error, or with --lossy a warning and the rule left out.
    void unmappable(SourceRange r, const std::string& why) {
        if (options_.lossy)
            diags_.report(DiagKind::ImportLeftOut, r, why + "; left out (--lossy)");
        else
            diags_.report(DiagKind::ImportUnmappable, r, why + " (--lossy leaves it out)");
    }
    void note(SourceRange r, const std::string& what) {
        diags_.report(DiagKind::ImportApproximate, r, what);
    }

    size_t errorsBefore_ = 0;

private:
    // `read` on each entry of an export's list (at most `max`; each must be an object); true
    // when no error was reported so far.
    template <typename Read>
    bool eachObject(const Value& root, const std::vector<const Value*>& list, size_t max,
                    const char* what, Read read) {
        if (list.size() > max) {
            malformed(root, "more than " + std::to_string(max) + " " + what + "s");
            return false;
        }
        for (const Value* v : list) {
            if (v->isObject())
                read(*v);
            else
                malformed(*v, std::string("a ") + what + " must be an object");
        }
        return diags_.errorCount() == errorsBefore_;
    }

    // Parses one export; the locations of what follows are in it.
    std::optional<Value> parse(const SecurityGroupInput& in) {
        file_ = in.fileId;
        json::Error e;
        auto root = json::parse(in.text, e);
        if (!root) {
            SourceLoc at{in.fileId, e.line, e.col};
            diags_.report(DiagKind::ImportMalformed, {at, at}, "not valid JSON: " + e.message);
        }
        return root;
    }

    SourceRange at(const Value& v) const {
        SourceLoc l{file_, v.line, v.col};
        return {l, l};
    }
    void malformed(const Value& v, const std::string& why) {
        diags_.report(DiagKind::ImportMalformed, at(v), why);
    }
    bool arrayOf(const Value& v, const char* key, std::vector<const Value*>& out) {
        if (!v.isArray()) {
            malformed(v, std::string("\"") + key + "\" must be an array, not " + json::kindName(v.kind));
            return false;
        }
        for (const Value& x : v.items) out.push_back(&x);
        return true;
    }
    // An optional member of one kind; a member of another kind is malformed (nullptr then).
    const Value* member(const Value& obj, const char* key, Value::Kind kind, bool required = false) {
        const Value* v = obj.get(key);
        if (!v || (v->isNull() && !required)) {
            if (required) malformed(obj, std::string("missing \"") + key + "\"");
            return nullptr;
        }
        if (v->kind != kind) {
            malformed(*v, std::string("\"") + key + "\" must be " + json::kindName(kind) +
                              ", not " + json::kindName(v->kind));
            return nullptr;
        }
        return v;
    }
    std::string stringMember(const Value& obj, const char* key, bool required = false) {
        const Value* v = member(obj, key, Value::Kind::String, required);
        return v ? v->text : std::string();
    }

    std::string uniqueIdent(const std::string& base, std::set<std::string>& used) {
        std::string name = base;
        for (int k = 2; used.count(name); ++k) name = base + "_" + std::to_string(k);
        used.insert(name);
        return name;
    }

    Group& newGroup(const Value& g, std::string id, std::string name) {
        Group grp;
        grp.id = std::move(id);
        grp.name = std::move(name);
        grp.ident = uniqueIdent(identifierFrom(grp.name.empty() ? grp.id : grp.name, "sg_"),
                                groupIdents_);
        grp.layer = "sg_" + grp.ident;
        grp.range = at(g);
        if (!grp.id.empty() && !groupIds_.insert(grp.id).second)
            malformed(g, "security group '" + grp.id + "' appears twice");
        groups.push_back(std::move(grp));
        return groups.back();
    }

    bool addRule(Group& g, Rule r) {
        if (++ruleCount_ > kMaxRules) {
            if (ruleCount_ == kMaxRules + 1)
                diags_.report(DiagKind::ImportMalformed, r.range,
                              "more than " + std::to_string(kMaxRules) + " rules");
            return false;
        }
        g.rules.push_back(std::move(r));
        return true;
    }

    // "tcp", "6", "-1", "icmpv6", ...: the protocol, none for every protocol.
    bool protocol(const Value& v, std::optional<uint8_t>& out, bool v6) {
        std::string p = v.isString() ? v.text : v.isNumber() ? v.text : "";
        if (v.isNull() || p == "-1" || p == "any" || p == "all") {
            out.reset();
            return true;
        }
        // Neutron takes icmp with ethertype IPv6 to mean ICMPv6.
        if (v6 && (p == "icmp" || p == "1")) p = "icmpv6";
        auto parsed = parseProtocol(p);
        if (!parsed) {
            malformed(v, "unknown protocol '" + p + "'");
            return false;
        }
        out = *parsed;
        return true;
    }

    // FromPort/ToPort (AWS) or port_range_min/max (OpenStack) of a rule of protocol `proto`.
    bool portFields(const Value& obj, const char* lo, const char* hi, Rule& r) {
        const Value* a = obj.get(lo);
        const Value* b = obj.get(hi);
        auto num = [&](const Value* v, int64_t max) -> std::optional<int64_t> {
            if (!v || v->isNull()) return std::nullopt;
            auto n = v->integer(-1, max);
            if (!n) malformed(*v, std::string("a port or ICMP value must be an integer -1..") +
                                      std::to_string(max));
            return n;
        };
        bool icmp = r.proto && (*r.proto == kProtoIcmp || *r.proto == kProtoIcmpV6);
        bool ports = r.proto && (*r.proto == kProtoTcp || *r.proto == kProtoUdp);
        size_t before = diags_.errorCount();
        auto x = num(a, icmp ? 255 : 65535), y = num(b, icmp ? 255 : 65535);
        if (diags_.errorCount() != before) return false;
        if (icmp) {
            if (x && *x >= 0) r.icmpType = static_cast<uint32_t>(*x);
            if (y && *y >= 0) r.icmpCode = static_cast<uint32_t>(*y);
        } else if (ports) {
            int64_t from = x.value_or(-1), to = y.value_or(from);
            if (from < 0 || (from == 0 && to == 65535)) return true;  // every port
            if (to < from) {
                malformed(b ? *b : obj, "port range " + std::to_string(from) + ".." +
                                            std::to_string(to) + " is empty");
                return false;
            }
            r.ports = {static_cast<uint32_t>(from), static_cast<uint32_t>(to)};
        }
        return true;
    }

    // "10.0.0.0/8" checked and printed canonically; host bits set are cleared with a note.
    std::optional<std::string> cidr(const Value& v, std::optional<Family> want) {
        if (!v.isString()) {
            malformed(v, "an address prefix must be a string");
            return std::nullopt;
        }
        const std::string& t = v.text;
        size_t slash = t.find('/');
        auto addr = parseIp(t.substr(0, slash));
        std::optional<uint64_t> len =
            slash == std::string::npos ? std::optional<uint64_t>{} : parseUnsigned(t.substr(slash + 1), 128);
        if (!addr || (slash != std::string::npos && (!len || *len > addr->width()))) {
            malformed(v, "'" + t + "' is not an address prefix");
            return std::nullopt;
        }
        unsigned bits = slash == std::string::npos ? addr->width() : static_cast<unsigned>(*len);
        if (want && addr->family != *want) {
            malformed(v, "'" + t + "' is not an " + (*want == Family::V4 ? "IPv4" : "IPv6") +
                             " prefix, as the rule's ethertype says");
            return std::nullopt;
        }
        IpAddr net = *addr;
        unsigned host = addr->width() - bits;
        if (host > 0) {
            u128 mask = host >= 128 ? ~u128(0) : ((u128(1) << host) - 1);
            net.value &= ~mask;
        }
        if (net.value != addr->value)
            note(at(v), "'" + t + "' has host bits set; imported as " + net.str() + "/" +
                            std::to_string(bits) + ", the network the cloud matches");
        return net.str() + "/" + std::to_string(bits);
    }

    void readAwsGroup(const Value& g) {
        std::string id = stringMember(g, "GroupId", true);
        std::string name = stringMember(g, "GroupName");
        Group& grp = newGroup(g, id, name);
        for (auto [key, ingress] : {std::pair{"IpPermissions", true}, {"IpPermissionsEgress", false}}) {
            const Value* perms = member(g, key, Value::Kind::Array);
            if (!perms) continue;
            for (const Value& p : perms->items) {
                if (!p.isObject()) {
                    malformed(p, "a permission must be an object");
                    continue;
                }
                readAwsPermission(grp, p, ingress);
            }
        }
    }

    void readAwsPermission(Group& grp, const Value& p, bool ingress) {
        Rule base;
        base.ingress = ingress;
        base.range = at(p);
        const Value* proto = member(p, "IpProtocol", Value::Kind::String, true);
        if (!proto || !protocol(*proto, base.proto, false)) return;
        if (!portFields(p, "FromPort", "ToPort", base)) return;
        struct Source {
            const char* list;
            const char* key;
        };
        for (auto [list, key] : {Source{"IpRanges", "CidrIp"}, Source{"Ipv6Ranges", "CidrIpv6"}}) {
            const Value* ranges = member(p, list, Value::Kind::Array);
            if (!ranges) continue;
            for (const Value& r : ranges->items) {
                const Value* c = r.isObject() ? member(r, key, Value::Kind::String, true) : nullptr;
                if (!r.isObject()) malformed(r, std::string("an entry of ") + list + " must be an object");
                if (!c) continue;
                auto text = cidr(*c, std::string(list) == "IpRanges" ? Family::V4 : Family::V6);
                if (!text) continue;
                Rule rule = base;
                rule.range = at(*c);
                rule.remote = {Remote::Kind::Cidr, *text, std::nullopt};
                if (!addRule(grp, std::move(rule))) return;
            }
        }
        if (const Value* pairs = member(p, "UserIdGroupPairs", Value::Kind::Array)) {
            for (const Value& pr : pairs->items) {
                const Value* gid = pr.isObject() ? member(pr, "GroupId", Value::Kind::String, true) : nullptr;
                if (!pr.isObject()) malformed(pr, "an entry of UserIdGroupPairs must be an object");
                if (!gid) continue;
                Rule rule = base;
                rule.range = at(*gid);
                rule.remote = {Remote::Kind::Group, gid->text, std::nullopt};
                if (!addRule(grp, std::move(rule))) return;
            }
        }
        if (const Value* lists = member(p, "PrefixListIds", Value::Kind::Array)) {
            for (const Value& pl : lists->items)
                unmappable(at(pl), "a managed prefix list cannot be imported: its entries are "
                                   "not in the export (name the prefixes as IpRanges)");
        }
    }

    void readOpenStackGroup(const Value& g) {
        std::string id = stringMember(g, "id", true);
        std::string name = stringMember(g, "name");
        Group& grp = newGroup(g, id, name);
        const Value* rules = g.get("security_group_rules") ? member(g, "security_group_rules", Value::Kind::Array)
                                                           : member(g, "rules", Value::Kind::Array);
        if (!rules) return;
        for (const Value& r : rules->items) {
            if (!r.isObject()) {
                malformed(r, "a security group rule must be an object");
                continue;
            }
            readOpenStackRule(grp, r);
        }
    }

    void readOpenStackRule(Group& grp, const Value& r) {
        Rule rule;
        rule.range = at(r);
        std::string dir = stringMember(r, "direction", true);
        if (dir != "ingress" && dir != "egress") {
            if (!dir.empty()) malformed(*r.get("direction"), "direction must be ingress or egress");
            return;
        }
        rule.ingress = dir == "ingress";
        std::string ether = stringMember(r, "ethertype");
        if (!ether.empty() && ether != "IPv4" && ether != "IPv6") {
            malformed(*r.get("ethertype"), "ethertype must be IPv4 or IPv6");
            return;
        }
        Family family = ether == "IPv6" ? Family::V6 : Family::V4;
        if (const Value* p = r.get("protocol")) {
            if (!protocol(*p, rule.proto, family == Family::V6)) return;
        }
        if (!portFields(r, "port_range_min", "port_range_max", rule)) return;
        if (const Value* ag = r.get("remote_address_group_id"); ag && !ag->isNull()) {
            unmappable(at(*ag), "an address group cannot be imported: its addresses are not in "
                                "the export");
            return;
        }
        const Value* prefix = member(r, "remote_ip_prefix", Value::Kind::String);
        const Value* remoteGroup = member(r, "remote_group_id", Value::Kind::String);
        if (prefix) {
            auto text = cidr(*prefix, family);
            if (!text) return;
            rule.remote = {Remote::Kind::Cidr, *text, std::nullopt};
        } else if (remoteGroup) {
            rule.remote = {Remote::Kind::Group, remoteGroup->text, family};
        } else {
            rule.remote = {Remote::Kind::Cidr, family == Family::V4 ? "0.0.0.0/0" : "::/0", std::nullopt};
        }
        addRule(grp, std::move(rule));
    }

    void readInterface(const Value& i, bool aws) {
        Interface itf;
        itf.range = at(i);
        std::vector<const Value*> addrs;
        auto addAddr = [&](const Value* v) {
            if (!v) return;
            auto a = parseIp(v->text);
            if (!a) {
                malformed(*v, "'" + v->text + "' is not an address");
                return;
            }
            if (std::find(itf.ips.begin(), itf.ips.end(), *a) == itf.ips.end()) itf.ips.push_back(*a);
        };
        auto objects = [&](const char* key) {
            std::vector<const Value*> out;
            if (const Value* l = member(i, key, Value::Kind::Array))
                for (const Value& x : l->items) {
                    if (x.isObject()) out.push_back(&x);
                    else malformed(x, std::string("an entry of ") + key + " must be an object");
                }
            return out;
        };
        std::string name;
        if (aws) {
            itf.id = stringMember(i, "NetworkInterfaceId", true);
            itf.mac = stringMember(i, "MacAddress", true);
            addAddr(member(i, "PrivateIpAddress", Value::Kind::String));
            for (const Value* a : objects("PrivateIpAddresses"))
                addAddr(member(*a, "PrivateIpAddress", Value::Kind::String, true));
            for (const Value* a : objects("Ipv6Addresses"))
                addAddr(member(*a, "Ipv6Address", Value::Kind::String, true));
            for (const Value* g : objects("Groups")) {
                std::string gid = stringMember(*g, "GroupId", true);
                if (!gid.empty()) itf.groupIds.push_back(gid);
            }
        } else {
            itf.id = stringMember(i, "id", true);
            name = stringMember(i, "name");
            itf.mac = stringMember(i, "mac_address", true);
            for (const Value* a : objects("fixed_ips"))
                addAddr(member(*a, "ip_address", Value::Kind::String, true));
            if (const Value* sgs = member(i, "security_groups", Value::Kind::Array))
                for (const Value& g : sgs->items) {
                    if (g.isString()) itf.groupIds.push_back(g.text);
                    else malformed(g, "a security group id must be a string");
                }
            if (const Value* ps = i.get("port_security_enabled"); ps && ps->kind == Value::Kind::Bool)
                itf.noPortSecurity = !ps->boolean;
        }
        if (itf.id.empty() || itf.mac.empty()) return;  // reported as missing
        if (!parseMac(itf.mac)) {
            malformed(*i.get(aws ? "MacAddress" : "mac_address"), "'" + itf.mac + "' is not a MAC address");
            return;
        }
        if (itf.ips.empty()) {
            unmappable(itf.range, "interface '" + itf.id + "' has no address, so it cannot be a port");
            return;
        }
        itf.ident = uniqueIdent(identifierFrom(name.empty() ? itf.id : name, "if_"), portIdents_);
        interfaces.push_back(std::move(itf));
    }

    const SecurityGroupImportOptions& options_;
    DiagnosticEngine& diags_;
    uint32_t file_ = 0;
    std::set<std::string> groupIdents_, groupIds_, portIdents_;
    size_t ruleCount_ = 0;
};

std::string ruleText(const Rule& r, const std::string& remote) {
    std::string m = r.ingress ? "src_ip " : "dst_ip ";
    m += remote;
    if (r.proto) m += " proto " + protocolName(*r.proto);
    if (r.ports) {
        m += " dst_port " + std::to_string(r.ports->first);
        if (r.ports->second != r.ports->first) m += ".." + std::to_string(r.ports->second);
    }
    if (r.icmpType) m += " icmp_type " + std::to_string(*r.icmpType);
    if (r.icmpCode) m += " icmp_code " + std::to_string(*r.icmpCode);
    return m;
}

}  // namespace

std::optional<std::string> importSecurityGroups(const SecurityGroupInput& groupsIn,
                                                const std::optional<SecurityGroupInput>& interfacesIn,
                                                const SecurityGroupImportOptions& options,
                                                DiagnosticEngine& diags) {
    Reader reader(options, diags);
    reader.errorsBefore_ = diags.errorCount();
    if (!reader.readGroups(groupsIn)) return std::nullopt;
    if (interfacesIn && !reader.readInterfaces(*interfacesIn)) return std::nullopt;
    const auto& groups = reader.groups;
    std::map<std::string, const Group*> byId;
    for (const Group& g : groups) byId[g.id] = &g;

    // Interfaces: their groups must be in the export.
    std::vector<Interface> interfaces;
    for (Interface itf : reader.interfaces) {
        std::vector<std::string> known;
        for (const std::string& gid : itf.groupIds) {
            if (byId.count(gid)) {
                if (std::find(known.begin(), known.end(), gid) == known.end()) known.push_back(gid);
            } else {
                reader.unmappable(itf.range, "interface '" + itf.id + "' carries security group '" +
                                                 gid + "', which is not in " + groupsIn.path);
            }
        }
        itf.groupIds = std::move(known);
        interfaces.push_back(std::move(itf));
    }

    // Members of referenced groups, per family wanted ("" both, "4", "6").
    std::map<std::pair<std::string, int>, std::string> memberConsts;
    std::ostringstream consts;
    auto membersOf = [&](const Remote& remote) -> std::optional<std::string> {
        int fam = !remote.family ? 0 : *remote.family == Family::V4 ? 4 : 6;
        auto key = std::make_pair(remote.text, fam);
        if (auto it = memberConsts.find(key); it != memberConsts.end()) return it->second;
        std::vector<std::string> addrs;
        for (const Interface& itf : interfaces)
            if (std::count(itf.groupIds.begin(), itf.groupIds.end(), remote.text))
                for (const IpAddr& a : itf.ips)
                    if (fam == 0 || (fam == 4) == (a.family == Family::V4)) addrs.push_back(a.str());
        if (addrs.empty()) return std::nullopt;
        const Group* g = byId.count(remote.text) ? byId[remote.text] : nullptr;
        std::string base = g ? g->ident : identifierFrom(remote.text, "sg_");
        std::string name = "SG_" + base + "_MEMBERS" + (fam == 4 ? "_V4" : fam == 6 ? "_V6" : "");
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        consts << "const " << name << " = ";
        for (size_t i = 0; i < addrs.size(); ++i) consts << (i ? ", " : "") << addrs[i];
        consts << ";  // interfaces carrying " << (g ? g->name.empty() ? g->id : g->name : remote.text) << "\n";
        memberConsts.emplace(key, name);
        return name;
    };

    // The rules of each group as text, per direction; references resolved.
    struct Printed {
        std::vector<std::string> in, out;
    };
    std::map<std::string, Printed> printed;
    for (const Group& g : groups) {
        Printed& p = printed[g.id];
        size_t n = 0;
        for (const Rule& r : g.rules) {
            std::string remote = r.remote.text;
            if (r.remote.kind == Remote::Kind::Group) {
                if (!interfacesIn) {
                    reader.unmappable(r.range, "a rule naming security group '" + r.remote.text +
                                                   "' needs the interfaces that carry it (--interfaces FILE)");
                    continue;
                }
                auto m = membersOf(r.remote);
                if (!m) {
                    reader.note(r.range, "no given interface carries security group '" +
                                             r.remote.text + "': the rule matches nothing and is left out");
                    continue;
                }
                remote = *m;
            }
            ++n;
            std::ostringstream line;
            line << "            // " << groupsIn.path << ":" << r.range.begin.line << "\n";
            // Named after the group: a layer of several groups keeps every name unique (E101).
            line << "            rule " << g.ident << (r.ingress ? "_in_" : "_out_") << n << " priority " << n
                 << " match " << ruleText(r, remote) << " action allow stateful;\n";
            (r.ingress ? p.in : p.out).push_back(line.str());
        }
    }
    if (diags.errorCount() > reader.errorsBefore_) return std::nullopt;

    // Layers: one per group; one per combination of two or more groups an interface carries.
    std::ostringstream layers;
    auto printLayer = [&](const std::string& name, const std::vector<std::string>& gids,
                          const std::string& comment) {
        layers << "\n// " << comment << "\nlayer " << name << " {\n"
               << "    default in deny;\n    default out deny;\n";
        for (bool in : {true, false}) {
            std::ostringstream body;
            uint32_t priority = 1;
            for (const std::string& gid : gids) {
                const auto& rules = in ? printed[gid].in : printed[gid].out;
                if (rules.empty()) continue;
                body << "        group " << byId[gid]->ident << " priority " << priority++ << " {\n";
                for (const auto& r : rules) body << r;
                body << "        }\n";
            }
            if (body.str().empty()) continue;
            layers << "    " << (in ? "in" : "out") << " {\n" << body.str() << "    }\n";
        }
        layers << "}\n";
    };
    // With interfaces, a group's own layer is printed when an interface carries it alone; a
    // group no interface carries is said so (its layer would be attached to nothing).
    std::set<std::string> alone, carried;
    for (const Interface& itf : interfaces) {
        if (itf.noPortSecurity) continue;
        if (itf.groupIds.size() == 1) alone.insert(itf.groupIds[0]);
        carried.insert(itf.groupIds.begin(), itf.groupIds.end());
    }
    for (const Group& g : groups) {
        if (interfacesIn && !carried.count(g.id))
            reader.note(g.range, "no given interface carries security group '" + g.id +
                                     "': it has no layer in the policy");
        if (interfacesIn && !alone.count(g.id)) continue;
        printLayer(g.layer, {g.id}, "security group " + g.id + (g.name.empty() ? "" : " (" + g.name + ")"));
    }
    std::map<std::vector<std::string>, std::string> combined;
    std::set<std::string> layerNames;
    for (const Group& g : groups) layerNames.insert(g.layer);
    for (const Interface& itf : interfaces) layerNames.insert(itf.ident);
    std::ostringstream ports;
    bool openLayer = false;
    for (size_t k = 0; k < interfaces.size(); ++k) {
        const Interface& itf = interfaces[k];
        std::string layer;
        if (itf.noPortSecurity) {
            reader.note(itf.range, "interface '" + itf.id + "' has port security disabled: "
                                   "imported with a layer that allows everything");
            layer = "no_port_security";
            openLayer = true;
        } else if (itf.groupIds.empty()) {
            layer = "no_security_group";
        } else if (itf.groupIds.size() == 1) {
            layer = byId[itf.groupIds[0]]->layer;
        } else {
            auto sorted = itf.groupIds;
            std::sort(sorted.begin(), sorted.end());
            auto it = combined.find(sorted);
            if (it == combined.end()) {
                std::string name = "sgs";
                for (const auto& gid : sorted) name += "_" + byId[gid]->ident;
                while (layerNames.count(name)) name += "_";
                layerNames.insert(name);
                std::string what = "security groups";
                for (const auto& gid : sorted) what += " " + gid;
                printLayer(name, sorted, what + " together: any one's rules let a packet through");
                it = combined.emplace(sorted, name).first;
            }
            layer = it->second;
        }
        ports << "port " << itf.ident << " { mac " << macToString(*parseMac(itf.mac)) << "; ip ";
        for (size_t i = 0; i < itf.ips.size(); ++i) ports << (i ? ", " : "") << itf.ips[i].str();
        ports << "; vni " << options.vni << "; layers " << layer << "; }  // " << itf.id << "\n";
    }
    bool anyUngrouped = std::any_of(interfaces.begin(), interfaces.end(), [](const Interface& i) {
        return !i.noPortSecurity && i.groupIds.empty();
    });
    if (anyUngrouped)
        layers << "\n// interfaces with no security group: nothing allowed\nlayer no_security_group "
                  "{ default in deny; default out deny; }\n";
    if (openLayer)
        layers << "\n// interfaces with port security disabled\nlayer no_port_security "
                  "{ default in allow; default out allow; }\n";

    std::ostringstream out;
    out << "// Imported by `sluice import security-groups` from " << groupsIn.path;
    if (interfacesIn) out << " with the interfaces of " << interfacesIn->path;
    out << ".\n// Each security group allows what its rules name, statefully (replies pass), and denies\n"
           "// the rest. The VNI of the ports is not in the exports: set it to the real one.\n";
    out << consts.str() << ports.str() << layers.str();
    return out.str();
}

}  // namespace sluice::lang
