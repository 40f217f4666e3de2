// Benchmark of the verifier on imported ClassBench 10K filter sets (bench/verifier/RESULTS.md).
//
//   bench_verifier [--data DIR] [--runs N] [--naive-limit SECONDS] [--diff-limit SECONDS]
//                  [SET...]
//
// DIR defaults to <source>/../shared/bench-data/classbench; SETs default to acl1_10k fw1_10k
// ipc1_10k. For each set: import (lang::importClassBench) and load; all rule checks
// (shadowed, redundant, conflict, unmatchable, defaults) with witness replay, median of N
// runs; the naive per-rule Z3 scan (shadow question only, no geometry) once, stopped after
// --naive-limit seconds; and the diff of the set against a copy with 5 rules changed (3
// actions flipped to deny, 2 rules deleted), median of N runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "sluice/lang/classbench.h"
#include "sluice/lang/frontend.h"
#include "sluice/verify/diff.h"
#include "sluice/verify/verifier.h"

using namespace sluice;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

std::shared_ptr<const lang::Policy> loadText(const std::string& name, const std::string& text) {
    lang::FrontendOptions fo;
    fo.warnings = false;
    lang::Frontend fe(fo);
    auto p = fe.loadString(name, text);
    if (!p) fe.diags().printText(std::cerr);
    return p;
}

// Flips `action allow` to `action deny` on three rules and deletes two.
std::string mutate(const std::string& text, size_t rules) {
    std::istringstream in(text);
    std::ostringstream out;
    std::set<std::string> flip, drop;
    for (size_t k : {rules / 10, rules / 2, rules * 9 / 10}) flip.insert("rule r" + std::to_string(k) + " ");
    for (size_t k : {rules / 3, rules * 2 / 3}) drop.insert("rule r" + std::to_string(k) + " ");
    std::string line;
    while (std::getline(in, line)) {
        bool isDrop = false, isFlip = false;
        for (const auto& d : drop) isDrop = isDrop || line.find(d) != std::string::npos;
        for (const auto& f : flip) isFlip = isFlip || line.find(f) != std::string::npos;
        if (isDrop) continue;
        if (isFlip) {
            auto pos = line.find("action allow");
            if (pos != std::string::npos) line.replace(pos, 12, "action deny");
        }
        out << line << "\n";
    }
    return out.str();
}

size_t countKind(const verify::Report& r, verify::FindingKind k) {
    return static_cast<size_t>(std::count_if(r.findings.begin(), r.findings.end(),
                                             [k](const auto& f) { return f.kind == k; }));
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = std::string(SLUICE_SOURCE_DIR) + "/../shared/bench-data/classbench";
    int runs = 5;
    double naiveLimit = 120;
    double diffLimit = 60;
    std::vector<std::string> sets;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << "usage: bench_verifier [--data DIR] [--runs N] [--naive-limit SECONDS]\n"
                         "                      [--diff-limit SECONDS] [SET...]\n"
                         "ClassBench filter sets through sluice verify's rule checks (median of N\n"
                         "runs, default 5), the naive per-rule Z3 scan (stopped after\n"
                         "--naive-limit, default 120 s) and sluice diff against a copy with 5\n"
                         "changed rules (stopped after --diff-limit, default 60 s). DIR defaults\n"
                         "to <source>/../shared/bench-data/classbench; SETs to acl1_10k fw1_10k\n"
                         "ipc1_10k. Prints a Markdown table (bench/verifier/RESULTS.md).\n";
            return 0;
        }
        if (a.rfind("--", 0) == 0 && a != "--data" && a != "--runs" && a != "--naive-limit" &&
            a != "--diff-limit") {
            std::cerr << "bench_verifier: unknown option " << a << " (see --help)\n";
            return 2;
        }
        if (a == "--data" && i + 1 < argc) dir = argv[++i];
        else if (a == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
        else if (a == "--naive-limit" && i + 1 < argc) naiveLimit = std::stod(argv[++i]);
        else if (a == "--diff-limit" && i + 1 < argc) diffLimit = std::stod(argv[++i]);
        else sets.push_back(a);
    }
    if (sets.empty()) sets = {"acl1_10k", "fw1_10k", "ipc1_10k"};
    std::cout << "| set | rules | load s | verify s (median of " << runs
              << ") | shadowed | redundant | conflict | Z3 calls | geometric | naive s | naive "
                 "rules done | speed-up | diff s (median) | diff classes | diff path | peak RSS MB | goals "
                 "|\n"
              << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    int missing = 0;
    for (const auto& set : sets) {
        std::string path = dir + "/" + set;
        std::ifstream in(path);
        if (!in) {
            std::cout << "| " << set << " | data set absent: " << path
                      << " (not measured) ||||||||||||||\n";
            ++missing;
            continue;
        }
        auto text = lang::importClassBench(in, set);
        if (!text) {
            std::cerr << text.error().str() << "\n";
            return 1;
        }
        auto t0 = Clock::now();
        auto policy = loadText(set + ".sl", *text);
        double load = since(t0);
        if (!policy) return 1;
        size_t rules = 0;
        for (const auto& l : policy->layers)
            for (const auto& gs : l.groups)
                for (const auto& g : gs) rules += g.rules.size();
        verify::VerifyOptions vo;
        vo.routeChecks = vo.creditChecks = vo.assertions = false;
        std::vector<double> times;
        verify::Report last;
        for (int r = 0; r < runs; ++r) {
            last = verify::verifyPolicy(policy, vo);
            times.push_back(last.seconds);
        }
        size_t internal = countKind(last, verify::FindingKind::Internal);
        if (internal) std::cerr << set << ": " << internal << " internal errors!\n";
        verify::VerifyOptions naive = vo;
        naive.useGeometry = false;
        naive.conflicts = false;
        naive.replay = false;
        naive.timeLimitSeconds = naiveLimit;
        auto nr = verify::verifyPolicy(policy, naive);
        auto newPolicy = loadText(set + "-new.sl", mutate(*text, rules));
        if (!newPolicy) return 1;
        std::vector<double> dt;
        verify::DiffReport dlast;
        verify::DiffOptions dopt;
        dopt.timeLimitSeconds = diffLimit;
        for (int r = 0; r < runs; ++r) {
            dlast = verify::diffPolicies(policy, newPolicy, dopt);
            dt.push_back(dlast.seconds);
            if (dlast.truncated) break;  // one stopped run says enough
        }
        double v = median(times), d = median(dt);
        std::ostringstream naiveS, speed;
        naiveS << (nr.truncated ? ">" : "") << nr.seconds;
        speed << (nr.truncated ? ">" : "") << (v > 0 ? nr.seconds / v : 0) << "x";
        std::cout << "| " << set << " | " << rules << " | " << load << " | " << v << " | "
                  << countKind(last, verify::FindingKind::Shadowed) << " | "
                  << countKind(last, verify::FindingKind::Redundant) << " | "
                  << countKind(last, verify::FindingKind::Conflict) << " | " << last.solverCalls
                  << " | " << last.geometricDecided << " | " << naiveS.str() << " | "
                  << nr.rulesChecked << "/" << rules << " | " << speed.str() << " | " << (dlast.truncated ? ">" : "") << d
                  << " | " << dlast.changes.size() << (dlast.truncated ? " (stopped)" : "")
                  << " | "
                  << (dlast.geometricLayers ? "geometric" : "Z3") << ", " << dlast.solverCalls
                  << " Z3 calls | " << (last.peakRssBytes >> 20)
                  << " | verify " << (v < 2 && last.peakRssBytes < (size_t(1) << 30) ? "met" : "NOT met")
                  << ", diff " << (d < 1 && !dlast.truncated ? "met" : "NOT met")
                  << (internal || !dlast.internalErrors.empty() ? ", INTERNAL ERRORS" : "")
                  << " |\n"
                  << std::flush;
    }
    if (missing) std::cout << "\n" << missing << " data set(s) absent: not measured.\n";
    return 0;
}
