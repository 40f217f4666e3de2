// The worker loop and the decision function: parse a burst, look the keys up in the session
// table in one bulk call, apply cached transpositions to hits, send misses through the slow
// path (which installs a session or a session pair), and transmit per device in bursts.
// No locks, no allocation, no logging here: errors are counters.
#include "datapath.h"

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include <cstring>

namespace sluice::rt {
namespace {

constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Installing sessions.

void Datapath::fillSession(uint32_t slot, const FlowKey& key, const FlowKey& origin,
                           const Decision& d, const Transposition& act, SessionRole role,
                           uint64_t now) {
    Session& s = table_->at(slot);
    SessionCold& c = table_->cold(slot);
    s.act = act;
    s.packets = 0;
    s.bytes = 0;
    s.lastSeen = now;
    s.genPort[0] = s.genPort[1] = kNoPort;
    for (unsigned i = 0; i < d.nRuns && i < 2; ++i) {
        s.genPort[i] = d.runs[i].port;
        s.gen[i] = gens_[d.runs[i].port].load(std::memory_order_acquire);
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
    fillSteps(c, d);
}

// The rule steps of a decision, in stable ids (pipeline_swap.h) of the pipeline that decided.
void Datapath::fillSteps(SessionCold& c, const Decision& d) {
    c.nSteps = 0;
    if (d.pl == nullptr) return;
    const Pipeline& pl = *d.pl;
    for (unsigned i = 0; i < d.nRuns; ++i) {
        const sl_result& r = d.runs[i].result;
        const sl_entry* e = sl_policy_entry(&pl.slowPath->descriptor(), d.runs[i].port, d.runs[i].dir);
        for (unsigned st = 0; st < r.n_steps && st < SL_MAX_STEPS && c.nSteps < kMaxSteps; ++st) {
            SessionStep& step = c.steps[c.nSteps++];
            step.port = d.runs[i].port;
            step.dir = d.runs[i].dir;
            step.layer8 = 0;
            uint32_t layer = e != nullptr && st < e->n_layers ? e->layers[st] : 0xffff;
            step.layer = layer < pl.stableLayer.size() ? pl.stableLayer[layer] : 0xffff;
            uint32_t rule = r.step_rule[st];
            step.rule = rule < pl.stableRule.size() ? pl.stableRule[rule] : SL_NO_RULE;
        }
    }
}

uint32_t Datapath::install(unsigned, const FlowKey& key, const Decision& d, uint64_t now,
                           DropReason& refused) {
    unsigned n = d.pair ? 2 : 1;
    // A drop decision for traffic from the uplink is charged to the uplink's own bounded
    // budget (the drop cache), never to the VM it was addressed to: remote senders must not
    // be able to fill a VM's session budget and lock it out. When the drop cache is full the
    // packet is still dropped for its own reason, only not cached.
    const bool remoteDrop = d.drop != DropReason::None && key.ingress == kUplinkIngress;
    const uint16_t owner = remoteDrop ? kUplinkIngress : d.owner;
    refused = remoteDrop ? d.drop : DropReason::SessionTableFull;
    if (!table_->reserve(owner, n)) return kNoSlot;
    uint32_t f = table_->allocSlot();
    uint32_t r = d.pair ? table_->allocSlot() : kNoSlot;
    if (f == kNoSlot || (d.pair && r == kNoSlot)) {
        // Slots are bounded by the budgets; this only happens while reclamation lags.
        if (f != kNoSlot) table_->freeSlot(f);
        if (r != kNoSlot) table_->freeSlot(r);
        table_->unreserve(owner, n);
        return kNoSlot;
    }
    Transposition fwd = d.fwd;
    if (d.drop != DropReason::None) {
        fwd = Transposition{};
        fwd.flags = kTpDrop;
        fwd.dropReason = d.drop;
    }
    fillSession(f, key, key, d, fwd, d.pair ? SessionRole::Forward : SessionRole::Single, now);
    table_->at(f).owner = owner;
    if (d.pair) {
        fillSession(r, d.revKey, key, d, d.rev, SessionRole::Reverse, now);
        table_->at(f).pair = r;
        table_->at(r).pair = f;
        if (!table_->publish(r)) {  // r went back to the pool
            table_->freeSlot(f);
            table_->unreserve(owner, n);
            return kNoSlot;
        }
    }
    if (!table_->publish(f)) {  // f went back to the pool
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
    if (s.role == SessionRole::Reverse) {
        if (d.drop == DropReason::None && d.pair && std::memcmp(&d.revKey, &c.key, sizeof(FlowKey)) == 0) {
            s.act = d.rev;
        } else {
            s.act = Transposition{};
            s.act.flags = kTpDrop;
            s.act.dropReason = d.drop != DropReason::None ? d.drop : DropReason::PolicyDeny;
        }
    } else if (d.drop != DropReason::None) {
        s.act = Transposition{};
        s.act.flags = kTpDrop;
        s.act.dropReason = d.drop;
    } else {
        s.act = d.fwd;
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
        s.genPort[0] = s.genPort[1] = kNoPort;
        for (unsigned i = 0; i < d.nRuns && i < 2; ++i) s.genPort[i] = d.runs[i].port;
    }
    for (unsigned i = 0; i < 2; ++i) {
        if (s.genPort[i] != kNoPort) s.gen[i] = gens_[s.genPort[i]].load(std::memory_order_acquire);
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
// processed: 1. parse every packet (the IPv4 fast parser, else the full one), hash its key and
// prefetch its index bucket; 2. find every key and prefetch its session; 3. apply: TCP state,
// counters, generation check, transposition (misses go through decide() and install here);
// 4. transmit, in one burst when every packet goes to one device.
void Datapath::processBurst(WorkerCtx& w, uint16_t dev, rte_mbuf** pkts, uint16_t n,
                            uint64_t now) {
    WorkerStats& st = *w.stats;
    const Device& D = devices_[dev];
    const uint16_t ingress = D.isUplink ? kUplinkIngress : D.policyPort;
    const bool fromUplink = D.isUplink;
    FlowKey4 k4[kMaxBurst];
    uint32_t hashes[kMaxBurst];
    PacketLayout lays[kMaxBurst];
    rte_mbuf* live[kMaxBurst];
    uint32_t lens[kMaxBurst];
    uint32_t slots[kMaxBurst];
    FlowKey wide[kMaxBurst];  // keys without a compact form (wideMask)
    uint64_t wideMask = 0;
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
        if (likely(parseFast4(data, dataLen, ingress, fromUplink, k4[m], lays[m]))) {
            hashes[m] = table_->hash4(k4[m]);
            table_->prefetch4(hashes[m]);
        } else {
            DropReason r = parseFrame(data, dataLen, ingress, fromUplink, wide[m], lays[m]);
            if (unlikely(r != DropReason::None)) {
                ++st.drops[dev][static_cast<size_t>(r)];
                rte_pktmbuf_free(mb);
                continue;
            }
            if (unlikely(lays[m].isArp)) {
                handleArp(w, dev, mb, lays[m]);
                continue;
            }
            if (compactKey(wide[m], k4[m])) {
                hashes[m] = table_->hash4(k4[m]);
                table_->prefetch4(hashes[m]);
            } else {
                wideMask |= uint64_t{1} << m;
            }
        }
        live[m] = mb;
        lens[m] = len;
        ++m;
    }
    st.rxPackets[dev] += n;
    st.rxBytes[dev] += rxBytes;
    if (m == 0) return;
    // Stage 2: with the buckets loading, prefetch each likely entry (key and session) by its
    // signature; then compare keys, which are in cache by now.
    for (unsigned i = 0; i < m; ++i) {
        if (!(wideMask >> i & 1)) table_->prefetchEntry4(hashes[i]);
    }
    for (unsigned i = 0; i < m; ++i) {
        uint32_t slot = (wideMask >> i & 1) ? table_->findWide(wide[i])
                                            : table_->find4(k4[i], hashes[i]);
        slots[i] = slot;
        if ((wideMask >> i & 1) && slot != kNoSlot) {
            const auto* p = reinterpret_cast<const char*>(&table_->at(slot));
            rte_prefetch0(p);
            rte_prefetch0(p + 64);
        }
    }
    rte_mbuf* tx[kMaxBurst];
    uint16_t txDev[kMaxBurst];
    unsigned nTx = 0;
    bool oneDevice = true;
    uint64_t hits = 0;
    for (unsigned i = 0; i < m; ++i) {
        rte_mbuf* mb = live[i];
        uint32_t slot = slots[i];
        Session* s;
        if (likely(slot != kNoSlot)) {
            ++hits;
            s = &table_->at(slot);
            if (unlikely((s->genPort[0] != kNoPort &&
                          s->gen[0] != gens_[s->genPort[0]].load(std::memory_order_relaxed)) ||
                         (s->genPort[1] != kNoPort &&
                          s->gen[1] != gens_[s->genPort[1]].load(std::memory_order_relaxed)))) {
                uint64_t t0 = rte_rdtsc();
                resimulate(w.id, slot);
                st.slowPathCycles += rte_rdtsc() - t0;
                ++st.resimulations;
            }
        } else {
            const bool isWide = wideMask >> i & 1;
            slot = isWide ? table_->findWide(wide[i]) : table_->find4(k4[i], hashes[i]);
            if (slot != kNoSlot) {  // installed by an earlier packet of this burst
                ++hits;
            } else {
                ++st.misses;
                uint64_t t0 = rte_rdtsc();
                if (!isWide) expandKey(k4[i], wide[i]);
                Decision d;
                decide(w.id, wide[i], lays[i].tcpFlags, lays[i].dscp, d);
                DropReason refused = DropReason::None;
                slot = install(w.id, wide[i], d, now, refused);
                st.slowPathCycles += rte_rdtsc() - t0;
                if (slot == kNoSlot) {
                    if (refused != DropReason::SessionTableFull) ++st.uncachedDrops;
                    ++st.drops[dev][static_cast<size_t>(refused)];
                    rte_pktmbuf_free(mb);
                    continue;
                }
                ++st.installs;
            }
            s = &table_->at(slot);
        }
        s->packets += 1;
        s->bytes += lens[i];
        s->lastSeen = now;
        const Transposition& t = s->act;
        if (unlikely(t.flags & kTpDrop)) {
            ++st.drops[dev][static_cast<size_t>(t.dropReason)];
            rte_pktmbuf_free(mb);
            continue;
        }
        if (s->tcpTracked && unlikely(!tcpAccept(*s, lays[i].tcpFlags))) {
            ++st.drops[dev][static_cast<size_t>(DropReason::TcpInvalidState)];
            rte_pktmbuf_free(mb);
            continue;
        }
        if (t.flags != kTpSetL2 &&
            unlikely(applyTransposition(mb, lays[i], t) != DropReason::None)) {
            ++st.drops[dev][static_cast<size_t>(DropReason::EncapFailed)];
            rte_pktmbuf_free(mb);
            continue;
        }
        if (t.flags == kTpSetL2) {  // local delivery without rewrites: the MACs only
            std::memcpy(rte_pktmbuf_mtod(mb, uint8_t*), t.eth, 12);
        }
        oneDevice &= nTx == 0 || t.txDev == txDev[0];
        tx[nTx] = mb;
        txDev[nTx] = t.txDev;
        ++nTx;
    }
    st.hits += hits;
    if (nTx == 0) return;
    if (likely(oneDevice)) {
        transmit(w, txDev[0], tx, static_cast<uint16_t>(nTx));
        return;
    }
    // Several destinations: one burst per device, in order of first appearance.
    uint64_t done = 0;
    for (unsigned i = 0; i < nTx; ++i) {
        if (done >> i & 1) continue;
        rte_mbuf* group[kMaxBurst];
        uint16_t k = 0;
        for (unsigned j = i; j < nTx; ++j) {
            if (txDev[j] != txDev[i] || (done >> j & 1)) continue;
            group[k++] = tx[j];
            done |= uint64_t{1} << j;
        }
        transmit(w, txDev[i], group, k);
    }
}

void Datapath::transmit(WorkerCtx& w, uint16_t out, rte_mbuf** pkts, uint16_t cnt) {
    WorkerStats& st = *w.stats;
    uint64_t bytes = 0;
    for (uint16_t j = 0; j < cnt; ++j) bytes += rte_pktmbuf_pkt_len(pkts[j]);
    uint16_t sent = rte_eth_tx_burst(devices_[out].ethPort, static_cast<uint16_t>(w.id), pkts, cnt);
    for (uint16_t j = sent; j < cnt; ++j) {
        bytes -= rte_pktmbuf_pkt_len(pkts[j]);
        rte_pktmbuf_free(pkts[j]);
    }
    st.txPackets[out] += sent;
    st.txBytes[out] += bytes;
    st.drops[out][static_cast<size_t>(DropReason::TxFull)] += cnt - sent;
}

// One pass of a worker over its receive devices; true when any burst was non-empty.
bool Datapath::pollWorker(WorkerCtx& w, uint16_t burst) {
    rte_mbuf* pkts[kMaxBurst];
    bool busy = false;
    for (uint16_t dev : w.rxDevs) {
        uint16_t n = rte_eth_rx_burst(devices_[dev].ethPort, 0, pkts, burst);
        if (n == 0) continue;
        busy = true;
        uint64_t t0 = rte_rdtsc();
        processBurst(w, dev, pkts, n, t0);
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
