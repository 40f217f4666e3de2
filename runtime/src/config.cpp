// JSON config parsing for `sluice run` (format in docs/operations.md). Every problem is a clear
// error naming the key; nothing here throws past the function.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/runtime/config.h"

namespace sluice::rt {
namespace {

using nlohmann::json;

Expected<lang::IpAddr> ipField(const json& j, const char* what) {
    if (!j.is_string()) return makeError(std::string(what) + ": expected an IP address string");
    auto ip = lang::parseIp(j.get<std::string>());
    if (!ip) return makeError(std::string(what) + ": bad IP address '" + j.get<std::string>() + "'");
    return *ip;
}

Expected<uint64_t> macField(const json& j, const char* what) {
    if (!j.is_string()) return makeError(std::string(what) + ": expected a MAC string");
    auto mac = lang::parseMac(j.get<std::string>());
    if (!mac) return makeError(std::string(what) + ": bad MAC '" + j.get<std::string>() + "'");
    return *mac;
}

// An integer in lo..hi. JSON numbers wider than the field are errors, never narrowed (a
// `workers` of 2^32 + 1 must not become 1).
Expected<uint64_t> uintField(const json& j, const std::string& what, uint64_t lo, uint64_t hi) {
    uint64_t v = j.is_number_unsigned() ? j.get<uint64_t>() : 0;
    if (!j.is_number_unsigned() || v < lo || v > hi) {
        return makeError(what + " must be an integer in " + std::to_string(lo) + ".." +
                         std::to_string(hi));
    }
    return v;
}

Expected<uint64_t> durationField(const json& j, const char* what) {
    if (j.is_number_unsigned()) return j.get<uint64_t>();
    if (j.is_string()) {
        if (auto ms = parseDurationMs(j.get<std::string>())) return *ms;
    }
    return makeError(std::string(what) + ": expected a duration such as \"30s\" or \"100ms\"");
}

}  // namespace

std::optional<uint64_t> parseDurationMs(const std::string& text) {
    if (text.empty()) return std::nullopt;
    size_t i = 0;
    uint64_t v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (v > (1ULL << 40)) return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(text[i++] - '0');
    }
    if (i == 0) return std::nullopt;
    std::string unit = text.substr(i);
    uint64_t scale = unit.empty() || unit == "ms" ? 1
                     : unit == "s"                ? 1000
                     : unit == "m"                ? 60000
                     : unit == "h"                ? 3600000
                                                  : 0;
    if (scale == 0 || v > UINT64_MAX / scale) return std::nullopt;  // unknown unit, overflow
    return v * scale;
}

Expected<DeviceSpec> parseDeviceSpec(const std::string& text) {
    DeviceSpec d;
    d.text = text;
    auto colon = text.find(':');
    std::string kind = text.substr(0, colon);
    std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
    auto needName = [&]() -> Status {
        if (rest.empty()) return makeError("device '" + text + "': missing name after '" + kind + ":'");
        for (char c : rest) {
            if (c == ',' || c == '=' || c == ' ')
                return makeError("device '" + text + "': name may not contain ',', '=' or spaces");
        }
        d.name = rest;
        return {};
    };
    if (kind == "af_packet") {
        d.kind = DeviceSpec::Kind::AfPacket;
        if (auto s = needName(); !s) return s.error();
    } else if (kind == "tap") {
        d.kind = DeviceSpec::Kind::Tap;
        if (auto s = needName(); !s) return s.error();
    } else if (kind == "ring") {
        d.kind = DeviceSpec::Kind::Ring;
        if (auto s = needName(); !s) return s.error();
    } else if (kind == "pci") {
        d.kind = DeviceSpec::Kind::Pci;
        if (auto s = needName(); !s) return s.error();
    } else if (kind == "null" && rest.empty()) {
        d.kind = DeviceSpec::Kind::Null;
    } else if (kind == "pcap") {
        d.kind = DeviceSpec::Kind::Pcap;
        auto c2 = rest.find(':');
        d.rxPcap = rest.substr(0, c2);
        d.txPcap = c2 == std::string::npos ? "" : rest.substr(c2 + 1);
        if (d.rxPcap.empty() && d.txPcap.empty())
            return makeError("device '" + text + "': pcap needs RX.pcap and/or :TX.pcap");
        for (const auto& f : {d.rxPcap, d.txPcap}) {
            if (f.find(',') != std::string::npos)
                return makeError("device '" + text + "': pcap path may not contain ','");
        }
    } else {
        return makeError("device '" + text +
                         "': unknown kind (af_packet:IF, tap:NAME, pcap:RX:TX, ring:NAME, null, "
                         "pci:BDF)");
    }
    return d;
}

Expected<RunConfig> parseRunConfig(const std::string& text, const std::string& baseDir) {
    json j = json::parse(text, nullptr, false, true);
    if (j.is_discarded()) return makeError("config is not valid JSON");
    if (!j.is_object()) return makeError("config must be a JSON object");
    RunConfig c;
    static const char* kKeys[] = {"policy", "slow_path", "workers", "burst", "hugepages", "eal",
                                  "control_socket", "gateway_mac", "ports", "uplink", "hosts",
                                  "vms", "sessions", "file_prefix", "compile_cache"};
    for (auto& [k, v] : j.items()) {
        bool known = false;
        for (const char* key : kKeys) known |= k == key;
        if (!known) return makeError("unknown config key '" + k + "'");
    }
    try {
        if (!j.contains("policy") || !j["policy"].is_string())
            return makeError("'policy' (path of the .sl file) is required");
        std::filesystem::path p = j["policy"].get<std::string>();
        if (p.is_relative() && !baseDir.empty()) p = std::filesystem::path(baseDir) / p;
        c.policyPath = p.lexically_normal().string();
        if (j.contains("slow_path")) {
            c.slowPath = j["slow_path"].get<std::string>();
            if (c.slowPath != "compiled" && c.slowPath != "interpreter" && c.slowPath != "auto")
                return makeError("'slow_path' must be compiled, interpreter or auto");
        }
        if (j.contains("workers")) {
            auto n = uintField(j["workers"], "'workers'", 1, 16);
            if (!n) return n.error();
            c.workers = static_cast<unsigned>(*n);
        }
        if (j.contains("burst")) {
            auto n = uintField(j["burst"], "'burst'", 1, 64);
            if (!n) return n.error();
            c.burst = static_cast<unsigned>(*n);
        }
        if (j.contains("hugepages")) {
            c.hugepages = j["hugepages"].get<std::string>();
            if (c.hugepages != "auto" && c.hugepages != "on" && c.hugepages != "off")
                return makeError("'hugepages' must be auto, on or off");
        }
        if (j.contains("eal")) c.extraEal = j["eal"].get<std::vector<std::string>>();
        if (j.contains("control_socket")) c.controlSocket = j["control_socket"].get<std::string>();
        if (j.contains("file_prefix")) c.filePrefix = j["file_prefix"].get<std::string>();
        if (j.contains("compile_cache")) {
            std::filesystem::path cache = j["compile_cache"].get<std::string>();
            if (!cache.empty() && cache.is_relative() && !baseDir.empty())
                cache = std::filesystem::path(baseDir) / cache;
            c.compileCache = cache.lexically_normal().string();
        }
        if (j.contains("gateway_mac")) {
            auto m = macField(j["gateway_mac"], "gateway_mac");
            if (!m) return m.error();
            c.gatewayMac = *m;
        }
        if (!j.contains("ports") || !j["ports"].is_object() || j["ports"].empty())
            return makeError("'ports' must map each policy port name to a device");
        for (auto& [name, dev] : j["ports"].items()) {
            std::string spec = dev.is_string() ? dev.get<std::string>()
                                               : dev.value("device", std::string());
            auto d = parseDeviceSpec(spec);
            if (!d) return makeError("ports." + name + ": " + d.error().message);
            c.ports.push_back({name, *d});
        }
        if (j.contains("uplink")) {
            const json& u = j["uplink"];
            if (!u.is_object()) return makeError("'uplink' must be an object");
            auto d = parseDeviceSpec(u.value("device", std::string()));
            if (!d) return makeError("uplink: " + d.error().message);
            c.uplink = *d;
            if (!u.contains("address")) return makeError("uplink.address (underlay IP) is required");
            auto a = ipField(u["address"], "uplink.address");
            if (!a) return a.error();
            c.underlay = *a;
            if (u.contains("mac")) {
                auto m = macField(u["mac"], "uplink.mac");
                if (!m) return m.error();
                c.uplinkMac = *m;
            }
            if (u.contains("next_hop_mac")) {
                auto m = macField(u["next_hop_mac"], "uplink.next_hop_mac");
                if (!m) return m.error();
                c.nextHopMac = *m;
            }
        }
        if (j.contains("hosts")) {
            for (const json& h : j["hosts"]) {
                HostEntry e;
                auto a = ipField(h.value("address", json()), "hosts[].address");
                if (!a) return a.error();
                e.address = *a;
                if (h.contains("mac")) {
                    auto m = macField(h["mac"], "hosts[].mac");
                    if (!m) return m.error();
                    e.mac = *m;
                }
                c.hosts.push_back(e);
            }
        }
        if (j.contains("vms")) {
            for (const json& v : j["vms"]) {
                VmEntry e;
                if (v.contains("vni")) {
                    auto n = uintField(v["vni"], "vms[].vni", 0, 0xffffff);
                    if (!n) return n.error();
                    e.vni = static_cast<uint32_t>(*n);
                }
                auto ip = ipField(v.value("ip", json()), "vms[].ip");
                if (!ip) return ip.error();
                auto host = ipField(v.value("host", json()), "vms[].host");
                if (!host) return host.error();
                e.ip = *ip;
                e.host = *host;
                c.vms.push_back(e);
            }
        }
        if (j.contains("sessions")) {
            const json& s = j["sessions"];
            if (s.contains("max_per_port")) {
                auto n = uintField(s["max_per_port"], "sessions.max_per_port", 2, 1u << 22);
                if (!n) return n.error();
                c.sessions.maxPerPort = static_cast<uint32_t>(*n);
            }
            struct {
                const char* key;
                uint64_t* dst;
            } durations[] = {{"tcp_syn_timeout", &c.sessions.tcpSynMs},
                             {"tcp_established_timeout", &c.sessions.tcpEstablishedMs},
                             {"tcp_fin_timeout", &c.sessions.tcpFinMs},
                             {"tcp_time_wait", &c.sessions.tcpTimeWaitMs},
                             {"tcp_closed_timeout", &c.sessions.tcpClosedMs},
                             {"udp_timeout", &c.sessions.udpMs},
                             {"scan_interval", &c.sessions.scanIntervalMs}};
            for (auto& d : durations) {
                if (!s.contains(d.key)) continue;
                auto ms = durationField(s[d.key], d.key);
                if (!ms) return ms.error();
                *d.dst = *ms;
            }
            if (c.sessions.scanIntervalMs == 0) return makeError("sessions.scan_interval must be > 0");
        }
    } catch (const json::exception& e) {
        return makeError(std::string("config: wrong type: ") + e.what());
    }
    return c;
}

Expected<RunConfig> loadRunConfig(const std::string& path) {
    std::ifstream in(path);
    if (!in) return makeError("cannot read config '" + path + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    auto base = std::filesystem::path(path).parent_path().string();
    auto c = parseRunConfig(ss.str(), base);
    if (!c) return makeError(c.error().message, path);
    c->path = path;
    return c;
}

}  // namespace sluice::rt
