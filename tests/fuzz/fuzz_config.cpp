// libFuzzer target for the `sluice run` config loader (runtime/src/config.cpp,
// `parseRunConfig`): any text must give a config or an error, never an exception, a crash or
// a huge allocation. A config that is accepted must hold only values inside the documented
// limits (docs/operations.md), and every number it took from the JSON must be the number
// written there (no silent wrap-around when a wide JSON number is narrowed).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_fail.h"
#include "sluice/runtime/config.h"

namespace {

using nlohmann::json;
using sluice::rt::RunConfig;

[[noreturn]] void fail(const char* what, const std::string& text) {
    sluice::fuzz::fail("fuzz_config", what, text);
}

// The JSON number at `j[key]`, when it is an integer (signed or not).
bool jsonInteger(const json& j, const char* key, __int128& out) {
    if (!j.is_object() || !j.contains(key)) return false;
    const json& v = j[key];
    if (v.is_number_unsigned()) {
        out = v.get<uint64_t>();
        return true;
    }
    if (v.is_number_integer()) {
        out = v.get<int64_t>();
        return true;
    }
    return false;
}

void checkNumber(const json& j, const char* key, uint64_t parsed, const std::string& text) {
    __int128 written = 0;
    if (jsonInteger(j, key, written) && written != static_cast<__int128>(parsed))
        fail((std::string("accepted '") + key + "' differs from the number written").c_str(), text);
}

void checkAccepted(const RunConfig& c, const std::string& text) {
    if (c.workers < 1 || c.workers > 16) fail("workers outside 1..16", text);
    if (c.burst < 1 || c.burst > 64) fail("burst outside 1..64", text);
    if (c.sessions.maxPerPort < 2 || c.sessions.maxPerPort > (1u << 22))
        fail("sessions.max_per_port outside 2..4194304", text);
    if (c.sessions.scanIntervalMs == 0) fail("sessions.scan_interval of 0", text);
    if (c.ports.empty()) fail("no ports", text);
    if (c.policyPath.empty() == c.artifactPath.empty()) fail("not one of policy and artifact", text);
    if (c.slowPath != "compiled" && c.slowPath != "interpreter" && c.slowPath != "auto")
        fail("unknown slow_path accepted", text);
    if (c.hugepages != "auto" && c.hugepages != "on" && c.hugepages != "off")
        fail("unknown hugepages accepted", text);
    for (const auto& v : c.vms) {
        if (v.vni > 0xffffff) fail("VNI of 24 bits or more accepted", text);
    }
    // Numbers narrowed from the JSON must be what was written.
    json j = json::parse(text, nullptr, false, true);
    if (j.is_discarded()) fail("invalid JSON accepted", text);
    checkNumber(j, "workers", c.workers, text);
    checkNumber(j, "burst", c.burst, text);
    if (j.contains("sessions")) checkNumber(j["sessions"], "max_per_port", c.sessions.maxPerPort, text);
    if (j.contains("vms") && j["vms"].is_array() && j["vms"].size() == c.vms.size()) {
        for (size_t i = 0; i < c.vms.size(); ++i) checkNumber(j["vms"][i], "vni", c.vms[i].vni, text);
    }
}

// parseDurationMs must give the exact number of milliseconds or nothing: computed here in
// 128 bits from the same grammar (digits, then "", "ms", "s", "m" or "h").
void checkDuration(const std::string& text) {
    auto ms = sluice::rt::parseDurationMs(text);
    if (!ms) return;
    size_t i = 0;
    unsigned __int128 v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        v = v * 10 + static_cast<unsigned>(text[i++] - '0');
        if (v >> 100) fail("duration accepted with an absurd number of digits", text);
    }
    std::string unit = text.substr(i);
    unsigned __int128 scale = unit == "h" ? 3600000 : unit == "m" ? 60000 : unit == "s" ? 1000 : 1;
    if (i == 0 || (unit != "h" && unit != "m" && unit != "s" && unit != "ms" && !unit.empty()))
        fail("duration accepted outside its grammar", text);
    if (v * scale != *ms) fail("duration wrapped around", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto c = sluice::rt::parseRunConfig(text, "/etc/sluice");
        if (c) {
            checkAccepted(*c, text);
        } else if (c.error().message.empty()) {
            fail("rejected without a message", text);
        }
        // The device and duration parsers on their own, on the raw text.
        (void)sluice::rt::parseDeviceSpec(text);
        checkDuration(text);
    } catch (const std::exception& e) {
        fail((std::string("exception escaped: ") + e.what()).c_str(), text);
    }
    return 0;
}
