// HMAC-SHA256 (RFC 2104) for RSP's trailer, and the keyring of shared keys by key id.
// Signing and verifying allocate nothing: each key's inner and outer SHA-256 states are
// computed once when it is added, and a message costs two copies of those states and the
// hashing (docs/rsp.md, "Authentication", says why this is not libcrypto's EVP_MAC).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sluice/rsp/error.h"
#include "sluice/rsp/wire.h"

namespace sluice::rsp {

// HMAC-SHA256 of data under a key of any length (the RFC 4231 vectors use 4 to 131 bytes).
// Returns false only if libcrypto fails.
bool hmacSha256(const uint8_t* key, size_t keyLen, const uint8_t* data, size_t len,
                uint8_t out[kMacBytes]);

// Up to kMaxKeys shared keys, each kMinKeyBytes..kMaxKeyBytes long, by 32-bit key id; more
// than one key lets operators roll keys (add the new id everywhere, then switch senders).
class Keyring {
  public:
    static constexpr size_t kMaxKeys = 8;
    static constexpr size_t kMinKeyBytes = 16;
    static constexpr size_t kMaxKeyBytes = 64;

    Keyring();
    ~Keyring();
    Keyring(const Keyring&) = delete;
    Keyring& operator=(const Keyring&) = delete;

    // BadKey: length outside the bounds, id already present or keyring full.
    RspError add(uint32_t id, const uint8_t* key, size_t len);
    bool has(uint32_t id) const;
    size_t size() const;

    // UnknownKey, CryptoFailure or None.
    RspError sign(uint32_t id, const uint8_t* data, size_t len, uint8_t out[kMacBytes]) const;
    // BadMac when the trailer does not verify (compared in constant time).
    RspError verify(uint32_t id, const uint8_t* data, size_t len,
                    const uint8_t mac[kMacBytes]) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A key written as hex (the config's form): 2 * kMinKeyBytes .. 2 * kMaxKeyBytes hex digits.
// Returns the number of bytes written to out, or 0 if the text is not such a key.
size_t parseHexKey(std::string_view hex, uint8_t out[Keyring::kMaxKeyBytes]);

}  // namespace sluice::rsp
