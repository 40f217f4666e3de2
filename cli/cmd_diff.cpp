// `sluice diff OLD NEW [--json] [--expect FILE]`: what a policy change does to traffic, per
// port and direction, as packet classes with witnesses. Exit 0 same, 1 different (or, with
// --expect, a change nobody expected / an expectation that matched nothing), 2 error.
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "sluice/verify/diff.h"

namespace sluice::cli {
namespace {

constexpr int kDiffSame = 0;
constexpr int kDiffDifferent = 1;
constexpr int kDiffError = 2;

struct DiffCliOptions {
    std::string oldFile;
    std::string newFile;
    std::string expectFile;
    bool json = false;
    size_t maxClasses = 64;
};

int runDiff(const DiffCliOptions& o) {
    std::vector<verify::Expectation> expectations;
    if (!o.expectFile.empty()) {
        auto text = readInputOrReport(o.expectFile, kExpectationLimits);
        if (!text) return kDiffError;
        auto parsed = verify::parseExpectations(*text);
        if (!parsed) {
            std::cerr << o.expectFile << ": " << parsed.error().str() << "\n";
            return kDiffError;
        }
        expectations = std::move(*parsed);
    }
    lang::Frontend fo(frontendOptions()), fn(frontendOptions());
    auto oldPolicy = loadPolicyOrReport(fo, o.oldFile, o.json);
    auto newPolicy = loadPolicyOrReport(fn, o.newFile, o.json);
    if (!oldPolicy || !newPolicy) {
        if (o.json) {
            nlohmann::json j{{"error", "input errors"},
                             {"old_diagnostics", nlohmann::json::parse(fo.diags().toJson())},
                             {"new_diagnostics", nlohmann::json::parse(fn.diags().toJson())}};
            printJson(std::cout, j);
        }
        return kDiffError;
    }
    verify::DiffOptions dopt;
    dopt.maxClassesPerPortDir = o.maxClasses;
    bool gate = !o.expectFile.empty();
    auto report = verify::diffPolicies(oldPolicy, newPolicy, dopt, std::move(expectations));
    if (o.json) {
        auto j = nlohmann::json::parse(verify::diffToJson(report));
        j["old"] = o.oldFile;
        j["new"] = o.newFile;
        // `expected` says whether an --expect file foresaw a change: without one it means nothing.
        if (gate) {
            j["gate_failed"] = report.gateFailed();
        } else {
            for (auto& change : j["changes"]) change.erase("expected");
        }
        printJson(std::cout, j);
    } else {
        verify::printDiff(std::cout, *oldPolicy, *newPolicy, report);
    }
    if (!report.internalErrors.empty()) return kDiffError;
    if (gate) return report.gateFailed() ? kDiffDifferent : kDiffSame;
    return report.different() ? kDiffDifferent : kDiffSame;
}

void setupDiff(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<DiffCliOptions>();
    auto* cmd = app.add_subcommand("diff", "Semantic diff of two policies: changed packet classes");
    cmd->add_option("old", options->oldFile, "Old policy")->required();
    cmd->add_option("new", options->newFile, "New policy")->required();
    cmd->add_flag("--json", options->json, "JSON report on stdout");
    cmd->add_option("--expect", options->expectFile,
                    "Intended changes (`rule LAYER.RULE`, `port PORT [in|out]` a line): exit 0 "
                    "when every change is expected and every expectation is met");
    cmd->add_option("--max-classes", options->maxClasses, "Classes reported per port/direction");
    cmd->callback([options, &exitCode] { exitCode = runDiff(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("diff", setupDiff);

}  // namespace sluice::cli
