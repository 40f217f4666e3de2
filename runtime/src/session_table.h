// The session cache (VFP's unified flow table). One rte_hash, lock-free for readers
// (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) and multi-writer for installs, maps a FlowKey to a
// slot index. Slots come from a lock-free free-ring and are filled before their key is
// published, so a reader never sees a half-written session. Deletion (aging, flush,
// replacement) unlinks the key at once and frees slot and hash position after an RCU grace
// period (rte_rcu_qsbr; every worker reports quiescence once per loop). Each port has a
// bounded budget of entries; a full port refuses new flows and leaves established ones alone.
#pragma once

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sluice/runtime/flow.h"
#include "transposition.h"

namespace sluice::rt {

enum class TcpState : uint8_t { None, SynSent, SynReceived, Established, FinWait, TimeWait, Closed };
const char* tcpStateName(TcpState s);

enum class SessionRole : uint8_t { Single, Forward, Reverse };

inline constexpr uint32_t kNoSlot = 0xffffffffu;
inline constexpr unsigned kMaxSteps = 16;

// One pipeline step that decided a session: which port/direction ran which layer and rule.
struct SessionStep {
    uint16_t port;
    uint8_t dir;      // lang::Direction
    uint8_t layer8;   // unused high bits
    uint16_t layer;   // Policy::layers index
    uint32_t rule;    // global rule id or SL_NO_RULE
};

// Hot part, touched on every hit. Written only by the worker that receives this direction
// (counters, lastSeen, re-simulation), except tcpState/finBits, which both directions update
// atomically (in the Forward entry of a pair).
struct alignas(64) Session {
    Transposition act;
    uint64_t packets;
    uint64_t bytes;
    uint64_t lastSeen;  // TSC
    uint32_t gen[2];    // generations of genPort[] when the result was computed
    uint16_t genPort[2];  // 0xffff: unused
    uint32_t pair;        // slot of the other direction, or kNoSlot
    uint32_t idleMs;      // idle timeout when not governed by TCP state
    uint16_t owner;       // port charged for this entry
    SessionRole role;
    std::atomic<uint8_t> tcpState;  // TcpState; Forward (or Single tracked) entries
    std::atomic<uint8_t> finBits;   // 1: forward FIN seen, 2: reverse FIN seen
    std::atomic<uint8_t> inUse;
    uint8_t tcpTracked;
};

// Cold part: read by re-simulation, aging, dumps.
struct SessionCold {
    FlowKey key;
    FlowKey origin;  // Reverse: the forward key it was derived from; else == key
    uint64_t created;  // TSC
    uint32_t hashPos;
    uint8_t nSteps;
    SessionStep steps[kMaxSteps];
};

class SessionTable {
public:
    // `capacity` slots in total; `ports` budgets of `maxPerPort` entries each (index
    // kUplinkIngress is folded to the last budget).
    SessionTable(const std::string& name, uint32_t capacity, unsigned ports, uint32_t maxPerPort,
                 unsigned workers);
    ~SessionTable();
    SessionTable(const SessionTable&) = delete;
    SessionTable& operator=(const SessionTable&) = delete;
    bool ok() const { return hash_ != nullptr && freeSlots_ != nullptr && rcu_ != nullptr; }

    // --- fast path (workers) ---
    // slots[i] = slot or kNoSlot. n <= 64.
    void lookupBurst(const FlowKey* const* keys, unsigned n, uint32_t* slots) const {
        void* data[64];
        uint64_t hits = 0;
        rte_hash_lookup_bulk_data(hash_, const_cast<const void**>(
                                             reinterpret_cast<const void* const*>(keys)),
                                  n, &hits, data);
        for (unsigned i = 0; i < n; ++i) {
            slots[i] = (hits >> i) & 1 ? static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data[i]))
                                       : kNoSlot;
        }
    }
    uint32_t lookup(const FlowKey& key) const {
        void* data = nullptr;
        if (rte_hash_lookup_data(hash_, &key, &data) < 0) return kNoSlot;
        return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
    }
    Session& at(uint32_t slot) { return hot_[slot]; }
    const Session& at(uint32_t slot) const { return hot_[slot]; }
    SessionCold& cold(uint32_t slot) { return cold_[slot]; }
    const SessionCold& cold(uint32_t slot) const { return cold_[slot]; }

    // --- install (workers, slow path) ---
    // Charges `n` entries to `owner`'s budget; false (nothing charged) when it would exceed.
    bool reserve(uint16_t owner, unsigned n);
    void unreserve(uint16_t owner, unsigned n);
    // A free slot, or kNoSlot when none; freeSlot() returns one never published.
    uint32_t allocSlot();
    void freeSlot(uint32_t slot);
    // Publishes a filled slot under cold(slot).key. An existing entry with the same key is
    // unlinked and retired. False when the hash is full (slot returned to the pool).
    bool publish(uint32_t slot);

    // --- RCU ---
    void workerOnline(unsigned worker);
    void workerOffline(unsigned worker);
    void quiescent(unsigned worker) { rte_rcu_qsbr_quiescent(rcu_, worker); }

    // --- maintenance thread ---
    // Unlinks the entry in `slot` (and nothing else) and schedules its reclamation.
    void remove(uint32_t slot);
    // Frees slots whose grace period has passed; returns how many.
    size_t reclaim();
    // Unlinks everything; returns entries removed.
    size_t removeAll();
    uint32_t capacity() const { return capacity_; }
    uint32_t used(uint16_t owner) const;
    uint32_t usedTotal() const;
    unsigned budgets() const { return static_cast<unsigned>(perPort_.size()); }
    uint32_t maxPerPort() const { return maxPerPort_; }

private:
    struct Retired {
        uint32_t slot;
        uint64_t token;
    };
    void retire(uint32_t slot);
    unsigned budgetIndex(uint16_t owner) const {
        return owner < perPort_.size() - 1 ? owner : static_cast<unsigned>(perPort_.size() - 1);
    }

    rte_hash* hash_ = nullptr;
    rte_ring* freeSlots_ = nullptr;
    rte_ring* retireRing_ = nullptr;  // slots unlinked by workers (replacement), MP
    rte_rcu_qsbr* rcu_ = nullptr;
    uint32_t capacity_;
    uint32_t maxPerPort_;
    std::vector<Session> hot_;
    std::vector<SessionCold> cold_;
    std::deque<std::atomic<uint32_t>> perPort_;
    std::deque<Retired> retired_;  // maintenance thread only
};

}  // namespace sluice::rt
