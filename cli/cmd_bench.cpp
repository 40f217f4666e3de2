// `sluice bench classify FILE --port P --dir D --packets F [--engine jit|interp] [--json]`:
// lookups per second of one (port, direction) pipeline over a trace (packet text, one a line).
// One warm-up pass, then the median of several timed passes.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/meta.h"
#include "sluice/interp/interpreter.h"

namespace sluice::cli {
namespace {

struct BenchOptions {
    std::string file, port, dir = "out", packets, engine = "jit";
    unsigned passes = 7;
    bool json = false;
};

int runBench(const BenchOptions& o) {
    lang::Frontend frontend(frontendOptions());
    auto policy = loadPolicyOrReport(frontend, o.file, o.json);
    if (!policy) return kExitInputError;
    int port = policy->findPort(o.port);
    if (port < 0) {
        std::cerr << "sluice bench: error: no port named '" << o.port << "'\n";
        return kExitUsage;
    }
    lang::Direction dir = o.dir == "in" ? lang::Direction::In : lang::Direction::Out;
    auto text = readInputOrReport(o.packets, kPacketListLimits);
    if (!text) return kExitInputError;
    std::vector<lang::Headers> hs;
    for (const InputLine& line : packetLines(*text, o.packets)) {
        auto p = lang::parsePacketText(line.text);
        if (!p) {
            std::cerr << line.where << ": error: bad packet: " << p.error().str() << "\n";
            return kExitInputError;
        }
        hs.push_back(p->headers);
    }
    if (hs.empty()) {
        std::cerr << o.packets << ": error: no packets\n";
        return kExitInputError;
    }
    std::vector<double> nsPer;
    using Clock = std::chrono::steady_clock;
    volatile uint64_t sink = 0;
    if (o.engine == "jit") {
        auto compiled = compiler::compile(*policy, {});
        if (!compiled) {
            std::cerr << o.file << ": error: " << compiled.error().str() << "\n";
            return kExitInputError;
        }
        auto burst = (*compiled)->lookupBurst(static_cast<uint32_t>(port), dir);
        std::vector<sl_meta> metas;
        for (const auto& h : hs) metas.push_back(compiler::toMeta(h));
        std::vector<const sl_meta*> ptrs;
        for (const auto& m : metas) ptrs.push_back(&m);
        std::vector<sl_result> out(32);
        auto pass = [&] {
            for (size_t i = 0; i < ptrs.size(); i += 32) {
                uint32_t n = static_cast<uint32_t>(std::min<size_t>(32, ptrs.size() - i));
                burst(ptrs.data() + i, out.data(), n);
                sink = sink + out[0].verdict;
            }
        };
        pass();
        for (unsigned p = 0; p < o.passes; ++p) {
            auto t0 = Clock::now();
            pass();
            nsPer.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(hs.size()));
        }
    } else {
        interp::Interpreter interp(policy);
        auto pass = [&] {
            for (const auto& h : hs) {
                interp.clearSessions();
                sink = sink + static_cast<uint64_t>(interp.evaluate(static_cast<uint32_t>(port), dir, h).verdict);
            }
        };
        pass();
        for (unsigned p = 0; p < o.passes; ++p) {
            auto t0 = Clock::now();
            pass();
            nsPer.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(hs.size()));
        }
    }
    std::sort(nsPer.begin(), nsPer.end());
    double ns = nsPer[nsPer.size() / 2];
    double lps = 1e9 / ns;
    if (o.json) {
        printJson(std::cout, {{"engine", o.engine}, {"packets", hs.size()},
                              {"lookups_per_sec", lps}, {"ns_per_lookup", ns}}, -1);
    } else {
        std::cout << o.engine << ": " << hs.size() << " packets, " << lps << " lookups/s, " << ns
                  << " ns/lookup (median of " << o.passes << " passes)\n";
    }
    return kExitOk;
}

void setupBench(CLI::App& app, int& exitCode) {
    auto o = std::make_shared<BenchOptions>();
    auto* bench = app.add_subcommand("bench", "Benchmarks");
    bench->require_subcommand(1);
    auto* cmd = bench->add_subcommand("classify", "Lookups per second of one pipeline over a trace");
    cmd->add_option("file", o->file, "Policy file (.sl)")->required();
    cmd->add_option("--port", o->port, "Port name")->required();
    cmd->add_option("--dir", o->dir, "in or out")->check(CLI::IsMember({"in", "out"}));
    cmd->add_option("--packets", o->packets, "Trace: packet text, one a line")->required();
    cmd->add_option("--engine", o->engine, "jit or interp")->check(CLI::IsMember({"jit", "interp"}));
    cmd->add_option("--passes", o->passes, "Timed passes (default 7)");
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->callback([o, &exitCode] { exitCode = runBench(*o); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("bench", setupBench);

}  // namespace sluice::cli
