// JSON config parsing for `sluice run` (format and limits in docs/operations.md). Every problem
// is a clear error naming the JSON path of the offending value (syntax errors: line and
// column); every number is range-checked before it is narrowed, every type checked, unknown
// keys rejected at every level; nothing here throws past the function.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/runtime/config.h"
#include "sluice/support/input_file.h"

namespace sluice::rt {
namespace {

using nlohmann::json;

// Documented limits (docs/operations.md, "Config limits").
constexpr uint64_t kMaxWorkers = 16, kMaxBurst = 64;
constexpr uint64_t kMinPerPort = 2, kMaxPerPort = 1u << 22;
constexpr uint64_t kMaxDurationMs = 30ull * 24 * 3600 * 1000;  // 30 days
constexpr uint64_t kMaxScanIntervalMs = 60000;
constexpr size_t kMaxPorts = 30, kMaxHosts = 4096, kMaxVms = 65536, kMaxEalArgs = 64;
constexpr size_t kMaxPathBytes = 4096, kMaxEalArgBytes = 4096, kMaxDeviceBytes = 256;
constexpr size_t kMaxSocketPathBytes = 107;  // sun_path
constexpr size_t kMaxConfigBytes = 1u << 20;

// A JSON value with the path that names it in messages ("sessions.max_per_port",
// "vms[3].vni").
struct At {
    const json& v;
    std::string path;
    At operator[](const char* key) const { return {v.at(key), join(key)}; }
    std::string join(const std::string& key) const { return path.empty() ? key : path + "." + key; }
    At item(size_t i) const { return {v.at(i), path + "[" + std::to_string(i) + "]"}; }
    bool has(const char* key) const { return v.contains(key); }
    Error error(const std::string& what) const { return makeError(path + ": " + what); }
};

std::string typeName(const json& v) { return v.type_name(); }

Status object(const At& a, std::initializer_list<const char*> keys) {
    if (!a.v.is_object()) return a.error("must be an object (got " + typeName(a.v) + ")");
    for (auto& [k, v] : a.v.items()) {
        bool known = false;
        for (const char* key : keys) known |= k == key;
        if (!known) {
            std::string list;
            for (const char* key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
            return makeError(a.join(k) + ": unknown key (known: " + list + ")");
        }
    }
    return {};
}

Status array(const At& a, size_t maxItems, const char* items) {
    if (!a.v.is_array()) return a.error(std::string("must be an array of ") + items);
    if (a.v.size() > maxItems)
        return a.error("at most " + std::to_string(maxItems) + " " + items);
    return {};
}

Expected<uint64_t> number(const At& a, uint64_t lo, uint64_t hi) {
    std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (!a.v.is_number_integer() || (a.v.is_number_integer() && !a.v.is_number_unsigned()))
        return a.error("must be an integer " + range + " (got " + a.v.dump() + ")");
    uint64_t n = a.v.get<uint64_t>();
    if (n < lo || n > hi) return a.error("must be " + range + " (got " + a.v.dump() + ")");
    return n;
}

Expected<std::string> text(const At& a, size_t maxBytes, bool allowEmpty = false) {
    if (!a.v.is_string()) return a.error("must be a string (got " + typeName(a.v) + ")");
    std::string s = a.v.get<std::string>();
    if (s.empty() && !allowEmpty) return a.error("must not be empty");
    if (s.size() > maxBytes) return a.error("longer than " + std::to_string(maxBytes) + " bytes");
    if (s.find('\0') != std::string::npos) return a.error("must not contain NUL");
    return s;
}

Expected<std::string> oneOf(const At& a, std::initializer_list<const char*> values) {
    auto s = text(a, 64);
    if (!s) return s.error();
    std::string list;
    for (const char* v : values) {
        if (*s == v) return s;
        list += (list.empty() ? "" : ", ") + std::string(v);
    }
    return a.error("must be one of " + list + " (got '" + *s + "')");
}

Expected<lang::IpAddr> ipField(const At& a) {
    auto s = text(a, 64);
    if (!s) return s.error();
    auto ip = lang::parseIp(*s);
    if (!ip) return a.error("bad IP address '" + *s + "'");
    return *ip;
}

Expected<uint64_t> macField(const At& a) {
    auto s = text(a, 64);
    if (!s) return s.error();
    auto mac = lang::parseMac(*s);
    if (!mac) return a.error("bad MAC '" + *s + "'");
    return *mac;
}

Expected<uint64_t> durationField(const At& a, uint64_t lo, uint64_t hi) {
    std::optional<uint64_t> ms;
    if (a.v.is_number_unsigned()) ms = a.v.get<uint64_t>();
    if (a.v.is_string()) ms = parseDurationMs(a.v.get<std::string>());
    std::string range = std::to_string(lo) + "ms.." + std::to_string(hi / 1000) + "s";
    if (!ms) return a.error("expected a duration such as \"30s\" or \"100ms\" (" + range + ")");
    if (*ms < lo || *ms > hi) return a.error("must be " + range + " (got " + a.v.dump() + ")");
    return *ms;
}

// 1-based line and column of byte `offset` in `text`.
std::string lineColumn(const std::string& text, size_t offset) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return std::to_string(line) + ":" + std::to_string(col);
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
    } else if (kind == "af_xdp") {
        d.kind = DeviceSpec::Kind::AfXdp;
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
                         "': unknown kind (af_packet:IF, af_xdp:IF, tap:NAME, pcap:RX:TX, ring:NAME, null, "
                         "pci:BDF)");
    }
    return d;
}

Expected<RunConfig> parseRunConfig(const std::string& jsonText, const std::string& baseDir) {
    if (jsonText.size() > kMaxConfigBytes)
        return makeError("config larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    json j;
    try {
        j = json::parse(jsonText, nullptr, true, true);
    } catch (const json::parse_error& e) {
        std::string what = e.what();
        auto pos = what.find("syntax error");
        return makeError("config is not valid JSON: " +
                             (pos == std::string::npos ? what : what.substr(pos)),
                         lineColumn(jsonText, e.byte > 0 ? e.byte - 1 : 0));
    } catch (const std::exception& e) {
        return makeError(std::string("config is not valid JSON: ") + e.what());
    }
    RunConfig c;
    if (!j.is_object()) return makeError("config must be a JSON object");
    if (Status s = object({j, ""}, {"policy", "artifact", "slow_path", "workers", "burst", "hugepages", "eal",
                                    "control_socket", "gateway_mac", "ports", "uplink", "hosts",
                                    "vms", "sessions", "file_prefix", "compile_cache",
                                    "flow_log"});
        !s)
        return s.error();
    try {
        if (j.contains("policy") == j.contains("artifact"))
            return makeError("'policy' (path of the .sl file) is required, or instead 'artifact' "
                             "(an object of `sluice compile --emit obj`, its .desc beside it)");
        const char* key = j.contains("policy") ? "policy" : "artifact";
        auto policy = text({j[key], key}, kMaxPathBytes);
        if (!policy) return policy.error();
        std::filesystem::path p = *policy;
        if (p.is_relative() && !baseDir.empty()) p = std::filesystem::path(baseDir) / p;
        (j.contains("policy") ? c.policyPath : c.artifactPath) = p.lexically_normal().string();
        if (j.contains("slow_path")) {
            auto v = oneOf({j["slow_path"], "slow_path"}, {"compiled", "interpreter", "auto"});
            if (!v) return v.error();
            c.slowPath = *v;
        }
        if (j.contains("workers")) {
            auto v = number({j["workers"], "workers"}, 1, kMaxWorkers);
            if (!v) return v.error();
            c.workers = static_cast<unsigned>(*v);
        }
        if (j.contains("burst")) {
            auto v = number({j["burst"], "burst"}, 1, kMaxBurst);
            if (!v) return v.error();
            c.burst = static_cast<unsigned>(*v);
        }
        if (j.contains("hugepages")) {
            auto v = oneOf({j["hugepages"], "hugepages"}, {"auto", "on", "off"});
            if (!v) return v.error();
            c.hugepages = *v;
        }
        if (j.contains("eal")) {
            At eal{j["eal"], "eal"};
            if (Status st = array(eal, kMaxEalArgs, "strings"); !st) return st.error();
            for (size_t i = 0; i < eal.v.size(); ++i) {
                auto a = text(eal.item(i), kMaxEalArgBytes);
                if (!a) return a.error();
                c.extraEal.push_back(*a);
            }
        }
        if (j.contains("control_socket")) {
            auto v = text({j["control_socket"], "control_socket"}, kMaxSocketPathBytes, true);
            if (!v) return v.error();
            c.controlSocket = *v;
        }
        if (j.contains("file_prefix")) {
            At a{j["file_prefix"], "file_prefix"};
            auto v = text(a, 64);
            if (!v) return v.error();
            for (char ch : *v) {
                if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
                    return a.error("may contain only letters, digits, '_' and '-'");
            }
            c.filePrefix = *v;
        }
        if (j.contains("compile_cache")) {
            auto v = text({j["compile_cache"], "compile_cache"}, kMaxPathBytes, true);
            if (!v) return v.error();
            std::filesystem::path cache = *v;
            if (!cache.empty() && cache.is_relative() && !baseDir.empty())
                cache = std::filesystem::path(baseDir) / cache;
            c.compileCache = cache.lexically_normal().string();
        }
        if (j.contains("gateway_mac")) {
            auto m = macField({j["gateway_mac"], "gateway_mac"});
            if (!m) return m.error();
            c.gatewayMac = *m;
        }
        if (!j.contains("ports") || !j["ports"].is_object() || j["ports"].empty())
            return makeError("'ports' must map each policy port name to a device");
        if (j["ports"].size() > kMaxPorts)
            return makeError("ports: at most " + std::to_string(kMaxPorts) + " ports");
        for (auto& [name, dev] : j["ports"].items()) {
            At a{dev, "ports." + name};
            std::string spec;
            if (dev.is_object()) {
                if (Status s = object(a, {"device"}); !s) return s.error();
                if (!dev.contains("device")) return a.error("needs \"device\"");
                auto v = text(a["device"], kMaxDeviceBytes);
                if (!v) return v.error();
                spec = *v;
            } else {
                auto v = text(a, kMaxDeviceBytes);
                if (!v) return a.error("must be a device string or {\"device\": ...}");
                spec = *v;
            }
            auto d = parseDeviceSpec(spec);
            if (!d) return makeError("ports." + name + ": " + d.error().message);
            for (const PortBinding& b : c.ports) {
                if (b.device.kind == d->kind && d->kind != DeviceSpec::Kind::Null &&
                    b.device.text == d->text)
                    return makeError("ports." + name + ": device " + spec +
                                     " is already bound to port " + b.port);
            }
            c.ports.push_back({name, *d});
        }
        if (j.contains("uplink")) {
            At u{j["uplink"], "uplink"};
            if (Status s = object(u, {"device", "address", "mac", "next_hop_mac"}); !s)
                return s.error();
            if (!u.has("device")) return u.error("needs \"device\"");
            auto spec = text(u["device"], kMaxDeviceBytes);
            if (!spec) return spec.error();
            auto d = parseDeviceSpec(*spec);
            if (!d) return makeError("uplink: " + d.error().message);
            for (const PortBinding& b : c.ports) {
                if (b.device.kind == d->kind && d->kind != DeviceSpec::Kind::Null &&
                    b.device.text == d->text)
                    return makeError("uplink.device: " + *spec + " is already bound to port " +
                                     b.port);
            }
            c.uplink = *d;
            if (!u.has("address")) return makeError("uplink.address (underlay IP) is required");
            auto a = ipField(u["address"]);
            if (!a) return a.error();
            c.underlay = *a;
            if (u.has("mac")) {
                auto m = macField(u["mac"]);
                if (!m) return m.error();
                c.uplinkMac = *m;
            }
            if (u.has("next_hop_mac")) {
                auto m = macField(u["next_hop_mac"]);
                if (!m) return m.error();
                c.nextHopMac = *m;
            }
        }
        if (j.contains("hosts")) {
            At hosts{j["hosts"], "hosts"};
            if (Status st = array(hosts, kMaxHosts, "hosts"); !st) return st.error();
            for (size_t i = 0; i < hosts.v.size(); ++i) {
                At h = hosts.item(i);
                if (Status s = object(h, {"address", "mac"}); !s) return s.error();
                if (!h.has("address")) return h.error("needs \"address\"");
                HostEntry e;
                auto a = ipField(h["address"]);
                if (!a) return a.error();
                e.address = *a;
                if (h.has("mac")) {
                    auto m = macField(h["mac"]);
                    if (!m) return m.error();
                    e.mac = *m;
                }
                c.hosts.push_back(e);
            }
        }
        if (j.contains("vms")) {
            At vms{j["vms"], "vms"};
            if (Status st = array(vms, kMaxVms, "VM entries"); !st) return st.error();
            for (size_t i = 0; i < vms.v.size(); ++i) {
                At v = vms.item(i);
                if (Status s = object(v, {"vni", "ip", "host"}); !s) return s.error();
                if (!v.has("ip") || !v.has("host")) return v.error("needs \"ip\" and \"host\"");
                VmEntry e;
                if (v.has("vni")) {
                    auto n = number(v["vni"], 0, 0xffffff);
                    if (!n) return n.error();
                    e.vni = static_cast<uint32_t>(*n);
                }
                auto ip = ipField(v["ip"]);
                if (!ip) return ip.error();
                auto host = ipField(v["host"]);
                if (!host) return host.error();
                e.ip = *ip;
                e.host = *host;
                c.vms.push_back(e);
            }
        }
        if (j.contains("sessions")) {
            At s{j["sessions"], "sessions"};
            if (Status st = object(s, {"max_per_port", "tcp_syn_timeout",
                                       "tcp_established_timeout", "tcp_fin_timeout",
                                       "tcp_time_wait", "tcp_closed_timeout", "udp_timeout",
                                       "scan_interval"});
                !st)
                return st.error();
            if (s.has("max_per_port")) {
                auto n = number(s["max_per_port"], kMinPerPort, kMaxPerPort);
                if (!n) return n.error();
                c.sessions.maxPerPort = static_cast<uint32_t>(*n);
            }
            struct {
                const char* key;
                uint64_t* dst;
                uint64_t max;
            } durations[] = {{"tcp_syn_timeout", &c.sessions.tcpSynMs, kMaxDurationMs},
                             {"tcp_established_timeout", &c.sessions.tcpEstablishedMs,
                              kMaxDurationMs},
                             {"tcp_fin_timeout", &c.sessions.tcpFinMs, kMaxDurationMs},
                             {"tcp_time_wait", &c.sessions.tcpTimeWaitMs, kMaxDurationMs},
                             {"tcp_closed_timeout", &c.sessions.tcpClosedMs, kMaxDurationMs},
                             {"udp_timeout", &c.sessions.udpMs, kMaxDurationMs},
                             {"scan_interval", &c.sessions.scanIntervalMs, kMaxScanIntervalMs}};
            for (auto& d : durations) {
                if (!s.has(d.key)) continue;
                auto ms = durationField(s[d.key], 1, d.max);
                if (!ms) return ms.error();
                *d.dst = *ms;
            }
        }
        if (j.contains("flow_log")) {
            At f{j["flow_log"], "flow_log"};
            if (Status st = object(f, {"path", "max_bytes", "keep", "all_drops", "ring_entries",
                                       "max_monitors", "monitor_buffer_bytes"});
                !st)
                return st.error();
            FlowLogConfig fl;
            if (f.has("path")) {
                auto v = text(f["path"], kMaxPathBytes);
                if (!v) return v.error();
                std::filesystem::path fp = *v;  // relative to the config file, as policy
                if (fp.is_relative() && !baseDir.empty()) fp = std::filesystem::path(baseDir) / fp;
                fl.path = fp.lexically_normal().string();
            }
            struct {
                const char* key;
                uint64_t lo, hi;
                uint64_t* dst64;
                uint32_t* dst32;
            } numbers[] = {
                {"max_bytes", 4096, uint64_t{1} << 40, &fl.maxBytes, nullptr},
                {"keep", 0, 100, nullptr, &fl.keep},
                {"ring_entries", 64, 1u << 20, nullptr, &fl.ringEntries},
                {"max_monitors", 0, 64, nullptr, &fl.maxMonitors},
                {"monitor_buffer_bytes", 4096, 64u << 20, nullptr, &fl.monitorBufferBytes},
            };
            for (auto& n : numbers) {
                if (!f.has(n.key)) continue;
                auto v = number(f[n.key], n.lo, n.hi);
                if (!v) return v.error();
                if (n.dst64) *n.dst64 = *v;
                if (n.dst32) *n.dst32 = static_cast<uint32_t>(*v);
            }
            if ((fl.ringEntries & (fl.ringEntries - 1)) != 0)
                return f["ring_entries"].error("must be a power of two (got " +
                                               std::to_string(fl.ringEntries) + ")");
            if (f.has("all_drops")) {
                if (!f["all_drops"].v.is_boolean())
                    return f["all_drops"].error("must be true or false (got " +
                                                f["all_drops"].v.dump() + ")");
                fl.allDrops = f["all_drops"].v.get<bool>();
            }
            c.flowLog = fl;
        }
    } catch (const std::exception& e) {  // not expected: every access is checked first
        return makeError(std::string("config: ") + e.what());
    }
    return c;
}

Expected<RunConfig> loadRunConfig(const std::string& path) {
    // The one input reader (support/input_file.h): a regular file, bounded, text; a FIFO or a
    // device is refused, never waited on.
    InputFile file = readInputFile(path, kConfigFileLimits);
    if (!file.ok()) {
        return makeError("cannot read config: " + file.reason,
                         file.line != 0 ? path + ":" + std::to_string(file.line) : path);
    }
    auto base = std::filesystem::path(path).parent_path().string();
    auto c = parseRunConfig(file.text, base);
    if (!c) {
        const Error& e = c.error();
        return makeError(e.message, e.where.empty() ? path : path + ":" + e.where);
    }
    c->path = path;
    return c;
}

}  // namespace sluice::rt
