// Packet metadata (VFP's unified flow id): the fields that rules match and actions rewrite.
// Every field's width is declared once here (fieldInfo); the interpreter, the Z3 encoding and
// the generated code all take widths from this table.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/support/expected.h"

namespace sluice::lang {

using u128 = unsigned __int128;

enum class Family : uint8_t { None = 0, V4 = 4, V6 = 6 };

enum class Field : uint8_t {
    SrcMac,
    DstMac,
    EtherType,
    Vni,         // VXLAN VNI of the packet's tunnel (0 when not tunnelled)
    OuterSrcIp,  // tunnel outer addresses (Family::None when not tunnelled)
    OuterDstIp,
    SrcIp,
    DstIp,
    Proto,
    SrcPort,
    DstPort,
    TcpFlags,
    IcmpType,
    IcmpCode,
    Dscp,
};
inline constexpr size_t kFieldCount = 15;

struct FieldInfo {
    Field field;
    std::string_view name;  // as written in policy text, e.g. "dst_port"
    unsigned width;         // bits; IP fields are 128 (IPv4 lives in the low 32 bits)
    bool isIp;              // carries an address family
    bool rewritable;        // may appear in `set`
};

const FieldInfo& fieldInfo(Field field);
std::optional<Field> fieldByName(std::string_view name);

struct IpAddr {
    Family family = Family::None;
    u128 value = 0;  // IPv4: low 32 bits

    static IpAddr v4(uint32_t addr) { return {Family::V4, addr}; }
    static IpAddr v6(u128 addr) { return {Family::V6, addr}; }
    unsigned width() const { return family == Family::V4 ? 32 : 128; }
    bool operator==(const IpAddr&) const = default;
    // Dotted quad, or RFC 5952 IPv6 text; "-" for Family::None.
    std::string str() const;
};

// Parses "1.2.3.4" or an IPv6 address (no brackets, no prefix).
std::optional<IpAddr> parseIp(std::string_view text);
// Unsigned integer, decimal or 0x-hex, at most `max`; nullopt for anything else.
std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max);
// Parses "aa:bb:cc:dd:ee:ff".
std::optional<uint64_t> parseMac(std::string_view text);
std::string macToString(uint64_t mac);
// "tcp", "udp", "icmp", "icmpv6" (also "ipv6-icmp"), "gre", "esp", ... or a number 0-255.
std::optional<uint8_t> parseProtocol(std::string_view text);
// Name for well-known protocols, else the decimal number.
std::string protocolName(uint8_t proto);
// TCP flag letters "FSRPAUEC" (e.g. "SA") <-> bits.
std::optional<uint8_t> parseTcpFlags(std::string_view letters);
std::string tcpFlagsToString(uint8_t flags);

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpV6 = 58;

enum class Direction : uint8_t { In = 0, Out = 1 };
inline const char* directionName(Direction d) { return d == Direction::In ? "in" : "out"; }

struct Headers {
    uint64_t srcMac = 0;
    uint64_t dstMac = 0;
    uint16_t etherType = 0x0800;
    uint32_t vni = 0;
    IpAddr outerSrc;  // Family::None: not tunnelled
    IpAddr outerDst;
    IpAddr srcIp;
    IpAddr dstIp;
    uint8_t proto = 0;
    uint16_t srcPort = 0;  // TCP/UDP only
    uint16_t dstPort = 0;
    uint8_t tcpFlags = 0;
    uint8_t icmpType = 0;  // ICMP/ICMPv6 only
    uint8_t icmpCode = 0;
    uint8_t dscp = 0;

    bool tunnelled() const { return outerDst.family != Family::None; }
    // Field value as an unsigned integer of the field's width; IPs give IpAddr::value.
    u128 get(Field field) const;
    // Address family of an IP field (Family::None for other fields).
    Family family(Field field) const;
    // Sets a field; `family` is used for IP fields only.
    void set(Field field, u128 value, Family family = Family::None);
    bool operator==(const Headers&) const = default;
};

// The headers of a reply to `h` (what a session pair expects back): addresses, ports, MACs and
// tunnel endpoints swapped; an ICMP query's type becomes its answer's (echo request 8 -> echo
// reply 0, ICMPv6 128 -> 129; timestamp, information, address mask), as conntrack pairs them.
// Other fields, TCP flags included, are kept.
Headers replyHeaders(const Headers& h);

// A packet in the text form of DESIGN.md section 5:
//   PROTO SRC[:PORT] -> DST[:PORT] [vni N] [flags SA] [type T code C] [in|out]
// IPv6 addresses are bracketed when a port follows: "tcp [fd00::1]:80 -> [fd00::2]:443".
struct PacketText {
    Headers headers;
    std::optional<Direction> direction;
};
Expected<PacketText> parsePacketText(std::string_view text);
// The inverse of parsePacketText for the fields the text form carries.
std::string formatPacketText(const Headers& headers);

}  // namespace sluice::lang
