// The session cache's index (VPP bihash / OVS EMC style, issue 10): key -> slot. Buckets of
// one cache line hold 8 16-bit signatures and 8 slot numbers; a key lives in one of two
// buckets (primary, alternative) picked from its CRC32 hash, and a lookup compares the 8
// signatures of a bucket in one SSE compare before it compares a candidate's key. Keys are not
// copied into the buckets: they stay in a key store indexed by slot (the table's own array of
// compact keys, or the sessions' cold records), so a bucket line covers 8 entries.
//
// Readers never lock or write: a writer fills the key store first, then the slot number, then
// the signature (release); a reader that sees a signature sees its slot and key. Removal clears
// the signature at once; the caller keeps the slot (and its key) unchanged until every reader
// has passed a quiescent state (RCU, session_table.cpp), so a reader holding a stale position
// still compares a valid key. Writers (installs on any worker, removal by maintenance) take a
// per-bucket spin lock among themselves. Both buckets full: the insert fails (the caller
// refuses the flow), never an unbounded chain.
#pragma once

#include <nmmintrin.h>  // SSE4.2 CRC32
#include <emmintrin.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

namespace sluice::rt {

inline constexpr uint32_t kIndexNoSlot = 0xffffffffu;

// CRC32C of a key made of 64-bit words (the hardware instruction, no table).
struct CrcKeyHash {
    template <class Key>
    uint32_t operator()(const Key& k, uint32_t seed) const {
        static_assert(sizeof(Key) % 8 == 0);
        uint64_t w[sizeof(Key) / 8];
        std::memcpy(w, &k, sizeof k);
        uint64_t h = seed;
        for (size_t i = 0; i < sizeof(Key) / 8; ++i) h = _mm_crc32_u64(h, w[i]);
        return static_cast<uint32_t>(h);
    }
};

template <class Key>
__attribute__((always_inline)) inline bool keyEqual(const Key& a, const Key& b) {
    static_assert(sizeof(Key) % 16 == 0);
    __m128i acc = _mm_setzero_si128();
    for (size_t i = 0; i < sizeof(Key); i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const char*>(&a) + i));
        __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const char*>(&b) + i));
        acc = _mm_or_si128(acc, _mm_xor_si128(x, y));
    }
    return _mm_testz_si128(acc, acc) != 0;
}

template <class Key, class Hash = CrcKeyHash>
class SessionIndex {
public:
    static constexpr unsigned kWays = 8;

    // Room for about `entries` keys (buckets for twice as many positions). The key of slot s
    // is read at `keys + s * strideBytes`; slots are < `slots`.
    SessionIndex(uint32_t entries, const void* keys, size_t strideBytes, uint32_t slots,
                 uint32_t seed = 0x5d1ce5u)
        : keys_(static_cast<const char*>(keys)), stride_(strideBytes), slots_(slots), seed_(seed) {
        uint32_t nb = 1;
        while (nb * kWays < 2ull * entries && nb < (1u << 30)) nb <<= 1;
        mask_ = nb - 1;
        void* p = std::aligned_alloc(64, sizeof(Bucket) * nb);
        if (p == nullptr) throw std::bad_alloc();
        std::memset(p, 0, sizeof(Bucket) * nb);
        buckets_.reset(static_cast<Bucket*>(p));
    }
    SessionIndex(const SessionIndex&) = delete;
    SessionIndex& operator=(const SessionIndex&) = delete;

    uint32_t hash(const Key& k) const { return Hash{}(k, seed_); }
    void prefetch(uint32_t h) const { __builtin_prefetch(&buckets_[h & mask_], 0, 3); }

    // The first slot whose signature matches in the primary bucket of hash `h`, keys not
    // compared (kIndexNoSlot if none): a burst prefetches its key and entry, then confirms it
    // with matches() and falls back to find() only when that fails.
    __attribute__((always_inline)) uint32_t peek(uint32_t h) const {
        const Bucket& b = buckets_[h & mask_];
        __m128i sigs = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
        std::atomic_thread_fence(std::memory_order_acquire);  // orders the slot and key reads
        auto m = static_cast<uint32_t>(_mm_movemask_epi8(
            _mm_cmpeq_epi16(sigs, _mm_set1_epi16(static_cast<short>(sigOf(h))))));
        if (m == 0) return kIndexNoSlot;
        uint32_t s = __atomic_load_n(&b.slot[__builtin_ctz(m) >> 1], __ATOMIC_ACQUIRE);
        return s < slots_ ? s : kIndexNoSlot;
    }
    // Whether the key store holds `k` for `slot` (a slot from peek()).
    __attribute__((always_inline)) bool matches(uint32_t slot, const Key& k) const {
        return keyEqual(keyOf(slot), k);
    }

    // The slot of `k` (hash `h`), or kIndexNoSlot. Lock-free; any thread.
    uint32_t find(const Key& k, uint32_t h) const {
        const uint16_t sig = sigOf(h);
        uint32_t s = scan(buckets_[h & mask_], sig, k);
        if (s != kIndexNoSlot) return s;
        return scan(buckets_[altOf(h)], sig, k);
    }
    uint32_t find(const Key& k) const { return find(k, hash(k)); }

    // Publishes `slot` (whose key is already in the key store) under `k`. An entry with the
    // same key is replaced in place and its slot returned in `replaced` (else kIndexNoSlot).
    // False when both buckets are full (nothing changed).
    bool insert(const Key& k, uint32_t slot, uint32_t& replaced) {
        replaced = kIndexNoSlot;
        const uint32_t h = hash(k);
        const uint16_t sig = sigOf(h);
        Bucket& a = buckets_[h & mask_];
        Bucket& b = buckets_[altOf(h)];
        Locks lk(a, b);
        // Signatures compared 8 at a time (SSE), as readers do; writers hold both locks.
        for (Bucket* bk : {&a, &b}) {
            for (uint32_t m = sigMask(*bk, sig); m != 0; m &= m - 1, m &= m - 1) {
                const unsigned i = static_cast<unsigned>(__builtin_ctz(m)) >> 1;
                uint32_t old = load32(bk->slot[i]);
                if (old < slots_ && keyEqual(keyOf(old), k)) {
                    store32(bk->slot[i], slot);
                    replaced = old;
                    return true;
                }
            }
            if (&a == &b) break;  // one bucket (primary == alternative)
        }
        for (Bucket* bk : {&a, &b}) {
            if (uint32_t m = sigMask(*bk, 0); m != 0) {
                const unsigned i = static_cast<unsigned>(__builtin_ctz(m)) >> 1;
                store32(bk->slot[i], slot);
                store16(bk->sig[i], sig);
                return true;
            }
        }
        return false;
    }

    // Unlinks `k` if it maps to `slot`; false when it does not (already replaced or removed).
    bool erase(const Key& k, uint32_t slot) {
        const uint32_t h = hash(k);
        const uint16_t sig = sigOf(h);
        Bucket& a = buckets_[h & mask_];
        Bucket& b = buckets_[altOf(h)];
        Locks lk(a, b);
        for (Bucket* bk : {&a, &b}) {
            for (unsigned i = 0; i < kWays; ++i) {
                if (load16(bk->sig[i]) == sig && load32(bk->slot[i]) == slot) {
                    store16(bk->sig[i], 0);
                    return true;
                }
            }
        }
        return false;
    }

    uint32_t buckets() const { return mask_ + 1; }

private:
    struct alignas(64) Bucket {
        uint16_t sig[kWays];  // 0: free position
        uint32_t slot[kWays];
        std::atomic<uint32_t> lock;  // writers only
        uint32_t pad[3];
    };
    static_assert(sizeof(Bucket) == 64);

    // Per-bucket writer locks, taken in address order (a == b when there is one bucket).
    struct Locks {
        Bucket* first;
        Bucket* second;
        Locks(Bucket& a, Bucket& b) : first(&a < &b ? &a : &b), second(&a < &b ? &b : &a) {
            take(*first);
            if (second != first) take(*second);
        }
        ~Locks() {
            if (second != first) second->lock.store(0, std::memory_order_release);
            first->lock.store(0, std::memory_order_release);
        }
        static void take(Bucket& b) {
            uint32_t z = 0;
            while (!b.lock.compare_exchange_weak(z, 1, std::memory_order_acquire)) {
                z = 0;
                _mm_pause();
            }
        }
    };

    // Bits 2i and 2i+1 set: position i of `b` holds signature `sig` (0: free positions).
    static uint32_t sigMask(const Bucket& b, uint16_t sig) {
        __m128i sigs = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
        auto m = static_cast<uint32_t>(
            _mm_movemask_epi8(_mm_cmpeq_epi16(sigs, _mm_set1_epi16(static_cast<short>(sig)))));
        return m;
    }
    static uint16_t sigOf(uint32_t h) { return static_cast<uint16_t>((h >> 16) | 1u); }
    uint32_t altOf(uint32_t h) const {
        return ((h & mask_) ^ (((h >> 16) * 0x9e3779b1u) >> 7 | 1u)) & mask_;
    }
    static uint16_t load16(const uint16_t& v) { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }
    static uint32_t load32(const uint32_t& v) { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }
    static void store16(uint16_t& v, uint16_t x) { __atomic_store_n(&v, x, __ATOMIC_RELEASE); }
    static void store32(uint32_t& v, uint32_t x) { __atomic_store_n(&v, x, __ATOMIC_RELEASE); }
    const Key& keyOf(uint32_t slot) const {
        return *reinterpret_cast<const Key*>(keys_ + size_t{slot} * stride_);
    }

    uint32_t scan(const Bucket& b, uint16_t sig, const Key& k) const {
        // The 8 signatures in one load and compare; acquire orders the slot and key reads.
        __m128i sigs = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
        std::atomic_thread_fence(std::memory_order_acquire);
        auto m = static_cast<uint32_t>(
            _mm_movemask_epi8(_mm_cmpeq_epi16(sigs, _mm_set1_epi16(static_cast<short>(sig)))));
        while (m != 0) {
            unsigned i = static_cast<unsigned>(__builtin_ctz(m)) >> 1;
            m &= m - 1;
            m &= m - 1;  // two mask bits per 16-bit lane
            uint32_t s = load32(b.slot[i]);
            if (s < slots_ && keyEqual(keyOf(s), k)) return s;
        }
        return kIndexNoSlot;
    }

    struct Free {
        void operator()(Bucket* p) const { std::free(p); }
    };
    std::unique_ptr<Bucket[], Free> buckets_;
    uint32_t mask_ = 0;
    const char* keys_;
    size_t stride_;
    uint32_t slots_;
    uint32_t seed_;
};

}  // namespace sluice::rt
