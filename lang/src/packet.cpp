// Packet metadata: the field table, address/MAC/protocol/flag literals and the packet text form
// of DESIGN.md section 5.
#include "sluice/lang/packet.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

namespace sluice::lang {

namespace {

constexpr FieldInfo kFields[kFieldCount] = {
    {Field::SrcMac, "src_mac", 48, false, true},
    {Field::DstMac, "dst_mac", 48, false, true},
    {Field::EtherType, "ethertype", 16, false, false},
    {Field::Vni, "vni", 24, false, false},
    {Field::OuterSrcIp, "outer_src_ip", 128, true, false},
    {Field::OuterDstIp, "outer_dst_ip", 128, true, false},
    {Field::SrcIp, "src_ip", 128, true, true},
    {Field::DstIp, "dst_ip", 128, true, true},
    {Field::Proto, "proto", 8, false, false},
    {Field::SrcPort, "src_port", 16, false, true},
    {Field::DstPort, "dst_port", 16, false, true},
    {Field::TcpFlags, "tcp_flags", 8, false, false},
    {Field::IcmpType, "icmp_type", 8, false, false},
    {Field::IcmpCode, "icmp_code", 8, false, false},
    {Field::Dscp, "dscp", 6, false, true},
};

constexpr bool tableIsOrdered() {
    for (size_t i = 0; i < kFieldCount; ++i) {
        if (static_cast<size_t>(kFields[i].field) != i) return false;
    }
    return true;
}
static_assert(tableIsOrdered(), "kFields must be indexed by Field");

u128 widthMask(unsigned width) {
    return width >= 128 ? ~u128(0) : ((u128(1) << width) - 1);
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<uint32_t> parseIpv4(std::string_view text) {
    uint32_t addr = 0;
    int parts = 0;
    size_t i = 0;
    while (true) {
        size_t start = i;
        unsigned value = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            value = value * 10 + static_cast<unsigned>(text[i] - '0');
            ++i;
            if (i - start > 3) return std::nullopt;
        }
        if (i == start || value > 255) return std::nullopt;
        addr = (addr << 8) | value;
        ++parts;
        if (parts == 4) break;
        if (i >= text.size() || text[i] != '.') return std::nullopt;
        ++i;
    }
    if (i != text.size()) return std::nullopt;
    return addr;
}

// RFC 4291 text forms: up to 8 groups of 1-4 hex digits, at most one "::", optionally ending
// in a dotted IPv4 address that stands for the last two groups.
std::optional<u128> parseIpv6(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::vector<uint16_t> head;
    std::vector<uint16_t> tail;
    bool compressed = false;
    size_t i = 0;
    if (text.substr(0, 2) == "::") {
        compressed = true;
        i = 2;
    } else if (text[0] == ':') {
        return std::nullopt;
    }
    while (i < text.size()) {
        std::vector<uint16_t>& groups = compressed ? tail : head;
        // An embedded IPv4 address: the rest of the text has a '.' before any ':'.
        size_t nextColon = text.find(':', i);
        size_t nextDot = text.find('.', i);
        if (nextDot != std::string_view::npos &&
            (nextColon == std::string_view::npos || nextDot < nextColon)) {
            if (nextColon != std::string_view::npos) return std::nullopt;
            auto v4 = parseIpv4(text.substr(i));
            if (!v4) return std::nullopt;
            groups.push_back(static_cast<uint16_t>(*v4 >> 16));
            groups.push_back(static_cast<uint16_t>(*v4 & 0xffff));
            i = text.size();
            break;
        }
        size_t start = i;
        unsigned value = 0;
        while (i < text.size() && hexDigit(text[i]) >= 0) {
            value = value * 16 + static_cast<unsigned>(hexDigit(text[i]));
            ++i;
            if (i - start > 4) return std::nullopt;
        }
        if (i == start) return std::nullopt;
        groups.push_back(static_cast<uint16_t>(value));
        if (i == text.size()) break;
        if (text[i] != ':') return std::nullopt;
        ++i;
        if (i < text.size() && text[i] == ':') {
            if (compressed) return std::nullopt;  // two "::"
            compressed = true;
            ++i;
        } else if (i == text.size()) {
            return std::nullopt;  // trailing single ':'
        }
    }
    size_t total = head.size() + tail.size();
    if (compressed ? total > 7 : total != 8) return std::nullopt;
    u128 value = 0;
    for (uint16_t g : head) value = (value << 16) | g;
    for (size_t k = 0; k < 8 - total; ++k) value <<= 16;
    for (uint16_t g : tail) value = (value << 16) | g;
    return value;
}

std::string ipv4ToString(uint32_t a) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                  a & 0xff);
    return buf;
}

// RFC 5952: lower-case hex, no leading zeros, the longest run (first on a tie) of two or more
// zero groups as "::"; IPv4-mapped addresses (::ffff:0:0/96) end in dotted form.
std::string ipv6ToString(u128 v) {
    uint16_t g[8];
    for (int k = 0; k < 8; ++k) g[k] = static_cast<uint16_t>(v >> (16 * (7 - k)));
    bool mapped = (v >> 32) == u128(0xffff);
    int groups = mapped ? 6 : 8;
    int bestStart = -1, bestLen = 0;
    for (int k = 0; k < groups;) {
        if (g[k] != 0) {
            ++k;
            continue;
        }
        int start = k;
        while (k < groups && g[k] == 0) ++k;
        if (k - start > bestLen) {
            bestStart = start;
            bestLen = k - start;
        }
    }
    if (bestLen < 2) bestStart = -1;
    std::string out;
    char buf[8];
    for (int k = 0; k < groups;) {
        if (k == bestStart) {
            out += "::";
            k += bestLen;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        std::snprintf(buf, sizeof buf, "%x", g[k]);
        out += buf;
        ++k;
    }
    if (mapped) {
        if (!out.empty() && out.back() != ':') out += ':';
        out += ipv4ToString(static_cast<uint32_t>(v));
    }
    return out;
}

struct ProtoName {
    std::string_view name;
    uint8_t number;
};
// The first entry for a number is its printed name.
constexpr ProtoName kProtocols[] = {
    {"icmp", 1},  {"igmp", 2},    {"tcp", 6},  {"udp", 17},        {"gre", 47},
    {"esp", 50},  {"ah", 51},     {"icmpv6", 58}, {"ipv6-icmp", 58}, {"sctp", 132},
};

constexpr std::string_view kFlagLetters = "FSRPAUEC";  // bit 0 .. bit 7

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}


bool hasPorts(uint8_t proto) { return proto == kProtoTcp || proto == kProtoUdp; }
bool isIcmp(uint8_t proto) { return proto == kProtoIcmp || proto == kProtoIcmpV6; }

struct Endpoint {
    IpAddr addr;
    std::optional<uint16_t> port;
};

Error packetError(std::string message, std::string_view text) {
    return makeError(std::move(message), "packet '" + std::string(text) + "'");
}

// "1.2.3.4", "1.2.3.4:80", "fd00::1", "[fd00::1]", "[fd00::1]:80".
Expected<Endpoint> parseEndpoint(std::string_view tok, std::string_view what,
                                 std::string_view whole) {
    Endpoint ep;
    std::string_view addrText = tok;
    std::optional<std::string_view> portText;
    if (!tok.empty() && tok[0] == '[') {
        size_t close = tok.find(']');
        if (close == std::string_view::npos) {
            return packetError(std::string(what) + " '" + std::string(tok) + "' lacks ']'",
                               whole);
        }
        addrText = tok.substr(1, close - 1);
        std::string_view rest = tok.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') {
                return packetError("unexpected '" + std::string(rest) + "' after ']' in " +
                                       std::string(what),
                                   whole);
            }
            portText = rest.substr(1);
        }
        auto ip = parseIp(addrText);
        if (!ip || ip->family != Family::V6) {
            return packetError(std::string(what) + " '" + std::string(addrText) +
                                   "' is not an IPv6 address (brackets are for IPv6 only)",
                               whole);
        }
        ep.addr = *ip;
    } else {
        size_t colons = std::count(tok.begin(), tok.end(), ':');
        if (colons == 1) {
            size_t c = tok.find(':');
            addrText = tok.substr(0, c);
            portText = tok.substr(c + 1);
        }
        auto ip = parseIp(addrText);
        if (!ip) {
            return packetError(std::string(what) + " '" + std::string(addrText) +
                                   "' is not an IPv4 or IPv6 address",
                               whole);
        }
        ep.addr = *ip;
    }
    if (portText) {
        bool digits = !portText->empty() && portText->size() <= 5 &&
                      std::all_of(portText->begin(), portText->end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
        auto port = digits ? parseUnsigned(*portText, 65535) : std::nullopt;
        if (!port) {
            return packetError(std::string(what) + " port '" + std::string(*portText) +
                                   "' is not a number in 0..65535",
                               whole);
        }
        ep.port = static_cast<uint16_t>(*port);
    }
    return ep;
}

std::string formatEndpoint(const IpAddr& addr, std::optional<uint16_t> port) {
    std::string a = addr.str();
    if (!port) return a;
    if (addr.family == Family::V6) a = "[" + a + "]";
    return a + ":" + std::to_string(*port);
}

}  // namespace

std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty()) return std::nullopt;
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || ptr != text.data() + text.size() || value > max) return std::nullopt;
    return value;
}

const FieldInfo& fieldInfo(Field field) { return kFields[static_cast<size_t>(field)]; }

std::optional<Field> fieldByName(std::string_view name) {
    for (const FieldInfo& info : kFields) {
        if (info.name == name) return info.field;
    }
    return std::nullopt;
}

std::string IpAddr::str() const {
    switch (family) {
        case Family::V4:
            return ipv4ToString(static_cast<uint32_t>(value));
        case Family::V6:
            return ipv6ToString(value);
        case Family::None:
            break;
    }
    return "-";
}

std::optional<IpAddr> parseIp(std::string_view text) {
    if (text.find(':') != std::string_view::npos) {
        auto v6 = parseIpv6(text);
        if (!v6) return std::nullopt;
        return IpAddr::v6(*v6);
    }
    auto v4 = parseIpv4(text);
    if (!v4) return std::nullopt;
    return IpAddr::v4(*v4);
}

std::optional<uint64_t> parseMac(std::string_view text) {
    // Exactly six pairs of hex digits separated by ':'.
    if (text.size() != 17) return std::nullopt;
    uint64_t mac = 0;
    for (int k = 0; k < 6; ++k) {
        int hi = hexDigit(text[k * 3]);
        int lo = hexDigit(text[k * 3 + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (k < 5 && text[k * 3 + 2] != ':') return std::nullopt;
        mac = (mac << 8) | static_cast<uint64_t>(hi * 16 + lo);
    }
    return mac;
}

std::string macToString(uint64_t mac) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x",
                  static_cast<unsigned>((mac >> 40) & 0xff), static_cast<unsigned>((mac >> 32) & 0xff),
                  static_cast<unsigned>((mac >> 24) & 0xff), static_cast<unsigned>((mac >> 16) & 0xff),
                  static_cast<unsigned>((mac >> 8) & 0xff), static_cast<unsigned>(mac & 0xff));
    return buf;
}

std::optional<uint8_t> parseProtocol(std::string_view text) {
    std::string name = lower(text);
    for (const ProtoName& p : kProtocols) {
        if (p.name == name) return p.number;
    }
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
        auto n = parseUnsigned(text, 255);
        if (n) return static_cast<uint8_t>(*n);
    }
    return std::nullopt;
}

std::string protocolName(uint8_t proto) {
    for (const ProtoName& p : kProtocols) {
        if (p.number == proto) return std::string(p.name);
    }
    return std::to_string(proto);
}

std::optional<uint8_t> parseTcpFlags(std::string_view letters) {
    uint8_t flags = 0;
    for (char c : letters) {
        char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        size_t bit = kFlagLetters.find(u);
        if (bit == std::string_view::npos) return std::nullopt;
        flags = static_cast<uint8_t>(flags | (1u << bit));
    }
    return flags;
}

std::string tcpFlagsToString(uint8_t flags) {
    std::string out;
    for (size_t bit = 0; bit < kFlagLetters.size(); ++bit) {
        if (flags & (1u << bit)) out += kFlagLetters[bit];
    }
    return out;
}

u128 Headers::get(Field field) const {
    switch (field) {
        case Field::SrcMac: return srcMac;
        case Field::DstMac: return dstMac;
        case Field::EtherType: return etherType;
        case Field::Vni: return vni;
        case Field::OuterSrcIp: return outerSrc.value;
        case Field::OuterDstIp: return outerDst.value;
        case Field::SrcIp: return srcIp.value;
        case Field::DstIp: return dstIp.value;
        case Field::Proto: return proto;
        case Field::SrcPort: return srcPort;
        case Field::DstPort: return dstPort;
        case Field::TcpFlags: return tcpFlags;
        case Field::IcmpType: return icmpType;
        case Field::IcmpCode: return icmpCode;
        case Field::Dscp: return dscp;
    }
    return 0;
}

Family Headers::family(Field field) const {
    switch (field) {
        case Field::OuterSrcIp: return outerSrc.family;
        case Field::OuterDstIp: return outerDst.family;
        case Field::SrcIp: return srcIp.family;
        case Field::DstIp: return dstIp.family;
        default: return Family::None;
    }
}

void Headers::set(Field field, u128 value, Family fam) {
    const FieldInfo& info = fieldInfo(field);
    if (info.isIp) {
        IpAddr* addr = nullptr;
        switch (field) {
            case Field::OuterSrcIp: addr = &outerSrc; break;
            case Field::OuterDstIp: addr = &outerDst; break;
            case Field::SrcIp: addr = &srcIp; break;
            default: addr = &dstIp; break;
        }
        if (fam == Family::None) fam = addr->family;  // keep the current family
        if (fam == Family::V4) value &= 0xffffffffu;
        *addr = IpAddr{fam, fam == Family::None ? u128(0) : value};
        return;
    }
    value &= widthMask(info.width);
    switch (field) {
        case Field::SrcMac: srcMac = static_cast<uint64_t>(value); break;
        case Field::DstMac: dstMac = static_cast<uint64_t>(value); break;
        case Field::EtherType: etherType = static_cast<uint16_t>(value); break;
        case Field::Vni: vni = static_cast<uint32_t>(value); break;
        case Field::Proto: proto = static_cast<uint8_t>(value); break;
        case Field::SrcPort: srcPort = static_cast<uint16_t>(value); break;
        case Field::DstPort: dstPort = static_cast<uint16_t>(value); break;
        case Field::TcpFlags: tcpFlags = static_cast<uint8_t>(value); break;
        case Field::IcmpType: icmpType = static_cast<uint8_t>(value); break;
        case Field::IcmpCode: icmpCode = static_cast<uint8_t>(value); break;
        case Field::Dscp: dscp = static_cast<uint8_t>(value); break;
        default: break;
    }
}

// Grammar (tokens separated by blanks; "->" may be written without blanks around it):
//   PROTO SRC[:PORT] -> DST[:PORT] { vni N | outer A -> B | flags LETTERS | type T code C
//                                    | dscp N | src_mac M | dst_mac M | in | out }
namespace {
uint8_t answerIcmpType(uint8_t proto, uint8_t type) {
    if (proto == kProtoIcmp) {
        switch (type) {
            case 8: return 0;
            case 0: return 8;
            case 13: return 14;
            case 14: return 13;
            case 15: return 16;
            case 16: return 15;
            case 17: return 18;
            case 18: return 17;
            default: return type;
        }
    }
    if (proto == kProtoIcmpV6) {
        if (type == 128) return 129;
        if (type == 129) return 128;
    }
    return type;
}
}  // namespace

Headers replyHeaders(const Headers& h) {
    Headers r = h;
    std::swap(r.srcIp, r.dstIp);
    std::swap(r.srcPort, r.dstPort);
    std::swap(r.srcMac, r.dstMac);
    std::swap(r.outerSrc, r.outerDst);
    r.icmpType = answerIcmpType(h.proto, h.icmpType);
    return r;
}

Expected<PacketText> parsePacketText(std::string_view text) {
    std::vector<std::string> toks;
    {
        std::string spaced;
        for (size_t i = 0; i < text.size(); ++i) {
            if (text.substr(i, 2) == "->") {
                spaced += " -> ";
                ++i;
            } else {
                spaced += text[i];
            }
        }
        size_t i = 0;
        while (i < spaced.size()) {
            while (i < spaced.size() && std::isspace(static_cast<unsigned char>(spaced[i]))) ++i;
            size_t start = i;
            while (i < spaced.size() && !std::isspace(static_cast<unsigned char>(spaced[i]))) ++i;
            if (i > start) toks.push_back(spaced.substr(start, i - start));
        }
    }
    if (toks.empty()) return packetError("empty packet text", text);
    if (toks.size() < 4 || toks[2] != "->") {
        return packetError("expected 'PROTO SRC[:PORT] -> DST[:PORT]'", text);
    }
    PacketText out;
    Headers& h = out.headers;
    auto proto = parseProtocol(toks[0]);
    if (!proto) {
        return packetError("unknown protocol '" + toks[0] + "' (a name such as tcp, or 0..255)",
                           text);
    }
    h.proto = *proto;
    auto src = parseEndpoint(toks[1], "source", text);
    if (!src) return src.error();
    auto dst = parseEndpoint(toks[3], "destination", text);
    if (!dst) return dst.error();
    if (src->addr.family != dst->addr.family) {
        return packetError("source and destination addresses are of different families", text);
    }
    if ((src->port || dst->port) && !hasPorts(h.proto)) {
        return packetError("ports are only allowed for tcp and udp, not " +
                               protocolName(h.proto),
                           text);
    }
    h.srcIp = src->addr;
    h.dstIp = dst->addr;
    h.srcPort = src->port.value_or(0);
    h.dstPort = dst->port.value_or(0);
    h.etherType = h.srcIp.family == Family::V6 ? 0x86DD : 0x0800;

    std::vector<std::string> seen;
    auto once = [&](const std::string& key) -> bool {
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) return false;
        seen.push_back(key);
        return true;
    };
    auto needArg = [&](size_t i, std::string_view what) -> Expected<std::string> {
        if (i + 1 >= toks.size()) {
            return packetError("'" + toks[i] + "' needs " + std::string(what), text);
        }
        return toks[i + 1];
    };
    size_t i = 4;
    while (i < toks.size()) {
        const std::string kw = lower(toks[i]);
        if (kw == "in" || kw == "out") {
            if (!once("direction")) return packetError("direction given twice", text);
            out.direction = kw == "in" ? Direction::In : Direction::Out;
            ++i;
            continue;
        }
        if (!once(kw == "code" ? "type" : kw)) {
            return packetError("'" + toks[i] + "' given twice", text);
        }
        if (kw == "vni") {
            auto arg = needArg(i, "a number");
            if (!arg) return arg.error();
            auto n = parseUnsigned(*arg, 0xffffff);
            if (!n) return packetError("vni '" + *arg + "' is not a number in 0..16777215", text);
            h.vni = static_cast<uint32_t>(*n);
            i += 2;
        } else if (kw == "outer") {
            if (i + 3 >= toks.size() || toks[i + 2] != "->") {
                return packetError("expected 'outer SRC -> DST'", text);
            }
            auto os = parseIp(toks[i + 1]);
            auto od = parseIp(toks[i + 3]);
            if (!os || !od) {
                return packetError("outer addresses '" + toks[i + 1] + "' and '" + toks[i + 3] +
                                       "' must be IP addresses",
                                   text);
            }
            if (os->family != od->family) {
                return packetError("outer addresses are of different families", text);
            }
            h.outerSrc = *os;
            h.outerDst = *od;
            i += 4;
        } else if (kw == "flags") {
            if (h.proto != kProtoTcp) return packetError("flags are only allowed for tcp", text);
            auto arg = needArg(i, "flag letters (FSRPAUEC)");
            if (!arg) return arg.error();
            auto f = parseTcpFlags(*arg);
            if (!f) {
                return packetError("bad tcp flags '" + *arg + "' (letters of FSRPAUEC)", text);
            }
            h.tcpFlags = *f;
            i += 2;
        } else if (kw == "type") {
            if (!isIcmp(h.proto)) {
                return packetError("'type' and 'code' are only allowed for icmp and icmpv6",
                                   text);
            }
            auto arg = needArg(i, "a number");
            if (!arg) return arg.error();
            auto t = parseUnsigned(*arg, 255);
            if (!t) return packetError("icmp type '" + *arg + "' is not a number in 0..255", text);
            h.icmpType = static_cast<uint8_t>(*t);
            i += 2;
            if (i < toks.size() && lower(toks[i]) == "code") {
                auto carg = needArg(i, "a number");
                if (!carg) return carg.error();
                auto c = parseUnsigned(*carg, 255);
                if (!c) {
                    return packetError("icmp code '" + *carg + "' is not a number in 0..255",
                                       text);
                }
                h.icmpCode = static_cast<uint8_t>(*c);
                i += 2;
            }
        } else if (kw == "code") {
            return packetError("'code' must follow 'type T'", text);
        } else if (kw == "dscp") {
            auto arg = needArg(i, "a number");
            if (!arg) return arg.error();
            auto n = parseUnsigned(*arg, 63);
            if (!n) return packetError("dscp '" + *arg + "' is not a number in 0..63", text);
            h.dscp = static_cast<uint8_t>(*n);
            i += 2;
        } else if (kw == "src_mac" || kw == "dst_mac") {
            auto arg = needArg(i, "a MAC address");
            if (!arg) return arg.error();
            auto m = parseMac(*arg);
            if (!m) return packetError("'" + *arg + "' is not a MAC address", text);
            (kw == "src_mac" ? h.srcMac : h.dstMac) = *m;
            i += 2;
        } else {
            return packetError("unexpected '" + toks[i] +
                                   "' (expected vni, outer, flags, type, dscp, src_mac, dst_mac, "
                                   "in or out)",
                               text);
        }
    }
    return out;
}

std::string formatPacketText(const Headers& h) {
    bool ports = hasPorts(h.proto);
    std::string out = protocolName(h.proto) + " ";
    out += formatEndpoint(h.srcIp, ports ? std::optional<uint16_t>(h.srcPort) : std::nullopt);
    out += " -> ";
    out += formatEndpoint(h.dstIp, ports ? std::optional<uint16_t>(h.dstPort) : std::nullopt);
    if (h.vni != 0 || h.tunnelled()) out += " vni " + std::to_string(h.vni);
    if (h.outerSrc.family != Family::None || h.outerDst.family != Family::None) {
        out += " outer " + h.outerSrc.str() + " -> " + h.outerDst.str();
    }
    if (h.proto == kProtoTcp && h.tcpFlags != 0) out += " flags " + tcpFlagsToString(h.tcpFlags);
    if (isIcmp(h.proto)) {
        out += " type " + std::to_string(h.icmpType) + " code " + std::to_string(h.icmpCode);
    }
    if (h.dscp != 0) out += " dscp " + std::to_string(h.dscp);
    if (h.srcMac != 0) out += " src_mac " + macToString(h.srcMac);
    if (h.dstMac != 0) out += " dst_mac " + macToString(h.dstMac);
    return out;
}

}  // namespace sluice::lang
