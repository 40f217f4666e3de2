// Flow logs (issue 14 item 4): what the slow path records when a flow is decided by a `log`
// rule, has an audit would-deny, or (all_drops) is dropped, and how it is written out.
//
// Workers fill a fixed-size FlowLogEvent at session creation and push it into their own
// bounded single-producer ring (flow_log_ring.h): a full ring counts `flow_log_dropped` and
// never blocks, nothing is allocated. The maintenance thread drains the rings into the
// JSON-lines file (FlowLogFile, size-based rotation) and to `ctl monitor` subscribers.
// docs/operations.md "Flow logs".
#pragma once

#include <cstdint>
#include <string>

#include "sluice/abi/sl_abi.h"
#include "sluice/support/expected.h"

namespace sluice::rt {

// `flow_log` of the run config.
struct FlowLogConfig {
    std::string path;             // JSON-lines file; "" = no file (monitor only)
    uint64_t maxBytes = 64u << 20;  // rotate before a line would take the file past this
    uint32_t keep = 5;            // rotated files kept: PATH.1 (newest) .. PATH.keep
    bool allDrops = false;        // also every dropped flow, with its drop reason
    uint32_t ringEntries = 4096;  // per worker, a power of two
    uint32_t maxMonitors = 8;     // `ctl monitor` subscribers at once
    uint32_t monitorBufferBytes = 256u << 10;  // per subscriber, before overflow is counted
};

inline constexpr uint8_t kFlowLogged = 1;  // a `log` rule decided
inline constexpr uint8_t kFlowAudit = 2;   // an audit layer would have denied
inline constexpr uint8_t kFlowDrop = 4;    // dropped (verdict deny), see dropReason
inline constexpr uint16_t kFlowNoLayer = 0xffff;
inline constexpr uint16_t kFlowUplink = 0xffff;  // port of a packet decided before any pipeline

// One decision, as a worker records it. Plain data, 80 bytes.
struct FlowLogEvent {
    uint64_t timeNs = 0;  // CLOCK_REALTIME
    sl_ip src{}, dst{};
    uint32_t vni = 0;
    uint32_t rule = SL_NO_RULE;       // deciding rule: global id of the descriptor's rules
    uint32_t auditRule = SL_NO_RULE;  // the rule of the first audit would-deny (or default)
    uint16_t port = kFlowUplink;      // policy port whose pipeline decided
    uint16_t layer = kFlowNoLayer;    // Policy layer index of the deciding step
    uint16_t auditLayer = kFlowNoLayer;
    uint16_t srcPort = 0, dstPort = 0;
    uint8_t family = 0;     // SL_FAMILY_*
    uint8_t proto = 0;
    uint8_t direction = 0;  // SL_DIR_*
    uint8_t verdict = SL_VERDICT_DENY;
    uint8_t dropReason = 0;  // DropReason
    uint8_t flags = 0;       // kFlow*
    uint8_t pad[8] = {};
};
static_assert(sizeof(FlowLogEvent) == 80, "FlowLogEvent is a fixed-size record");

// Whether a pipeline result is to be logged (a logged step or an audit would-deny), and the
// event's decision fields from it: for a deny the last step walked (the layer that denied; after
// a route drop the last layer), for an allow the last logged step, else the last step; `entry`
// gives the steps' layers.
bool flowLogWanted(const sl_result& r);
void fillDecision(FlowLogEvent& e, const sl_result& r, const sl_entry& entry);

// One JSON object (snake_case keys, schema_version 1, no newline) and one text line, with the
// port, layer, group and rule names of the descriptor. `desc` may be null (ids only).
std::string flowLogJson(const FlowLogEvent& e, const sl_policy_desc* desc);
std::string flowLogText(const FlowLogEvent& e, const sl_policy_desc* desc);

}  // namespace sluice::rt
