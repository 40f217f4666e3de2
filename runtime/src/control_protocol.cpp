// Control request parsing and reply framing (control_protocol.h).
#include "control_protocol.h"

#include <nlohmann/json.hpp>

namespace sluice::rt {

using nlohmann::json;

std::string controlReply(bool ok, const std::string& text) {
    json j;
    j["ok"] = ok;
    j[ok ? "output" : "error"] = text;
    return j.dump() + "\n";
}

Expected<ControlRequest> parseControlRequest(std::string_view request) {
    json req = json::parse(request, nullptr, false);
    if (req.is_discarded() || !req.is_object() || !req.contains("cmd") || !req["cmd"].is_string())
        return makeError("bad request: expected {\"cmd\": ...}");
    // Members of the wrong type are errors with the JSON library's message.
    try {
        ControlRequest r;
        std::string cmd = req["cmd"];
        r.format = req.value("format", std::string("text"));
        if (cmd == "stats") {
            r.cmd = ControlCommand::Stats;
        } else if (cmd == "sessions") {
            r.cmd = ControlCommand::Sessions;
            r.limit = req.value("limit", size_t{100});
            r.port = req.value("port", std::string());
        } else if (cmd == "trace") {
            r.cmd = ControlCommand::Trace;
            if (!req.contains("packet")) return makeError("trace needs \"packet\"");
            r.packet = req["packet"].get<std::string>();
            r.port = req.value("port", std::string());
            r.dir = req.value("dir", std::string());
        } else if (cmd == "flush") {
            r.cmd = ControlCommand::Flush;
            r.port = req.value("port", std::string());
        } else if (cmd == "reload") {
            r.cmd = ControlCommand::Reload;
            if (!req.contains("file")) return makeError("reload needs \"file\"");
            r.file = req["file"].get<std::string>();
            if (r.file.empty()) return makeError("reload needs a non-empty \"file\"");
            r.force = req.value("force", false);
            r.dryRun = req.value("dry_run", false);
            r.expect = req.value("expect", std::string());
        } else if (cmd == "rollback") {  // through the same gate as a reload
            r.cmd = ControlCommand::Rollback;
            r.force = req.value("force", false);
            r.dryRun = req.value("dry_run", false);
            r.expect = req.value("expect", std::string());
        } else if (cmd == "history") {
            r.cmd = ControlCommand::History;
        } else if (cmd == "save") {
            r.cmd = ControlCommand::Save;
            r.file = req.value("file", std::string());
        } else if (cmd == "monitor") {
            r.cmd = ControlCommand::Monitor;
            r.op = req.value("op", std::string());
            if (r.op != "subscribe" && r.op != "take" && r.op != "stop")
                return makeError("monitor needs \"op\": subscribe, take or stop");
            r.port = req.value("port", std::string());
            r.verdict = req.value("verdict", std::string());
            if (!r.verdict.empty() && r.verdict != "allow" && r.verdict != "deny")
                return makeError("monitor \"verdict\" must be allow or deny");
            r.id = req.value("id", uint64_t{0});
        } else {
            return makeError("unknown command '" + cmd +
                             "' (stats, sessions, trace, flush, reload, rollback, history, save, "
                             "monitor)");
        }
        return r;
    } catch (const std::exception& e) {
        return makeError(e.what());
    }
}

}  // namespace sluice::rt
