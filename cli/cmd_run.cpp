// `sluice run CONFIG`: the vSwitch daemon. Loads the policy named by the config, builds the
// slow path (compiled by default, the interpreter on request or when no compiler is built),
// starts DPDK (no hugepages needed) and runs until SIGINT/SIGTERM or --duration.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>
#include <nlohmann/json.hpp>

#include "command.h"
#include "reload_loader.h"
#include "sluice/runtime/runtime.h"

namespace sluice::cli {
namespace {

struct RunOptions {
    std::string config;
    double duration = 0;
    std::string slowPath;
    std::string socket;
    unsigned workers = 0;
    bool json = false;
    bool quiet = false;
    std::string state;
    bool verbose = false;
};

// Signals: SIGINT/SIGTERM/SIGHUP are blocked in every thread (set before any thread starts,
// so EAL lcores, the maintenance and control threads inherit the mask) and taken by one
// signal thread. During start-up (policy compile, EAL, devices) SIGINT/SIGTERM end the process
// at once with exit 1 and a message, so a hung start can be stopped without SIGKILL (no socket
// is served yet; a socket left behind is stale and the next daemon replaces it). Once running
// they stop the daemon cleanly. SIGHUP reloads the configured policy file the same way as
// `sluice ctl reload` (verified, diffed, compiled; the result on stderr and in `ctl history`);
// during start-up it is noted and ignored. SIGPIPE is ignored: a control client that goes away
// is not a reason to die.
std::atomic<bool> gRunning{false};
std::atomic<int> gStopSignal{0};
std::atomic<bool> gReload{false};

void startSignalThread(const sigset_t& set) {
    std::thread([set] {
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (sig == SIGHUP) {
                if (gRunning.load()) {
                    gReload = true;  // the main loop reloads (never this thread: it may take s)
                    continue;
                }
                const char msg[] = "sluice run: SIGHUP during start-up ignored\n";
                if (write(2, msg, sizeof msg - 1) < 0) {
                }
                continue;
            }
            if (!gRunning.load()) {
                const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
                std::string msg = std::string("sluice run: stopped by ") + name +
                                  " during start-up\n";
                if (write(2, msg.data(), msg.size()) < 0) {
                }
                _exit(kExitInputError);
            }
            gStopSignal = sig;
        }
    }).detach();
}

int runRun(const RunOptions& o) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    startSignalThread(set);

    auto cfg = rt::loadRunConfig(o.config);
    if (!cfg) {  // FILE[:LINE:COL]: error: MESSAGE
        std::cerr << cfg.error().where << ": error: " << cfg.error().message << "\n";
        return kExitInputError;
    }
    if (!o.slowPath.empty()) cfg->slowPath = o.slowPath;
    if (!o.socket.empty()) cfg->controlSocket = o.socket;
    if (o.workers != 0) cfg->workers = o.workers;
    lang::Frontend frontend(frontendOptions());
    auto policy = loadPolicyOrReport(frontend, cfg->policyPath, false);
    if (!policy) return kExitInputError;
    std::string note;
    auto slow = rt::makeSlowPath(cfg->slowPath, policy, cfg->workers, note, cfg->compileCache);
    if (!slow) {
        std::cerr << "sluice run: error: " << slow.error().str() << "\n";
        return kExitInputError;
    }
    if (!note.empty()) std::cerr << "sluice run: note: " << note << "\n";

    auto eal = rt::ealArguments(*cfg);
    // DPDK's own log lines (an interface it cannot open, a port it cannot find) are off: the
    // errors that matter come back as our own messages naming the port and device.
    if (!o.verbose) eal.push_back("--log-level=1");
    if (auto s = rt::initEal(eal); !s) {
        std::cerr << "sluice run: error: " << s.error().str() << "\n";
        return kExitInputError;
    }
    auto runtime = rt::Runtime::create(*cfg, policy, std::move(slow.value()));
    if (!runtime) {
        std::cerr << "sluice run: error: " << runtime.error().str() << "\n";
        return kExitInputError;
    }
    LoaderSettings ls;
    ls.slowPath = cfg->slowPath;
    ls.workers = cfg->workers;
    ls.compileCache = cfg->compileCache;
    (*runtime)->setLoader(makePipelineLoader(ls), cfg->policyPath);
    if (!o.state.empty()) {
        (*runtime)->setStateFile(o.state);
        std::cerr << "sluice run: " << (*runtime)->restoreState(o.state) << "\n";
    }
    if (auto s = (*runtime)->start(true); !s) {
        std::cerr << "sluice run: error: " << s.error().str() << "\n";
        return kExitInputError;
    }
    if (!o.quiet) {
        std::cerr << "sluice run: " << cfg->ports.size() << " port(s)"
                  << (cfg->uplink ? " + uplink " + cfg->uplink->text : std::string())
                  << ", " << cfg->workers << " worker(s), slow path "
                  << (*runtime)->slowPathKind() << ", control socket " << cfg->controlSocket
                  << "\n";
    }
    gRunning = true;
    auto begin = std::chrono::steady_clock::now();
    while (gStopSignal.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (gReload.exchange(false)) {
            auto r = nlohmann::json::parse((*runtime)->reloadFile(cfg->policyPath, {}, "sighup"),
                                           nullptr, false);
            if (!r.is_discarded()) {
                std::string msg = r.value("message", std::string());
                if (!msg.empty()) std::cerr << msg << (msg.back() == '\n' ? "" : "\n");
                std::cerr << "sluice run: SIGHUP reload of " << cfg->policyPath << ": "
                          << r.value("result", std::string("?")) << "\n";
            }
        }
        std::chrono::duration<double> waited = std::chrono::steady_clock::now() - begin;
        if (o.duration > 0 && waited.count() >= o.duration) break;
    }
    (*runtime)->stop();
    int rc = kExitOk;
    if (!o.state.empty()) {
        auto t0 = std::chrono::steady_clock::now();
        if (auto s = (*runtime)->saveState(o.state); !s) {
            std::cerr << "sluice run: error: " << s.error().str() << "\n";
            rc = kExitInputError;
        } else if (!o.quiet) {
            std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - t0;
            std::cerr << "sluice run: state saved to " << o.state << " in " << ms.count() << " ms\n";
        }
    }
    if (o.json) {
        printJson(std::cout, nlohmann::json::parse((*runtime)->statsJson()));
    } else if (!o.quiet) {
        auto reply = nlohmann::json::parse((*runtime)->control(R"({"cmd":"stats"})"), nullptr, false);
        if (!reply.is_discarded()) std::cout << reply.value("output", std::string());
    }
    return rc;
}

void setupRun(CLI::App& app, int& exitCode) {
    auto o = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "Run the vSwitch (DPDK) with a config (docs/operations.md)");
    cmd->add_option("config", o->config, "Config file (JSON)")->required();
    cmd->add_option("--duration", o->duration, "Stop after this many seconds (default: run until SIGINT/SIGTERM)");
    cmd->add_option("--slow-path", o->slowPath, "compiled, interpreter or auto (overrides the config)")
        ->check(CLI::IsMember({"compiled", "interpreter", "auto"}));
    cmd->add_option("--socket", o->socket, "Control socket path (overrides the config)");
    cmd->add_option("--workers", o->workers, "Worker lcores (overrides the config)")->check(CLI::Range(1, 16));
    cmd->add_flag("--json", o->json, "Print the final counters as JSON on exit");
    cmd->add_flag("--quiet", o->quiet, "No banner, no final counters");
    cmd->add_option("--state", o->state,
                    "Session state file: restored at start (re-simulated), written on SIGTERM and `ctl save`");
    cmd->add_flag("-v,--verbose", o->verbose, "Show DPDK's own log lines");
    cmd->callback([o, &exitCode] { exitCode = runRun(*o); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("run", setupRun);

}  // namespace sluice::cli
