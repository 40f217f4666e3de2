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

using lang::Direction;
using lang::Headers;

constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

void macBytes(uint64_t mac, uint8_t* b) {
    for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(mac >> (40 - 8 * i));
}
uint64_t macValue(const uint8_t* b) {
    uint64_t v = 0;
    for (int i = 0; i < 6; ++i) v = v << 8 | b[i];
    return v;
}

Headers withoutTunnel(Headers h) {
    h.vni = 0;
    h.outerSrc = {};
    h.outerDst = {};
    return h;
}

Headers reversed(const Headers& h) {
    Headers r = lang::replyHeaders(h);
    r.tcpFlags = 0;
    return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Lookups used by the slow path (control data, immutable while running).

int Datapath::findLocalPort(uint32_t vni, const lang::IpAddr& ip, bool anyVni) const {
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (ports_[i].dev == kNoPort) continue;  // bound on another host
        if (!anyVni && ports_[i].vni != vni) continue;
        for (const auto& a : ports_[i].ips) {
            if (a == ip) return static_cast<int>(i);
        }
    }
    return -1;
}

const lang::IpAddr* Datapath::vmHost(uint32_t vni, const lang::IpAddr& ip) const {
    for (const auto& v : cfg_.vms) {
        if (v.vni == vni && v.ip == ip) return &v.host;
    }
    return nullptr;
}

uint64_t Datapath::hostMac(const lang::IpAddr& host) const {
    for (const auto& h : cfg_.hosts) {
        if (h.address == host) return h.mac;
    }
    return 0xffffffffffffULL;
}

uint16_t Datapath::entropy(const FlowKey& key) const {
    // VXLAN source port from the inner flow (RFC 7348 5): 49152-65535.
    uint32_t h = 2166136261u;
    const auto* b = reinterpret_cast<const uint8_t*>(&key);
    for (size_t i = 0; i < offsetof(FlowKey, srcMac); ++i) h = (h ^ b[i]) * 16777619u;
    h ^= key.srcPort * 31u + key.dstPort + key.proto;
    return static_cast<uint16_t>(49152 + (h % 16384));
}

// ---------------------------------------------------------------------------------------------
// The decision: compose the pipelines a packet goes through and the transposition to apply.

void Datapath::runPipeline(unsigned worker, Decision& d, uint16_t port, Direction dir,
                           const Headers& in, sl_result& out) {
    sl_meta m = headersToMeta(in);
    Pipeline* p = pipeline_.load(std::memory_order_acquire);
    p->slowPath->run(worker, port, dir, m, out);
    if (d.nRuns < 2) {
        d.runs[d.nRuns].port = port;
        d.runs[d.nRuns].dir = static_cast<uint8_t>(dir);
        d.runs[d.nRuns].result = out;
        ++d.nRuns;
    }
}

bool Datapath::decide(unsigned worker, const FlowKey& key, uint8_t tcpFlags, uint8_t dscp,
                      Decision& d, bool describe) {
    d = Decision{};
    const Pipeline* pl = pipeline_.load(std::memory_order_acquire);
    const lang::Policy& policy = *pl->policy;
    Headers in = keyToHeaders(key, tcpFlags, dscp);
    const bool inTunnelled = key.outerFamily != 0;
    Headers cur = in;
    int local = -1;  // port whose inbound pipeline runs next
    // Tunnel egress (when `tunnelTo` is set): VNI and outer addresses.
    bool tunnel = false, rawUplink = false;
    lang::IpAddr tunnelSrc, tunnelDst;
    uint32_t tunnelVni = 0;
    auto fail = [&](DropReason r, const std::string& why) {
        d.drop = r;
        if (describe) d.egress = "drop (" + why + ")";
        return true;
    };
    auto toHost = [&](const lang::IpAddr& addr, uint32_t vni) {
        if (addr == cfg_.underlay) {
            local = findLocalPort(vni, cur.dstIp, false);
            return local >= 0;
        }
        tunnel = true;
        tunnelSrc = cfg_.underlay;
        tunnelDst = addr;
        tunnelVni = vni;
        return true;
    };
    // Resolves an sl_result output from port `p`'s pipeline. Returns false on drop.
    auto resolve = [&](const sl_result& r, uint16_t p, bool inbound) -> bool {
        lang::IpAddr addr;
        addr.family = static_cast<lang::Family>(r.out_family);
        addr.value = (static_cast<lang::u128>(r.out_addr.hi) << 64) | r.out_addr.lo;
        uint32_t vni = ports_[p].vni;
        switch (r.out_kind) {
            case SL_OUT_DROP: return false;
            case SL_OUT_VM: local = -2; d.owner = d.owner; return true;  // deliver to p's VM
            case SL_OUT_PORT:
                if (r.out_index >= ports_.size()) return false;
                if (ports_[r.out_index].dev == kNoPort) {  // a port of another host
                    const PortInfo& rp = ports_[r.out_index];
                    const lang::IpAddr* h = vmHost(rp.vni, cur.dstIp);
                    return h != nullptr && toHost(*h, rp.vni);
                }
                if (inbound) {
                    local = -3 - static_cast<int>(r.out_index);  // deliver, no more pipelines
                } else {
                    local = static_cast<int>(r.out_index);
                }
                return true;
            case SL_OUT_UPLINK:
                if (inbound) { local = -2; return true; }
                if (cur.tunnelled()) {
                    if (cur.outerDst == cfg_.underlay) {
                        local = findLocalPort(cur.vni, cur.dstIp, false);
                        return local >= 0;
                    }
                    tunnel = true;
                    tunnelSrc = cur.outerSrc;
                    tunnelDst = cur.outerDst;
                    tunnelVni = cur.vni;
                    return true;
                }
                if (int lp = findLocalPort(vni, cur.dstIp, false); lp >= 0) {
                    local = lp;
                    return true;
                }
                if (const lang::IpAddr* h = vmHost(vni, cur.dstIp)) return toHost(*h, vni);
                rawUplink = true;
                return true;
            case SL_OUT_HOST:
            case SL_OUT_GATEWAY:
                return toHost(addr, cur.tunnelled() ? cur.vni : vni);
            case SL_OUT_ECMP: {
                if (r.out_index >= policy.ecmpGroups.size()) return false;
                const auto& members = policy.ecmpGroups[r.out_index].members;
                if (members.empty()) return false;
                uint32_t total = 0;
                for (const auto& mbr : members) total += std::max(1u, mbr.weight);
                uint32_t pick = entropy(key) % total;
                for (const auto& mbr : members) {
                    uint32_t w = std::max(1u, mbr.weight);
                    if (pick < w) return toHost(mbr.address, vni);
                    pick -= w;
                }
                return false;
            }
            default: return false;
        }
    };

    uint16_t deliverPort = kNoPort;
    if (key.ingress != kUplinkIngress) {
        uint16_t p = key.ingress;
        d.owner = p;
        sl_result r;
        runPipeline(worker, d, p, Direction::Out, cur, r);
        if (r.verdict != SL_VERDICT_ALLOW) return fail(DropReason::PolicyDeny, "policy deny");
        cur = metaToHeaders(r.out);
        if (!resolve(r, p, false)) return fail(DropReason::NoRoute, "no route");
        if (local == -2) deliverPort = p;
    } else {
        if (inTunnelled && !(in.outerDst == cfg_.underlay))
            return fail(DropReason::NotForThisHost, "outer destination is not this host");
        local = findLocalPort(in.vni, in.dstIp, !inTunnelled);
        if (local < 0) return fail(DropReason::NoLocalPort, "no local port for destination");
        d.owner = static_cast<uint16_t>(local);
    }
    if (local <= -3) {
        deliverPort = static_cast<uint16_t>(-3 - local);
    } else if (local >= 0) {
        auto p = static_cast<uint16_t>(local);
        tunnel = rawUplink = false;
        local = -1;
        sl_result r;
        runPipeline(worker, d, p, Direction::In, cur, r);
        if (r.verdict != SL_VERDICT_ALLOW) return fail(DropReason::PolicyDeny, "policy deny");
        cur = metaToHeaders(r.out);
        if (!resolve(r, p, true)) return fail(DropReason::NoRoute, "no route");
        if (local == -2) deliverPort = p;
        else if (local <= -3) deliverPort = static_cast<uint16_t>(-3 - local);
        else if (local >= 0) deliverPort = static_cast<uint16_t>(local);  // hairpin host route
    } else if (local == -1 && !tunnel && !rawUplink && deliverPort == kNoPort) {
        return fail(DropReason::NoLocalPort, "no local port for destination");
    }

    // Build the forward transposition and the headers as they leave.
    Headers inner = withoutTunnel(cur);
    Headers delivered;  // as on the wire at egress, for the reply key
    uint16_t replyIngress;
    Headers finalInner = inner;
    if (cur.tunnelled() && !tunnel && deliverPort == kNoPort && !rawUplink) {
        return fail(DropReason::NoRoute, "no egress");
    }
    bool ok = true;
    if (deliverPort != kNoPort) {
        uint8_t l2[12];
        macBytes(ports_[deliverPort].mac, l2);
        macBytes(cfg_.gatewayMac, l2 + 6);
        ok = buildTransposition(in, inTunnelled, finalInner, l2, nullptr, ports_[deliverPort].dev,
                                d.fwd);
        delivered = finalInner;
        delivered.dstMac = ports_[deliverPort].mac;
        delivered.srcMac = cfg_.gatewayMac;
        replyIngress = deliverPort;
        if (describe) d.egress = "port:" + ports_[deliverPort].name;
    } else {
        if (uplinkDev_ < 0) return fail(DropReason::NoRoute, "no uplink configured");
        if (tunnel) {
            EncapSpec e;
            e.srcMac = macValue(uplinkMac_);
            e.dstMac = hostMac(tunnelDst);
            e.src = tunnelSrc;
            e.dst = tunnelDst;
            e.vni = tunnelVni;
            e.udpSrcPort = entropy(key);
            ok = buildTransposition(in, inTunnelled, finalInner, nullptr, &e,
                                    static_cast<uint16_t>(uplinkDev_), d.fwd);
            delivered = finalInner;
            delivered.vni = tunnelVni;
            delivered.outerSrc = tunnelSrc;
            delivered.outerDst = tunnelDst;
            if (describe) d.egress = "tunnel:" + tunnelDst.str() + " vni " + std::to_string(tunnelVni);
        } else {
            uint8_t l2[12];
            macBytes(cfg_.nextHopMac, l2);
            std::memcpy(l2 + 6, uplinkMac_, 6);
            ok = buildTransposition(in, inTunnelled, finalInner, l2, nullptr,
                                    static_cast<uint16_t>(uplinkDev_), d.fwd);
            delivered = finalInner;
            if (describe) d.egress = "uplink";
        }
        delivered.srcMac = delivered.dstMac = 0;  // uplink keys carry no MACs
        replyIngress = kUplinkIngress;
    }
    if (!ok) return fail(DropReason::SlowPathError, "transposition not expressible");

    // Session pair for stateful rules, created on the VM side (VFP 6.4.1): the reply, as it
    // will arrive at the egress, is turned back into the reply of the original packet.
    bool stateful = false;
    uint32_t idle = 0;
    const sl_policy_desc& desc = pl->slowPath->descriptor();
    for (unsigned i = 0; i < d.nRuns; ++i) {
        const sl_result& r = d.runs[i].result;
        for (unsigned s = 0; s < r.n_steps && s < SL_MAX_STEPS; ++s) {
            if (!(r.stateful_mask >> s & 1)) continue;
            stateful = true;
            uint32_t id = r.step_rule[s];
            if (id < desc.n_rules && desc.rules[id].idle_timeout_ms > 0)
                idle = static_cast<uint32_t>(desc.rules[id].idle_timeout_ms);
        }
    }
    bool tcp = in.proto == lang::kProtoTcp;
    if (tcp) {
        d.idleMs = static_cast<uint32_t>(idle ? idle : cfg_.sessions.tcpEstablishedMs);
    } else {
        d.idleMs = static_cast<uint32_t>(idle ? idle : cfg_.sessions.udpMs);
    }
    bool synOnly = (tcpFlags & (kTcpSyn | kTcpAck | kTcpRst)) == kTcpSyn;
    if (stateful && (!tcp || synOnly)) {
        d.pair = true;
        d.tcpTrack = tcp;
        d.revKey = replyKey(delivered, replyIngress, key.srcPort);
        Headers revIn = keyToHeaders(d.revKey, 0, in.dscp);
        Headers revOut = reversed(withoutTunnel(in));
        revOut.dscp = revIn.dscp;
        bool revTunnelled = d.revKey.outerFamily != 0;
        if (key.ingress != kUplinkIngress) {
            uint8_t l2[12];
            macBytes(ports_[key.ingress].mac, l2);
            macBytes(cfg_.gatewayMac, l2 + 6);
            ok = buildTransposition(revIn, revTunnelled, revOut, l2, nullptr,
                                    ports_[key.ingress].dev, d.rev);
        } else if (inTunnelled) {
            EncapSpec e;
            e.srcMac = macValue(uplinkMac_);
            e.dstMac = hostMac(in.outerSrc);
            e.src = in.outerDst;
            e.dst = in.outerSrc;
            e.vni = in.vni;
            e.udpSrcPort = entropy(key);
            ok = buildTransposition(revIn, revTunnelled, revOut, nullptr, &e,
                                    static_cast<uint16_t>(uplinkDev_), d.rev);
        } else {
            uint8_t l2[12];
            macBytes(cfg_.nextHopMac, l2);
            std::memcpy(l2 + 6, uplinkMac_, 6);
            ok = buildTransposition(revIn, revTunnelled, revOut, l2, nullptr,
                                    static_cast<uint16_t>(uplinkDev_), d.rev);
        }
        if (!ok) d.pair = false;
    }
    return true;
}

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
    c.nSteps = 0;
    for (unsigned i = 0; i < d.nRuns; ++i) {
        const sl_result& r = d.runs[i].result;
        const sl_entry* e = sl_policy_entry(&pipeline_.load()->slowPath->descriptor(),
                                            d.runs[i].port, d.runs[i].dir);
        for (unsigned st = 0; st < r.n_steps && c.nSteps < kMaxSteps; ++st) {
            SessionStep& step = c.steps[c.nSteps++];
            step.port = d.runs[i].port;
            step.dir = d.runs[i].dir;
            step.layer8 = 0;
            step.layer = static_cast<uint16_t>(e != nullptr && st < e->n_layers ? e->layers[st] : 0xffff);
            step.rule = r.step_rule[st];
        }
    }
}

uint32_t Datapath::install(unsigned, const FlowKey& key, const Decision& d, uint64_t now,
                           DropReason& refused) {
    unsigned n = d.pair ? 2 : 1;
    refused = DropReason::SessionTableFull;
    if (!table_->reserve(d.owner, n)) return kNoSlot;
    uint32_t f = table_->allocSlot();
    uint32_t r = d.pair ? table_->allocSlot() : kNoSlot;
    if (f == kNoSlot || (d.pair && r == kNoSlot)) {
        // Slots are bounded by the budgets; this only happens while reclamation lags.
        if (f != kNoSlot) table_->freeSlot(f);
        if (r != kNoSlot) table_->freeSlot(r);
        table_->unreserve(d.owner, n);
        return kNoSlot;
    }
    Transposition fwd = d.fwd;
    if (d.drop != DropReason::None) {
        fwd = Transposition{};
        fwd.flags = kTpDrop;
        fwd.dropReason = d.drop;
    }
    fillSession(f, key, key, d, fwd, d.pair ? SessionRole::Forward : SessionRole::Single, now);
    if (d.pair) {
        fillSession(r, d.revKey, key, d, d.rev, SessionRole::Reverse, now);
        table_->at(f).pair = r;
        table_->at(r).pair = f;
        if (!table_->publish(r)) {  // r went back to the pool
            table_->freeSlot(f);
            table_->unreserve(d.owner, n);
            return kNoSlot;
        }
    }
    if (!table_->publish(f)) {  // f went back to the pool
        if (d.pair) table_->remove(r);  // its budget is returned when it is reclaimed
        table_->unreserve(d.owner, 1);
        return kNoSlot;
    }
    refused = DropReason::None;
    return f;
}

// A session whose ports' generation moved is re-simulated on its next packet (VFP 6.3). Only
// the worker receiving this direction writes the entry, so the update is in place.
bool Datapath::resimulate(unsigned worker, uint32_t slot) {
    Session& s = table_->at(slot);
    const SessionCold& c = table_->cold(slot);
    Decision d;
    uint8_t flags = s.tcpTracked ? kTcpSyn : 0;
    if (!decide(worker, c.origin, flags, 0, d, false)) return false;
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
    for (unsigned i = 0; i < 2; ++i) {
        if (s.genPort[i] != kNoPort) s.gen[i] = gens_[s.genPort[i]].load(std::memory_order_acquire);
    }
    return true;
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

void Datapath::processBurst(WorkerCtx& w, uint16_t dev, rte_mbuf** pkts, uint16_t n,
                            uint64_t now) {
    WorkerStats& st = *w.stats;
    const Device& D = devices_[dev];
    const uint16_t ingress = D.isUplink ? kUplinkIngress : D.policyPort;
    FlowKey keys[kMaxBurst];
    PacketLayout lays[kMaxBurst];
    const FlowKey* keyPtrs[kMaxBurst];
    rte_mbuf* live[kMaxBurst];
    uint32_t slots[kMaxBurst];
    unsigned m = 0;
    constexpr unsigned kPrefetch = 3;
    for (unsigned i = 0; i < n && i < kPrefetch; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (unsigned i = 0; i < n; ++i) {
        if (i + kPrefetch < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetch], void*));
        rte_mbuf* mb = pkts[i];
        uint32_t len = rte_pktmbuf_pkt_len(mb);
        st.rxBytes[dev] += len;
        DropReason r = parseFrame(rte_pktmbuf_mtod(mb, const uint8_t*), rte_pktmbuf_data_len(mb),
                                  ingress, D.isUplink, keys[m], lays[m]);
        if (unlikely(r != DropReason::None)) {
            ++st.drops[dev][static_cast<size_t>(r)];
            rte_pktmbuf_free(mb);
            continue;
        }
        if (unlikely(lays[m].isArp)) {
            handleArp(w, dev, mb, lays[m]);
            continue;
        }
        keyPtrs[m] = &keys[m];
        live[m] = mb;
        ++m;
    }
    st.rxPackets[dev] += n;
    if (m == 0) return;
    table_->lookupBurst(keyPtrs, m, slots);
    for (unsigned i = 0; i < m; ++i) {
        if (slots[i] != kNoSlot) rte_prefetch0(&table_->at(slots[i]));
    }
    rte_mbuf* txq[kMaxDevices][kMaxBurst];
    uint16_t txn[kMaxDevices];
    uint16_t touched[kMaxDevices];
    unsigned nTouched = 0;
    for (unsigned i = 0; i < m; ++i) {
        rte_mbuf* mb = live[i];
        uint32_t slot = slots[i];
        Session* s = slot != kNoSlot ? &table_->at(slot) : nullptr;
        if (s != nullptr) {
            ++st.hits;
            if (unlikely((s->genPort[0] != kNoPort &&
                          s->gen[0] != gens_[s->genPort[0]].load(std::memory_order_relaxed)) ||
                         (s->genPort[1] != kNoPort &&
                          s->gen[1] != gens_[s->genPort[1]].load(std::memory_order_relaxed)))) {
                uint64_t t0 = rte_rdtsc();
                resimulate(w.id, slot);
                st.slowPathCycles += rte_rdtsc() - t0;
                ++st.resimulations;
            }
        } else if (slot = table_->lookup(keys[i]); slot != kNoSlot) {
            // Installed by an earlier packet of this burst.
            ++st.hits;
            s = &table_->at(slot);
        } else {
            ++st.misses;
            uint64_t t0 = rte_rdtsc();
            Decision d;
            decide(w.id, keys[i], lays[i].tcpFlags, lays[i].dscp, d, false);
            DropReason refused = DropReason::None;
            slot = install(w.id, keys[i], d, now, refused);
            st.slowPathCycles += rte_rdtsc() - t0;
            if (slot == kNoSlot) {
                ++st.drops[dev][static_cast<size_t>(refused)];
                rte_pktmbuf_free(mb);
                continue;
            }
            ++st.installs;
            s = &table_->at(slot);
        }
        s->packets += 1;
        s->bytes += rte_pktmbuf_pkt_len(mb);
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
        if (unlikely(applyTransposition(mb, lays[i], t) != DropReason::None)) {
            ++st.drops[dev][static_cast<size_t>(DropReason::EncapFailed)];
            rte_pktmbuf_free(mb);
            continue;
        }
        uint16_t out = t.txDev;
        bool seen = false;
        for (unsigned k = 0; k < nTouched; ++k) seen |= touched[k] == out;
        if (!seen) {
            touched[nTouched++] = out;
            txn[out] = 0;
        }
        txq[out][txn[out]++] = mb;
    }
    for (unsigned k = 0; k < nTouched; ++k) {
        uint16_t out = touched[k];
        uint16_t cnt = txn[out];
        uint64_t bytes = 0;
        for (uint16_t j = 0; j < cnt; ++j) bytes += rte_pktmbuf_pkt_len(txq[out][j]);
        uint16_t sent = rte_eth_tx_burst(devices_[out].ethPort, static_cast<uint16_t>(w.id),
                                         txq[out], cnt);
        for (uint16_t j = sent; j < cnt; ++j) {
            bytes -= rte_pktmbuf_pkt_len(txq[out][j]);
            rte_pktmbuf_free(txq[out][j]);
        }
        st.txPackets[out] += sent;
        st.txBytes[out] += bytes;
        st.drops[out][static_cast<size_t>(DropReason::TxFull)] += cnt - sent;
    }
}

int Datapath::workerMain(unsigned worker) {
    WorkerCtx& w = workers_[worker];
    table_->workerOnline(worker);
    rte_mbuf* pkts[kMaxBurst];
    const uint16_t burst = static_cast<uint16_t>(std::min<unsigned>(cfg_.burst, kMaxBurst));
    while (running_.load(std::memory_order_relaxed)) {
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
        table_->quiescent(worker);
        if (!busy) rte_pause();
    }
    table_->workerOffline(worker);
    return 0;
}

}  // namespace sluice::rt
