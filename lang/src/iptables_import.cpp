// iptables-save -> Sluice policy text (iptables.h; the mapping is in docs/import.md).
//
// Three steps: read each file into tables of chains of rules (conditions as unions of value
// spans per field, so that inlining a user chain is an intersection); flatten INPUT and OUTPUT
// per port into first-match lists, inlining -j/-g chains and noting ESTABLISHED rules; turn
// each LOG rule into logged copies of what follows it (expandLogs); print one layer per port,
// allow rules stateful where the opposite chain accepts ESTABLISHED.
#include "sluice/lang/iptables.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include "import_names.h"
#include "sluice/lang/packet.h"

namespace sluice::lang {

namespace {

// Bounds on hostile input beyond the file limits the caller applies.
constexpr size_t kMaxChainDepth = 32;        // nested -j/-g
constexpr size_t kMaxFlatRules = 100'000;    // rules of one port direction after inlining
constexpr size_t kMaxAlternatives = 64;      // disjunctions (multiport --ports) per rule

// ---------------------------------------------------------------------------------------------
// Conditions: per field, a union of closed spans; unconstrained when `any`.

struct Span {
    u128 lo = 0;
    u128 hi = 0;
};

struct ValueSet {
    bool any = true;
    std::vector<Span> spans;
    bool empty() const { return !any && spans.empty(); }
};

ValueSet intersect(const ValueSet& a, const ValueSet& b) {
    if (a.any) return b;
    if (b.any) return a;
    ValueSet r;
    r.any = false;
    for (const Span& x : a.spans) {
        for (const Span& y : b.spans) {
            Span s{std::max(x.lo, y.lo), std::min(x.hi, y.hi)};
            if (s.lo <= s.hi) r.spans.push_back(s);
        }
    }
    return r;
}

enum Field { kProto, kSrc, kDst, kSrcPort, kDstPort, kIcmpType, kIcmpCode, kTcpFlags, kFields };

const char* const kFieldNames[kFields] = {"proto",    "src_ip",    "dst_ip",    "src_port",
                                          "dst_port", "icmp_type", "icmp_code", "tcp_flags"};

struct Conds {
    std::array<ValueSet, kFields> f;
    bool empty() const {
        return std::any_of(f.begin(), f.end(), [](const ValueSet& v) { return v.empty(); });
    }
};

Conds intersect(const Conds& a, const Conds& b) {
    Conds r;
    for (size_t i = 0; i < kFields; ++i) r.f[i] = intersect(a.f[i], b.f[i]);
    return r;
}

// A rule's conditions: a disjunction of conjunctions (one, unless multiport --ports).
using Alts = std::vector<Conds>;

Alts intersect(const Alts& a, const Alts& b) {
    Alts r;
    for (const Conds& x : a) {
        for (const Conds& y : b) {
            Conds c = intersect(x, y);
            if (!c.empty()) r.push_back(std::move(c));
        }
    }
    return r;
}

ValueSet single(u128 lo, u128 hi) {
    ValueSet v;
    v.any = false;
    v.spans.push_back({lo, hi});
    return v;
}

// ---------------------------------------------------------------------------------------------
// The files' model.

enum class Target { None, Accept, Drop, Reject, Return, Jump, Goto, Log };

struct Rule {
    uint32_t file = 0;
    uint32_t line = 0;
    std::string chain;
    std::string text;  // the line as written, for the comment above the imported rule
    Alts alts{Conds{}};
    // Interface (-i in INPUT, -o in OUTPUT); empty: any.
    std::string iface;
    bool ifaceNegated = false;
    SourceRange ifaceRange;
    bool established = false;  // --ctstate ESTABLISHED/RELATED only: never a first packet
    uint64_t limitPps = 0;     // -m limit, as a meter rate
    // -m limit seen, and why it cannot be a meter (decided once the target is known: a rate
    // on a LOG rule limits log lines only and is left out whatever it is).
    bool limit = false;
    std::optional<std::pair<SourceRange, std::string>> limitProblem;
    Target target = Target::None;
    std::string jumpChain;
    SourceRange range;  // the whole line
    // The first reason the rule cannot be imported, at its column.
    bool unmappable = false;
    SourceRange problemRange;
    std::string problem;
};

struct Chain {
    std::string name;
    bool builtin = false;
    bool policyAccept = true;  // built-in chains only
    uint32_t line = 0;
    std::vector<Rule> rules;
};

struct IptablesFile {
    uint32_t fileId = 0;
    std::string path;
    Family family = Family::V4;
    std::map<std::string, Chain> filter;
    bool sawFilter = false;
};

bool isBuiltin(std::string_view chain) {
    return chain == "INPUT" || chain == "OUTPUT" || chain == "FORWARD";
}

// ---------------------------------------------------------------------------------------------
// Reading.

struct Token {
    std::string text;
    uint32_t col = 0;  // 1-based
    uint32_t len = 0;
};

// Shell-like words, as iptables-save quotes them: double quotes with \" and \\ escapes.
std::optional<std::vector<Token>> tokenize(std::string_view line, uint32_t& badCol) {
    std::vector<Token> out;
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
            ++i;
            continue;
        }
        Token t;
        t.col = static_cast<uint32_t>(i + 1);
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
            if (line[i] == '"') {
                size_t open = i++;
                bool closed = false;
                while (i < line.size()) {
                    if (line[i] == '\\' && i + 1 < line.size()) {
                        t.text += line[i + 1];
                        i += 2;
                    } else if (line[i] == '"') {
                        ++i;
                        closed = true;
                        break;
                    } else {
                        t.text += line[i++];
                    }
                }
                if (!closed) {
                    badCol = static_cast<uint32_t>(open + 1);
                    return std::nullopt;
                }
            } else {
                t.text += line[i++];
            }
        }
        t.len = static_cast<uint32_t>(i - start);
        out.push_back(std::move(t));
    }
    return out;
}

class Reader {
public:
    Reader(IptablesFile& file, const IptablesImportOptions& options, DiagnosticEngine& diags)
        : file_(file), options_(options), diags_(diags) {}

    void read(std::string_view text) {
        if (text.find("ip6tables-save") != std::string_view::npos) {
            file_.family = Family::V6;
            familyKnown_ = true;
        } else if (text.find("iptables-save") != std::string_view::npos) {
            familyKnown_ = true;
        }
        std::string table;
        uint32_t lineNo = 0;
        size_t pos = 0;
        while (pos <= text.size()) {
            size_t nl = text.find('\n', pos);
            std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
            pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
            ++lineNo;
            readLine(line, lineNo, table);
        }
        if (!table.empty()) {
            error(range(lineNo, 1, 1), "table '" + table + "' has no COMMIT line");
        }
    }

private:
    SourceRange range(uint32_t line, uint32_t col, uint32_t len) const {
        SourceRange r;
        r.begin = {file_.fileId, line, col};
        r.end = {file_.fileId, line, col + (len ? len - 1 : 0)};
        return r;
    }
    SourceRange range(uint32_t line, const Token& t) const { return range(line, t.col, t.len); }

    void error(SourceRange r, std::string message) {
        diags_.report(DiagKind::ImportMalformed, r, std::move(message));
    }

    void readLine(std::string_view line, uint32_t lineNo, std::string& table) {
        size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos || line[first] == '#') return;
        uint32_t badCol = 0;
        auto tokens = tokenize(line, badCol);
        if (!tokens) {
            error(range(lineNo, badCol, 1), "unterminated quote");
            return;
        }
        std::vector<Token>& t = *tokens;
        // iptables-save -c prefixes rules with [packets:bytes].
        if (!t.empty() && t[0].text.size() > 2 && t[0].text.front() == '[' && t[0].text.back() == ']') {
            t.erase(t.begin());
            if (t.empty()) return;
        }
        const std::string& head = t[0].text;
        if (head[0] == '*') {
            if (!table.empty()) {
                error(range(lineNo, t[0]), "table '" + head.substr(1) + "' starts before table '" +
                                               table + "' is committed");
            }
            table = head.substr(1);
            if (table.empty()) error(range(lineNo, t[0]), "table name missing after '*'");
            if (table == "filter") file_.sawFilter = true;
            return;
        }
        if (head == "COMMIT") {
            if (table.empty()) error(range(lineNo, t[0]), "COMMIT outside a table");
            table.clear();
            return;
        }
        if (table.empty()) {
            error(range(lineNo, t[0]), "'" + head + "' outside a table (expected '*filter')");
            return;
        }
        if (head[0] == ':') {
            declareChain(t, lineNo, table);
            return;
        }
        if (head == "-A" || head == "--append") {
            if (table != "filter") {
                if (otherTableReported_.insert(table).second) {
                    unmappableTable(range(lineNo, t[0]), table);
                }
                return;
            }
            readRule(t, line, lineNo);
            return;
        }
        error(range(lineNo, t[0]), "unexpected '" + head + "' (iptables-save writes '*TABLE', ':CHAIN POLICY', '-A CHAIN ...', COMMIT)");
    }

    void unmappableTable(SourceRange r, const std::string& table) {
        std::string msg = "rules of the '" + table +
                          "' table are not imported: only the filter table maps to a port's layers";
        if (options_.lossy) {
            diags_.report(DiagKind::ImportLeftOut, r, msg);
        } else {
            diags_.report(DiagKind::ImportUnmappable, r, msg);
            diags_.note({}, "with --lossy they are left out and reported as warnings");
        }
    }

    void declareChain(const std::vector<Token>& t, uint32_t lineNo, const std::string& table) {
        std::string name = t[0].text.substr(1);
        if (name.empty() || t.size() < 2) {
            error(range(lineNo, t[0]), "chain declaration needs a name and a policy (':NAME POLICY')");
            return;
        }
        if (table != "filter") return;
        if (file_.filter.count(name)) {
            error(range(lineNo, t[0]), "chain '" + name + "' declared twice");
            return;
        }
        Chain c;
        c.name = name;
        c.builtin = isBuiltin(name);
        c.line = lineNo;
        const std::string& policy = t[1].text;
        if (c.builtin) {
            if (policy == "ACCEPT") {
                c.policyAccept = true;
            } else if (policy == "DROP") {
                c.policyAccept = false;
            } else {
                error(range(lineNo, t[1]), "policy of built-in chain '" + name +
                                               "' must be ACCEPT or DROP, not '" + policy + "'");
                return;
            }
        } else if (policy != "-") {
            error(range(lineNo, t[1]), "user chain '" + name + "' has policy '" + policy +
                                           "'; user chains have none ('-')");
            return;
        }
        file_.filter.emplace(name, std::move(c));
    }

    void unmappable(Rule& rule, SourceRange r, std::string why) {
        if (rule.unmappable) return;
        rule.unmappable = true;
        rule.problemRange = r;
        rule.problem = std::move(why);
    }

    std::optional<Family> familyOf(const IpAddr& a) {
        if (!familyKnown_) {
            file_.family = a.family;
            familyKnown_ = true;
        }
        return a.family;
    }

    // "ADDR[/LEN|/MASK][,...]" -> spans.
    bool parseAddresses(const Token& tok, uint32_t lineNo, ValueSet& out) {
        out.any = false;
        size_t start = 0;
        std::string_view text = tok.text;
        while (start <= text.size()) {
            size_t comma = text.find(',', start);
            std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
            size_t slash = item.find('/');
            auto ip = parseIp(item.substr(0, slash));
            if (!ip) {
                error(range(lineNo, tok), "'" + std::string(item) +
                                              "' is not an address (host names are not resolved)");
                return false;
            }
            familyOf(*ip);
            if (ip->family != file_.family) {
                error(range(lineNo, tok), "address '" + std::string(item) + "' is " +
                                              (ip->family == Family::V4 ? "IPv4" : "IPv6") +
                                              " in an " +
                                              (file_.family == Family::V4 ? "iptables" : "ip6tables") +
                                              "-save file");
                return false;
            }
            unsigned width = ip->width();
            unsigned len = width;
            if (slash != std::string_view::npos) {
                std::string_view lenText = item.substr(slash + 1);
                if (auto n = parseUnsigned(lenText, width)) {
                    len = static_cast<unsigned>(*n);
                } else if (auto mask = parseIp(lenText); mask && mask->family == ip->family) {
                    // A netmask: only contiguous ones map to a prefix.
                    u128 m = mask->value;
                    unsigned ones = 0;
                    while (ones < width && ((m >> (width - 1 - ones)) & 1)) ++ones;
                    u128 expect = ones == 0 ? 0 : ((~u128(0)) << (width - ones));
                    if (width == 32) expect &= u128(0xffffffffu);
                    if (m != expect) {
                        error(range(lineNo, tok), "netmask '" + std::string(lenText) +
                                                      "' is not contiguous");
                        return false;
                    }
                    len = ones;
                } else {
                    error(range(lineNo, tok), "bad prefix length in '" + std::string(item) + "'");
                    return false;
                }
            }
            u128 full = width == 32 ? u128(0xffffffffu) : ~u128(0);
            u128 host = len >= width ? 0 : (full >> len);
            u128 lo = ip->value & ~host & full;
            out.spans.push_back({lo, lo | host});
        }
        return true;
    }

    // "A-B" address range (-m iprange).
    bool parseAddressRange(const Token& tok, uint32_t lineNo, ValueSet& out) {
        size_t dash = tok.text.find('-');
        auto lo = dash == std::string::npos ? std::nullopt : parseIp(std::string_view(tok.text).substr(0, dash));
        auto hi = dash == std::string::npos ? parseIp(tok.text) : parseIp(std::string_view(tok.text).substr(dash + 1));
        if (dash == std::string::npos) lo = hi;
        if (!lo || !hi || lo->family != hi->family || lo->value > hi->value) {
            error(range(lineNo, tok), "bad address range '" + tok.text + "' (expected A-B, A <= B)");
            return false;
        }
        familyOf(*lo);
        if (lo->family != file_.family) {
            error(range(lineNo, tok), "address range '" + tok.text + "' is of the other family");
            return false;
        }
        out = single(lo->value, hi->value);
        return true;
    }

    // "P", "P:Q", ":Q", "P:" -> one span.
    std::optional<Span> parsePortSpan(std::string_view text) {
        size_t colon = text.find(':');
        if (colon == std::string_view::npos) {
            auto p = parseUnsigned(text, 65535);
            if (!p) return std::nullopt;
            return Span{*p, *p};
        }
        std::string_view a = text.substr(0, colon), b = text.substr(colon + 1);
        auto lo = a.empty() ? std::optional<uint64_t>(0) : parseUnsigned(a, 65535);
        auto hi = b.empty() ? std::optional<uint64_t>(65535) : parseUnsigned(b, 65535);
        if (!lo || !hi || *lo > *hi) return std::nullopt;
        return Span{*lo, *hi};
    }

    bool parsePorts(const Token& tok, uint32_t lineNo, bool list, ValueSet& out) {
        out.any = false;
        std::string_view text = tok.text;
        size_t start = 0;
        while (start <= text.size()) {
            size_t comma = list ? text.find(',', start) : std::string_view::npos;
            std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
            auto span = parsePortSpan(item);
            if (!span) {
                error(range(lineNo, tok), "bad port '" + std::string(item) +
                                              "' (expected N or N:M, 0..65535; names are not resolved)");
                return false;
            }
            out.spans.push_back(*span);
        }
        if (list && out.spans.size() > 15) {
            error(range(lineNo, tok), "multiport takes at most 15 ports");
            return false;
        }
        return true;
    }

    static std::optional<uint8_t> flagsOf(std::string_view names) {
        static const std::pair<const char*, uint8_t> kFlags[] = {
            {"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08},
            {"ACK", 0x10}, {"URG", 0x20}, {"ECE", 0x40}, {"CWR", 0x80}};
        if (names == "ALL") return 0xff;
        if (names == "NONE") return 0;
        uint8_t bits = 0;
        size_t start = 0;
        while (start <= names.size()) {
            size_t comma = names.find(',', start);
            std::string_view item = names.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            start = comma == std::string_view::npos ? names.size() + 1 : comma + 1;
            bool found = false;
            for (const auto& [name, bit] : kFlags) {
                if (item == name) {
                    bits |= bit;
                    found = true;
                }
            }
            if (item == "ALL") {
                bits = 0xff;
                found = true;
            }
            if (item == "NONE") found = true;
            if (!found) return std::nullopt;
        }
        return bits;
    }

    // (flags & mask) == comp, as a set of flag bytes.
    static ValueSet flagBytes(uint8_t mask, uint8_t comp) {
        ValueSet v;
        v.any = false;
        for (unsigned b = 0; b < 256; ++b) {
            if ((b & mask) != (comp & mask)) continue;
            if (!v.spans.empty() && v.spans.back().hi + 1 == b) {
                v.spans.back().hi = b;
            } else {
                v.spans.push_back({b, b});
            }
        }
        return v;
    }

    bool parseIcmpType(const Token& tok, uint32_t lineNo, bool v6, Conds& c) {
        struct Name {
            const char* name;
            int type;
            int code;  // -1: any
        };
        static const Name kV4[] = {
            {"any", -1, -1}, {"echo-reply", 0, -1}, {"pong", 0, -1},
            {"destination-unreachable", 3, -1}, {"network-unreachable", 3, 0},
            {"host-unreachable", 3, 1}, {"protocol-unreachable", 3, 2},
            {"port-unreachable", 3, 3}, {"fragmentation-needed", 3, 4},
            {"source-route-failed", 3, 5}, {"network-prohibited", 3, 9},
            {"host-prohibited", 3, 10}, {"communication-prohibited", 3, 13},
            {"source-quench", 4, -1}, {"redirect", 5, -1}, {"echo-request", 8, -1},
            {"ping", 8, -1}, {"router-advertisement", 9, -1}, {"router-solicitation", 10, -1},
            {"time-exceeded", 11, -1}, {"ttl-exceeded", 11, -1}, {"ttl-zero-during-transit", 11, 0},
            {"ttl-zero-during-reassembly", 11, 1}, {"parameter-problem", 12, -1},
            {"timestamp-request", 13, -1}, {"timestamp-reply", 14, -1},
            {"address-mask-request", 17, -1}, {"address-mask-reply", 18, -1}};
        static const Name kV6[] = {
            {"any", -1, -1}, {"destination-unreachable", 1, -1}, {"no-route", 1, 0},
            {"communication-prohibited", 1, 1}, {"address-unreachable", 1, 3},
            {"port-unreachable", 1, 4}, {"packet-too-big", 2, -1}, {"time-exceeded", 3, -1},
            {"ttl-exceeded", 3, -1}, {"parameter-problem", 4, -1}, {"echo-request", 128, -1},
            {"ping", 128, -1}, {"echo-reply", 129, -1}, {"pong", 129, -1},
            {"router-solicitation", 133, -1}, {"router-advertisement", 134, -1},
            {"neighbour-solicitation", 135, -1}, {"neighbor-solicitation", 135, -1},
            {"neighbour-advertisement", 136, -1}, {"neighbor-advertisement", 136, -1},
            {"redirect", 137, -1}};
        int type = -2, code = -1;
        const Name* begin = v6 ? std::begin(kV6) : std::begin(kV4);
        const Name* end = v6 ? std::end(kV6) : std::end(kV4);
        for (const Name* n = begin; n != end; ++n) {
            if (tok.text == n->name) {
                type = n->type;
                code = n->code;
            }
        }
        if (type == -2) {
            std::string_view text = tok.text;
            size_t slash = text.find('/');
            auto t = parseUnsigned(text.substr(0, slash), 255);
            std::optional<uint64_t> cd;
            if (slash != std::string_view::npos) cd = parseUnsigned(text.substr(slash + 1), 255);
            if (!t || (slash != std::string_view::npos && !cd)) {
                error(range(lineNo, tok), "unknown ICMP type '" + tok.text + "'");
                return false;
            }
            type = static_cast<int>(*t);
            code = cd ? static_cast<int>(*cd) : -1;
        }
        if (type >= 0) c.f[kIcmpType] = single(type, type);
        if (code >= 0) c.f[kIcmpCode] = single(code, code);
        return true;
    }

    void readRule(const std::vector<Token>& t, std::string_view line, uint32_t lineNo) {
        Rule rule;
        rule.file = file_.fileId;
        rule.line = lineNo;
        rule.text = std::string(line.substr(line.find_first_not_of(" \t")));
        while (!rule.text.empty() && (rule.text.back() == '\r' || rule.text.back() == ' ')) rule.text.pop_back();
        rule.range = range(lineNo, 1, static_cast<uint32_t>(line.size()));
        if (t.size() < 2) {
            error(range(lineNo, t[0]), "-A needs a chain name");
            return;
        }
        rule.chain = t[1].text;
        auto chainIt = file_.filter.find(rule.chain);
        if (chainIt == file_.filter.end()) {
            error(range(lineNo, t[1]), "chain '" + rule.chain + "' is not declared (':" +
                                           rule.chain + " ...' line missing)");
            return;
        }
        Conds& c = rule.alts[0];
        bool sawProto = false;
        uint8_t proto = 0;
        bool negate = false;
        std::string module;
        std::optional<ValueSet> eitherPorts;  // multiport --ports
        auto need = [&](size_t i) -> const Token* {
            if (i + 1 < t.size()) return &t[i + 1];
            error(range(lineNo, t[i]), "option '" + t[i].text + "' needs a value");
            return nullptr;
        };
        auto negationUnmappable = [&](const Token& tok) {
            unmappable(rule, range(lineNo, tok),
                       "'! " + tok.text + "' cannot be imported: Sluice conditions have no negation");
        };
        bool ok = true;
        for (size_t i = 2; i < t.size() && ok; ++i) {
            const Token& tok = t[i];
            const std::string& o = tok.text;
            if (o == "!") {
                negate = true;
                continue;
            }
            bool neg = negate;
            negate = false;
            if (o == "-p" || o == "--protocol") {
                const Token* v = need(i++);
                if (!v) return;
                if (neg) negationUnmappable(tok);
                if (v->text == "all" || v->text == "0") continue;
                std::string name = v->text;
                std::transform(name.begin(), name.end(), name.begin(), ::tolower);
                auto p = parseProtocol(name == "icmp6" ? "icmpv6" : name);
                if (!p) {
                    error(range(lineNo, *v), "unknown protocol '" + v->text + "'");
                    return;
                }
                proto = *p;
                sawProto = true;
                c.f[kProto] = single(*p, *p);
            } else if (o == "-s" || o == "--source" || o == "--src" || o == "-d" ||
                       o == "--destination" || o == "--dst") {
                const Token* v = need(i++);
                if (!v) return;
                if (neg) negationUnmappable(tok);
                bool src = o == "-s" || o == "--source" || o == "--src";
                if (!parseAddresses(*v, lineNo, c.f[src ? kSrc : kDst])) return;
            } else if (o == "-i" || o == "--in-interface" || o == "-o" || o == "--out-interface") {
                const Token* v = need(i++);
                if (!v) return;
                bool in = o == "-i" || o == "--in-interface";
                if ((in && rule.chain == "OUTPUT") || (!in && rule.chain == "INPUT")) {
                    error(range(lineNo, tok), std::string("'") + o + "' cannot be used in chain " + rule.chain);
                    return;
                }
                if (!rule.iface.empty()) {
                    unmappable(rule, range(lineNo, tok),
                               "a rule naming both an input and an output interface cannot be imported");
                    continue;
                }
                rule.iface = v->text;
                rule.ifaceNegated = neg;
                rule.ifaceRange = range(lineNo, *v);
                if (rule.iface.size() > 1 && rule.iface.back() == '+') {
                    unmappable(rule, range(lineNo, *v),
                               "interface wildcard '" + rule.iface +
                                   "' cannot be imported: name the interfaces (each becomes a port)");
                }
                if (rule.iface == "+") rule.iface.clear();  // any interface
            } else if (o == "-f" || o == "--fragment") {
                unmappable(rule, range(lineNo, tok),
                           "fragment matches cannot be imported: the vSwitch drops IP fragments");
            } else if (o == "-m" || o == "--match") {
                const Token* v = need(i++);
                if (!v) return;
                module = v->text;
                static const std::set<std::string> kKnown = {
                    "tcp", "udp", "icmp", "icmp6", "icmpv6", "multiport", "conntrack", "state",
                    "limit", "comment", "iprange"};
                if (!kKnown.count(module)) {
                    std::string why = "match module '" + module + "' cannot be imported";
                    if (module == "owner") {
                        why += ": it matches the local process that sent a packet, which a vSwitch does not see";
                    } else if (module == "mark" || module == "connmark") {
                        why += ": the vSwitch has no packet marks";
                    } else if (module == "set") {
                        why += ": ipsets are not read; write the set as a constant";
                    } else if (module == "recent" || module == "hashlimit" || module == "connlimit") {
                        why += ": per-source state is not modelled";
                    }
                    unmappable(rule, range(lineNo, *v), why);
                    // Skip the module's options: they are not ours to read.
                    while (i + 1 < t.size() && t[i + 1].text != "-m" && t[i + 1].text != "--match" &&
                           t[i + 1].text != "-j" && t[i + 1].text != "--jump" &&
                           t[i + 1].text != "-g" && t[i + 1].text != "--goto") {
                        ++i;
                    }
                }
            } else if (o == "--dport" || o == "--destination-port" || o == "--sport" ||
                       o == "--source-port") {
                const Token* v = need(i++);
                if (!v) return;
                if (neg) negationUnmappable(tok);
                bool dst = o == "--dport" || o == "--destination-port";
                if (!parsePorts(*v, lineNo, false, c.f[dst ? kDstPort : kSrcPort])) return;
            } else if (o == "--dports" || o == "--destination-ports" || o == "--sports" ||
                       o == "--source-ports" || o == "--ports") {
                const Token* v = need(i++);
                if (!v) return;
                if (neg) negationUnmappable(tok);
                if (module != "multiport") {
                    error(range(lineNo, tok), "'" + o + "' needs '-m multiport'");
                    return;
                }
                ValueSet ports;
                if (!parsePorts(*v, lineNo, true, ports)) return;
                if (o == "--ports") {
                    eitherPorts = ports;
                } else {
                    bool dst = o == "--dports" || o == "--destination-ports";
                    c.f[dst ? kDstPort : kSrcPort] = ports;
                }
            } else if (o == "--tcp-flags") {
                if (i + 2 >= t.size()) {
                    error(range(lineNo, tok), "--tcp-flags needs a mask and the flags that must be set");
                    return;
                }
                auto mask = flagsOf(t[i + 1].text);
                auto comp = flagsOf(t[i + 2].text);
                if (!mask || !comp) {
                    error(range(lineNo, mask ? t[i + 2] : t[i + 1]), "bad TCP flag list");
                    return;
                }
                i += 2;
                if (neg) negationUnmappable(tok);
                c.f[kTcpFlags] = flagBytes(*mask, *comp);
            } else if (o == "--syn") {
                if (neg) negationUnmappable(tok);
                c.f[kTcpFlags] = flagBytes(0x17, 0x02);  // SYN,RST,ACK,FIN SYN
            } else if (o == "--icmp-type" || o == "--icmpv6-type") {
                const Token* v = need(i++);
                if (!v) return;
                if (neg) negationUnmappable(tok);
                if (!parseIcmpType(*v, lineNo, o == "--icmpv6-type", c)) return;
            } else if (o == "--ctstate" || o == "--state") {
                const Token* v = need(i++);
                if (!v) return;
                if (neg) {
                    negationUnmappable(tok);
                    continue;
                }
                bool isNew = false, est = false, bad = false;
                std::string_view states = v->text;
                size_t start = 0;
                while (start <= states.size()) {
                    size_t comma = states.find(',', start);
                    std::string_view s = states.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
                    start = comma == std::string_view::npos ? states.size() + 1 : comma + 1;
                    if (s == "NEW") {
                        isNew = true;
                    } else if (s == "ESTABLISHED" || s == "RELATED") {
                        est = true;
                    } else if (s == "INVALID" || s == "UNTRACKED" || s == "SNAT" || s == "DNAT") {
                        bad = true;
                    } else {
                        error(range(lineNo, *v), "unknown connection state '" + std::string(s) + "'");
                        return;
                    }
                }
                if (bad) {
                    unmappable(rule, range(lineNo, *v),
                               "state '" + v->text +
                                   "' cannot be imported: the vSwitch tracks sessions, not INVALID, "
                                   "UNTRACKED or NAT states");
                } else if (!isNew && est) {
                    rule.established = true;
                }
                // NEW (alone or with others) holds for every first packet: no condition.
            } else if (o == "--limit") {
                const Token* v = need(i++);
                if (!v) return;
                std::string_view text = v->text;
                size_t slash = text.find('/');
                auto n = parseUnsigned(text.substr(0, slash), 1'000'000'000);
                std::string_view unit = slash == std::string_view::npos ? "second" : text.substr(slash + 1);
                uint64_t per = 0;
                if (unit == "s" || unit == "sec" || unit == "second") per = 1;
                if (unit == "m" || unit == "min" || unit == "minute") per = 60;
                if (unit == "h" || unit == "hour") per = 3600;
                if (unit == "d" || unit == "day") per = 86400;
                if (!n || per == 0 || *n == 0) {
                    error(range(lineNo, *v), "bad rate '" + v->text + "' (expected N/second|minute|hour|day)");
                    return;
                }
                rule.limit = true;
                if (*n % per != 0) {
                    if (!rule.limitProblem) {
                        rule.limitProblem.emplace(
                            range(lineNo, *v),
                            "rate '" + v->text +
                                "' cannot be imported: meters count whole packets per second");
                    }
                } else {
                    rule.limitPps = *n / per;
                }
            } else if (o == "--limit-burst") {
                const Token* v = need(i++);
                if (!v) return;
                rule.limit = true;
                if (!rule.limitProblem) {
                    rule.limitProblem.emplace(
                        range(lineNo, tok),
                        "'--limit-burst' cannot be imported: a meter's burst is a size in bytes");
                }
            } else if (o == "--comment") {
                if (!need(i++)) return;
            } else if (o == "--src-range" || o == "--dst-range") {
                const Token* v = need(i++);
                if (!v) return;
                if (neg) negationUnmappable(tok);
                if (!parseAddressRange(*v, lineNo, c.f[o == "--src-range" ? kSrc : kDst])) return;
            } else if (o == "-j" || o == "--jump" || o == "-g" || o == "--goto") {
                const Token* v = need(i++);
                if (!v) return;
                bool jump = o == "-j" || o == "--jump";
                const std::string& target = v->text;
                if (target == "ACCEPT") {
                    rule.target = Target::Accept;
                } else if (target == "DROP") {
                    rule.target = Target::Drop;
                } else if (target == "REJECT") {
                    rule.target = Target::Reject;
                } else if (target == "RETURN") {
                    rule.target = Target::Return;
                } else if (file_.filter.count(target) && !isBuiltin(target)) {
                    rule.target = jump ? Target::Jump : Target::Goto;
                    rule.jumpChain = target;
                } else if (target == "LOG" || target == "NFLOG") {
                    // Target options (--log-prefix, --nflog-group, ...) only shape the log line.
                    rule.target = Target::Log;
                } else if (target == "ULOG") {
                    unmappable(rule, range(lineNo, *v),
                               "target ULOG cannot be imported (LOG and NFLOG can: they become "
                               "the flow-log flag)");
                } else if (isBuiltin(target)) {
                    error(range(lineNo, *v), "cannot jump to built-in chain '" + target + "'");
                    return;
                } else {
                    unmappable(rule, range(lineNo, *v),
                               "target '" + target + "' cannot be imported (ACCEPT, DROP, REJECT, "
                                                     "RETURN and user chains can)");
                }
                // Target options (--reject-with, --log-prefix, ...) end the line.
                if (rule.target == Target::Accept || rule.target == Target::Drop ||
                    rule.target == Target::Return || rule.target == Target::Jump ||
                    rule.target == Target::Goto) {
                    if (i + 1 < t.size()) {
                        error(range(lineNo, t[i + 1]), "unexpected '" + t[i + 1].text +
                                                           "' after target " + target);
                        return;
                    }
                }
                break;
            } else {
                error(range(lineNo, tok), "unknown option '" + o + "'");
                return;
            }
        }
        if (negate) {
            error(range(lineNo, t.back()), "'!' at the end of the rule negates nothing");
            return;
        }
        // Ports, flags and ICMP types are protocol matches: iptables takes them only with -p.
        bool tcpUdp = sawProto && (proto == 6 || proto == 17 || proto == 132 || proto == 136);
        if ((!c.f[kSrcPort].any || !c.f[kDstPort].any || eitherPorts) && !tcpUdp) {
            error(rule.range, "port matches need '-p tcp' or '-p udp'");
            return;
        }
        if (!c.f[kTcpFlags].any && !(sawProto && proto == 6)) {
            error(rule.range, "TCP flag matches need '-p tcp'");
            return;
        }
        if ((!c.f[kIcmpType].any || !c.f[kIcmpCode].any) && !(sawProto && (proto == 1 || proto == 58))) {
            error(rule.range, "ICMP type matches need '-p icmp' or '-p icmpv6'");
            return;
        }
        if (rule.limit && rule.target == Target::Log && !rule.unmappable) {
            // A rate on a LOG rule limits log lines, not traffic: flow logs are per flow.
            diags_.report(DiagKind::ImportApproximate, rule.range,
                          "'-m limit' on a LOG rule is not imported: the flow log records each "
                          "new flow once, bounded by the runtime's rings, not by this rate");
            rule.limitPps = 0;
            rule.limitProblem.reset();
        }
        if (rule.limitProblem) unmappable(rule, rule.limitProblem->first, rule.limitProblem->second);
        if (rule.limitPps && rule.target != Target::Accept && !rule.unmappable) {
            unmappable(rule, rule.range, "'-m limit' is imported as a meter only on ACCEPT rules");
        }
        if (rule.established && !rule.unmappable) {
            // Only an unconditional "accept the replies" maps: it is what sessions do.
            bool plain = rule.target == Target::Accept && rule.limitPps == 0 &&
                         std::all_of(c.f.begin(), c.f.end(), [](const ValueSet& v) { return v.any; }) &&
                         !eitherPorts;
            if (!plain) {
                unmappable(rule, rule.range,
                           "an ESTABLISHED/RELATED rule with conditions or another target than "
                           "ACCEPT cannot be imported: sessions admit every reply of an allowed flow");
            }
        }
        if (eitherPorts) {
            Conds a = c, b = c;
            a.f[kSrcPort] = intersect(a.f[kSrcPort], *eitherPorts);
            b.f[kDstPort] = intersect(b.f[kDstPort], *eitherPorts);
            rule.alts = {a, b};
        }
        if (rule.target == Target::Reject && !rule.unmappable) {
            diags_.report(DiagKind::ImportApproximate, rule.range,
                          "REJECT is imported as deny: the vSwitch drops the packet without an "
                          "ICMP error or TCP reset");
        }
        if (rule.limitPps && !rule.unmappable) {
            diags_.report(DiagKind::ImportApproximate, rule.range,
                          "'-m limit' is imported as a meter: packets over the rate are dropped "
                          "rather than passed to the next rule");
        }
        chainIt->second.rules.push_back(std::move(rule));
    }

    IptablesFile& file_;
    const IptablesImportOptions& options_;
    DiagnosticEngine& diags_;
    bool familyKnown_ = false;
    std::set<std::string> otherTableReported_;
};

// ---------------------------------------------------------------------------------------------
// Flattening.

struct FlatRule {
    Alts alts;
    bool allow = false;
    const Rule* origin = nullptr;        // the rule that decides (null: a chain policy)
    std::vector<const Rule*> via;        // the -j/-g rules that led here
    uint64_t limitPps = 0;
    std::string policyChain;             // set when the rule is a chain policy
    bool logMarker = false;              // a LOG rule before expandLogs (no verdict)
    bool log = false;                    // the imported rule has the `log` flag
    const Rule* loggedBy = nullptr;      // the LOG rule that made this logged copy
};

std::vector<FlatRule> expandLogs(std::vector<FlatRule> rules, bool policyAllow,
                                 const std::string& policyChain,
                                 const std::function<void(const Rule&, const std::string&)>& report);

struct PortPlan {
    std::string name;
    std::string iface;  // the interface it stands for; empty: every interface no rule names
};

class Flattener {
public:
    Flattener(const IptablesFile& file, const IptablesImportOptions& options,
              DiagnosticEngine& diags, std::set<const Rule*>& reported)
        : file_(file), options_(options), diags_(diags), reported_(reported) {}

    // The first-match list of `root` (INPUT or OUTPUT) for traffic of `port`.
    std::vector<FlatRule> flatten(const std::string& root, const PortPlan& port, bool& sawEstablished,
                                  bool& failed) {
        std::vector<FlatRule> out;
        auto it = file_.filter.find(root);
        if (it == file_.filter.end()) return out;
        root_ = &it->second;
        port_ = &port;
        established_ = false;
        failed_ = false;
        std::vector<const Rule*> via;
        walk(it->second, Alts{Conds{}}, via, out);
        if (!failed_) {
            out = expandLogs(std::move(out), root_->policyAccept, root_->name,
                             [&](const Rule& r, const std::string& why) { report(r, r.range, why); });
        }
        sawEstablished = established_;
        failed = failed_;
        return out;
    }

private:
    void report(const Rule& r, SourceRange range, const std::string& why) {
        if (!reported_.insert(&r).second) return;
        if (options_.lossy) {
            diags_.report(DiagKind::ImportLeftOut, range, why + "; the rule is left out");
        } else {
            diags_.report(DiagKind::ImportUnmappable, range, why);
            diags_.note({}, "with --lossy the rule is left out and this is a warning");
        }
    }

    // Does the rule's interface condition hold for the port's traffic? nullopt: cannot say.
    bool ifaceHolds(const Rule& r) const {
        if (r.iface.empty()) return true;
        bool same = r.iface == port_->iface;  // lo and named interfaces of other ports: false
        return same != r.ifaceNegated;
    }

    bool walk(const Chain& chain, const Alts& alts, std::vector<const Rule*>& via,
              std::vector<FlatRule>& out) {
        if (via.size() > kMaxChainDepth) {
            diags_.report(DiagKind::ImportMalformed, via.back()->range,
                          "chains nest deeper than " + std::to_string(kMaxChainDepth));
            failed_ = true;
            return false;
        }
        for (size_t i = 0; i < chain.rules.size(); ++i) {
            const Rule& r = chain.rules[i];
            if (r.unmappable) {
                report(r, r.problemRange, r.problem);
                continue;
            }
            if (!ifaceHolds(r)) continue;
            if (r.established) {
                established_ = true;
                if (!out.empty()) {
                    // Earlier rules of iptables see the replies too; sessions let them pass.
                    if (reported_.insert(&r).second) {
                        diags_.report(DiagKind::ImportApproximate, r.range,
                                      "ESTABLISHED/RELATED is imported as stateful allows: replies "
                                      "skip the rules before this one, which iptables applies to them");
                    }
                }
                continue;
            }
            Alts next = intersect(alts, r.alts);
            if (next.empty()) continue;
            if (next.size() > kMaxAlternatives) {
                report(r, r.range, "the rule expands into more than " +
                                       std::to_string(kMaxAlternatives) + " alternatives");
                continue;
            }
            switch (r.target) {
                case Target::None:
                    break;  // a counting rule: no effect on the verdict
                case Target::Log: {
                    FlatRule f;
                    f.alts = std::move(next);
                    f.logMarker = true;
                    f.origin = &r;
                    f.via = via;
                    if (!push(std::move(f), out)) return false;
                    break;
                }
                case Target::Accept:
                case Target::Drop:
                case Target::Reject: {
                    FlatRule f;
                    f.alts = std::move(next);
                    f.allow = r.target == Target::Accept;
                    f.origin = &r;
                    f.via = via;
                    f.limitPps = r.limitPps;
                    if (!push(std::move(f), out)) return false;
                    break;
                }
                case Target::Return:
                    if (chain.builtin) {
                        if (!pushPolicy(std::move(next), via, out)) return false;
                        break;
                    }
                    if (i + 1 == chain.rules.size()) break;  // returning at the end is no-op
                    report(r, r.range,
                           "RETURN before the end of user chain '" + chain.name +
                               "' cannot be imported: the rules after it would need a negated condition");
                    break;
                case Target::Jump:
                case Target::Goto: {
                    const Chain& sub = file_.filter.at(r.jumpChain);
                    if (std::any_of(via.begin(), via.end(),
                                    [&](const Rule* v) { return v->jumpChain == r.jumpChain; }) ||
                        r.jumpChain == chain.name) {
                        diags_.report(DiagKind::ImportMalformed, r.range,
                                      "chain '" + r.jumpChain + "' jumps to itself (a loop)");
                        failed_ = true;
                        return false;
                    }
                    via.push_back(&r);
                    bool ok = walk(sub, next, via, out);
                    via.pop_back();
                    if (!ok) return false;
                    // A goto does not come back: what falls off its chain meets the policy.
                    if (r.target == Target::Goto && !pushPolicy(std::move(next), via, out)) return false;
                    break;
                }
            }
        }
        return true;
    }

    bool pushPolicy(Alts alts, const std::vector<const Rule*>& via, std::vector<FlatRule>& out) {
        FlatRule f;
        f.alts = std::move(alts);
        f.allow = root_->policyAccept;
        f.via = via;
        f.policyChain = root_->name;
        return push(std::move(f), out);
    }

    bool push(FlatRule f, std::vector<FlatRule>& out) {
        if (out.size() >= kMaxFlatRules) {
            diags_.report(DiagKind::ImportMalformed, f.origin ? f.origin->range : SourceRange{},
                          "chain " + root_->name + " expands into more than " +
                              std::to_string(kMaxFlatRules) + " rules");
            failed_ = true;
            return false;
        }
        out.push_back(std::move(f));
        return true;
    }

    const IptablesFile& file_;
    const IptablesImportOptions& options_;
    DiagnosticEngine& diags_;
    std::set<const Rule*>& reported_;
    const Chain* root_ = nullptr;
    const PortPlan* port_ = nullptr;
    bool established_ = false;
    bool failed_ = false;
};

// ---------------------------------------------------------------------------------------------
// LOG rules. iptables LOG does not decide; Sluice `log` is a flag of the deciding rule. Under
// first match, a LOG rule with match M followed by the rules R1..Rn and the chain policy P is
// the same as: the rules (Ri AND M) with `log` (empty intersections left out), then M with P's
// verdict and `log`, then R1..Rn. The logged copies stop at the first Ri that covers M (nothing
// of M is left for later rules or the policy), and an Ri inside M is left out (its logged copy
// decides all of it), so "LOG M; DROP M" is one logged drop. Rules are expanded from the last
// LOG rule to the first, so that each LOG sees the rules after it as they will be printed.

bool sameSet(const ValueSet& a, const ValueSet& b) {
    if (a.any != b.any || a.spans.size() != b.spans.size()) return false;
    for (size_t i = 0; i < a.spans.size(); ++i) {
        if (a.spans[i].lo != b.spans[i].lo || a.spans[i].hi != b.spans[i].hi) return false;
    }
    return true;
}

// Structural equality; a false "different" only costs a redundant rule.
bool sameAlts(const Alts& a, const Alts& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        for (size_t f = 0; f < kFields; ++f) {
            if (!sameSet(a[i].f[f], b[i].f[f])) return false;
        }
    }
    return true;
}

// `report(rule, why)` is called for a LOG rule whose expansion cannot be expressed; that LOG
// is then left out and the rules after it stay as they are.
std::vector<FlatRule> expandLogs(std::vector<FlatRule> rules, bool policyAllow,
                                 const std::string& policyChain,
                                 const std::function<void(const Rule&, const std::string&)>& report) {
    std::vector<FlatRule> tail;  // the rules after the current position, expanded
    for (size_t k = rules.size(); k-- > 0;) {
        FlatRule& r = rules[k];
        if (!r.logMarker) {
            tail.insert(tail.begin(), std::move(r));
            continue;
        }
        const Alts& m = r.alts;
        std::vector<FlatRule> logged;
        bool covered = false;
        bool expressible = true;
        for (const FlatRule& later : tail) {
            Alts x = intersect(later.alts, m);
            if (x.empty()) continue;
            if (x.size() > kMaxAlternatives) {
                report(*r.origin, "logging this rule would need a rule of more than " +
                                      std::to_string(kMaxAlternatives) + " alternatives");
                expressible = false;
                break;
            }
            FlatRule copy = later;
            copy.alts = std::move(x);
            copy.log = true;
            copy.loggedBy = r.origin;
            covered = sameAlts(copy.alts, m);
            logged.push_back(std::move(copy));
            if (covered) break;
        }
        if (expressible && logged.size() + tail.size() + 1 > kMaxFlatRules) {
            report(*r.origin, "logging this rule would expand the chain into more than " +
                                  std::to_string(kMaxFlatRules) + " rules");
            expressible = false;
        }
        if (!expressible) continue;
        if (!covered) {
            FlatRule policy;
            policy.alts = m;
            policy.allow = policyAllow;
            policy.origin = r.origin;
            policy.via = r.via;
            policy.policyChain = policyChain;
            policy.log = true;
            policy.loggedBy = r.origin;
            logged.push_back(std::move(policy));
        }
        for (FlatRule& later : tail) {
            if (!sameAlts(intersect(later.alts, m), later.alts)) logged.push_back(std::move(later));
        }
        tail = std::move(logged);
    }
    return tail;
}

// ---------------------------------------------------------------------------------------------
// Printing.

std::string spanText(Field field, const Span& s, Family family) {
    auto num = [](u128 v) { return std::to_string(static_cast<uint64_t>(v)); };
    if (field == kSrc || field == kDst) {
        unsigned width = family == Family::V4 ? 32 : 128;
        IpAddr lo{family, s.lo}, hi{family, s.hi};
        // A prefix when the span is aligned.
        u128 size = s.hi - s.lo;  // 2^k - 1 for a prefix
        if ((size & (size + 1)) == 0 && (s.lo & size) == 0) {
            unsigned hostBits = 0;
            while (hostBits < width && ((size >> hostBits) & 1)) ++hostBits;
            if (hostBits == 0) return lo.str();
            return lo.str() + "/" + std::to_string(width - hostBits);
        }
        return lo.str() + ".." + hi.str();
    }
    if (field == kProto) return protocolName(static_cast<uint8_t>(s.lo));
    if (s.lo == s.hi) return num(s.lo);
    return num(s.lo) + ".." + num(s.hi);
}

std::string condsText(const Conds& c, Family family) {
    std::string out;
    for (size_t i = 0; i < kFields; ++i) {
        const ValueSet& v = c.f[i];
        if (v.any) continue;
        out += out.empty() ? "" : " ";
        out += kFieldNames[i];
        out += " ";
        std::vector<std::string> items;
        for (const Span& s : v.spans) {
            if (i == kProto) {
                for (u128 p = s.lo; p <= s.hi; ++p) items.push_back(spanText(kProto, {p, p}, family));
            } else {
                items.push_back(spanText(static_cast<Field>(i), s, family));
            }
        }
        for (size_t k = 0; k < items.size(); ++k) out += (k ? ", " : "") + items[k];
    }
    // Every rule of the file is about its family only (iptables-save holds IPv4 rules,
    // ip6tables-save IPv6 ones).
    if (c.f[kSrc].any && c.f[kDst].any) {
        out += out.empty() ? "" : " ";
        out += family == Family::V4 ? "src_ip 0.0.0.0/0" : "src_ip ::/0";
    }
    return out;
}

std::string sanitize(const std::string& name) { return identifierFrom(name, "if_"); }

std::string commentText(const std::string& path, const FlatRule& f) {
    std::string out;
    const Rule* r = f.origin;
    if (r) {
        out = path + ":" + std::to_string(r->line) + ": " + r->text;
    } else {
        out = "policy of chain " + f.policyChain;
    }
    for (auto it = f.via.rbegin(); it != f.via.rend(); ++it) {
        out += " (via line " + std::to_string((*it)->line) + ")";
    }
    if (f.loggedBy) {
        out += f.origin == f.loggedBy ? " (then the chain policy)" : "";
        out += " (logged by line " + std::to_string(f.loggedBy->line) + ")";
    }
    // Comments end at the line's end; iptables comments could hold anything.
    for (char& ch : out) {
        if (ch == '\n' || ch == '\r') ch = ' ';
    }
    return out;
}

}  // namespace

std::optional<std::string> importIptables(const std::vector<IptablesInput>& inputs,
                                          const std::vector<uint32_t>& fileIds,
                                          const IptablesImportOptions& options,
                                          DiagnosticEngine& diags) {
    size_t errorsBefore = diags.errorCount();
    std::vector<IptablesFile> files(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        files[i].fileId = fileIds[i];
        files[i].path = inputs[i].path;
        Reader(files[i], options, diags).read(inputs[i].text);
        if (!files[i].sawFilter) {
            SourceRange r;
            r.begin = r.end = {fileIds[i], 1, 1};
            diags.report(DiagKind::ImportMalformed, r,
                         "no '*filter' table: is this iptables-save output?");
        }
        for (const char* builtin : {"INPUT", "OUTPUT"}) {
            if (files[i].sawFilter && !files[i].filter.count(builtin)) {
                SourceRange r;
                r.begin = r.end = {fileIds[i], 1, 1};
                diags.report(DiagKind::ImportMalformed, r,
                             std::string("the filter table declares no ") + builtin + " chain");
            }
        }
    }
    if (diags.errorCount() > errorsBefore) return std::nullopt;

    // FORWARD filters traffic routed through the host, which a port does not see.
    std::set<const Rule*> reported;
    for (const IptablesFile& f : files) {
        auto fwd = f.filter.find("FORWARD");
        if (fwd == f.filter.end() || fwd->second.rules.empty()) continue;
        const Rule& first = fwd->second.rules.front();
        std::string why = "the FORWARD chain (" + std::to_string(fwd->second.rules.size()) +
                          " rules) is not imported: a port filters the traffic of its own VM "
                          "(INPUT and OUTPUT), not traffic routed through it";
        if (options.lossy) {
            diags.report(DiagKind::ImportLeftOut, first.range, why);
        } else {
            diags.report(DiagKind::ImportUnmappable, first.range, why);
            diags.note({}, "with --lossy FORWARD is left out and this is a warning");
        }
    }

    // Ports: one for every interface the rules name (but lo), and the default port for all others.
    std::vector<PortPlan> ports;
    ports.push_back({sanitize(options.portName), ""});
    std::set<std::string> names = {ports[0].name};
    for (const IptablesFile& f : files) {
        for (const auto& [chainName, chain] : f.filter) {
            if (chainName == "FORWARD") continue;
            for (const Rule& r : chain.rules) {
                if (r.iface.empty() || r.iface == "lo" || r.unmappable) continue;
                if (std::any_of(ports.begin(), ports.end(), [&](const PortPlan& p) { return p.iface == r.iface; })) {
                    continue;
                }
                std::string name = sanitize(r.iface);
                while (names.count(name)) name += "_";
                names.insert(name);
                ports.push_back({name, r.iface});
            }
        }
    }

    std::ostringstream out;
    out << "// Imported by `sluice import iptables` from";
    for (const IptablesFile& f : files) out << " " << f.path;
    out << " (filter table).\n"
           "// INPUT is each port's inbound side, OUTPUT its outbound side; rules keep their order\n"
           "// (priority = position after inlining user chains). Each port stands for an interface\n"
           "// of the host: set its mac, ip and vni to the real ones.\n";
    bool hasV4 = std::any_of(files.begin(), files.end(), [](const IptablesFile& f) { return f.family == Family::V4; });
    bool hasV6 = std::any_of(files.begin(), files.end(), [](const IptablesFile& f) { return f.family == Family::V6; });
    for (size_t p = 0; p < ports.size(); ++p) {
        const PortPlan& port = ports[p];
        std::string layer = ports.size() == 1 ? "filter" : "filter_" + port.name;
        char mac[32];
        std::snprintf(mac, sizeof mac, "02:00:00:00:%02zx:%02zx", (p + 1) >> 8 & 0xff, (p + 1) & 0xff);
        out << "port " << port.name << " { mac " << mac << "; ip ";
        if (hasV4) out << "192.0.2." << (p + 1) % 250 + 1;
        if (hasV4 && hasV6) out << ", ";
        if (hasV6) out << "2001:db8::" << std::hex << (p + 1) << std::dec;
        out << "; vni 1; layers " << layer << "; }";
        if (!port.iface.empty()) out << "  // interface " << port.iface;
        out << "\n";
    }
    std::map<std::string, uint64_t> meters;
    std::ostringstream layers;
    for (const PortPlan& port : ports) {
        std::string layer = ports.size() == 1 ? "filter" : "filter_" + port.name;
        struct Side {
            std::vector<std::pair<const IptablesFile*, std::vector<FlatRule>>> perFile;
            bool established = false;  // this side's chain accepts replies
        };
        Side in, out2;
        bool failed = false;
        for (const IptablesFile& f : files) {
            Flattener flat(f, options, diags, reported);
            bool est = false, bad = false;
            in.perFile.emplace_back(&f, flat.flatten("INPUT", port, est, bad));
            in.established |= est;
            failed |= bad;
            out2.perFile.emplace_back(&f, flat.flatten("OUTPUT", port, est, bad));
            out2.established |= est;
            failed |= bad;
        }
        if (failed) return std::nullopt;
        const IptablesFile& first = files[0];
        bool inAccept = first.filter.at("INPUT").policyAccept;
        bool outAccept = first.filter.at("OUTPUT").policyAccept;
        layers << "\nlayer " << layer << " {\n";
        layers << "    default in " << (inAccept ? "allow" : "deny") << ";\n";
        layers << "    default out " << (outAccept ? "allow" : "deny") << ";\n";
        std::set<std::string> ruleNames;
        auto printSide = [&](const char* dir, const char* chain, const Side& side, bool stateful) {
            std::ostringstream body;
            uint64_t priority = 1;
            for (const auto& [file, rules] : side.perFile) {
                for (const FlatRule& f : rules) {
                    for (size_t a = 0; a < f.alts.size(); ++a) {
                        std::string base = std::string(dir) + "_" +
                                           (f.origin ? "l" + std::to_string(f.origin->line) : "policy");
                        if (files.size() > 1 && f.origin) {
                            base += "_f" + std::to_string(file - files.data() + 1);
                        }
                        std::string name = base;
                        for (int k = 2; ruleNames.count(name); ++k) name = base + "_" + std::to_string(k);
                        ruleNames.insert(name);
                        body << "            // " << commentText(file->path, f) << "\n";
                        body << "            rule " << name << " priority " << priority++ << " match "
                             << condsText(f.alts[a], file->family) << " action ";
                        if (!f.allow) {
                            body << "deny";
                        } else {
                            body << "allow";
                            if (f.limitPps) {
                                // One bucket per iptables rule, as the limit match keeps one.
                                std::string meter = "limit_l" + std::to_string(f.origin->line);
                                if (files.size() > 1) meter += "_f" + std::to_string(file - files.data() + 1);
                                body << ", meter " << meter;
                                meters.emplace(meter, f.limitPps);
                            }
                            if (stateful) body << " stateful";
                        }
                        if (f.log) body << " log";
                        body << ";\n";
                    }
                }
                // The chain policy, when it differs from the layer default (a second file of the
                // other family) or when its accepts must record sessions for the replies.
                const Chain& c = file->filter.at(chain);
                bool layerDefault = std::string(dir) == "in" ? inAccept : outAccept;
                if (c.policyAccept != layerDefault || (c.policyAccept && stateful)) {
                    std::string name = std::string(dir) + "_policy_" + (file->family == Family::V4 ? "v4" : "v6");
                    while (ruleNames.count(name)) name += "_";
                    ruleNames.insert(name);
                    body << "            // policy of chain " << chain << " in " << file->path << "\n";
                    body << "            rule " << name << " priority " << priority++ << " match "
                         << condsText(Conds{}, file->family) << " action "
                         << (c.policyAccept ? (stateful ? "allow stateful" : "allow") : "deny") << ";\n";
                }
            }
            if (body.str().empty()) return;
            layers << "    " << dir << " {\n";
            layers << "        group " << (std::string(dir) == "in" ? "input" : "output") << " priority 1 {\n";
            layers << body.str();
            layers << "        }\n    }\n";
        };
        // Allows record sessions where the opposite chain accepts ESTABLISHED replies.
        printSide("in", "INPUT", in, out2.established);
        printSide("out", "OUTPUT", out2, in.established);
        layers << "}\n";
    }
    for (const auto& [meter, rate] : meters) {
        out << "meter " << meter << " { rate " << rate << "pps; }\n";
    }
    out << layers.str();
    if (diags.errorCount() > errorsBefore) return std::nullopt;
    return out.str();
}

}  // namespace sluice::lang
