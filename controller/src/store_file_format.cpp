#include "store_file_format.h"

#include <openssl/sha.h>

#include <charconv>
#include <vector>

namespace sluice::controller {
namespace {

constexpr std::string_view kFormatLine = "sluice-store 1";

std::string sha256Hex(std::string_view data) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned char c : d) {
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

// Splits a line into space-separated fields with their 1-based columns.
struct Field {
    std::string_view text;
    size_t col;
};
std::vector<Field> fields(std::string_view line) {
    std::vector<Field> out;
    size_t i = 0;
    while (i < line.size() && out.size() < 16) {
        while (i < line.size() && line[i] == ' ') ++i;
        size_t start = i;
        while (i < line.size() && line[i] != ' ') ++i;
        if (i > start) out.push_back({line.substr(start, i - start), start + 1});
    }
    return out;
}

std::optional<uint64_t> parseU64(std::string_view s) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

std::string serializeTables(const Tables& t) {
    std::string s;
    s.reserve(64 + t.vms.size() * 72 + t.routes.size() * 64);
    s += kFormatLine;
    s += "\nrevision " + std::to_string(t.revision) + "\n";
    for (const auto& [k, v] : t.vms) {
        s += "vm " + std::to_string(k.vni) + " " + formatAddress(k.ip) + " " +
             formatAddress(v.host) + " " + formatMac(v.mac) + " " + std::to_string(v.version) +
             "\n";
    }
    for (const auto& [k, v] : t.routes) {
        s += "route " + std::to_string(k.vni) + " " + formatPrefix(k.prefix) + " " +
             formatAddress(v.nextHop) + " " + std::to_string(v.version) + "\n";
    }
    std::string sum = sha256Hex(s);
    s += "end " + std::to_string(t.vms.size() + t.routes.size()) + " " + sum + "\n";
    return s;
}

Expected<Tables> parseTables(std::string_view text, const std::string& path,
                             const StoreLimits& limits) {
    auto err = [&](size_t line, size_t col, const std::string& msg) {
        return makeError(path + ":" + std::to_string(line) + ":" + std::to_string(col) +
                         ": error: " + msg);
    };
    // The trailer first: a file cut short or changed anywhere is refused before its records
    // are believed.
    if (text.empty() || text.back() != '\n')
        return err(1, 1, "the store file is truncated (no final newline)");
    size_t lastStart = text.rfind('\n', text.size() - 2);
    lastStart = lastStart == std::string_view::npos ? 0 : lastStart + 1;
    std::string_view body = text.substr(0, lastStart);
    std::string_view trailer = text.substr(lastStart, text.size() - lastStart - 1);
    size_t lines = 1;
    for (char c : body) lines += c == '\n';
    auto tf = fields(trailer);
    if (tf.size() != 3 || tf[0].text != "end")
        return err(lines, 1, "the store file is truncated (no 'end COUNT SHA256' line)");
    if (tf[2].text != sha256Hex(body))
        return err(lines, tf[2].col, "checksum mismatch: the store file is corrupt");
    auto count = parseU64(tf[1].text);
    if (!count) return err(lines, tf[1].col, "bad record count");

    Tables t;
    size_t lineNo = 0, pos = 0, records = 0;
    bool sawRevision = false;
    while (pos < body.size()) {
        size_t nl = body.find('\n', pos);
        std::string_view line = body.substr(pos, nl - pos);
        pos = nl + 1;
        ++lineNo;
        if (lineNo == 1) {
            if (line != kFormatLine)
                return err(1, 1,
                           "not a sluice store file (expected '" + std::string(kFormatLine) + "')");
            continue;
        }
        auto f = fields(line);
        if (f.empty()) return err(lineNo, 1, "empty line");
        if (lineNo == 2) {
            std::optional<uint64_t> rev;
            if (f.size() != 2 || f[0].text != "revision" || !(rev = parseU64(f[1].text)))
                return err(lineNo, 1, "expected 'revision N'");
            t.revision = *rev;
            sawRevision = true;
            continue;
        }
        auto version = [&](const Field& fv) -> Expected<uint64_t> {
            auto v = parseU64(fv.text);
            if (!v || *v == 0 || *v > t.revision)
                return err(lineNo, fv.col,
                           "version must be 1 .. the revision " + std::to_string(t.revision));
            return *v;
        };
        if (f[0].text == "vm") {
            if (f.size() != 6) return err(lineNo, 1, "expected 'vm VNI IP HOST MAC VERSION'");
            auto vni = parseVni(f[1].text);
            if (!vni) return err(lineNo, f[1].col, "bad VNI");
            auto ip = parseAddress(f[2].text);
            if (!ip) return err(lineNo, f[2].col, "bad VM address");
            auto host = parseAddress(f[3].text);
            if (!host) return err(lineNo, f[3].col, "bad host address");
            auto mac = parseMac(f[4].text);
            if (!mac || !isUnicastMac(*mac)) return err(lineNo, f[4].col, "bad MAC");
            auto v = version(f[5]);
            if (!v) return v.error();
            if (t.vms.size() >= limits.maxVms)
                return err(lineNo, 1, "more than " + std::to_string(limits.maxVms) + " VMs");
            if (!t.vms.emplace(VmKey{*vni, *ip}, VmEntry{*host, *mac, *v}).second)
                return err(lineNo, f[2].col, "duplicate VM");
        } else if (f[0].text == "route") {
            if (f.size() != 5)
                return err(lineNo, 1, "expected 'route VNI PREFIX NEXT_HOP VERSION'");
            auto vni = parseVni(f[1].text);
            if (!vni) return err(lineNo, f[1].col, "bad VNI");
            auto prefix = parsePrefix(f[2].text);
            if (!prefix) return err(lineNo, f[2].col, "bad prefix");
            auto hop = parseAddress(f[3].text);
            if (!hop) return err(lineNo, f[3].col, "bad next hop");
            auto v = version(f[4]);
            if (!v) return v.error();
            if (t.routes.size() >= limits.maxRoutes)
                return err(lineNo, 1, "more than " + std::to_string(limits.maxRoutes) + " routes");
            if (!t.routes.emplace(RouteKey{*vni, *prefix}, RouteEntry{*hop, *v}).second)
                return err(lineNo, f[2].col, "duplicate route");
        } else {
            return err(lineNo, 1, "unknown record '" + std::string(f[0].text.substr(0, 32)) + "'");
        }
        ++records;
    }
    if (!sawRevision) return err(lineNo + 1, 1, "no 'revision N' line");
    if (records != *count)
        return err(lineNo + 1, tf[1].col,
                   "the trailer counts " + std::to_string(*count) + " records, the file has " +
                       std::to_string(records));
    return t;
}

Expected<uint64_t> parseRevisionHead(std::string_view head, const std::string& path) {
    size_t nl = head.find('\n');
    if (nl == std::string_view::npos || head.substr(0, nl) != kFormatLine)
        return makeError(path + ":1:1: error: not a sluice store file");
    size_t nl2 = head.find('\n', nl + 1);
    if (nl2 == std::string_view::npos) return makeError(path + ":2:1: error: no revision line");
    auto f = fields(head.substr(nl + 1, nl2 - nl - 1));
    std::optional<uint64_t> rev;
    if (f.size() != 2 || f[0].text != "revision" || !(rev = parseU64(f[1].text)))
        return makeError(path + ":2:1: error: expected 'revision N'");
    return *rev;
}

}  // namespace sluice::controller
