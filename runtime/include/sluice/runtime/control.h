// The control socket protocol (`sluice ctl`): one JSON request line, one JSON reply, over a
// Unix stream socket created with mode 0600 by `sluice run`.
//   request: {"cmd": "stats"|"sessions"|"trace"|"flush", "format": "text"|"json"|"prometheus",
//             "packet": "...", "port": "...", "dir": "in"|"out", "limit": N}
//   reply:   {"ok": true, "output": "..."} or {"ok": false, "error": "..."}
#pragma once

#include <string>

#include "sluice/support/expected.h"

namespace sluice::rt {

// Sends `requestJson` to the daemon at `socketPath`; returns its raw reply.
Expected<std::string> controlRequest(const std::string& socketPath, const std::string& requestJson);

}  // namespace sluice::rt
