// The artifact descriptor: the plain data a compiled pipeline needs besides its functions, so
// that the runtime (and an AOT object loaded without its .sl source) never reads the policy
// model (DESIGN.md 2: runtime depends on the C ABI and this descriptor, never on lang).
// What the runtime reads: the ports (name, MAC, VNI, addresses, layer order), the layer names,
// every rule's names and flags under its global rule id (the index into sl_policy_desc.rules),
// and the ECMP groups with their members. Produced by compiler::describe (sluice_compiler),
// serialised next to an AOT object (descriptor_file.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/abi/sl_abi.h"
#include "sluice/lang/packet.h"
#include "sluice/support/expected.h"

namespace sluice::artifact {

struct PortDesc {
    std::string name;
    uint64_t mac = 0;
    uint32_t vni = 0;
    std::vector<lang::IpAddr> ips;
    std::vector<uint32_t> layers;  // layer indexes, VM side first (outbound order)
    bool operator==(const PortDesc&) const = default;
};

// One rule; its global rule id is its index in Descriptor::rules (the compiler's order: layer,
// direction in then out, group, rule).
struct RuleDesc {
    uint32_t layer = 0;  // Descriptor::layers index
    lang::Direction direction = lang::Direction::In;
    std::string group;
    std::string rule;
    uint32_t priority = 0;
    uint64_t idleTimeoutMs = 0;  // stateful rules; 0 = the runtime's default
    bool allow = false;
    bool terminating = false;
    bool stateful = false;
    bool operator==(const RuleDesc&) const = default;
};

struct EcmpMember {
    lang::IpAddr address;
    uint32_t weight = 1;
    bool operator==(const EcmpMember&) const = default;
};

struct EcmpGroup {
    std::string name;
    std::vector<EcmpMember> members;  // sl_result.out_index of SL_OUT_ECMP indexes the groups
    bool operator==(const EcmpGroup&) const = default;
};

struct Descriptor {
    uint64_t policyHash = 0;  // = sl_policy_desc.policy_hash of the code it describes
    // CRC-32C of the AOT object written with it (checked before the object is linked);
    // 0 for code that is not a file (the JIT).
    uint32_t objectCrc = 0;
    std::vector<PortDesc> ports;
    std::vector<std::string> layers;
    std::vector<RuleDesc> rules;
    std::vector<EcmpGroup> ecmpGroups;

    int findPort(std::string_view name) const;  // -1 when absent
    bool operator==(const Descriptor&) const = default;
};

// The limits a descriptor is held to (a file reader refuses anything beyond them, and so does
// check()): far above real policies, small enough that no input makes memory unbounded.
inline constexpr size_t kMaxPorts = 1u << 16;
inline constexpr size_t kMaxLayers = 1u << 16;
inline constexpr size_t kMaxRules = 1u << 22;
inline constexpr size_t kMaxEcmpGroups = 1u << 16;
inline constexpr size_t kMaxListEntries = 1u << 16;  // addresses, layers of a port, members
inline constexpr size_t kMaxNameBytes = 4096;

// Internal consistency: indexes in range, names non-empty and bounded, port names unique.
Status check(const Descriptor& d);
// The descriptor and a compiled pipeline's sl_policy_desc describe the same policy: hash,
// entries (port x direction, port names, layer order) and rules (names, direction, flags).
// A mismatch (an object next to another policy's descriptor) is an error naming the first
// difference. Entry functions may be null (an adapter such as the interpreter has none; the
// runtime's compiled slow path drops such packets).
Status matches(const Descriptor& d, const sl_policy_desc& code);

}  // namespace sluice::artifact
