// RSP's wire vocabulary (docs/rsp.md has the byte layout): sizes, limits and the typed forms of
// a header, a query entry and a reply entry. Batches are fixed arrays of kMaxEntries, so that
// decoding never allocates and a hostile count cannot ask for memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::rsp {

inline constexpr std::array<uint8_t, 4> kMagic = {'S', 'R', 'S', 'P'};
inline constexpr uint8_t kVersion = 1;

inline constexpr size_t kHeaderBytes = 32;
inline constexpr size_t kQueryEntryBytes = 32;
inline constexpr size_t kReplyEntryBytes = 56;
inline constexpr size_t kMacBytes = 32;  // HMAC-SHA256 trailer
// A reply to a full query batch fits one UDP datagram over a 1500-byte IPv6 underlay
// (1452 bytes of payload): 32 + 24 * 56 + 32 = 1408.
inline constexpr size_t kMaxEntries = 24;
inline constexpr size_t kMaxMessageBytes =
    kHeaderBytes + kMaxEntries * kReplyEntryBytes + kMacBytes;
inline constexpr uint32_t kMaxVni = 0xFFFFFF;

enum class MessageType : uint8_t { Query = 1, Reply = 2 };

// Query flags. A reconcile query re-checks entries the learner holds (Achelous 4.3, the 50 ms
// scan); a learn query asks for destinations it has not got. Gateways count them apart.
inline constexpr uint16_t kFlagReconcile = 0x0001;
inline constexpr uint16_t kQueryFlags = kFlagReconcile;
inline constexpr uint16_t kReplyFlags = 0;

// Status of one reply entry against the version the query said it knew.
enum class EntryStatus : uint8_t {
    Changed = 1,    // a newer entry than the known version: the next hop and version follow
    Unchanged = 2,  // the known version is current
    Deleted = 3,    // the learner knew an entry (version != 0) that no longer exists
    Unknown = 4,    // no such entry and the learner knew none
};

struct IpAddress {
    uint8_t family = 0;               // 4 or 6
    std::array<uint8_t, 16> bytes{};  // IPv4 in bytes[0..3], the rest zero

    static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
        IpAddress ip;
        ip.family = 4;
        ip.bytes = {a, b, c, d};
        return ip;
    }
    bool operator==(const IpAddress&) const = default;
};

using MacAddress = std::array<uint8_t, 6>;

struct Header {
    uint8_t version = kVersion;
    MessageType type = MessageType::Query;
    uint16_t flags = 0;
    uint32_t keyId = 0;
    uint32_t sender = 0;    // the sender's id; the replay window is per (keyId, sender)
    uint64_t sequence = 0;  // never 0; strictly increasing per sender
    uint16_t count = 0;     // entries that follow, 1..kMaxEntries
    bool operator==(const Header&) const = default;
};

struct QueryEntry {
    uint32_t vni = 0;
    IpAddress dst;
    uint64_t knownVersion = 0;  // 0: the learner holds no entry (a learn request)
    bool operator==(const QueryEntry&) const = default;
};

struct ReplyEntry {
    uint32_t vni = 0;
    IpAddress dst;
    EntryStatus status = EntryStatus::Unknown;
    uint64_t version = 0;  // Changed: the new version (never 0); Unchanged: the known one
    IpAddress underlay;    // Changed only: the owning host's underlay address
    MacAddress mac{};      // Changed only: the VM's MAC
    bool operator==(const ReplyEntry&) const = default;
};

struct QueryBatch {
    Header header;
    std::array<QueryEntry, kMaxEntries> entries{};
};

struct ReplyBatch {
    Header header;
    std::array<ReplyEntry, kMaxEntries> entries{};
};

}  // namespace sluice::rsp
