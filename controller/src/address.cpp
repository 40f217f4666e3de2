#include "sluice/controller/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace sluice::controller {

std::optional<Address> parseAddress(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    char buf[46] = {};
    text.copy(buf, text.size());
    Address a;
    if (text.find(':') == std::string_view::npos) {
        if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
        a.family = 4;
    } else {
        if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
        a.family = 6;
    }
    return a;
}

std::string formatAddress(const Address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.family == 4)
        inet_ntop(AF_INET, a.bytes.data(), buf, sizeof buf);
    else if (a.family == 6)
        inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf);
    else
        return "?";
    return buf;
}

std::optional<Mac> parseMac(std::string_view text) {
    if (text.size() != 17) return std::nullopt;
    Mac m;
    for (size_t i = 0; i < 6; ++i) {
        if (i > 0 && text[3 * i - 1] != ':') return std::nullopt;
        unsigned v = 0;
        auto [p, ec] = std::from_chars(text.data() + 3 * i, text.data() + 3 * i + 2, v, 16);
        if (ec != std::errc() || p != text.data() + 3 * i + 2) return std::nullopt;
        m.bytes[i] = static_cast<uint8_t>(v);
    }
    return m;
}

std::string formatMac(const Mac& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.bytes[0], m.bytes[1],
                  m.bytes[2], m.bytes[3], m.bytes[4], m.bytes[5]);
    return buf;
}

bool isUnicastMac(const Mac& m) { return (m.bytes[0] & 1) == 0 && m != Mac{}; }

std::optional<Prefix> parsePrefix(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto a = parseAddress(text.substr(0, slash));
    if (!a) return std::nullopt;
    auto lenText = text.substr(slash + 1);
    unsigned len = 0;
    auto [p, ec] = std::from_chars(lenText.data(), lenText.data() + lenText.size(), len);
    if (ec != std::errc() || p != lenText.data() + lenText.size() || lenText.empty())
        return std::nullopt;
    unsigned bits = a->family == 4 ? 32 : 128;
    if (len > bits) return std::nullopt;
    for (unsigned i = len; i < bits; ++i)  // host bits must be zero
        if (a->bytes[i / 8] & (0x80 >> (i % 8))) return std::nullopt;
    return Prefix{*a, static_cast<uint8_t>(len)};
}

std::string formatPrefix(const Prefix& p) {
    return formatAddress(p.address) + "/" + std::to_string(p.length);
}

std::optional<uint32_t> parseVni(std::string_view text) {
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v > 0xFFFFFF)
        return std::nullopt;
    return v;
}

}  // namespace sluice::controller
