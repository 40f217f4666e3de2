// The worker loop and the decision function: parse a burst, look the keys up in the session
// table in one bulk call, apply cached transpositions to hits, send misses through the slow
// path (which installs a session or a session pair), and transmit per device in bursts.
// No locks, no allocation, no logging here: errors are counters.
#include "datapath.h"

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "fast_parse.h"

#include <cstring>

namespace sluice::rt {
namespace {

constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Installing sessions.

void Datapath::fillSession(uint32_t slot, const FlowKey& key, const FlowKey& origin,
                           const Decision& d, const Transposition& act, SessionRole role,
                           uint64_t now, uint32_t epoch) {
    Session& s = table_->at(slot);
    SessionCold& c = table_->cold(slot);
    table_->setAction(slot, act);
    s.packets = 0;
    s.bytes = 0;
    s.lastSeen = now;
    s.epoch = epoch;  // read before the generations (install)
    c.genPort[0] = c.genPort[1] = kNoPort;
    for (unsigned i = 0; i < d.nRuns && i < 2; ++i) {
        c.genPort[i] = d.runs[i].port;
        c.gen[i] = gens_[d.runs[i].port].load(std::memory_order_acquire);
    }
    s.pair = kNoSlot;
    s.idleMs = d.drop != DropReason::None ? static_cast<uint32_t>(cfg_.sessions.udpMs) : d.idleMs;
    s.owner = d.owner;
    s.role = role;
    s.tcpState.store(static_cast<uint8_t>(d.tcpTrack ? TcpState::SynSent : TcpState::None),
                     std::memory_order_relaxed);
    s.finBits.store(0, std::memory_order_relaxed);
    s.tcpTracked = d.tcpTrack;
    c.key = key;
    c.origin = origin;
    c.created = now;
    c.basePackets = 0;
    c.dscp = d.dscp;
    // Steps are filled by install(): once per decision, copied to the pair's other entry.
}

// The rule steps of a decision, in stable ids (pipeline_swap.h) of the pipeline that decided.
// The tables are read into locals and each step is stored whole: byte stores into the cold
// record would otherwise make the compiler reload the vectors' bounds every step.
void Datapath::fillSteps(SessionCold& c, const Decision& d) {
    c.nSteps = 0;
    if (d.pl == nullptr) return;
    const Pipeline& pl = *d.pl;
    const sl_policy_desc& desc = pl.slowPath->descriptor();
    const uint16_t* const stableLayer = pl.stableLayer.data();
    const size_t nLayers = pl.stableLayer.size();
    const uint32_t* const stableRule = pl.stableRule.data();
    const size_t nRules = pl.stableRule.size();
    unsigned n = 0;
    for (unsigned i = 0; i < d.nRuns; ++i) {
        const sl_result& r = d.runs[i].result;
        const sl_entry* e = sl_policy_entry(&desc, d.runs[i].port, d.runs[i].dir);
        const uint32_t known = e != nullptr ? e->n_layers : 0;
        const uint32_t* const layers = e != nullptr ? e->layers : nullptr;
        const unsigned steps = std::min<unsigned>({r.n_steps, SL_MAX_STEPS, kMaxSteps - n});
        SessionStep step;
        step.port = d.runs[i].port;
        step.dir = d.runs[i].dir;
        step.layer8 = 0;
        SessionStep* out = c.steps + n;
        for (unsigned st = 0; st < steps; ++st) {
            const uint32_t layer = st < known ? layers[st] : 0xffff;
            step.layer = layer < nLayers ? stableLayer[layer] : 0xffff;
            const uint32_t rule = r.step_rule[st];
            step.rule = rule < nRules ? stableRule[rule] : SL_NO_RULE;
            out[st] = step;
        }
        n += steps;
    }
    c.nSteps = static_cast<uint8_t>(n);
}

uint32_t Datapath::install(unsigned, const FlowKey& key, const Decision& d, uint64_t now,
                           DropReason& refused, const FlowKey4* key4) {
    unsigned n = d.pair ? 2 : 1;
    // A drop decision for traffic from the uplink is charged to the uplink's own bounded
    // budget (the drop cache), never to the VM it was addressed to: remote senders must not
    // be able to fill a VM's session budget and lock it out. When the drop cache is full the
    // packet is still dropped for its own reason, only not cached.
    const bool remoteDrop = d.drop != DropReason::None && key.ingress == kUplinkIngress;
    const uint16_t owner = remoteDrop ? kUplinkIngress : d.owner;
    refused = remoteDrop ? d.drop : DropReason::SessionTableFull;
    if (!table_->reserve(owner, n)) return kNoSlot;
    uint32_t slots[2] = {kNoSlot, kNoSlot};
    if (!table_->allocSlots(n, slots)) {
        // Slots are bounded by the budgets; this only happens while reclamation lags.
        table_->unreserve(owner, n);
        return kNoSlot;
    }
    const uint32_t f = slots[0], r = slots[1];
    // The epoch is read before the generations (fillSession): a reload in between leaves an
    // epoch older than the generations, which costs one extra check, never a missed
    // re-simulation. Read once for both entries.
    const uint32_t epoch = generationEpoch();
    if (d.drop == DropReason::None) {  // the forward action in place, not copied
        fillSession(f, key, key, d, d.fwd, d.pair ? SessionRole::Forward : SessionRole::Single,
                    now, epoch);
    } else {
        Transposition dropAct{};
        dropAct.flags = kTpDrop;
        dropAct.dropReason = d.drop;
        fillSession(f, key, key, d, dropAct, d.pair ? SessionRole::Forward : SessionRole::Single,
                    now, epoch);
    }
    SessionCold& fc = table_->cold(f);
    fillSteps(fc, d);
    table_->at(f).owner = owner;
    if (d.pair) {
        fillSession(r, d.revKey, key, d, d.rev, SessionRole::Reverse, now, epoch);
        SessionCold& rc = table_->cold(r);
        rc.nSteps = fc.nSteps;  // the same decision: the same steps
        std::memcpy(rc.steps, fc.steps, sizeof(SessionStep) * fc.nSteps);
        table_->at(f).pair = r;
        table_->at(r).pair = f;
        if (!table_->publish(r)) {  // r went back to the pool
            table_->freeSlot(f);
            table_->unreserve(owner, n);
            return kNoSlot;
        }
    }
    if (!table_->publish(f, key4)) {  // f went back to the pool
        if (d.pair) table_->remove(r);  // its budget is returned when it is reclaimed
        table_->unreserve(owner, 1);
        return kNoSlot;
    }
    refused = DropReason::None;
    return f;
}

// A session whose ports' generation moved is re-simulated on its next packet (VFP 6.3): the
// flow's first packet again (SYN for tracked TCP, its DSCP) through the current pipeline. Its
// TCP state and counters stay; its rule steps are re-attributed (the packets so far go to the
// old rules through the step queue). Only the worker receiving this direction writes the
// entry, so the update is in place.
bool Datapath::resimulate(unsigned worker, uint32_t slot) {
    Session& s = table_->at(slot);
    SessionCold& c = table_->cold(slot);
    Decision d;
    uint8_t flags = s.tcpTracked ? kTcpSyn : 0;
    decide(worker, c.origin, flags, c.dscp, d);
    Transposition drop{};
    drop.flags = kTpDrop;
    if (s.role == SessionRole::Reverse) {
        if (d.drop == DropReason::None && d.pair && std::memcmp(&d.revKey, &c.key, sizeof(FlowKey)) == 0) {
            table_->setAction(slot, d.rev);
        } else {
            drop.dropReason = d.drop != DropReason::None ? d.drop : DropReason::PolicyDeny;
            table_->setAction(slot, drop);
        }
    } else if (d.drop != DropReason::None) {
        drop.dropReason = d.drop;
        table_->setAction(slot, drop);
    } else {
        table_->setAction(slot, d.fwd);
    }
    SessionCold fresh;
    fillSteps(fresh, d);
    if (fresh.nSteps != c.nSteps ||
        std::memcmp(fresh.steps, c.steps, sizeof(SessionStep) * c.nSteps) != 0) {
        recordSteps(worker, c, s.packets);
        std::memcpy(c.steps, fresh.steps, sizeof(SessionStep) * fresh.nSteps);
        c.nSteps = fresh.nSteps;
        c.basePackets = s.packets;
    }
    // The ports that decided it now (a route may lead elsewhere than before); a decision
    // that ran no pipeline keeps the old ones, so a later reload still re-simulates it.
    if (d.nRuns > 0) {
        c.genPort[0] = c.genPort[1] = kNoPort;
        for (unsigned i = 0; i < d.nRuns && i < 2; ++i) c.genPort[i] = d.runs[i].port;
    }
    for (unsigned i = 0; i < 2; ++i) {
        if (c.genPort[i] != kNoPort) c.gen[i] = gens_[c.genPort[i]].load(std::memory_order_acquire);
    }
    return true;
}

// The old steps of a re-attributed session and the packets they decided, for the
// maintenance thread (retired counters). Bounded: a full queue loses the record, counted.
void Datapath::recordSteps(unsigned worker, const SessionCold& c, uint64_t packets) {
    if (worker >= stepQueues_.size()) return;  // control context: not a worker
    StepQueue& q = *stepQueues_[worker];
    uint64_t n = packets - std::min(packets, c.basePackets);
    if (n == 0 || c.nSteps == 0) return;
    uint32_t head = q.head.load(std::memory_order_relaxed);
    if (head - q.tail.load(std::memory_order_acquire) >= StepQueue::kSize) {
        ++q.lost;
        return;
    }
    StepRecord& r = q.records[head % StepQueue::kSize];
    r.packets = n;
    r.nSteps = c.nSteps;
    std::memcpy(r.steps, c.steps, sizeof(SessionStep) * c.nSteps);
    q.head.store(head + 1, std::memory_order_release);
}

// TCP state machine shared by both directions of a pair (kept in the forward entry). A
// half-open connection becomes established only after SYN, SYN+ACK, ACK in that order.
bool Datapath::tcpAccept(Session& s, uint8_t flags) {
    bool fwd = s.role != SessionRole::Reverse;
    Session& f = fwd ? s : table_->at(s.pair);
    auto st = static_cast<TcpState>(f.tcpState.load(std::memory_order_relaxed));
    auto set = [&](TcpState n) { f.tcpState.store(static_cast<uint8_t>(n), std::memory_order_relaxed); };
    if (flags & kTcpRst) {
        set(TcpState::Closed);
        return true;
    }
    bool syn = flags & kTcpSyn, ack = flags & kTcpAck, fin = flags & kTcpFin;
    switch (st) {
        case TcpState::SynSent:
            if (fwd) return syn && !ack;  // SYN retransmission only
            if (syn && ack) { set(TcpState::SynReceived); return true; }
            return false;
        case TcpState::SynReceived:
            if (fwd) {
                if (syn) return !ack;
                if (ack) set(TcpState::Established);
                if (fin) { f.finBits.fetch_or(1); set(TcpState::FinWait); }
                return ack;
            }
            return true;  // SYN+ACK retransmission or early data from the responder
        case TcpState::Established:
        case TcpState::FinWait:
            if (fin) {
                uint8_t bits = f.finBits.fetch_or(fwd ? 1 : 2) | (fwd ? 1 : 2);
                set(bits == 3 ? TcpState::TimeWait : TcpState::FinWait);
            }
            return true;
        case TcpState::TimeWait:
        case TcpState::Closed:
            if (fwd && syn && !ack) {  // the 5-tuple is reused by a new connection
                f.finBits.store(0);
                set(TcpState::SynSent);
            }
            return true;
        default:
            return true;
    }
}

// ---------------------------------------------------------------------------------------------
// ARP: answer the VMs for any address but their own with the gateway MAC (the VMs' gateway
// and, as proxy ARP, their peers: everything is routed by the vSwitch); answer the uplink
// for this host's underlay address.

void Datapath::handleArp(WorkerCtx& w, uint16_t dev, rte_mbuf* m, const PacketLayout& lay) {
    uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
    uint8_t* a = d + lay.l3;
    const Device& D = devices_[dev];
    uint16_t op = static_cast<uint16_t>(a[6] << 8 | a[7]);
    uint8_t senderIp[4], targetIp[4], senderMac[6];
    std::memcpy(senderMac, a + 8, 6);
    std::memcpy(senderIp, a + 14, 4);
    std::memcpy(targetIp, a + 24, 4);
    uint32_t target = uint32_t(targetIp[0]) << 24 | uint32_t(targetIp[1]) << 16 |
                      uint32_t(targetIp[2]) << 8 | targetIp[3];
    bool answer = false;
    uint8_t replyMac[6];
    if (op == 1 && std::memcmp(senderIp, targetIp, 4) != 0) {
        if (D.isUplink) {
            answer = cfg_.underlay == lang::IpAddr::v4(target);
            std::memcpy(replyMac, uplinkMac_, 6);
        } else {
            answer = true;
            for (const auto& ip : ports_[D.policyPort].ips) {
                if (ip == lang::IpAddr::v4(target)) answer = false;  // its own address
            }
            std::memcpy(replyMac, gwMac_, 6);
        }
    }
    if (!answer) {
        ++w.stats->drops[dev][static_cast<size_t>(DropReason::ArpNotAnswered)];
        rte_pktmbuf_free(m);
        return;
    }
    std::memcpy(d, senderMac, 6);
    std::memcpy(d + 6, replyMac, 6);
    a[7] = 2;  // reply
    std::memcpy(a + 8, replyMac, 6);
    std::memcpy(a + 14, targetIp, 4);
    std::memcpy(a + 18, senderMac, 6);
    std::memcpy(a + 24, senderIp, 4);
    ++w.stats->arpReplies;
    uint32_t len = rte_pktmbuf_pkt_len(m);
    if (rte_eth_tx_burst(D.ethPort, static_cast<uint16_t>(w.id), &m, 1) == 1) {
        ++w.stats->txPackets[dev];
        w.stats->txBytes[dev] += len;
    } else {
        ++w.stats->drops[dev][static_cast<size_t>(DropReason::TxFull)];
        rte_pktmbuf_free(m);
    }
}

// ---------------------------------------------------------------------------------------------
// The worker loop.

// The burst in stages (VPP/DPDK style) so the memory of one packet loads while another is
// processed: 1. parse every packet (fast::parse4, else fast::parse6 or the full parser), hash
// its key and prefetch its index bucket; 2. compare signatures in the bucket and prefetch the
// likely entry's key and hot session; 3. confirm the key and apply: generation epoch, counters,
// TCP state, the L2 rewrite in line (anything else, misses and drops out of line); 4. transmit,
// in one burst when every packet goes to one device. Counters are added once per burst where
// they are per burst (rx, tx, hits); per-packet state lives in the worker's BurstScratch.
void Datapath::processBurst(WorkerCtx& w, uint16_t dev, rte_mbuf** pkts, uint16_t n,
                            uint64_t now) {
    WorkerStats& st = *w.stats;
    BurstScratch& b = *w.scratch;
    const Device& D = devices_[dev];
    const uint16_t ingress = D.isUplink ? kUplinkIngress : D.policyPort;
    const bool fromUplink = D.isUplink;
    const SessionIndex<FlowKey4>& idx = table_->index4();
    const FlowKey4* const keys = table_->keys4();
    Session* const hot = table_->hot();
    uint64_t wideMask = 0;  // keys without a compact form: the wide table
    uint64_t fullMask = 0;  // layouts in b.lays (not parsed by fast::parse4)
    uint64_t rxBytes = 0;
    unsigned m = 0;
    constexpr unsigned kPrefetch = 4;
    for (unsigned i = 0; i < n && i < kPrefetch; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (unsigned i = 0; i < n; ++i) {
        if (i + kPrefetch < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetch], void*));
        rte_mbuf* mb = pkts[i];
        const uint32_t len = rte_pktmbuf_pkt_len(mb);
        rxBytes += len;
        const auto* data = rte_pktmbuf_mtod(mb, const uint8_t*);
        const uint32_t dataLen = rte_pktmbuf_data_len(mb);
        b.live[m] = mb;
        b.lens[m] = len;
        if (likely(fast::parse4(data, dataLen, ingress, fromUplink, b.k4[m], b.tcpFlags[m]))) {
            const uint32_t h = idx.hash(b.k4[m]);
            b.hashes[m] = h;
            idx.prefetch(h);
            ++m;
            continue;
        }
        PacketLayout& lay = b.lays[m];
        FlowKey& key = b.wide[m];
        if (!fast::parse6(data, dataLen, ingress, fromUplink, key, lay)) {
            DropReason r = parseFrame(data, dataLen, ingress, fromUplink, key, lay);
            if (unlikely(r != DropReason::None)) {
                ++st.drops[dev][static_cast<size_t>(r)];
                rte_pktmbuf_free(mb);
                continue;
            }
            if (unlikely(lay.isArp)) {
                handleArp(w, dev, mb, lay);
                continue;
            }
        }
        b.tcpFlags[m] = lay.tcpFlags;
        fullMask |= uint64_t{1} << m;
        if (compactKey(key, b.k4[m])) {
            b.hashes[m] = idx.hash(b.k4[m]);
            idx.prefetch(b.hashes[m]);
        } else {
            wideMask |= uint64_t{1} << m;
        }
        ++m;
    }
    st.rxPackets[dev] += n;
    st.rxBytes[dev] += rxBytes;
    if (m == 0) return;
    // Stage 2: with the buckets loading, the likely entry of each key by its signature; its
    // key and hot session are prefetched (wide keys are found here, their session prefetched).
    if (likely(wideMask == 0)) {  // every key compact (the common burst): no per-packet test
        for (unsigned i = 0; i < m; ++i) {
            const uint32_t c = idx.peek(b.hashes[i]);
            if (c != kNoSlot) {
                __builtin_prefetch(&keys[c], 0, 3);
                __builtin_prefetch(&hot[c], 1, 3);
            }
            b.cand[i] = c;
        }
    }
    for (unsigned i = 0; i < m && wideMask != 0; ++i) {
        uint32_t c;
        if (!(wideMask >> i & 1)) {
            c = idx.peek(b.hashes[i]);
            if (c != kNoSlot) {
                __builtin_prefetch(&keys[c], 0, 3);
                __builtin_prefetch(&hot[c], 1, 3);
            }
        } else {
            c = table_->findWide(b.wide[i]);
            if (c != kNoSlot) __builtin_prefetch(&hot[c], 1, 3);
        }
        b.cand[i] = c;
    }
    // Stage 3: confirm and apply.
    const uint32_t epoch = generationEpoch();
    unsigned nTx = 0;
    uint32_t firstDev = kNoPort, devDiff = 0;  // all to one device while devDiff == 0
    uint64_t hits = 0, txBytes = 0;
    for (unsigned i = 0; i < m; ++i) {
        rte_mbuf* mb = b.live[i];
        const bool isWide = wideMask >> i & 1;
        uint32_t slot = b.cand[i];
        if (!isWide && unlikely(slot == kNoSlot || !idx.matches(slot, b.k4[i])))
            slot = idx.find(b.k4[i], b.hashes[i]);  // alternative bucket, signature collision
        if (likely(slot != kNoSlot)) {
            ++hits;
            if (unlikely(hot[slot].epoch != epoch)) checkGeneration(w, slot, epoch);
        } else {
            slot = missSlot(w, dev, i, fullMask >> i & 1, isWide, now);
            if (slot == kNoSlot) continue;  // dropped and counted
        }
        Session& s = hot[slot];
        s.packets += 1;
        s.bytes += b.lens[i];
        s.lastSeen = now;
        if (likely(s.flags == kTpSetL2)) {  // local delivery without rewrites: the MACs only
            if (unlikely(s.tcpTracked) && unlikely(!tcpAccept(s, b.tcpFlags[i]))) {
                ++st.drops[dev][static_cast<size_t>(DropReason::TcpInvalidState)];
                rte_pktmbuf_free(mb);
                continue;
            }
            std::memcpy(rte_pktmbuf_mtod(mb, uint8_t*), s.eth, 12);
            txBytes += b.lens[i];
        } else if (!applySlow(w, dev, mb, i, fullMask >> i & 1, slot, txBytes)) {
            continue;  // dropped and counted
        }
        const uint16_t txDev = s.txDev;
        firstDev = nTx == 0 ? txDev : firstDev;
        devDiff |= txDev ^ firstDev;
        b.tx[nTx] = mb;
        b.txDev[nTx] = txDev;
        ++nTx;
    }
    st.hits += hits;
    if (nTx == 0) return;
    if (likely(devDiff == 0)) {
        transmit(w, b.txDev[0], b.tx, static_cast<uint16_t>(nTx), txBytes);
        return;
    }
    // Several destinations: one burst per device, in order of first appearance.
    uint64_t done = 0;
    for (unsigned i = 0; i < nTx; ++i) {
        if (done >> i & 1) continue;
        rte_mbuf* group[kMaxBurst];
        uint16_t k = 0;
        uint64_t bytes = 0;
        for (unsigned j = i; j < nTx; ++j) {
            if (b.txDev[j] != b.txDev[i] || (done >> j & 1)) continue;
            bytes += rte_pktmbuf_pkt_len(b.tx[j]);
            group[k++] = b.tx[j];
            done |= uint64_t{1} << j;
        }
        transmit(w, b.txDev[i], group, k, bytes);
    }
}

// A key not in the table: installed by an earlier packet of this burst, or decided by the slow
// path and installed here. kNoSlot: the packet was dropped (freed and counted).
uint32_t Datapath::missSlot(WorkerCtx& w, uint16_t dev, unsigned i, bool full, bool isWide,
                            uint64_t now) {
    BurstScratch& b = *w.scratch;
    WorkerStats& st = *w.stats;
    // Compact keys were looked up in stage 3 just now, after every earlier packet of this
    // burst was installed; wide keys were looked up in stage 2, before: look again.
    uint32_t slot = isWide ? table_->findWide(b.wide[i]) : kNoSlot;
    if (slot != kNoSlot) {
        ++st.hits;
        return slot;
    }
    ++st.misses;
    const uint64_t t0 = rte_rdtsc();
    if (!isWide) expandKey(b.k4[i], b.wide[i]);
    const uint8_t dscp = full ? b.lays[i].dscp : fast::ipv4Layout(rte_pktmbuf_mtod(b.live[i], const uint8_t*), 0).dscp;
    Decision d;
    decide(w.id, b.wide[i], b.tcpFlags[i], dscp, d);
    logFlow(w.id, b.wide[i], d);
    DropReason refused = DropReason::None;
    // The burst's compact key is the one to publish under (no second compactKey).
    slot = install(w.id, b.wide[i], d, now, refused, isWide ? nullptr : &b.k4[i]);
    st.slowPathCycles += rte_rdtsc() - t0;
    if (slot == kNoSlot) {
        if (refused != DropReason::SessionTableFull) ++st.uncachedDrops;
        ++st.drops[dev][static_cast<size_t>(refused)];
        rte_pktmbuf_free(b.live[i]);
        return kNoSlot;
    }
    ++st.installs;
    return slot;
}

// The epoch moved since this entry was last checked: re-simulate it if the generation of a
// port whose pipeline decided it moved (VFP 6.3), and remember the epoch.
void Datapath::checkGeneration(WorkerCtx& w, uint32_t slot, uint32_t epoch) {
    const SessionCold& c = table_->cold(slot);
    if ((c.genPort[0] != kNoPort && c.gen[0] != gens_[c.genPort[0]].load(std::memory_order_relaxed)) ||
        (c.genPort[1] != kNoPort && c.gen[1] != gens_[c.genPort[1]].load(std::memory_order_relaxed))) {
        const uint64_t t0 = rte_rdtsc();
        resimulate(w.id, slot);
        w.stats->slowPathCycles += rte_rdtsc() - t0;
        ++w.stats->resimulations;
    }
    table_->at(slot).epoch = epoch;
}

// Every action but the plain L2 rewrite: drop entries, TCP state, NAT, encap and decap. False
// when the packet was dropped (freed and counted).
bool Datapath::applySlow(WorkerCtx& w, uint16_t dev, rte_mbuf* mb, unsigned i, bool full,
                         uint32_t slot, uint64_t& txBytes) {
    BurstScratch& b = *w.scratch;
    WorkerStats& st = *w.stats;
    Session& s = table_->at(slot);
    DropReason why = DropReason::None;
    if (s.flags & kTpDrop) {
        why = s.dropReason;
    } else if (s.tcpTracked && !tcpAccept(s, b.tcpFlags[i])) {
        why = DropReason::TcpInvalidState;
    } else if (s.flags == kTpSetL2) {
        std::memcpy(rte_pktmbuf_mtod(mb, uint8_t*), s.eth, 12);
        txBytes += b.lens[i];
        return true;
    } else {
        const PacketLayout lay =
            full ? b.lays[i] : fast::ipv4Layout(rte_pktmbuf_mtod(mb, const uint8_t*), b.tcpFlags[i]);
        if (applyTransposition(mb, lay, table_->action(slot)) == DropReason::None) {
            txBytes += rte_pktmbuf_pkt_len(mb);
            return true;
        }
        why = DropReason::EncapFailed;
    }
    ++st.drops[dev][static_cast<size_t>(why)];
    rte_pktmbuf_free(mb);
    return false;
}

void Datapath::transmit(WorkerCtx& w, uint16_t out, rte_mbuf** pkts, uint16_t cnt, uint64_t bytes) {
    WorkerStats& st = *w.stats;
    const uint16_t sent = rte_eth_tx_burst(devices_[out].ethPort, static_cast<uint16_t>(w.id), pkts, cnt);
    if (unlikely(sent < cnt)) {
        for (uint16_t j = sent; j < cnt; ++j) {
            bytes -= rte_pktmbuf_pkt_len(pkts[j]);
            rte_pktmbuf_free(pkts[j]);
        }
        st.drops[out][static_cast<size_t>(DropReason::TxFull)] += cnt - sent;
    }
    st.txPackets[out] += sent;
    st.txBytes[out] += bytes;
}

// One pass of a worker over its receive devices; true when any burst was non-empty.
bool Datapath::pollWorker(WorkerCtx& w, uint16_t burst) {
    rte_mbuf* pkts[kMaxBurst];
    bool busy = false;
    for (const WorkerCtx::RxQueue& q : w.rxQueues) {
        uint16_t n = rte_eth_rx_burst(devices_[q.dev].ethPort, q.queue, pkts, burst);
        if (n == 0) continue;
        busy = true;
        uint64_t t0 = rte_rdtsc();
        processBurst(w, q.dev, pkts, n, t0);
        w.stats->busyCycles += rte_rdtsc() - t0;
    }
    ++w.stats->loops;
    if (busy) ++w.stats->busyLoops;
    return busy;
}

uint16_t Datapath::burstSize() const {
    return static_cast<uint16_t>(std::min<unsigned>(cfg_.burst, kMaxBurst));
}

int Datapath::workerMain(unsigned worker) {
    WorkerCtx& w = workers_[worker];
    table_->workerOnline(worker);
    const uint16_t burst = burstSize();
    while (running_.load(std::memory_order_relaxed)) {
        bool busy = pollWorker(w, burst);
        table_->quiescent(worker);
        if (!busy) rte_pause();
    }
    table_->workerOffline(worker);
    return 0;
}

bool Datapath::pollOnce(unsigned worker) {
    if (started_ || worker >= workers_.size()) return false;
    if (inlineWorker_ < 0) {
        table_->workerOnline(worker);
        inlineWorker_ = static_cast<int>(worker);
    } else if (inlineWorker_ != static_cast<int>(worker)) {
        return false;  // one calling thread stands for one worker
    }
    bool busy = pollWorker(workers_[worker], burstSize());
    table_->quiescent(worker);
    return busy;
}

}  // namespace sluice::rt
