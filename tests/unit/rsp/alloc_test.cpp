// Encoding, decoding and the receiver allocate nothing once the keyring and the replay table
// exist (docs/rsp.md, "Limits"): a replaced operator new and libcrypto's memory hooks count
// every allocation made while messages go through.
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "sluice/rsp/codec.h"

namespace {

std::atomic<uint64_t> gNew{0}, gCrypto{0};
thread_local bool tCounting = false;

void* countedMalloc(size_t n, const char*, int) {
    if (tCounting) gCrypto.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n);
}
void* countedRealloc(void* p, size_t n, const char*, int) {
    if (tCounting) gCrypto.fetch_add(1, std::memory_order_relaxed);
    return std::realloc(p, n);
}
void plainFree(void* p, const char*, int) { std::free(p); }

// Before main and before libcrypto allocates anything (it refuses new hooks after that).
const bool gHooked = CRYPTO_set_mem_functions(countedMalloc, countedRealloc, plainFree) == 1;

void* countedNew(std::size_t n) {
    if (tCounting) gNew.fetch_add(1, std::memory_order_relaxed);
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

}  // namespace

void* operator new(std::size_t n) { return countedNew(n); }
void* operator new[](std::size_t n) { return countedNew(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace sluice::rsp;

TEST(RspAlloc, MessagesAllocateNothing) {
    ASSERT_TRUE(gHooked) << "libcrypto allocated before the hooks were set";
    Keyring keys;
    uint8_t key[32] = {1, 2, 3};
    ASSERT_EQ(keys.add(1, key, sizeof key), RspError::None);
    Receiver rx(keys, 64);
    std::vector<uint8_t> buf(kMaxMessageBytes);
    QueryBatch q;
    q.header = {kVersion, MessageType::Query, 0, 1, 5, 1, static_cast<uint16_t>(kMaxEntries)};
    for (size_t i = 0; i < kMaxEntries; ++i)
        q.entries[i] = {static_cast<uint32_t>(i), IpAddress::v4(10, 0, 0, uint8_t(i)), i};
    ReplyBatch r;
    r.header = {kVersion, MessageType::Reply, 0, 1, 6, 1, static_cast<uint16_t>(kMaxEntries)};
    for (size_t i = 0; i < kMaxEntries; ++i)
        r.entries[i] = {static_cast<uint32_t>(i),    IpAddress::v4(10, 0, 0, uint8_t(i)),
                        EntryStatus::Changed,        i + 1,
                        IpAddress::v4(192, 0, 2, 1), {2, 0, 0, 0, 0, uint8_t(i)}};
    QueryBatch qout;
    ReplyBatch rout;

    tCounting = true;
    uint64_t accepted = 0;
    for (uint64_t seq = 1; seq <= 2000; ++seq) {
        size_t n = 0;
        q.header.sequence = seq;
        if (encodeQueries(q, keys, buf.data(), buf.size(), n) != RspError::None) break;
        accepted += rx.receiveQueries(buf.data(), n, qout) == RspError::None;
        rx.receiveQueries(buf.data(), n, qout);  // the replay, refused
        r.header.sequence = seq;
        if (encodeReplies(r, keys, buf.data(), buf.size(), n) != RspError::None) break;
        buf[n - 1] ^= 1;  // a forgery, refused
        rx.receiveReplies(buf.data(), n, rout);
        buf[n - 1] ^= 1;
        accepted += rx.receiveReplies(buf.data(), n, rout) == RspError::None;
    }
    tCounting = false;
    EXPECT_EQ(accepted, 4000u);
    EXPECT_EQ(rx.counters()[RspError::Replayed], 2000u);
    EXPECT_EQ(rx.counters()[RspError::BadMac], 2000u);
    EXPECT_EQ(gNew.load(), 0u);
    EXPECT_EQ(gCrypto.load(), 0u);
}

}  // namespace
