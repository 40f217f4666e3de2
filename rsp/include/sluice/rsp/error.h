// Why an RSP message was refused (docs/rsp.md, "Error counters"). One X-macro list gives the
// enum, the counter names and their number, so the three never drift apart (VPP's
// foreach_..._error). Each reason is distinct: a counter says what an attacker or a bug sent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::rsp {

#define SLUICE_RSP_ERRORS(X)                                                              \
    X(None, "ok")                         /* accepted */                                  \
    X(TooShort, "too_short")              /* shorter than a header and a trailer */       \
    X(TooLong, "too_long")                /* longer than kMaxMessageBytes */              \
    X(BadMagic, "bad_magic")              /* not an RSP message */                        \
    X(BadVersion, "bad_version")          /* a version this build does not speak */       \
    X(BadType, "bad_type")                /* neither query nor reply */                   \
    X(UnexpectedType, "unexpected_type")  /* a reply where a query belongs or back */     \
    X(BadFlags, "bad_flags")              /* a flag bit not defined for the type */       \
    X(BadReserved, "bad_reserved")        /* a reserved byte is not zero */               \
    X(BadCount, "bad_count")              /* zero entries or more than kMaxEntries */     \
    X(LengthMismatch, "length_mismatch")  /* size disagrees with the count */             \
    X(UnknownKey, "unknown_key")          /* key id not in the keyring */                 \
    X(BadMac, "bad_mac")                  /* HMAC-SHA256 does not verify: forged */       \
    X(BadSequence, "bad_sequence")        /* sequence number 0 */                         \
    X(Replayed, "replayed")               /* sequence already seen in the window */       \
    X(TooOld, "too_old")                  /* sequence below the window */                 \
    X(PeerTableFull, "peer_table_full")   /* no room for another sender's window */       \
    X(BadVni, "bad_vni")                  /* VNI wider than 24 bits */                    \
    X(BadFamily, "bad_family")            /* address family neither 4 nor 6 */            \
    X(BadAddress, "bad_address")          /* IPv4 address with non-zero padding */        \
    X(BadStatus, "bad_status")            /* reply status outside 1..4 */                 \
    X(BadNextHop, "bad_next_hop")         /* next hop missing, or present when not due */ \
    X(BufferTooSmall, "buffer_too_small") /* encode: output buffer too small */           \
    X(BadKey, "bad_key")                  /* keyring: key length or duplicate id */       \
    X(CryptoFailure, "crypto_failure")    /* libcrypto reported an error */

enum class RspError : uint8_t {
#define SLUICE_RSP_ENUM(name, text) name,
    SLUICE_RSP_ERRORS(SLUICE_RSP_ENUM)
#undef SLUICE_RSP_ENUM
};

inline constexpr size_t kRspErrorCount = 0
#define SLUICE_RSP_COUNT(name, text) +1
    SLUICE_RSP_ERRORS(SLUICE_RSP_COUNT)
#undef SLUICE_RSP_COUNT
    ;

// The counter name of a reason ("bad_mac"); "invalid" for a value outside the enum.
const char* errorName(RspError e);

// Accepted messages and refusals by reason; plain integers (one owner thread).
struct RspCounters {
    std::array<uint64_t, kRspErrorCount> byReason{};  // [None] counts accepted messages

    void count(RspError e) {
        auto i = static_cast<size_t>(e);
        if (i < kRspErrorCount) ++byReason[i];
    }
    uint64_t operator[](RspError e) const { return byReason[static_cast<size_t>(e)]; }
    uint64_t accepted() const { return byReason[0]; }
    uint64_t rejected() const {
        uint64_t n = 0;
        for (size_t i = 1; i < kRspErrorCount; ++i) n += byReason[i];
        return n;
    }
};

}  // namespace sluice::rsp
