// A composed header transposition (VFP 6.1): everything the pipeline decided for a flow,
// reduced to what must be done to its bytes, once, at the end. Built on a miss by comparing
// the metadata as it arrived with the metadata as it leaves; applied on every hit.
// Checksums are updated incrementally with deltas computed once per flow (RFC 1624): every
// packet of a flow has the same old values, so the one's-complement difference is a constant.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "sluice/runtime/flow.h"
#include "transposition_build.h"

namespace sluice::rt {

// Applies `t` to `m`, whose parse layout is `lay`. Returns DropReason::None or why it failed.
DropReason applyTransposition(rte_mbuf* m, const PacketLayout& lay, const Transposition& t);

// Full IPv4 header checksum (for tests and templates).
uint16_t ipv4HeaderChecksum(const uint8_t* ip, unsigned len);
// Verifies IPv4 header and TCP/UDP/ICMP checksums of an Ethernet frame (tests). True if all
// present checksums are right.
bool verifyChecksums(const uint8_t* frame, uint32_t len);

}  // namespace sluice::rt
