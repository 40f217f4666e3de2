// The fast path's view of a packet: the flow key (VFP's unified flow id as hashed and compared
// by the session cache), the byte layout the parser found, and the drop reasons. Plain bytes,
// no DPDK type, so the parser can be fuzzed and unit-tested without EAL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "sluice/abi/sl_abi.h"
#include "sluice/lang/packet.h"

namespace sluice::rt {

// Ingress id in FlowKey::ingress: a policy port index (its VM sent the packet), or this value
// for the uplink (wire side; the packet may be VXLAN from another host or plain).
inline constexpr uint16_t kUplinkIngress = 0xffff;

// 96 bytes, hashed and compared as a whole: every field a rule can match except TCP flags
// (they drive the session's TCP state machine instead) and DSCP (a per-packet marking; the
// `dscp` member stays 0). See runtime/README.md. Addresses are
// in network byte order; IPv4 uses the first 4 bytes. ICMP echo request/reply put the
// identifier in srcPort so each ping stream is its own flow.
struct alignas(16) FlowKey {
    uint8_t srcIp[16];
    uint8_t dstIp[16];
    uint8_t outerSrc[16];
    uint8_t outerDst[16];
    uint8_t srcMac[6];
    uint8_t dstMac[6];
    uint32_t vni;         // host order; 0 when not tunnelled
    uint16_t srcPort;     // host order
    uint16_t dstPort;
    uint16_t etherType;   // of the (inner) frame, host order
    uint16_t ingress;     // port index or kUplinkIngress
    uint8_t proto;
    uint8_t icmpType;
    uint8_t icmpCode;
    uint8_t dscp;
    uint8_t family;       // 0, 4, 6 (lang::Family values)
    uint8_t outerFamily;  // 0 when not tunnelled
    uint8_t pad[2];
};
static_assert(sizeof(FlowKey) == 96);

// The session cache's compact key for IPv4 flows (issue 10): 32 bytes, hashed with four CRC32
// instructions and compared with two SSE compares. It holds exactly the information of a
// FlowKey whose (inner) family is IPv4, whose tunnel, if any, is IPv4 and whose dscp is 0:
// the context holds the MACs (keys without a tunnel: the VM side) or the VNI and outer
// addresses (tunnelled keys, which carry no MACs). compactKey() and expandKey() convert both
// ways; any other key (IPv6, IPv6 tunnels) lives in the wide table keyed by FlowKey. The
// layout follows the frame so the fast parser builds it from four wide loads: ctx = frame
// bytes 0-11 (destination MAC, source MAC), addresses = IPv4 bytes 12-19, ports as on the
// wire (network order; ICMP echo: the identifier in srcPortBe).
struct alignas(16) FlowKey4 {
    uint8_t ctx[12];    // tunnelled 0: dstMac, srcMac; 1: vni (host order), outerSrc, outerDst
    uint16_t ingress;
    uint8_t proto;
    uint8_t tunnelled;
    uint8_t srcIp[4];   // network order
    uint8_t dstIp[4];
    uint16_t srcPortBe;  // network order (FlowKey's srcPort byte-swapped)
    uint16_t dstPortBe;
    uint8_t icmpType;
    uint8_t icmpCode;
    uint8_t pad[2];
};
static_assert(sizeof(FlowKey4) == 32);

// False (and `out` unspecified) when `key` has no compact form.
bool compactKey(const FlowKey& key, FlowKey4& out);
void expandKey(const FlowKey4& key, FlowKey& out);

// Where the parser found things, relative to the frame start (offsets are 0 when absent).
struct PacketLayout {
    uint16_t innerEth = 0;  // start of the (inner) Ethernet header: 0, or after the VXLAN header
    uint16_t l3 = 0;        // (inner) IP header
    uint16_t l4 = 0;        // (inner) TCP/UDP/ICMP header
    uint16_t l3Len = 0;     // IP total length (IPv4) or header + payload (IPv6), capped to frame
    uint8_t tcpFlags = 0;
    uint8_t dscp = 0;       // of the (inner) IP header; not part of the key
    bool tunnelled = false;
    bool isArp = false;
};

// Why a packet was dropped: the list is drop_reasons.def. Stable names (dropReasonName) appear
// in counters, Prometheus, traces and flow-log events.
enum class DropReason : uint8_t {
#define SLUICE_DROP_REASON(name, text, summary) name,
#include "sluice/runtime/drop_reasons.def"
    Count
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::Count);
// "policy_deny", ...; "unknown" out of range.
const char* dropReasonName(DropReason reason);
// One line saying what happened (Prometheus HELP, docs).
const char* dropReasonSummary(DropReason reason);

// Parses one frame. `fromUplink` enables VXLAN decoding (UDP to port 4789): the key then holds
// the tunnel (vni, outer addresses) and the inner headers. Returns DropReason::None on success;
// ARP frames succeed with layout.isArp set and only MACs/etherType filled in the key.
DropReason parseFrame(const uint8_t* data, uint32_t len, uint16_t ingress, bool fromUplink,
                      FlowKey& key, PacketLayout& layout);

// The hit path's parsers (issue 10; inline in runtime/src/fast_parse.h): untagged Ethernet +
// IPv4 without options, not a fragment (parseFast4: the compact key), or IPv6 without
// extension headers (parseFast6: the full key), + TCP, UDP (not VXLAN on the uplink) or
// ICMP/ICMPv6, read with one bounds check for the headers. True when it parsed the frame; then
// parseFrame would accept it with the same layout and key (parseFast4: a key whose compact
// form is `key`). False for everything else (the caller runs parseFrame, which also names the
// drop reason).
bool parseFast4(const uint8_t* data, uint32_t len, uint16_t ingress, bool fromUplink,
                FlowKey4& key, PacketLayout& layout);
bool parseFast6(const uint8_t* data, uint32_t len, uint16_t ingress, bool fromUplink,
                FlowKey& key, PacketLayout& layout);

// Conversions between the key and the policy model's metadata (slow path, trace, tests).
lang::Headers keyToHeaders(const FlowKey& key, uint8_t tcpFlags, uint8_t dscp = 0);
// Writes the fields of `h` into `key` (ingress is left unchanged).
void headersToKey(const lang::Headers& h, FlowKey& key);
// The key of the reply to a packet whose final metadata (as it leaves) is `h`: addresses,
// ports and MACs swapped; ICMP echo request becomes echo reply. `ingress` of the reply.
FlowKey replyKey(const lang::Headers& h, uint16_t ingress, uint16_t icmpId);
std::string formatKey(const FlowKey& key);

// The miss path works on the compiled pipelines' own metadata (sl_meta), with no lang::Headers
// between its stages (issue 10). Each is exactly its Headers counterpart composed with the
// compiler's conversions (RuntimeParser.MetaConversionsAgreeWithHeaders):
//   keyToMeta(k, f, d)   == toMeta(keyToHeaders(k, f, d))
//   canonicalMeta(m)     == toMeta(fromMeta(m))   (addresses of no family zeroed, pad zeroed)
//   replyKey(m, in, id)  == replyKey(fromMeta(m), in, id)
sl_meta keyToMeta(const FlowKey& key, uint8_t tcpFlags, uint8_t dscp = 0);
void keyToMeta(const FlowKey& key, uint8_t tcpFlags, uint8_t dscp, sl_meta& out);
void canonicalMeta(sl_meta& m);
FlowKey replyKey(const sl_meta& m, uint16_t ingress, uint16_t icmpId);
// The ICMP/ICMPv6 type of the answer to `type` (lang::replyHeaders' pairing).
uint8_t answerIcmpType(uint8_t proto, uint8_t type);

}  // namespace sluice::rt
