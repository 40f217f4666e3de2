// Session table storage, publication and RCU-deferred reclamation (see session_table.h).
#include "session_table.h"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <cstring>

namespace sluice::rt {

const char* tcpStateName(TcpState s) {
    switch (s) {
        case TcpState::None: return "none";
        case TcpState::SynSent: return "syn_sent";
        case TcpState::SynReceived: return "syn_received";
        case TcpState::Established: return "established";
        case TcpState::FinWait: return "fin_wait";
        case TcpState::TimeWait: return "time_wait";
        case TcpState::Closed: return "closed";
    }
    return "?";
}

SessionTable::SessionTable(const std::string& name, uint32_t capacity, unsigned ports,
                           uint32_t maxPerPort, unsigned workers)
    : capacity_(capacity), maxPerPort_(maxPerPort), hot_(capacity), cold_(capacity), acts_(capacity) {
    nBudgets_ = ports + 1;
    perPort_ = std::make_unique<std::atomic<uint32_t>[]>(nBudgets_);
    for (unsigned i = 0; i < nBudgets_; ++i) perPort_[i].store(0, std::memory_order_relaxed);
    keys4_ = std::make_unique<FlowKey4[]>(capacity);
    idx4_ = std::make_unique<SessionIndex<FlowKey4>>(capacity, keys4_.get(), sizeof(FlowKey4),
                                                     capacity);
    wide_ = std::make_unique<SessionIndex<FlowKey>>(capacity, &cold_[0].key, sizeof(SessionCold),
                                                    capacity);
    std::string fname = "sf_" + name;
    uint32_t ringSize = rte_align32pow2(capacity + 1);
    freeSlots_ = rte_ring_create(fname.c_str(), ringSize, SOCKET_ID_ANY, RING_F_EXACT_SZ * 0);
    std::string rname = "sr_" + name;
    retireRing_ = rte_ring_create(rname.c_str(), ringSize, SOCKET_ID_ANY, 0);
    size_t sz = rte_rcu_qsbr_get_memsize(std::max(1u, workers));
    rcu_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("sluice_rcu", sz, RTE_CACHE_LINE_SIZE));
    if (rcu_ != nullptr) rte_rcu_qsbr_init(rcu_, std::max(1u, workers));
    if (freeSlots_ != nullptr) {
        for (uint32_t i = 0; i < capacity; ++i) {
            rte_ring_enqueue(freeSlots_, reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
        }
    }
}

SessionTable::~SessionTable() {
    if (freeSlots_ != nullptr) rte_ring_free(freeSlots_);
    if (retireRing_ != nullptr) rte_ring_free(retireRing_);
    if (rcu_ != nullptr) rte_free(rcu_);
}

bool SessionTable::reserve(uint16_t owner, unsigned n) {
    auto& c = perPort_[budgetIndex(owner)];
    uint32_t cur = c.load(std::memory_order_relaxed);
    do {
        if (cur + n > maxPerPort_) return false;
    } while (!c.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
}

void SessionTable::unreserve(uint16_t owner, unsigned n) {
    perPort_[budgetIndex(owner)].fetch_sub(n, std::memory_order_relaxed);
}

uint32_t SessionTable::used(uint16_t owner) const {
    return perPort_[budgetIndex(owner)].load(std::memory_order_relaxed);
}

uint32_t SessionTable::usedTotal() const {
    uint32_t t = 0;
    for (unsigned i = 0; i < nBudgets_; ++i) t += perPort_[i].load(std::memory_order_relaxed);
    return t;
}

bool SessionTable::allocSlots(unsigned n, uint32_t* slots) {
    void* objs[2];
    if (n == 0 || n > 2 || rte_ring_dequeue_bulk(freeSlots_, objs, n, nullptr) != n) return false;
    for (unsigned i = 0; i < n; ++i)
        slots[i] = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(objs[i]));
    return true;
}

void SessionTable::freeSlot(uint32_t slot) {
    hot_[slot].inUse.store(0, std::memory_order_release);
    rte_ring_enqueue(freeSlots_, reinterpret_cast<void*>(static_cast<uintptr_t>(slot)));
}

bool SessionTable::publish(uint32_t slot, const FlowKey4* key4) {
    SessionCold& c = cold_[slot];
    hot_[slot].inUse.store(1, std::memory_order_release);
    // An entry with the same key (e.g. a 5-tuple reused during TIME_WAIT) is replaced in place.
    uint32_t replaced = kNoSlot;
    bool ok;
    if (key4 != nullptr) keys4_[slot] = *key4;
    if (key4 != nullptr || compactKey(c.key, keys4_[slot])) {
        ok = idx4_->insert(keys4_[slot], slot, replaced);
    } else {
        ok = wide_->insert(c.key, slot, replaced);
    }
    if (!ok) {  // both buckets full
        hot_[slot].inUse.store(0, std::memory_order_release);
        rte_ring_enqueue(freeSlots_, reinterpret_cast<void*>(static_cast<uintptr_t>(slot)));
        return false;
    }
    if (replaced != kNoSlot) {
        hot_[replaced].inUse.store(0, std::memory_order_release);
        rte_ring_enqueue(retireRing_, reinterpret_cast<void*>(static_cast<uintptr_t>(replaced)));
    }
    return true;
}

bool SessionTable::unlink(uint32_t slot) {
    const SessionCold& c = cold_[slot];
    FlowKey4 k;
    if (compactKey(c.key, k)) return idx4_->erase(k, slot);
    return wide_->erase(c.key, slot);
}

void SessionTable::workerOnline(unsigned worker) {
    rte_rcu_qsbr_thread_register(rcu_, worker);
    rte_rcu_qsbr_thread_online(rcu_, worker);
}

void SessionTable::workerOffline(unsigned worker) {
    rte_rcu_qsbr_thread_offline(rcu_, worker);
    rte_rcu_qsbr_thread_unregister(rcu_, worker);
}

void SessionTable::remove(uint32_t slot) {
    Session& s = hot_[slot];
    if (s.inUse.load(std::memory_order_acquire) == 0) return;
    bool unlinked = unlink(slot);
    s.inUse.store(0, std::memory_order_release);
    if (!unlinked) return;  // already replaced; the replacer retired it
    // Any thread may remove; the maintenance thread starts the grace period in reclaim().
    rte_ring_enqueue(retireRing_, reinterpret_cast<void*>(static_cast<uintptr_t>(slot)));
}

void SessionTable::retire(uint32_t slot) {
    retired_.push_back({slot, rte_rcu_qsbr_start(rcu_)});
}

size_t SessionTable::reclaim() {
    void* obj = nullptr;
    while (rte_ring_dequeue(retireRing_, &obj) == 0) {
        retire(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(obj)));
    }
    size_t n = 0;
    while (!retired_.empty() && rte_rcu_qsbr_check(rcu_, retired_.front().token, false) == 1) {
        uint32_t slot = retired_.front().slot;
        retired_.pop_front();
        unreserve(hot_[slot].owner, 1);
        rte_ring_enqueue(freeSlots_, reinterpret_cast<void*>(static_cast<uintptr_t>(slot)));
        ++n;
    }
    return n;
}

size_t SessionTable::removeAll() {
    size_t n = 0;
    for (uint32_t i = 0; i < capacity_; ++i) {
        if (hot_[i].inUse.load(std::memory_order_acquire) != 0) {
            remove(i);
            ++n;
        }
    }
    return n;
}

}  // namespace sluice::rt
