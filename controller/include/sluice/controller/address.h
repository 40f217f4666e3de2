// Addresses as the controller's tables hold them: an IPv4 or IPv6 address, a prefix, a MAC,
// with their text forms (the CLI's arguments and the store file's fields).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::controller {

struct Address {
    uint8_t family = 0;               // 4 or 6
    std::array<uint8_t, 16> bytes{};  // IPv4 in bytes[0..3], the rest zero
    auto operator<=>(const Address&) const = default;
};

struct Mac {
    std::array<uint8_t, 6> bytes{};
    auto operator<=>(const Mac&) const = default;
};

// "10.0.0.1", "fd00::1". nullopt for anything else (no names, no zone ids).
std::optional<Address> parseAddress(std::string_view text);
std::string formatAddress(const Address& a);

// "02:00:00:00:00:01" (six pairs of hex digits, ':' between).
std::optional<Mac> parseMac(std::string_view text);
std::string formatMac(const Mac& m);
// A VM's MAC: unicast and not all zeros (what RSP accepts as a next hop's MAC).
bool isUnicastMac(const Mac& m);

// "10.1.0.0/16": the prefix with host bits zero, or nullopt.
struct Prefix {
    Address address;
    uint8_t length = 0;
    auto operator<=>(const Prefix&) const = default;
};
std::optional<Prefix> parsePrefix(std::string_view text);
std::string formatPrefix(const Prefix& p);

// 0 .. 2^24-1 in decimal.
std::optional<uint32_t> parseVni(std::string_view text);

}  // namespace sluice::controller
