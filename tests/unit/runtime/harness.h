// Test harness: one EAL per test process (started lazily inside a test, never while
// gtest_discover_tests lists tests), and a Runtime on ring devices built from examples/run.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "frames.h"
#include "sluice/lang/frontend.h"
#include "sluice/runtime/runtime.h"
#include "pipelines/pipelines.h"

namespace sluice::rt::test {


inline const uint64_t kMacVm1 = 0x0200000a0001ULL;
inline const uint64_t kMacVm2 = 0x0200000a0002ULL;
inline const uint64_t kMacVm3 = 0x0200000a0003ULL;
inline const uint64_t kMacHostB = 0x020000bbbb02ULL;

inline void ensureEal() {
    if (ealInitialised()) return;
    std::vector<std::string> args = {"rt_test", "--lcores=0@0,1@1", "--no-huge", "-m", "512",
                                     "--no-pci", "--no-shconf", "--iova-mode=va",
                                     "--file-prefix=rt_test_" + std::to_string(getpid()),
                                     "--log-level=*:error"};
    Status s = initEal(args);
    ASSERT_TRUE(s.ok()) << s.error().str();
}

inline std::string demoPolicyPath() { return std::string(SLUICE_SOURCE_DIR) + "/examples/run/demo.sl"; }

inline nlohmann::json ringConfig() {
    return nlohmann::json{
        {"policy", demoPolicyPath()},
        {"slow_path", "auto"},
        {"ports", {{"vm1", "ring:a1"}, {"vm2", "ring:a2"}}},
        {"uplink", {{"device", "ring:up"}, {"address", "192.168.100.1"}}},
        {"hosts", {{{"address", "192.168.100.2"}, {"mac", "02:00:00:bb:bb:02"}}}},
        {"vms", {{{"vni", 100}, {"ip", "10.10.0.3"}, {"host", "192.168.100.2"}}}},
        {"sessions", {{"scan_interval", "20ms"}}}};
}

struct Harness {
    std::unique_ptr<Runtime> rt;
    std::shared_ptr<const lang::Policy> policy;

    // `controlSocket`: also serve the config's control_socket (tests of the server).
    explicit Harness(const nlohmann::json& cfgJson, const std::string& slow = "",
                     bool controlSocket = false) {
        ensureEal();
        auto cfg = parseRunConfig(cfgJson.dump(), "");
        EXPECT_TRUE(cfg.ok()) << (cfg.ok() ? "" : cfg.error().str());
        if (!cfg) return;
        if (!slow.empty()) cfg->slowPath = slow;
        lang::Frontend fe;
        policy = fe.loadFile(cfg->policyPath);
        EXPECT_TRUE(policy != nullptr) << "policy " << cfg->policyPath;
        if (!policy) return;
        std::string note;
        auto art = pipelines::makeArtifact(cfg->slowPath, policy, cfg->workers, note);
        EXPECT_TRUE(art.ok());
        if (!art) return;
        auto r = Runtime::create(*cfg, std::move(art.value()));
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().str());
        if (!r) return;
        rt = std::move(r.value());
        Status s = rt->start(controlSocket);
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().str());
    }
    ~Harness() {
        if (rt) {
            EXPECT_TRUE(rt->stop());  // bounded: a stuck worker is an error (runtime.h)
        }
    }

    // Injects frames on `in` and collects what `out` transmits until `expect` frames arrived
    // or 2 s passed (then waits 50 ms more to catch extra frames).
    std::vector<Bytes> exchange(const std::string& in, const std::vector<Bytes>& frames,
                                const std::string& out, size_t expect) {
        EXPECT_TRUE(rt->injectFrames(in, frames));
        std::vector<Bytes> got;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (std::chrono::steady_clock::now() < deadline) {
            for (auto& f : rt->collectFrames(out)) got.push_back(std::move(f));
            if (got.size() >= expect) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        for (auto& f : rt->collectFrames(out)) got.push_back(std::move(f));
        return got;
    }
    // Waits until the worker has consumed all injected frames (rx counter reaches `rx`).
    void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }

    nlohmann::json stats() { return nlohmann::json::parse(rt->statsJson()); }
    nlohmann::json ctl(const nlohmann::json& req) {
        auto r = nlohmann::json::parse(rt->control(req.dump()));
        return r;
    }
    uint64_t drops(const std::string& reason) {
        auto s = stats();
        return s["drops"].value(reason, uint64_t{0});
    }
};

}  // namespace sluice::rt::test
