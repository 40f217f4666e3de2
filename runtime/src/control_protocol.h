// The control socket's request and reply format, apart from the server and the datapath, so
// that the parsing can be tested and fuzzed as a pure function (tests/fuzz/fuzz_control.cpp).
// One request is one JSON object on one line (runtime/include/sluice/runtime/control.h):
//   {"cmd": "trace", "packet": "tcp 10.0.0.1:1 -> 10.0.0.2:80", "format": "json"}
// parseControlRequest checks the shape and the types; the datapath then runs the command.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sluice/support/expected.h"

namespace sluice::rt {

enum class ControlCommand { Stats, Sessions, Trace, Flush, Reload, Rollback, History, Save, Monitor };

struct ControlRequest {
    ControlCommand cmd = ControlCommand::Stats;
    std::string format = "text";  // "text", "json", "prometheus" (anything else: text)
    std::string port;             // sessions, trace, flush: a port name, "" = all
    std::string packet;           // trace: packet text (sluice/lang/packet.h)
    std::string dir;              // trace: "in", "out" or "" (the packet's own direction)
    size_t limit = 100;           // sessions: entries listed at most
    std::string file;             // reload: policy file; save: state file ("" = configured)
    bool force = false;           // reload, rollback
    bool dryRun = false;          // reload, rollback
    std::string expect;           // reload, rollback: --expect gate file
    // monitor: "subscribe" (port, verdict, format), "take" (id) or "stop" (id).
    std::string op;
    uint64_t id = 0;
    std::string verdict;          // monitor subscribe: "allow", "deny" or "" (both)
};

// Parses one request (the trailing newline, if any, included). The error message is the text
// of the `error` member of the reply.
Expected<ControlRequest> parseControlRequest(std::string_view request);

// The reply line: {"ok": true, "output": TEXT} or {"ok": false, "error": TEXT}, then '\n'.
std::string controlReply(bool ok, const std::string& text);

}  // namespace sluice::rt
