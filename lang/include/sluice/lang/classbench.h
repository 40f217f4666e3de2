// ClassBench filter sets (Taylor and Turner) as Sluice policy text, for conformance tests and
// benchmarks. One rule a line:
//   @SRC/LEN  DST/LEN  SPORT_LO : SPORT_HI  DPORT_LO : DPORT_HI  PROTO/MASK  [FLAGS/MASK]
// The policy has one port `p0` whose only layer `acl` (default deny) holds, on the outbound
// path, one group with one rule per line: `r0`, `r1`, ... in file order, priority = rule number
// (first match wins), action allow. Flags are ignored; a protocol mask of 0x00 means any
// protocol. Every rule matches IPv4 packets only (a rule whose two prefixes are /0 gets
// `src_ip 0.0.0.0/0`, which an IPv6 address does not match).
#pragma once

#include <istream>
#include <string>

#include "sluice/support/expected.h"

namespace sluice::lang {

// Returns the policy text, or an Error naming `sourceName:LINE` of the first bad line. Blank
// lines are skipped and do not count as rules.
Expected<std::string> importClassBench(std::istream& in, const std::string& sourceName);

}  // namespace sluice::lang
