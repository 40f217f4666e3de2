// The miss path (VFP 6.1, the flow compiler): what the pipelines decide for a new flow and the
// transpositions to cache. decide() runs named stages, VPP next-node style; each leaves the
// packet's next hop (NextHop) or a drop in the Decision:
//   1. ingressStage  the sender's outbound pipeline (VM ingress), or for the uplink the
//                    tunnel check and the local port owning the destination
//   2. inboundStage  the receiving local port's inbound pipeline (when the next hop is one)
//   3. forwardStage  the forward transposition for the egress: deliver to a VM, VXLAN tunnel
//                    to a host, or plain uplink
//   4. pairStage     the reverse entry of a stateful flow (VFP 6.4.1)
// No strings and no allocation here (tests/unit/runtime/miss_alloc_test.cpp counts them);
// `ctl trace` turns a Decision into text afterwards (describeDecision). The stages work on the
// pipelines' own metadata (sl_meta): the key becomes one sl_meta, each pipeline's output is the
// next stage's input in place, and no lang::Headers is made on the way (issue 10).
#include <cstring>
#include <new>
#include <type_traits>

#include "datapath.h"

namespace sluice::rt {
namespace {

using lang::Direction;

constexpr uint8_t kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

// 48-bit MAC <-> 6 bytes in network order, by one byte swap (a byte loop cost ~40 each).
void macBytes(uint64_t mac, uint8_t* b) {
    const uint64_t w = __builtin_bswap64(mac << 16);
    std::memcpy(b, &w, 6);
}
uint64_t macValue(const uint8_t* b) {
    uint64_t v = 0;
    std::memcpy(&v, b, 6);
    return __builtin_bswap64(v) >> 16;
}

// The address of a canonical sl_meta (canonicalMeta) as the policy model holds it.
lang::IpAddr ipOf(const sl_ip& a, uint8_t family) {
    return {static_cast<lang::Family>(family), (static_cast<lang::u128>(a.hi) << 64) | a.lo};
}
sl_ip slIp(const lang::IpAddr& a) {
    return sl_ip{static_cast<uint64_t>(a.value), static_cast<uint64_t>(a.value >> 64)};
}
bool tunnelled(const sl_meta& m) { return m.outer_dst_family != 0; }
lang::IpAddr dstIpOf(const sl_meta& m) { return ipOf(m.dst_ip, m.dst_family); }

Egress hopTo(NextHop hop, uint16_t port) {
    Egress e;
    e.hop = hop;
    e.port = port;
    return e;
}

// Stops the decision with a drop; the stages return its value (false: no further stage).
bool fail(Decision& d, DropReason r, DropDetail why) {
    d.drop = r;
    d.detail = why;
    d.egress = Egress{};
    return false;
}

}  // namespace

const char* dropDetailText(DropDetail d) {
    switch (d) {
#define SLUICE_DETAIL_TEXT(name, text) \
    case DropDetail::name: return text;
        SLUICE_DROP_DETAILS(SLUICE_DETAIL_TEXT)
#undef SLUICE_DETAIL_TEXT
    }
    return "?";
}

// The walk of one packet through the stages.
struct Datapath::Walk {
    Walk(const FlowKey& k, const Pipeline& p, uint8_t tcpFlags, uint8_t dscp)
        : key(k), pl(p), cur(&in), inTunnelled(k.outerFamily != 0) {
        keyToMeta(k, tcpFlags, dscp, in);  // in place (no copy of a returned sl_meta)
    }
    const FlowKey& key;
    const Pipeline& pl;
    sl_meta in;          // as it arrived
    const sl_meta* cur;  // as rewritten so far: `in`, or the last pipeline's output (d.runs)
    bool inTunnelled;
    uint16_t replyIngress = kUplinkIngress;  // where the reply arrives (forwardStage)
};

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
// Next-hop resolution.

// Runs straight into the Decision's record of the run (no sl_result copy); decide() runs at
// most two pipelines (the sender's outbound, the receiver's inbound).
// The output is made canonical (as a round trip through lang::Headers would): it is the next
// stage's input as it is.
const sl_result& Datapath::runPipeline(unsigned worker, Decision& d, uint16_t port, Direction dir,
                                       const sl_meta& in) {
    PipelineRun& run = d.runs[d.nRuns < 2 ? d.nRuns : 1];
    run.port = port;
    run.dir = static_cast<uint8_t>(dir);
    d.pl->slowPath->run(worker, port, dir, in, run.result);  // the pipeline decide() read
    canonicalMeta(run.result.out);
    if (d.nRuns < 2) ++d.nRuns;
    return run.result;
}

// The local port with (vni, dst) as the next pipeline, or a drop.
Egress Datapath::localPortFor(uint32_t vni, const lang::IpAddr& dst) const {
    int lp = findLocalPort(vni, dst, false);
    return lp >= 0 ? hopTo(NextHop::InboundPort, static_cast<uint16_t>(lp)) : Egress{};
}

// A host address: this host (then the local port of the destination) or a VXLAN tunnel.
Egress Datapath::toHost(const lang::IpAddr& addr, uint32_t vni, const lang::IpAddr& dst) const {
    if (addr == cfg_.underlay) return localPortFor(vni, dst);
    Egress e = hopTo(NextHop::Tunnel, kNoPort);
    e.tunnelSrc = cfg_.underlay;
    e.tunnelDst = addr;
    e.vni = vni;
    return e;
}

// An ECMP group member by flow hash and weights (Achelous 5.2).
Egress Datapath::ecmpMember(const Walk& w, const sl_result& r, uint32_t vni) const {
    const auto& groups = w.pl.descriptor->ecmpGroups;
    if (r.out_index >= groups.size()) return {};
    const auto& members = groups[r.out_index].members;
    if (members.empty()) return {};
    uint64_t total = 0;
    for (const auto& mbr : members) total += std::max(1u, mbr.weight);
    uint64_t pick = entropy(w.key) % total;
    for (const auto& mbr : members) {
        uint64_t wt = std::max(1u, mbr.weight);
        if (pick < wt) return toHost(mbr.address, vni, dstIpOf(*w.cur));
        pick -= wt;
    }
    return {};
}

// Where the output of port `p`'s pipeline leads. `inbound`: the inbound pipeline decided (its
// port outputs deliver; no further pipeline runs).
Egress Datapath::resolveOutput(const Walk& w, const sl_result& r, uint16_t p, bool inbound) const {
    const sl_meta& cur = *w.cur;
    const lang::IpAddr dst = dstIpOf(cur);
    const uint32_t vni = ports_[p].vni;
    switch (r.out_kind) {
        case SL_OUT_VM: return hopTo(NextHop::DeliverVm, p);
        case SL_OUT_PORT: {
            if (r.out_index >= ports_.size()) return {};
            const PortInfo& rp = ports_[r.out_index];
            if (rp.dev == kNoPort) {  // a port of another host
                const lang::IpAddr* h = vmHost(rp.vni, dst);
                return h != nullptr ? toHost(*h, rp.vni, dst) : Egress{};
            }
            auto idx = static_cast<uint16_t>(r.out_index);
            return hopTo(inbound ? NextHop::DeliverVm : NextHop::InboundPort, idx);
        }
        case SL_OUT_UPLINK:
            if (inbound) return hopTo(NextHop::DeliverVm, p);
            if (tunnelled(cur)) {
                const lang::IpAddr outerDst = ipOf(cur.outer_dst, cur.outer_dst_family);
                if (outerDst == cfg_.underlay) return localPortFor(cur.vni, dst);
                Egress e = hopTo(NextHop::Tunnel, kNoPort);
                e.tunnelSrc = ipOf(cur.outer_src, cur.outer_src_family);
                e.tunnelDst = outerDst;
                e.vni = cur.vni;
                return e;
            }
            if (Egress e = localPortFor(vni, dst); e.hop != NextHop::Drop) return e;
            if (const lang::IpAddr* h = vmHost(vni, dst)) return toHost(*h, vni, dst);
            return hopTo(NextHop::Uplink, kNoPort);
        case SL_OUT_HOST:
        case SL_OUT_GATEWAY: {
            lang::IpAddr addr;
            addr.family = static_cast<lang::Family>(r.out_family);
            addr.value = (static_cast<lang::u128>(r.out_addr.hi) << 64) | r.out_addr.lo;
            return toHost(addr, tunnelled(cur) ? cur.vni : vni, dst);
        }
        case SL_OUT_ECMP: return ecmpMember(w, r, vni);
        default: return {};  // SL_OUT_DROP and unknown kinds
    }
}

// VXLAN from this host's uplink to `dst` (its MAC from the hosts table), entropy from `key`.
EncapSpec Datapath::encapTo(const lang::IpAddr& src, const lang::IpAddr& dst, uint32_t vni,
                            const FlowKey& key) const {
    EncapSpec spec;
    spec.srcMac = macValue(uplinkMac_);
    spec.dstMac = hostMac(dst);
    spec.src = src;
    spec.dst = dst;
    spec.vni = vni;
    spec.udpSrcPort = entropy(key);
    return spec;
}

// ---------------------------------------------------------------------------------------------
// The stages.

bool Datapath::ingressStage(unsigned worker, Walk& w, Decision& d, Egress& e) {
    if (w.key.ingress != kUplinkIngress) {
        uint16_t p = w.key.ingress;
        d.owner = p;
        const sl_result& r = runPipeline(worker, d, p, Direction::Out, *w.cur);
        if (r.verdict != SL_VERDICT_ALLOW)
            return fail(d, DropReason::PolicyDeny, DropDetail::PolicyDeny);
        w.cur = &r.out;
        e = resolveOutput(w, r, p, false);
        if (e.hop == NextHop::Drop) return fail(d, DropReason::NoRoute, DropDetail::NoRoute);
        return true;
    }
    if (w.inTunnelled && !(ipOf(w.in.outer_dst, w.in.outer_dst_family) == cfg_.underlay))
        return fail(d, DropReason::NotForThisHost, DropDetail::NotForThisHost);
    int local = findLocalPort(w.in.vni, dstIpOf(w.in), !w.inTunnelled);
    if (local < 0) return fail(d, DropReason::NoLocalPort, DropDetail::NoLocalPort);
    d.owner = static_cast<uint16_t>(local);
    e = hopTo(NextHop::InboundPort, static_cast<uint16_t>(local));
    return true;
}

bool Datapath::inboundStage(unsigned worker, Walk& w, Decision& d, Egress& e) {
    const uint16_t p = e.port;
    const sl_result& r = runPipeline(worker, d, p, Direction::In, *w.cur);
    if (r.verdict != SL_VERDICT_ALLOW) return fail(d, DropReason::PolicyDeny, DropDetail::PolicyDeny);
    w.cur = &r.out;
    e = resolveOutput(w, r, p, true);
    if (e.hop == NextHop::Drop) return fail(d, DropReason::NoRoute, DropDetail::NoRoute);
    // A host route back to this host: deliver to that port, no second inbound pipeline.
    if (e.hop == NextHop::InboundPort) e.hop = NextHop::DeliverVm;
    return true;
}

// buildTransposition reads only the inner fields of the output (addresses, ports, DSCP): the
// received tunnel, if any, is stripped (kTpDecap), the egress's own L2 or tunnel is added.
bool Datapath::forwardStage(Walk& w, Decision& d, const Egress& e) {
    const sl_meta& out = *w.cur;
    bool ok = false;
    switch (e.hop) {
        case NextHop::DeliverVm: {
            const PortInfo& port = ports_[e.port];
            uint8_t l2[12];
            macBytes(port.mac, l2);
            macBytes(cfg_.gatewayMac, l2 + 6);
            ok = buildTransposition(w.in, w.inTunnelled, out, l2, nullptr, port.dev, d.fwd);
            w.replyIngress = e.port;
            break;
        }
        case NextHop::Tunnel: {
            if (uplinkDev_ < 0) return fail(d, DropReason::NoRoute, DropDetail::NoUplink);
            EncapSpec spec = encapTo(e.tunnelSrc, e.tunnelDst, e.vni, w.key);
            ok = buildTransposition(w.in, w.inTunnelled, out, nullptr, &spec,
                                    static_cast<uint16_t>(uplinkDev_), d.fwd);
            w.replyIngress = kUplinkIngress;
            break;
        }
        case NextHop::Uplink: {
            if (uplinkDev_ < 0) return fail(d, DropReason::NoRoute, DropDetail::NoUplink);
            uint8_t l2[12];
            macBytes(cfg_.nextHopMac, l2);
            std::memcpy(l2 + 6, uplinkMac_, 6);
            ok = buildTransposition(w.in, w.inTunnelled, out, l2, nullptr,
                                    static_cast<uint16_t>(uplinkDev_), d.fwd);
            w.replyIngress = kUplinkIngress;
            break;
        }
        default: return fail(d, DropReason::NoRoute, DropDetail::NoEgress);
    }
    if (!ok) return fail(d, DropReason::SlowPathError, DropDetail::NotExpressible);
    d.egress = e;
    return true;
}

// The packet as it leaves (inner headers of the last output; the egress's MACs or tunnel): the
// reply key is made from it. Uplink keys carry no MACs.
sl_meta Datapath::delivered(const Walk& w, const Egress& e) const {
    sl_meta m = *w.cur;
    m.vni = 0;
    m.outer_src = m.outer_dst = sl_ip{0, 0};
    m.outer_src_family = m.outer_dst_family = 0;
    m.src_mac = m.dst_mac = 0;
    if (e.hop == NextHop::DeliverVm) {
        m.dst_mac = ports_[e.port].mac;
        m.src_mac = cfg_.gatewayMac;
    } else if (e.hop == NextHop::Tunnel) {
        m.vni = e.vni;
        m.outer_src = slIp(e.tunnelSrc);
        m.outer_dst = slIp(e.tunnelDst);
        m.outer_src_family = static_cast<uint8_t>(e.tunnelSrc.family);
        m.outer_dst_family = static_cast<uint8_t>(e.tunnelDst.family);
    }
    return m;
}

// Session pair for stateful rules, created on the VM side (VFP 6.4.1): the reply, as it will
// arrive at the egress, is turned back into the reply of the original packet.
void Datapath::pairStage(const Walk& w, uint8_t tcpFlags, Decision& d) {
    bool stateful = false;
    uint32_t idle = 0;
    const sl_policy_desc& desc = w.pl.slowPath->descriptor();
    for (unsigned i = 0; i < d.nRuns; ++i) {
        const sl_result& r = d.runs[i].result;
        // The stateful steps among the first n_steps, in order (the last idle timeout wins).
        const unsigned n = std::min<unsigned>(r.n_steps, SL_MAX_STEPS);
        const uint32_t walked = n >= 32 ? ~0u : (1u << n) - 1;
        for (uint32_t m = r.stateful_mask & walked; m != 0; m &= m - 1) {
            const unsigned s = static_cast<unsigned>(__builtin_ctz(m));
            stateful = true;
            uint32_t id = r.step_rule[s];
            if (id < desc.n_rules && desc.rules[id].idle_timeout_ms > 0)
                idle = static_cast<uint32_t>(  // saturated, never wrapped (~49 days)
                    std::min<uint64_t>(desc.rules[id].idle_timeout_ms, UINT32_MAX));
        }
    }
    const sl_meta& in = w.in;
    const FlowKey& key = w.key;
    bool tcp = in.proto == lang::kProtoTcp;
    if (tcp) {
        d.idleMs = static_cast<uint32_t>(idle ? idle : cfg_.sessions.tcpEstablishedMs);
    } else {
        d.idleMs = static_cast<uint32_t>(idle ? idle : cfg_.sessions.udpMs);
    }
    bool synOnly = (tcpFlags & (kTcpSyn | kTcpAck | kTcpRst)) == kTcpSyn;
    if (!stateful || (tcp && !synOnly)) return;
    d.pair = true;
    d.tcpTrack = tcp;
    d.revKey = replyKey(delivered(w, d.egress), w.replyIngress, key.srcPort);
    const bool revTunnelled = d.revKey.outerFamily != 0;
    // Back to the original ingress: its VM (L2 rewrite), its tunnel, or the plain uplink.
    bool ok;
    if (key.ingress != kUplinkIngress) {
        uint8_t l2[12];
        macBytes(ports_[key.ingress].mac, l2);
        macBytes(cfg_.gatewayMac, l2 + 6);
        ok = reverseOf(w, d, revTunnelled, l2, nullptr, ports_[key.ingress].dev);
    } else if (w.inTunnelled) {
        const EncapSpec encap = encapTo(ipOf(in.outer_dst, in.outer_dst_family),
                                        ipOf(in.outer_src, in.outer_src_family), in.vni, key);
        ok = reverseOf(w, d, revTunnelled, nullptr, &encap, static_cast<uint16_t>(uplinkDev_));
    } else {
        uint8_t l2[12];
        macBytes(cfg_.nextHopMac, l2);
        std::memcpy(l2 + 6, uplinkMac_, 6);
        ok = reverseOf(w, d, revTunnelled, l2, nullptr, static_cast<uint16_t>(uplinkDev_));
    }
    if (!ok) d.pair = false;
}

// The reverse transposition is the forward one inverted; it is built from the reply's
// metadata only where the inversion does not apply (invertTransposition).
bool Datapath::reverseOf(const Walk& w, Decision& d, bool revTunnelled, const uint8_t* l2,
                         const EncapSpec* encap, uint16_t txDev) {
    const sl_meta& in = w.in;
    bool ok;
    if (invertTransposition(d.fwd, in, *w.cur, revTunnelled, l2, encap, txDev, d.rev, ok))
        return ok;
    sl_meta revIn;
    keyToMeta(d.revKey, 0, in.dscp, revIn);
    sl_meta revOut = in;  // the reply of the packet as it arrived, without its tunnel
    std::swap(revOut.src_ip, revOut.dst_ip);
    std::swap(revOut.src_family, revOut.dst_family);
    std::swap(revOut.src_port, revOut.dst_port);
    revOut.dscp = revIn.dscp;
    return buildTransposition(revIn, revTunnelled, revOut, l2, encap, txDev, d.rev);
}

void Datapath::decide(unsigned worker, const FlowKey& key, uint8_t tcpFlags, uint8_t dscp,
                      Decision& d) {
    // Default-initialised in place: the members with initialisers are reset; the pipeline
    // results (runs[], ~600 bytes) are not zeroed, only runs[0..nRuns) are ever read.
    static_assert(std::is_trivially_destructible_v<Decision>);
    new (&d) Decision;
    // The pipeline is read once: every stage, the descriptor of the rule steps and the
    // installed session belong to the same generation even when a reload swaps meanwhile.
    const Pipeline* pl = pipes_->current();
    d.pl = pl;
    d.dscp = dscp;
    Walk w(key, *pl, tcpFlags, dscp);
    Egress e;
    if (!ingressStage(worker, w, d, e)) return;
    if (e.hop == NextHop::InboundPort && !inboundStage(worker, w, d, e)) return;
    if (!forwardStage(w, d, e)) return;
    pairStage(w, tcpFlags, d);
}

// Text for `ctl trace` (control path; never called by workers).
std::string Datapath::describeDecision(const Decision& d) const {
    if (d.drop != DropReason::None) return std::string("drop (") + dropDetailText(d.detail) + ")";
    const Egress& e = d.egress;
    switch (e.hop) {
        case NextHop::DeliverVm: return "port:" + ports_[e.port].name;
        case NextHop::Tunnel: return "tunnel:" + e.tunnelDst.str() + " vni " + std::to_string(e.vni);
        case NextHop::Uplink: return "uplink";
        default: return "?";
    }
}

}  // namespace sluice::rt
