// The control socket protocol (`sluice ctl`): one JSON request line, one JSON reply, over a
// Unix stream socket created with mode 0600 by `sluice run`.
//   request: {"cmd": "stats"|"sessions"|"trace"|"flush", "format": "text"|"json"|"prometheus",
//             "packet": "...", "port": "...", "dir": "in"|"out", "limit": N}
//   reply:   {"ok": true, "output": "..."} or {"ok": false, "error": "..."}
#pragma once

#include <string>

#include "sluice/support/expected.h"

namespace sluice::rt {

// Sends `requestJson` to the daemon at `socketPath`; returns its raw reply. The whole
// exchange has a deadline of `timeoutMs` (a reload verifies and compiles: give it minutes).
Expected<std::string> controlRequest(const std::string& socketPath, const std::string& requestJson,
                                     int timeoutMs = 10000);

}  // namespace sluice::rt
