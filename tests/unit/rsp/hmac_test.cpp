// HMAC-SHA256: the RFC 4231 known answers, agreement with libcrypto's own HMAC() on generated
// keys and messages, and the keyring's bounds.
#include "sluice/rsp/hmac.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>
#include <string>
#include <vector>

namespace {

using namespace sluice::rsp;

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::vector<uint8_t> repeat(uint8_t b, size_t n) { return std::vector<uint8_t>(n, b); }

std::string hex(const uint8_t* p, size_t n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

struct Vector {
    const char* name;
    std::vector<uint8_t> key, data;
    std::string mac;  // hex; test case 5 is truncated to 128 bits
};

std::vector<Vector> rfc4231() {
    std::vector<uint8_t> key4;
    for (uint8_t i = 1; i <= 25; ++i) key4.push_back(i);
    return {
        {"case1", repeat(0x0b, 20), bytes("Hi There"),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"case2", bytes("Jefe"), bytes("what do ya want for nothing?"),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"case3", repeat(0xaa, 20), repeat(0xdd, 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {"case4", key4, repeat(0xcd, 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {"case5", repeat(0x0c, 20), bytes("Test With Truncation"),
         "a3b6167473100ee06e0c796c2955552b"},
        {"case6", repeat(0xaa, 131),
         bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {"case7", repeat(0xaa, 131),
         bytes("This is a test using a larger than block-size key and a larger than block-size "
               "data. The key needs to be hashed before being used by the HMAC algorithm."),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
}

TEST(RspHmac, Rfc4231KnownAnswers) {
    for (const auto& v : rfc4231()) {
        uint8_t out[kMacBytes];
        ASSERT_TRUE(hmacSha256(v.key.data(), v.key.size(), v.data.data(), v.data.size(), out));
        EXPECT_EQ(hex(out, v.mac.size() / 2), v.mac) << v.name;
    }
}

TEST(RspHmac, KeyringAgreesWithRfc4231) {
    // The keyring's precomputed pads give the same answers (keys within its 16..64 bounds).
    for (const auto& v : rfc4231()) {
        if (v.key.size() < Keyring::kMinKeyBytes || v.key.size() > Keyring::kMaxKeyBytes) continue;
        Keyring k;
        ASSERT_EQ(k.add(7, v.key.data(), v.key.size()), RspError::None) << v.name;
        uint8_t out[kMacBytes];
        ASSERT_EQ(k.sign(7, v.data.data(), v.data.size(), out), RspError::None);
        EXPECT_EQ(hex(out, v.mac.size() / 2), v.mac) << v.name;
        // Signing twice with the same precomputed state gives the same answer.
        uint8_t again[kMacBytes];
        ASSERT_EQ(k.sign(7, v.data.data(), v.data.size(), again), RspError::None);
        EXPECT_EQ(hex(again, kMacBytes), hex(out, kMacBytes));
    }
}

TEST(RspHmac, AgreesWithLibcryptoHmacOnGeneratedInputs) {
    std::mt19937 rng(4231);
    for (int round = 0; round < 300; ++round) {
        std::vector<uint8_t> key(1 + rng() % 200), data(rng() % 3000);
        for (auto& b : key) b = static_cast<uint8_t>(rng());
        for (auto& b : data) b = static_cast<uint8_t>(rng());
        uint8_t ours[kMacBytes], theirs[EVP_MAX_MD_SIZE];
        unsigned theirLen = 0;
        ASSERT_TRUE(hmacSha256(key.data(), key.size(), data.data(), data.size(), ours));
        ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(),
                       data.size(), theirs, &theirLen),
                  nullptr);
        ASSERT_EQ(theirLen, kMacBytes);
        ASSERT_EQ(hex(ours, kMacBytes), hex(theirs, kMacBytes)) << "round " << round;
    }
}

TEST(RspHmac, VerifyRefusesAnyChangedBit) {
    Keyring k;
    auto key = repeat(0x42, 32);
    ASSERT_EQ(k.add(1, key.data(), key.size()), RspError::None);
    auto data = bytes("route sync protocol");
    uint8_t mac[kMacBytes];
    ASSERT_EQ(k.sign(1, data.data(), data.size(), mac), RspError::None);
    EXPECT_EQ(k.verify(1, data.data(), data.size(), mac), RspError::None);
    for (size_t i = 0; i < kMacBytes * 8; ++i) {
        uint8_t bad[kMacBytes];
        std::copy(mac, mac + kMacBytes, bad);
        bad[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
        EXPECT_EQ(k.verify(1, data.data(), data.size(), bad), RspError::BadMac) << "bit " << i;
    }
    EXPECT_EQ(k.verify(2, data.data(), data.size(), mac), RspError::UnknownKey);
}

TEST(RspHmac, KeyringBounds) {
    Keyring k;
    auto key = repeat(1, 64);
    EXPECT_EQ(k.add(1, key.data(), Keyring::kMinKeyBytes - 1), RspError::BadKey);
    EXPECT_EQ(k.add(1, key.data(), Keyring::kMaxKeyBytes + 1), RspError::BadKey);
    EXPECT_EQ(k.add(1, key.data(), Keyring::kMinKeyBytes), RspError::None);
    EXPECT_EQ(k.add(1, key.data(), 32), RspError::BadKey);  // duplicate id
    for (uint32_t id = 2; id <= Keyring::kMaxKeys; ++id)
        EXPECT_EQ(k.add(id, key.data(), Keyring::kMaxKeyBytes), RspError::None);
    EXPECT_EQ(k.size(), Keyring::kMaxKeys);
    EXPECT_EQ(k.add(100, key.data(), 32), RspError::BadKey);  // full
    EXPECT_TRUE(k.has(1));
    EXPECT_FALSE(k.has(100));
    // Different keys give different MACs.
    uint8_t a[kMacBytes], b[kMacBytes];
    auto data = bytes("x");
    ASSERT_EQ(k.sign(1, data.data(), 1, a), RspError::None);
    ASSERT_EQ(k.sign(2, data.data(), 1, b), RspError::None);
    EXPECT_NE(hex(a, kMacBytes), hex(b, kMacBytes));
}

TEST(RspHmac, ParseHexKey) {
    uint8_t out[Keyring::kMaxKeyBytes];
    EXPECT_EQ(parseHexKey(std::string(32, 'a'), out), 16u);
    EXPECT_EQ(out[0], 0xaa);
    EXPECT_EQ(parseHexKey("00112233445566778899AABBCCDDEEFF", out), 16u);
    EXPECT_EQ(out[15], 0xff);
    EXPECT_EQ(parseHexKey(std::string(30, 'a'), out), 0u);   // 15 bytes: too short
    EXPECT_EQ(parseHexKey(std::string(130, 'a'), out), 0u);  // 65 bytes: too long
    EXPECT_EQ(parseHexKey(std::string(128, 'f'), out), 64u);
    EXPECT_EQ(parseHexKey(std::string(33, 'a'), out), 0u);  // odd
    EXPECT_EQ(parseHexKey(std::string(31, 'a') + "g", out), 0u);
    EXPECT_EQ(parseHexKey("", out), 0u);
}

}  // namespace
