// libFuzzer target for the control protocol (runtime/src/control_protocol.h): any request
// line must give a request or an error, never an exception, a crash or a huge allocation;
// the reply built from either must be one line of JSON that reads back as what was sent. A
// trace request's packet goes through the packet-text parser as the daemon does, and its
// error message must make a valid reply too.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "control_protocol.h"
#include "fuzz_fail.h"
#include "sluice/lang/packet.h"

namespace {

using nlohmann::json;

[[noreturn]] void fail(const char* what, const std::string& text) {
    sluice::fuzz::fail("fuzz_control", what, text);
}

void checkReply(bool ok, const std::string& text, const std::string& request) {
    std::string line;
    try {
        line = sluice::rt::controlReply(ok, text);
    } catch (const std::exception& e) {
        fail((std::string("reply cannot be built: ") + e.what()).c_str(), request);
    }
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1)
        fail("reply is not exactly one line", request);
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail("reply is not a JSON object", request);
    const char* member = ok ? "output" : "error";
    if (j.value("ok", !ok) != ok || !j.contains(member) || j[member] != text)
        fail("reply does not read back", request);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string request(reinterpret_cast<const char*>(data), size);
    try {
        auto r = sluice::rt::parseControlRequest(request);
        if (!r) {
            if (r.error().message.empty()) fail("rejected without a message", request);
            checkReply(false, r.error().message, request);
            return 0;
        }
        if (r->cmd == sluice::rt::ControlCommand::Trace) {
            auto pt = sluice::lang::parsePacketText(r->packet);
            if (!pt) checkReply(false, "bad packet: " + pt.error().message, request);
        }
        // Echo every string of the request in a reply, as the daemon's outputs and errors do.
        checkReply(true, r->format + r->port + r->packet + r->dir, request);
    } catch (const std::exception& e) {
        fail((std::string("exception escaped: ") + e.what()).c_str(), request);
    }
    return 0;
}
