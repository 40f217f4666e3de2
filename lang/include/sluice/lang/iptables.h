// iptables-save / ip6tables-save (filter table) as Sluice policy text (`sluice import iptables`).
//
// The host's INPUT chain becomes the inbound side of a port (default name `host`), OUTPUT its
// outbound side; user chains reached by -j/-g are inlined in first-match order; chain policies
// become layer defaults. Interfaces named by -i (INPUT) or -o (OUTPUT) become ports of their own,
// each with its own layer; `lo` never carries vSwitch traffic. Everything that cannot be mapped
// exactly is reported as `FILE:LINE:COL: error:` (I001), or with `lossy` as a warning (I002) with
// the rule left out; approximations that keep every verdict of a flow's first packet are notes
// (I003). docs/import.md gives the whole mapping.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/diag.h"

namespace sluice::lang {

struct IptablesImportOptions {
    std::string portName = "host";  // the port for traffic of interfaces no rule names
    bool lossy = false;             // unmappable rules: warnings and left out, not errors
};

struct IptablesInput {
    std::string path;  // as the diagnostics name it
    std::string text;
};

// One or more files (an iptables-save and an ip6tables-save file of one host may be given
// together; each file's family is read from its addresses and header). Returns the policy text,
// or nullopt when `diags` has errors. Every diagnostic names a line of one of the inputs, which
// are added to `diags`' source manager by the caller (`fileIds[i]` is the id of `inputs[i]`).
std::optional<std::string> importIptables(const std::vector<IptablesInput>& inputs,
                                          const std::vector<uint32_t>& fileIds,
                                          const IptablesImportOptions& options,
                                          DiagnosticEngine& diags);

}  // namespace sluice::lang
