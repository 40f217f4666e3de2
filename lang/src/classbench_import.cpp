// ClassBench filter set -> Sluice policy text (see classbench.h).
#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/lang/classbench.h"
#include "sluice/lang/packet.h"

namespace sluice::lang {

namespace {

struct Prefix {
    uint32_t addr = 0;  // host bits cleared
    int len = 0;
};

struct PortRange {
    uint32_t lo = 0;
    uint32_t hi = 65535;
};

struct ClassBenchRule {
    Prefix src;
    Prefix dst;
    PortRange sport;
    PortRange dport;
    uint8_t proto = 0;
    uint8_t protoMask = 0;
};

std::optional<Prefix> parsePrefix(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto ip = parseIp(text.substr(0, slash));
    auto len = parseUnsigned(text.substr(slash + 1), 32);
    if (!ip || ip->family != Family::V4 || !len) return std::nullopt;
    Prefix p;
    p.len = static_cast<int>(*len);
    uint32_t mask = p.len == 0 ? 0 : ~uint32_t(0) << (32 - p.len);
    p.addr = static_cast<uint32_t>(ip->value) & mask;
    return p;
}

std::string prefixText(const Prefix& p) {
    return IpAddr::v4(p.addr).str() + "/" + std::to_string(p.len);
}

std::string portText(const PortRange& r) {
    if (r.lo == r.hi) return std::to_string(r.lo);
    return std::to_string(r.lo) + ".." + std::to_string(r.hi);
}

// The protocol numbers v with (v & mask) == (proto & mask), as comma-separated values and
// ranges.
std::string protoValues(uint8_t proto, uint8_t mask) {
    if (mask == 0xff) return std::to_string(proto);
    std::string out;
    int runStart = -1;
    for (int v = 0; v <= 256; ++v) {
        bool in = v < 256 && (v & mask) == (proto & mask);
        if (in && runStart < 0) runStart = v;
        if (!in && runStart >= 0) {
            if (!out.empty()) out += ", ";
            out += std::to_string(runStart);
            if (v - 1 > runStart) out += ".." + std::to_string(v - 1);
            runStart = -1;
        }
    }
    return out;
}

// Splits a rule line into fields: '@' dropped, ':' and '/' of the port and protocol columns kept
// as separate tokens where they are written apart.
std::vector<std::string> tokenize(const std::string& line) {
    std::string spaced;
    for (char c : line) {
        if (c == ':') {
            spaced += " : ";
        } else {
            spaced += c;
        }
    }
    std::vector<std::string> toks;
    std::istringstream in(spaced);
    std::string tok;
    while (in >> tok) toks.push_back(tok);
    return toks;
}

Expected<ClassBenchRule> parseLine(const std::string& line) {
    std::vector<std::string> t = tokenize(line);
    // @SRC DST LO : HI LO : HI PROTO/MASK [FLAGS/MASK]
    if (t.size() != 9 && t.size() != 10) {
        return makeError("expected '@SRC/LEN DST/LEN LO : HI LO : HI PROTO/MASK [FLAGS/MASK]'");
    }
    if (t[0].empty() || t[0][0] != '@') return makeError("a rule line starts with '@'");
    ClassBenchRule r;
    auto src = parsePrefix(std::string_view(t[0]).substr(1));
    if (!src) return makeError("bad source prefix '" + t[0].substr(1) + "'");
    auto dst = parsePrefix(t[1]);
    if (!dst) return makeError("bad destination prefix '" + t[1] + "'");
    r.src = *src;
    r.dst = *dst;
    for (int k = 0; k < 2; ++k) {
        const char* what = k == 0 ? "source" : "destination";
        size_t base = 2 + 3 * static_cast<size_t>(k);
        if (t[base + 1] != ":") {
            return makeError(std::string("expected 'LO : HI' for the ") + what + " ports");
        }
        auto lo = parseUnsigned(t[base], 65535);
        auto hi = parseUnsigned(t[base + 2], 65535);
        if (!lo || !hi) {
            return makeError(std::string("bad ") + what + " port range '" + t[base] + " : " +
                             t[base + 2] + "' (numbers 0..65535)");
        }
        if (*lo > *hi) {
            return makeError(std::string(what) + " port range " + t[base] + " : " + t[base + 2] +
                             " is empty (lo > hi)");
        }
        PortRange& pr = k == 0 ? r.sport : r.dport;
        pr.lo = static_cast<uint32_t>(*lo);
        pr.hi = static_cast<uint32_t>(*hi);
    }
    const std::string& proto = t[8];
    size_t slash = proto.find('/');
    std::optional<uint64_t> value, mask;
    if (slash != std::string::npos) {
        value = parseUnsigned(std::string_view(proto).substr(0, slash), 255);
        mask = parseUnsigned(std::string_view(proto).substr(slash + 1), 255);
    }
    if (!value || !mask) return makeError("bad protocol '" + proto + "' (expected 0xPP/0xMM)");
    r.proto = static_cast<uint8_t>(*value);
    r.protoMask = static_cast<uint8_t>(*mask);
    return r;
}

std::string ruleText(size_t index, const ClassBenchRule& r) {
    std::string conds;
    // ClassBench rules are IPv4 ACL lines: a /0 address still means "any IPv4 address". A
    // prefix condition keeps the family, so one of them is printed even when both are /0;
    // otherwise the rule would match IPv6 packets too.
    if (r.src.len > 0 || r.dst.len == 0) conds += " src_ip " + prefixText(r.src);
    if (r.dst.len > 0) conds += " dst_ip " + prefixText(r.dst);
    if (!(r.sport.lo == 0 && r.sport.hi == 65535)) conds += " src_port " + portText(r.sport);
    if (!(r.dport.lo == 0 && r.dport.hi == 65535)) conds += " dst_port " + portText(r.dport);
    if (r.protoMask != 0) conds += " proto " + protoValues(r.proto, r.protoMask);
    std::string n = std::to_string(index);
    return "            rule r" + n + " priority " + n + (conds.empty() ? "" : " match" + conds) +
           " action allow;\n";
}

}  // namespace

Expected<std::string> importClassBench(std::istream& in, const std::string& sourceName) {
    std::string rules;
    std::string line;
    size_t count = 0;
    for (size_t lineNo = 1; std::getline(in, line); ++lineNo) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto rule = parseLine(line);
        if (!rule) {
            return makeError("bad ClassBench rule: " + rule.error().message,
                             sourceName + ":" + std::to_string(lineNo));
        }
        rules += ruleText(count, *rule);
        ++count;
    }
    if (in.bad()) return makeError("cannot read the file", sourceName);

    std::string name = sourceName;
    for (char& c : name) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    std::string out;
    out += "// Imported from ClassBench filter set " + name + ": " + std::to_string(count) +
           " rules.\n";
    out += "// Rule rN is the set's rule line N (from 0, blank lines skipped); first match wins;\n";
    out += "// TCP flags are ignored.\n";
    out += "port p0 {\n";
    out += "    mac 02:00:00:00:00:01;\n";
    out += "    ip 10.0.0.1;\n";
    out += "    vni 1;\n";
    out += "    layers acl;\n";
    out += "}\n\n";
    out += "layer acl {\n";
    out += "    default deny;\n";
    out += "    out {\n";
    out += "        group classbench priority 0 {\n";
    out += rules;
    out += "        }\n";
    out += "    }\n";
    out += "}\n";
    return out;
}

}  // namespace sluice::lang
