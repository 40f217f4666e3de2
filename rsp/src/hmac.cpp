// HMAC-SHA256 on libcrypto's SHA-256 block functions. libcrypto 3's EVP_MAC and EVP_Digest
// duplicate provider contexts on the heap for every message; the SHA256_CTX functions work on
// a caller's struct, so a precomputed key costs no allocation per message. They are marked
// deprecated in 3.0 (still shipped and supported): OPENSSL_API_COMPAT in this file's compile
// definitions keeps them declared without the warning.
#include "sluice/rsp/hmac.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>

namespace sluice::rsp {
namespace {

constexpr size_t kBlock = 64;

struct PadStates {
    SHA256_CTX inner;  // after key ^ ipad
    SHA256_CTX outer;  // after key ^ opad
};

bool makePads(const uint8_t* key, size_t keyLen, PadStates& p) {
    std::array<uint8_t, kBlock> k{};
    if (keyLen > kBlock) {
        if (SHA256(key, keyLen, k.data()) == nullptr) return false;
    } else if (keyLen > 0) {
        std::memcpy(k.data(), key, keyLen);
    }
    std::array<uint8_t, kBlock> ipad, opad;
    for (size_t i = 0; i < kBlock; ++i) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    bool ok = SHA256_Init(&p.inner) == 1 && SHA256_Update(&p.inner, ipad.data(), kBlock) == 1 &&
              SHA256_Init(&p.outer) == 1 && SHA256_Update(&p.outer, opad.data(), kBlock) == 1;
    OPENSSL_cleanse(k.data(), k.size());
    OPENSSL_cleanse(ipad.data(), ipad.size());
    OPENSSL_cleanse(opad.data(), opad.size());
    return ok;
}

bool finish(const PadStates& p, const uint8_t* data, size_t len, uint8_t out[kMacBytes]) {
    SHA256_CTX c = p.inner;
    uint8_t innerHash[SHA256_DIGEST_LENGTH];
    if (SHA256_Update(&c, data, len) != 1 || SHA256_Final(innerHash, &c) != 1) return false;
    c = p.outer;
    bool ok = SHA256_Update(&c, innerHash, sizeof innerHash) == 1 && SHA256_Final(out, &c) == 1;
    OPENSSL_cleanse(&c, sizeof c);
    return ok;
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool hmacSha256(const uint8_t* key, size_t keyLen, const uint8_t* data, size_t len,
                uint8_t out[kMacBytes]) {
    PadStates p;
    bool ok = makePads(key, keyLen, p) && finish(p, data, len, out);
    OPENSSL_cleanse(&p, sizeof p);
    return ok;
}

struct Keyring::Impl {
    struct Slot {
        uint32_t id = 0;
        PadStates pads;
    };
    std::array<Slot, kMaxKeys> slots;
    size_t used = 0;

    const Slot* find(uint32_t id) const {
        for (size_t i = 0; i < used; ++i)
            if (slots[i].id == id) return &slots[i];
        return nullptr;
    }
    ~Impl() { OPENSSL_cleanse(slots.data(), sizeof slots); }
};

Keyring::Keyring() : impl_(std::make_unique<Impl>()) {}
Keyring::~Keyring() = default;

RspError Keyring::add(uint32_t id, const uint8_t* key, size_t len) {
    if (len < kMinKeyBytes || len > kMaxKeyBytes || impl_->find(id) != nullptr ||
        impl_->used == kMaxKeys)
        return RspError::BadKey;
    auto& s = impl_->slots[impl_->used];
    if (!makePads(key, len, s.pads)) return RspError::CryptoFailure;
    s.id = id;
    ++impl_->used;
    return RspError::None;
}

bool Keyring::has(uint32_t id) const { return impl_->find(id) != nullptr; }
size_t Keyring::size() const { return impl_->used; }

RspError Keyring::sign(uint32_t id, const uint8_t* data, size_t len, uint8_t out[kMacBytes]) const {
    const auto* s = impl_->find(id);
    if (s == nullptr) return RspError::UnknownKey;
    return finish(s->pads, data, len, out) ? RspError::None : RspError::CryptoFailure;
}

RspError Keyring::verify(uint32_t id, const uint8_t* data, size_t len,
                         const uint8_t mac[kMacBytes]) const {
    uint8_t expect[kMacBytes];
    RspError e = sign(id, data, len, expect);
    if (e != RspError::None) return e;
    return CRYPTO_memcmp(expect, mac, kMacBytes) == 0 ? RspError::None : RspError::BadMac;
}

size_t parseHexKey(std::string_view hex, uint8_t out[Keyring::kMaxKeyBytes]) {
    if (hex.size() % 2 != 0 || hex.size() < 2 * Keyring::kMinKeyBytes ||
        hex.size() > 2 * Keyring::kMaxKeyBytes)
        return 0;
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = hexDigit(hex[i]), lo = hexDigit(hex[i + 1]);
        if (hi < 0 || lo < 0) return 0;
        out[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return hex.size() / 2;
}

}  // namespace sluice::rsp
