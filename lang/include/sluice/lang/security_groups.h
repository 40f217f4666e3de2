// Security groups as Sluice policy text (`sluice import security-groups`): AWS
// `aws ec2 describe-security-groups` output and OpenStack Neutron security-group JSON, with
// the interfaces that carry them (AWS `describe-network-interfaces`, Neutron `ports`) when
// given.
//
// A security group allows and remembers: every rule becomes `action allow stateful` (replies
// pass through the session pair), everything else is denied in both directions. A group's
// ingress rules are the inbound side of its layer, egress rules the outbound side; the
// remote CIDR is the source of an ingress rule and the destination of an egress one. An
// interface with several groups gets one layer holding a group per security group (one
// allowing rule of any of them lets a packet through, as the clouds do). A rule naming
// another group matches that group's members: the addresses of the given interfaces that
// carry it (a const per referenced group). Without interfaces each group is a layer of its
// own, attached to no port, and group references cannot be resolved.
// What cannot be mapped (prefix lists, address groups, references without interfaces) is
// reported as `FILE:LINE:COL: error:` (I001), or with `lossy` as a warning (I002) with the
// rule left out; a malformed export is I004. docs/import.md gives the whole mapping.
#pragma once

#include <optional>
#include <string>

#include "sluice/lang/diag.h"

namespace sluice::lang {

struct SecurityGroupInput {
    std::string path;  // as the diagnostics name it
    std::string text;
    uint32_t fileId = 0;  // its id in the DiagnosticEngine's source manager
};

struct SecurityGroupImportOptions {
    bool lossy = false;  // unmappable rules: warnings and left out, not errors
    uint32_t vni = 1;    // the VNI of the generated ports (the exports do not carry one)
};

// `groups`: the security groups; `interfaces`: the interfaces carrying them (may be absent).
// Returns the policy text, or nullopt when `diags` has errors.
std::optional<std::string> importSecurityGroups(const SecurityGroupInput& groups,
                                                const std::optional<SecurityGroupInput>& interfaces,
                                                const SecurityGroupImportOptions& options,
                                                DiagnosticEngine& diags);

}  // namespace sluice::lang
