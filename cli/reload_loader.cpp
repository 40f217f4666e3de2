// The hot-reload loader (reload_loader.h).
#include "reload_loader.h"

#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>

#include "command.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/validate.h"
#include "pipelines/pipelines.h"
#include "sluice/verify/diff.h"
#include "sluice/verify/verifier.h"

namespace sluice::cli {
namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

rt::LoadedPipeline inputError(rt::LoadedPipeline r, std::string message) {
    r.status = rt::LoadStatus::InputError;
    r.message += message;
    return r;
}

std::string diffSummary(const verify::DiffReport& d, const std::vector<std::string>& ports) {
    std::ostringstream os;
    if (!d.different()) {
        os << "no change in behaviour";
    } else {
        os << d.changes.size() << " changed packet class(es)";
        if (!ports.empty()) {
            os << " on port(s)";
            for (size_t i = 0; i < ports.size(); ++i) os << (i ? ", " : " ") << ports[i];
        }
        if (!d.portsAdded.empty()) os << "; ports added: " << d.portsAdded.size();
        if (!d.portsRemoved.empty()) os << "; ports removed: " << d.portsRemoved.size();
    }
    if (d.truncated) os << " (diff time limit reached: every port re-simulated)";
    return os.str();
}

}  // namespace

std::string policyHashHex(const lang::Policy& policy) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(compiler::policyHash(policy)));
    return buf;
}

namespace {

// The --expect gate file, or false after an input error in `r`.
bool loadExpectations(const rt::ReloadOptions& o, std::vector<verify::Expectation>& out,
                      rt::LoadedPipeline& r) {
    if (o.expectFile.empty()) return true;
    InputFile in = readInputFile(o.expectFile, kExpectationLimits);
    if (!in.ok()) {
        r = inputError(std::move(r), o.expectFile + (in.line ? ":" + std::to_string(in.line) : "") +
                                         ": error: " + in.reason + "\n");
        return false;
    }
    auto parsed = verify::parseExpectations(in.text);
    if (!parsed) {
        r = inputError(std::move(r), o.expectFile + ": " + parsed.error().str() + "\n");
        return false;
    }
    out = std::move(*parsed);
    return true;
}

// Verify (errors refuse unless forced), then diff against the running policy (--expect
// gates): the part of a reload that a rollback passes too. False when `r` is final (refused).
bool verifyAndDiff(const std::string& file, const std::shared_ptr<const lang::Policy>& policy,
                   const rt::ReloadOptions& o, std::vector<verify::Expectation> expectations,
                   const std::shared_ptr<const lang::Policy>& running, const char* unchanged,
                   rt::LoadedPipeline& r) {
    if (!running && !o.expectFile.empty()) {  // an AOT object without its source is running
        r.status = rt::LoadStatus::Refused;
        r.message += file + ": error: the running pipeline has no source policy (an AOT object), "
                     "so there is no diff to gate with " + o.expectFile + "; " + unchanged + "\n";
        return false;
    }
    auto t0 = std::chrono::steady_clock::now();
    verify::Report report = verify::verifyPolicy(policy, {});
    r.verifyMs = msSince(t0);
    if (report.hasErrors()) {
        std::ostringstream os;
        verify::printReport(os, *policy, report, false, verify::kDefaultMaxFindingsPerKind);
        r.message += os.str();
        if (!o.force) {
            r.status = rt::LoadStatus::Refused;
            r.message += file + ": error: verification failed; " + unchanged + " (--force overrides)\n";
            return false;
        }
        r.forced = true;
        r.message += file + ": warning: verification failed; going ahead because of --force\n";
    }
    t0 = std::chrono::steady_clock::now();
    verify::DiffOptions dopt;
    dopt.maxClassesPerPortDir = 4;
    dopt.timeLimitSeconds = 60;
    const bool gate = !o.expectFile.empty();
    if (!running) {  // nothing to diff against: every port is re-simulated
        r.diffMs = msSince(t0);
        r.allChanged = true;
        r.diffSummary = "no diff: the running pipeline has no source policy (an AOT object)";
        return true;
    }
    verify::DiffReport diff = verify::diffPolicies(running, policy, dopt, std::move(expectations));
    r.diffMs = msSince(t0);
    std::set<std::string> ports;
    for (const auto& c : diff.changes) {
        if (c.port.rfind("layer:", 0) != 0) ports.insert(c.port);
    }
    r.changedPorts.assign(ports.begin(), ports.end());
    r.allChanged = diff.truncated || !diff.internalErrors.empty();
    r.diffSummary = diffSummary(diff, r.changedPorts);
    if (gate && diff.gateFailed()) {
        std::ostringstream os;
        verify::printDiff(os, *running, *policy, diff);
        r.message += os.str();
        r.message += file + ": error: the diff does not match " + o.expectFile + "; " + unchanged + "\n";
        r.status = rt::LoadStatus::Refused;
        return false;
    }
    return true;
}

}  // namespace

rt::PipelineLoader makePipelineLoader(const LoaderSettings& settings) {
    return [settings](const std::string& file, const rt::ReloadOptions& o,
                      std::shared_ptr<const void> runningSource) {
        const auto running = pipelines::policyOf(runningSource);
        rt::LoadedPipeline r;
        // 1. check
        auto t0 = std::chrono::steady_clock::now();
        std::vector<verify::Expectation> expectations;
        if (!loadExpectations(o, expectations, r)) return r;
        lang::Frontend frontend(frontendOptions());
        auto policy = frontend.loadFile(file);
        std::ostringstream diags;
        frontend.diags().printText(diags, false);
        r.message = diags.str();
        r.checkMs = msSince(t0);
        if (!policy) return inputError(std::move(r), "");
        r.policyHash = policyHashHex(*policy);
        // 2. verify: errors refuse, unless forced (recorded); 3. diff, --expect gates
        if (!verifyAndDiff(file, policy, o, std::move(expectations), running,
                           "the running pipeline is unchanged", r))
            return r;
        // 4. compile and validate (the workers keep forwarding meanwhile)
        t0 = std::chrono::steady_clock::now();
        std::string note;
        auto made = pipelines::makeArtifact(settings.slowPath, policy, settings.workers, note,
                                            settings.compileCache);
        if (!made) {
            r.compileMs = msSince(t0);
            return inputError(std::move(r), file + ": error: " + made.error().str() + "\n");
        }
        if (std::string(made->slowPath->kind()) == "compiled") {
            auto tv = compiler::validateTranslation(*policy, {});
            if (!tv) return inputError(std::move(r), file + ": error: " + tv.error().str() + "\n");
            if (!tv->ok()) {
                for (const auto& f : tv->failures)
                    r.message += file + ": error: translation validation failed for table '" +
                                 f.table + "': " + f.detail + "\n  packet: " + f.packet + "\n";
                r.status = rt::LoadStatus::Refused;
                r.compileMs = msSince(t0);
                return r;
            }
        }
        if (!note.empty()) r.message += file + ": note: " + note + "\n";
        r.compileMs = msSince(t0);
        r.artifact = std::move(made.value());
        r.status = rt::LoadStatus::Ready;
        return r;
    };
}

rt::PipelineChecker makePipelineChecker() {
    return [](const std::string& name, std::shared_ptr<const void> targetSource,
              const rt::ReloadOptions& o, std::shared_ptr<const void> runningSource) {
        const auto target = pipelines::policyOf(targetSource);
        const auto running = pipelines::policyOf(runningSource);
        rt::LoadedPipeline r;
        std::vector<verify::Expectation> expectations;
        if (!loadExpectations(o, expectations, r)) return r;
        if (!target) {  // an AOT object run without its source: nothing to verify
            if (!o.force) {
                r.status = rt::LoadStatus::Refused;
                r.message = name + ": error: the target has no source policy (an AOT object) and "
                            "cannot be verified; not rolled back (--force overrides)\n";
                return r;
            }
            r.forced = true;
            r.allChanged = true;
            r.diffSummary = "not verified, no diff: the target is an AOT object";
            r.status = rt::LoadStatus::Ready;
            return r;
        }
        r.policyHash = policyHashHex(*target);
        if (!verifyAndDiff(name, target, o, std::move(expectations), running,
                           "not rolled back", r))
            return r;
        r.status = rt::LoadStatus::Ready;
        return r;
    };
}

}  // namespace sluice::cli
