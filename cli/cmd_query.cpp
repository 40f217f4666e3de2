// `sluice query FILE --from SET --to SET [--match COND] [--verdict allow|deny] [--json]`:
// which packets of a header space have which outcome through the network-level path
// (verify/query.h). Exit 0 answered (whatever the answer), 1 input errors (the policy or the
// query text), 2 usage, 3 when an example's replay disagreed with the encoding (a bug).
//
// The space is written as an assertion's class, so FROM, TO and COND mean exactly what they
// mean after `assert NAME isolated FROM -> TO match COND;` (names of the policy, literals,
// `match` conditions) and are checked by the front end: the query is a module of its own,
// "<query>", that imports FILE and declares that assertion, so a mistake in the query text is
// reported at "<query>:LINE:COL" with the line and a caret.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "sluice/verify/query.h"

namespace sluice::cli {
namespace {

constexpr const char* kQueryBuffer = "<query>";
constexpr const char* kQueryAssertion = "sluice_query";

struct QueryCliOptions {
    std::string file;
    std::string from;
    std::string to;
    std::string match;
    std::string verdict;
    size_t maxClasses = verify::QueryOptions{}.maxClassesPerEntry;
    double timeLimit = 0;
    bool json = false;
};

// The query module, or an error message when an option cannot be part of one: the texts go
// into one declaration, so they may not end it or start another.
std::optional<std::string> queryModule(const QueryCliOptions& o, std::string& error) {
    for (auto [name, text] : {std::pair{"--from", &o.from}, {"--to", &o.to},
                              {"--match", &o.match}}) {
        if (text->find_first_of(";\n\r") != std::string::npos) {
            error = std::string(name) + " may not contain ';' or a line break";
            return std::nullopt;
        }
    }
    if (o.file.find_first_of("\"\\\n\r") != std::string::npos) {
        error = "the policy path may not contain '\"', '\\' or a line break";
        return std::nullopt;
    }
    std::string m = "import \"" + o.file + "\";\n";
    m += std::string("assert ") + kQueryAssertion + " isolated " + o.from + " -> " + o.to;
    if (!o.match.empty()) m += " match " + o.match;
    m += ";\n";
    return m;
}

int runQuery(const QueryCliOptions& o) {
    verify::QueryOptions qo;
    qo.maxClassesPerEntry = o.maxClasses;
    qo.timeLimitSeconds = o.timeLimit;
    if (o.verdict == "allow") qo.verdict = lang::Verdict::Allow;
    else if (o.verdict == "deny") qo.verdict = lang::Verdict::Deny;
    else if (!o.verdict.empty()) {
        std::cerr << "sluice query: --verdict must be allow or deny, not '" << o.verdict << "'\n";
        return kExitUsage;
    }
    if (o.maxClasses == 0) {
        std::cerr << "sluice query: --max-classes must be at least 1\n";
        return kExitUsage;
    }
    std::string error;
    auto module = queryModule(o, error);
    if (!module) {
        std::cerr << "sluice query: " << error << "\n";
        return kExitUsage;
    }
    // The policy is read the way every command reads one (a missing or unreadable file is an
    // input error with the same message); imports only accept policy files.
    if (!readInputOrReport(o.file, kPolicyFileLimits)) return kExitInputError;
    if (std::filesystem::path(o.file).extension() != ".sl") {
        std::cerr << o.file << ": error: a policy file to query must be named *.sl\n";
        return kExitInputError;
    }
    auto fopt = frontendOptions();
    fopt.warnings = false;  // the query is not a check of the policy
    lang::Frontend frontend(fopt);
    auto policy = frontend.loadString(kQueryBuffer, std::move(*module));
    if (!o.json) frontend.diags().printText(std::cerr, globalOptions().color);
    if (!policy || policy->assertions.empty() ||
        policy->assertions.back().name != kQueryAssertion) {
        if (o.json)
            printJson(std::cout,
                      {{"file", o.file},
                       {"ok", false},
                       {"classes", nlohmann::json::array()},
                       {"diagnostics", nlohmann::json::parse(frontend.diags().toJson())}});
        return kExitInputError;
    }
    const auto& a = policy->assertions.back();
    verify::QuerySpace space{a.from, a.to, a.conditions};
    auto report = verify::queryPolicy(policy, space, qo);
    if (o.json) {
        auto j = nlohmann::json::parse(verify::queryToJson(*policy, report));
        j["file"] = o.file;
        j["ok"] = true;
        printJson(std::cout, j);
    } else {
        verify::printQuery(std::cout, *policy, report);
    }
    return report.internalErrors.empty() ? kExitOk : kExitViolation;
}

void setupQuery(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<QueryCliOptions>();
    auto* cmd = app.add_subcommand(
        "query",
        "Which packets from --from to --to (and --match) are allowed or denied, as classes "
        "with example packets, through the network-level path. Exit 0 answered, 1 input "
        "errors, 2 usage, 3 an example's replay disagreed (a bug)");
    cmd->add_option("file", options->file, "Policy file (.sl)")->required();
    cmd->add_option("--from", options->from,
                    "Source addresses: names or literals of the policy, comma-separated "
                    "(as after `assert NAME isolated`)")
        ->required();
    cmd->add_option("--to", options->to, "Destination addresses, the same way")->required();
    cmd->add_option("--match", options->match,
                    "Conditions, as after `match` (e.g. \"proto tcp dst_port 443\")");
    cmd->add_option("--verdict", options->verdict,
                    "Only classes with this outcome: allow (delivered) or deny");
    cmd->add_option("--max-classes", options->maxClasses, "Classes reported per entry point")
        ->capture_default_str();
    cmd->add_option("--time-limit", options->timeLimit,
                    "Stop after this many seconds (0: no limit); the report says so");
    cmd->add_flag("--json", options->json, "JSON report on stdout");
    cmd->callback([options, &exitCode] { exitCode = runQuery(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("query", setupQuery);

}  // namespace sluice::cli
