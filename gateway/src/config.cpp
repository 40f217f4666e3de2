#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "sluice/controller/address.h"
#include "sluice/gateway/process.h"

namespace sluice::gateway {

Expected<GatewayConfig> parseGatewayConfig(const std::string& text, const std::string& path) {
    using nlohmann::json;
    auto err = [&](const std::string& m) { return makeError(path + ": error: " + m); };
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return err("not a JSON object");
    GatewayConfig c;
    static const std::set<std::string> kKeys = {"store", "rsp", "watch_interval_ms", "relay"};
    for (auto& [k, v] : j.items())
        if (!kKeys.count(k)) return err("unknown key '" + k + "'");
    auto uint = [&](const json& o, const char* name, uint64_t lo, uint64_t hi,
                    uint64_t& out) -> Status {
        if (!o.contains(name)) return Status::success();
        const json& v = o[name];
        if (!v.is_number_unsigned() || v.get<uint64_t>() < lo || v.get<uint64_t>() > hi)
            return err(std::string(name) + " must be an integer in " + std::to_string(lo) + " .. " +
                       std::to_string(hi));
        out = v.get<uint64_t>();
        return Status::success();
    };
    if (!j.contains("store") || !j["store"].is_string() || j["store"].get<std::string>().empty())
        return err("'store' (the controller's store file) is required");
    c.store = j["store"].get<std::string>();
    if (c.store[0] != '/') {
        auto dir = std::filesystem::path(path).parent_path();
        c.store = (dir / c.store).string();
    }
    uint64_t v = c.watchIntervalMs;
    if (auto s = uint(j, "watch_interval_ms", 1, 60000, v); !s) return s.error();
    c.watchIntervalMs = static_cast<uint32_t>(v);
    if (!j.contains("rsp") || !j["rsp"].is_object()) return err("'rsp' is required");
    const json& r = j["rsp"];
    static const std::set<std::string> kRsp = {"listen", "port",      "sender",
                                               "keys",   "reply_key", "max_peers"};
    for (auto& [k, val] : r.items())
        if (!kRsp.count(k)) return err("unknown key 'rsp." + k + "'");
    if (r.contains("listen")) {
        if (!r["listen"].is_string() || !controller::parseAddress(r["listen"].get<std::string>()))
            return err("rsp.listen must be an IPv4 or IPv6 address");
        c.listen = r["listen"].get<std::string>();
    }
    v = c.port;
    if (auto s = uint(r, "port", 0, 65535, v); !s) return s.error();
    c.port = static_cast<uint16_t>(v);
    v = c.sender;
    if (auto s = uint(r, "sender", 0, 0xFFFFFFFFu, v); !s) return s.error();
    c.sender = static_cast<uint32_t>(v);
    v = c.maxPeers;
    if (auto s = uint(r, "max_peers", 1, 1u << 20, v); !s) return s.error();
    c.maxPeers = v;
    if (!r.contains("keys") || !r["keys"].is_array() || r["keys"].empty() ||
        r["keys"].size() > rsp::Keyring::kMaxKeys)
        return err("rsp.keys must list 1 .. " + std::to_string(rsp::Keyring::kMaxKeys) + " keys");
    std::set<uint32_t> ids;
    for (const json& k : r["keys"]) {
        if (!k.is_object() || !k.contains("id") || !k["id"].is_number_unsigned() ||
            k["id"].get<uint64_t>() > 0xFFFFFFFFu || !k.contains("key") || !k["key"].is_string() ||
            k.size() != 2)
            return err("each of rsp.keys is {\"id\": N, \"key\": \"HEX\"}");
        uint8_t bytes[rsp::Keyring::kMaxKeyBytes];
        size_t n = rsp::parseHexKey(k["key"].get<std::string>(), bytes);
        if (n == 0) return err("an RSP key is 32 .. 128 hex digits (16 .. 64 bytes)");
        uint32_t id = static_cast<uint32_t>(k["id"].get<uint64_t>());
        if (!ids.insert(id).second) return err("RSP key id " + std::to_string(id) + " twice");
        c.keys.push_back({id, std::vector<uint8_t>(bytes, bytes + n)});
    }
    if (j.contains("relay")) {
        const json& rl = j["relay"];
        if (!rl.is_object()) return err("'relay' must be an object");
        static const std::set<std::string> kRelay = {"listen", "port", "host_port"};
        for (auto& [k, val] : rl.items())
            if (!kRelay.count(k)) return err("unknown key 'relay." + k + "'");
        c.relay = true;
        if (rl.contains("listen")) {
            if (!rl["listen"].is_string() ||
                !controller::parseAddress(rl["listen"].get<std::string>()))
                return err("relay.listen must be an IPv4 or IPv6 address");
            c.relayListen = rl["listen"].get<std::string>();
        }
        v = c.relayPort;
        if (auto s = uint(rl, "port", 0, 65535, v); !s) return s.error();
        c.relayPort = static_cast<uint16_t>(v);
        v = c.hostPort;
        if (auto s = uint(rl, "host_port", 1, 65535, v); !s) return s.error();
        c.hostPort = static_cast<uint16_t>(v);
    }
    c.replyKey = c.keys.front().id;
    if (r.contains("reply_key")) {
        if (!r["reply_key"].is_number_unsigned() ||
            !ids.count(static_cast<uint32_t>(r["reply_key"].get<uint64_t>())))
            return err("rsp.reply_key must be one of the ids in rsp.keys");
        c.replyKey = static_cast<uint32_t>(r["reply_key"].get<uint64_t>());
    }
    return c;
}

}  // namespace sluice::gateway
