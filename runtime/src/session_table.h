// The session cache (VFP's unified flow table). Two SessionIndex tables (session_index.h,
// lock-free readers, multi-writer) map keys to slot indices: IPv4 flows by their 32-byte
// compact key (FlowKey4, kept in keys4_ per slot), all others by the full FlowKey (kept in the
// slot's cold record). Slots come from a lock-free free-ring and are filled before their key is
// published, so a reader never sees a half-written session. Deletion (aging, flush,
// replacement) unlinks the key at once and frees the slot after an RCU grace period
// (rte_rcu_qsbr; every worker reports quiescence once per loop). Each port has a bounded
// budget of entries; a full port refuses new flows and leaves established ones alone.
#pragma once

#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>
#include <cstring>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "session_index.h"
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

// Hot entry, one cache line, the only session memory a hit without NAT or encap touches
// (issue 10): counters, the generation epoch it was validated at, the action's flags, egress
// and L2 rewrite, TCP state. Written only by the worker that receives this direction
// (counters, lastSeen, epoch, re-simulation), except tcpState/finBits, which both directions
// update atomically (in the Forward entry of a pair). The full transposition (NAT addresses,
// checksum deltas, the encap template) is apart (SessionTable::action), read only by packets
// whose action rewrites more than the MACs; generations, key and trace are in SessionCold.
struct alignas(64) Session {
    uint64_t packets;
    uint64_t bytes;
    uint64_t lastSeen;  // TSC
    uint32_t epoch;     // Datapath generation epoch at which gen[] was last found current
    uint32_t pair;      // slot of the other direction, or kNoSlot
    uint32_t idleMs;    // idle timeout when not governed by TCP state
    uint16_t owner;     // port charged for this entry
    uint16_t flags;     // action: Transposition::flags (copy)
    uint16_t txDev;     // action: egress device (copy)
    uint8_t eth[12];    // action: dst MAC, src MAC (copy)
    DropReason dropReason;  // action: why, when flags has kTpDrop (copy)
    SessionRole role;
    std::atomic<uint8_t> tcpState;  // TcpState; Forward (or Single tracked) entries
    std::atomic<uint8_t> finBits;   // 1: forward FIN seen, 2: reverse FIN seen
    std::atomic<uint8_t> inUse;
    uint8_t tcpTracked;
};
static_assert(sizeof(Session) == 64, "the hot session entry is one cache line");

// Cold part: read by re-simulation, generation checks after a reload, aging, dumps.
struct SessionCold {
    FlowKey key;
    FlowKey origin;  // Reverse: the forward key it was derived from; else == key
    uint64_t created;  // TSC
    uint64_t basePackets;  // packets counted before the last re-attribution of the steps
    uint8_t dscp;          // of the packet decided (re-simulation repeats it)
    uint32_t gen[2];      // generations of genPort[] when the action was computed
    uint16_t genPort[2];  // 0xffff: unused
    uint8_t nSteps;
    SessionStep steps[kMaxSteps];  // rule and layer: stable ids (pipeline_swap.h)
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
    bool ok() const { return freeSlots_ != nullptr && retireRing_ != nullptr && rcu_ != nullptr; }

    // --- fast path (workers): hash, prefetch the bucket, find (session_index.h) ---
    uint32_t hash4(const FlowKey4& k) const { return idx4_->hash(k); }
    void prefetch4(uint32_t h) const { idx4_->prefetch(h); }
    uint32_t find4(const FlowKey4& k, uint32_t h) const { return idx4_->find(k, h); }
    // After prefetch4(h) has loaded the bucket: prefetches the likely entry's key and session.
    void prefetchEntry4(uint32_t h) const {
        uint32_t s = idx4_->peek(h);
        if (s == kNoSlot) return;
        __builtin_prefetch(&keys4_[s], 0, 3);
        __builtin_prefetch(&hot_[s], 1, 3);
        __builtin_prefetch(reinterpret_cast<const char*>(&hot_[s]) + 64, 1, 3);
    }
    uint32_t findWide(const FlowKey& k) const { return wide_->find(k); }
    // The burst loop's direct view (datapath.cpp): the IPv4 index, its key store, hot entries.
    const SessionIndex<FlowKey4>& index4() const { return *idx4_; }
    const FlowKey4* keys4() const { return keys4_.get(); }
    Session* hot() { return hot_.data(); }
    // Either table, by the key's form (control path, tests).
    uint32_t lookup(const FlowKey& key) const {
        FlowKey4 c;
        return compactKey(key, c) ? idx4_->find(c) : wide_->find(key);
    }
    Session& at(uint32_t slot) { return hot_[slot]; }
    const Session& at(uint32_t slot) const { return hot_[slot]; }
    SessionCold& cold(uint32_t slot) { return cold_[slot]; }
    // The full action of a slot; setAction() writes it and its copies in the hot entry.
    const Transposition& action(uint32_t slot) const { return acts_[slot]; }
    void setAction(uint32_t slot, const Transposition& t) {
        acts_[slot] = t;
        Session& s = hot_[slot];
        s.flags = t.flags;
        s.txDev = t.txDev;
        std::memcpy(s.eth, t.eth, sizeof s.eth);
        s.dropReason = t.dropReason;
    }
    const SessionCold& cold(uint32_t slot) const { return cold_[slot]; }

    // --- install (workers, slow path) ---
    // Charges `n` entries to `owner`'s budget; false (nothing charged) when it would exceed.
    bool reserve(uint16_t owner, unsigned n);
    void unreserve(uint16_t owner, unsigned n);
    // `n` (1 or 2) free slots in one dequeue (a pair's two entries), or false and none taken;
    // freeSlot() returns one never published.
    bool allocSlots(unsigned n, uint32_t* slots);
    void freeSlot(uint32_t slot);
    // Publishes a filled slot under cold(slot).key. An existing entry with the same key is
    // unlinked and retired. False when the hash is full (slot returned to the pool).
    // `key4`: the key's compact form when the caller has it (must be compactKey's result).
    bool publish(uint32_t slot, const FlowKey4* key4 = nullptr);

    // --- RCU ---
    void workerOnline(unsigned worker);
    void workerOffline(unsigned worker);
    void quiescent(unsigned worker) { rte_rcu_qsbr_quiescent(rcu_, worker); }
    rte_rcu_qsbr* rcu() const { return rcu_; }  // also guards pipeline swaps

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
    unsigned budgets() const { return nBudgets_; }
    uint32_t maxPerPort() const { return maxPerPort_; }

private:
    struct Retired {
        uint32_t slot;
        uint64_t token;
    };
    void retire(uint32_t slot);
    bool unlink(uint32_t slot);  // removes the slot's key from its index
    unsigned budgetIndex(uint16_t owner) const {
        return owner < nBudgets_ - 1 ? owner : nBudgets_ - 1;
    }

    rte_ring* freeSlots_ = nullptr;
    rte_ring* retireRing_ = nullptr;  // slots unlinked by workers (replacement), MP
    rte_rcu_qsbr* rcu_ = nullptr;
    uint32_t capacity_;
    uint32_t maxPerPort_;
    std::vector<Session> hot_;
    std::vector<SessionCold> cold_;
    std::vector<Transposition> acts_;
    std::unique_ptr<FlowKey4[]> keys4_;  // compact key of each slot (key store of idx4_)
    std::unique_ptr<SessionIndex<FlowKey4>> idx4_;
    std::unique_ptr<SessionIndex<FlowKey>> wide_;  // keys in cold_[slot].key
    // Entries charged per budget: a flat array (a deque cost ~15 instructions per install).
    std::unique_ptr<std::atomic<uint32_t>[]> perPort_;
    unsigned nBudgets_ = 0;
    std::deque<Retired> retired_;  // maintenance thread only
};

}  // namespace sluice::rt
