// The session index (runtime/src/session_index.h): inserts, replacement, deletes, full
// buckets, hash and signature collisions, IPv6 (wide) keys, lookups concurrent with inserts
// and deletes. No EAL needed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "session_index.h"
#include "sluice/runtime/flow.h"

namespace sluice::rt {
namespace {

FlowKey4 key4(uint32_t i) {
    FlowKey4 k{};
    std::memcpy(k.srcIp, &i, 4);
    k.dstIp[0] = 10;
    k.srcPortBe = static_cast<uint16_t>(i * 7);
    k.dstPortBe = 80;
    k.proto = 6;
    return k;
}

// Every key hashes to one value: one bucket, one signature (collisions everywhere).
struct ConstantHash {
    template <class Key>
    uint32_t operator()(const Key&, uint32_t) const {
        return 0x12345678u;
    }
};

TEST(SessionIndex, InsertFindReplaceErase) {
    const uint32_t n = 5000;
    std::vector<FlowKey4> keys(2 * n);
    SessionIndex<FlowKey4> idx(n, keys.data(), sizeof(FlowKey4), 2 * n);
    uint32_t replaced = 0;
    for (uint32_t i = 0; i < n; ++i) {
        keys[i] = key4(i);
        ASSERT_TRUE(idx.insert(keys[i], i, replaced));
        EXPECT_EQ(replaced, kIndexNoSlot);
    }
    for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(idx.find(key4(i)), i);
    EXPECT_EQ(idx.find(key4(n + 1)), kIndexNoSlot);
    // The same key under a new slot replaces the entry in place.
    keys[n + 7] = key4(7);
    ASSERT_TRUE(idx.insert(keys[n + 7], n + 7, replaced));
    EXPECT_EQ(replaced, 7u);
    EXPECT_EQ(idx.find(key4(7)), n + 7);
    // Erasing under the old slot does nothing; under the current one it unlinks.
    EXPECT_FALSE(idx.erase(key4(7), 7));
    EXPECT_TRUE(idx.erase(key4(7), n + 7));
    EXPECT_EQ(idx.find(key4(7)), kIndexNoSlot);
    EXPECT_FALSE(idx.erase(key4(7), n + 7));
    for (uint32_t i = 0; i < n; i += 2) EXPECT_TRUE(idx.erase(key4(i), i));
    for (uint32_t i = 0; i < n; ++i) {
        uint32_t expect = (i % 2 == 0 || i == 7) ? kIndexNoSlot : i;
        EXPECT_EQ(idx.find(key4(i)), expect) << i;
    }
    // Freed positions are reused.
    for (uint32_t i = 0; i < n; i += 2) ASSERT_TRUE(idx.insert(keys[i], i, replaced));
    for (uint32_t i = 0; i < n; i += 2) EXPECT_EQ(idx.find(key4(i)), i);
}

TEST(SessionIndex, CollisionsAndFullBuckets) {
    // One bucket (primary == alternative) of 8 positions, every key the same hash and
    // signature: lookups must compare keys; the ninth insert fails and changes nothing.
    std::vector<FlowKey4> keys(16);
    SessionIndex<FlowKey4, ConstantHash> idx(1, keys.data(), sizeof(FlowKey4), 16);
    ASSERT_EQ(idx.buckets(), 1u);
    uint32_t replaced = 0;
    for (uint32_t i = 0; i < SessionIndex<FlowKey4>::kWays; ++i) {
        keys[i] = key4(i);
        ASSERT_TRUE(idx.insert(keys[i], i, replaced)) << i;
    }
    keys[8] = key4(8);
    EXPECT_FALSE(idx.insert(keys[8], 8, replaced));
    EXPECT_EQ(idx.find(key4(8)), kIndexNoSlot);
    for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(idx.find(key4(i)), i);
    // A replacement still works in a full bucket; after an erase the new key fits.
    keys[9] = key4(3);
    ASSERT_TRUE(idx.insert(keys[9], 9, replaced));
    EXPECT_EQ(replaced, 3u);
    EXPECT_TRUE(idx.erase(key4(5), 5));
    ASSERT_TRUE(idx.insert(keys[8], 8, replaced));
    EXPECT_EQ(idx.find(key4(8)), 8u);
    EXPECT_EQ(idx.find(key4(5)), kIndexNoSlot);
    EXPECT_EQ(idx.find(key4(3)), 9u);
}

TEST(SessionIndex, TwoBucketsPerKeyWithRealHash) {
    // A small table filled to its nominal size: keys overflow into their alternative bucket.
    const uint32_t n = 64;
    std::vector<FlowKey4> keys(n);
    SessionIndex<FlowKey4> idx(n, keys.data(), sizeof(FlowKey4), n);
    uint32_t replaced = 0, stored = 0;
    for (uint32_t i = 0; i < n; ++i) {
        keys[i] = key4(i * 977);
        if (idx.insert(keys[i], i, replaced)) ++stored;
    }
    EXPECT_EQ(stored, n);  // 2x positions: at this load no bucket pair is full
    for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(idx.find(key4(i * 977)), i);
}

TEST(SessionIndex, WideIpv6Keys) {
    // Keys in a record store with a stride (as the table keeps them in cold records).
    struct Record {
        FlowKey key;
        uint64_t other[3];
    };
    const uint32_t n = 1000;
    std::vector<Record> recs(n);
    SessionIndex<FlowKey> idx(n, &recs[0].key, sizeof(Record), n);
    auto v6 = [](uint32_t i) {
        FlowKey k{};
        k.family = 6;
        k.etherType = 0x86dd;
        k.srcIp[0] = 0xfd;
        k.srcIp[15] = static_cast<uint8_t>(i);  // differ in the last bytes only
        k.srcIp[14] = static_cast<uint8_t>(i >> 8);
        k.dstIp[0] = 0xfd;
        k.dstIp[15] = 1;
        k.proto = 17;
        k.srcPort = 5000;
        k.dstPort = 53;
        return k;
    };
    uint32_t replaced = 0;
    for (uint32_t i = 0; i < n; ++i) {
        recs[i].key = v6(i);
        ASSERT_TRUE(idx.insert(recs[i].key, i, replaced));
    }
    for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(idx.find(v6(i)), i);
    FlowKey other = v6(3);
    other.dstIp[15] = 2;
    EXPECT_EQ(idx.find(other), kIndexNoSlot);
}

TEST(SessionIndex, LookupsDuringInsertsAndDeletes) {
    // A reader looks up stable keys while a writer inserts and erases other keys in the same
    // buckets. Stable keys are always found under their slot; a churned key, when found,
    // is found under a slot that holds it. Slots are never reused here, so no RCU is needed.
    const uint32_t stable = 16, churn = 200000;
    std::vector<FlowKey4> keys(stable + churn);
    SessionIndex<FlowKey4> idx(64, keys.data(), sizeof(FlowKey4), stable + churn);
    uint32_t replaced = 0;
    for (uint32_t i = 0; i < stable; ++i) {
        keys[i] = key4(i);
        ASSERT_TRUE(idx.insert(keys[i], i, replaced));
    }
    std::atomic<bool> done{false}, started{false};
    std::atomic<uint64_t> wrong{0}, lookups{0};
    std::thread reader([&] {
        std::mt19937 rng(7);
        started.store(true);
        while (!done.load(std::memory_order_relaxed)) {
            uint32_t i = rng() % stable;
            if (idx.find(key4(i)) != i) wrong.fetch_add(1);
            uint32_t c = rng() % 64;
            uint32_t s = idx.find(key4(1000 + c));
            if (s != kIndexNoSlot && (s < stable || !keyEqual(keys[s], key4(1000 + c))))
                wrong.fetch_add(1);
            lookups.fetch_add(1, std::memory_order_relaxed);
        }
    });
    // The churn overlaps the reader: on a loaded machine the reader thread may otherwise be
    // scheduled only after the writer is done, and the test would check nothing concurrent.
    while (!started.load()) std::this_thread::yield();
    std::vector<uint32_t> live(64, kIndexNoSlot);
    for (uint32_t n = 0; n < churn; ++n) {
        uint32_t c = n % 64;
        uint32_t slot = stable + n;
        if (live[c] != kIndexNoSlot) {
            ASSERT_TRUE(idx.erase(key4(1000 + c), live[c]));
            live[c] = kIndexNoSlot;
        }
        keys[slot] = key4(1000 + c);
        if (idx.insert(keys[slot], slot, replaced)) live[c] = slot;
    }
    const uint64_t during = lookups.load();
    done = true;
    reader.join();
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_GT(during, 0u);  // lookups ran while keys were inserted and erased
    for (uint32_t i = 0; i < stable; ++i) EXPECT_EQ(idx.find(key4(i)), i);
}

}  // namespace
}  // namespace sluice::rt
