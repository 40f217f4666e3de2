// `sluice run CONFIG`: the vSwitch daemon. Loads the policy named by the config, builds the
// slow path (compiled by default, the interpreter on request or when no compiler is built),
// starts DPDK (no hugepages needed) and runs until SIGINT/SIGTERM or --duration. `--takeover`
// replaces the daemon of the same control socket once this one is ready (docs/operations.md).
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>

#include "command.h"
#include "reload_loader.h"
#include "pipelines/pipelines.h"
#include "sluice/runtime/control.h"
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
    bool takeover = false;
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
// The main loop waits on this, so a stop or reload request is taken at once (a restart's
// stall includes the old daemon's reaction to SIGTERM).
std::mutex gWakeMu;
std::condition_variable gWake;

void wakeMainLoop() {
    std::lock_guard<std::mutex> lock(gWakeMu);
    gWake.notify_all();
}

void startSignalThread(const sigset_t& set) {
    std::thread([set] {
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (sig == SIGHUP) {
                if (gRunning.load()) {
                    gReload = true;  // the main loop reloads (never this thread: it may take s)
                    wakeMainLoop();
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
            wakeMainLoop();
        }
    }).detach();
}

// `--takeover`: a restart without the start-up in the stall. Everything slow (policy, compile,
// validation, EAL) is done by now while the daemon of the same control socket still forwards;
// it is stopped here (SIGTERM: it saves its --state file and exits, releasing its devices),
// and this process takes the devices and restores the state at once. No daemon on the socket:
// a plain start (a note says so). Refused (exit 1, the running daemon untouched): one that
// binds other ports or devices, or saves its sessions to another state file than ours.
// Bounded: an old daemon that does not exit within 30 s is an error.
constexpr int kTakeoverDeadlineMs = 30000;
constexpr int kTakeoverQueryMs = 5000;

std::string canonicalOrSelf(const std::string& p) {
    if (p.empty()) return p;
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(std::filesystem::absolute(p), ec);
    return ec ? p : c.string();
}

// "port=device" of every binding, sorted: the identity a takeover keeps.
std::string bindingsText(std::vector<std::string> b) {
    std::sort(b.begin(), b.end());
    std::string t;
    for (const auto& x : b) t += (t.empty() ? "" : ", ") + x;
    return t.empty() ? "none" : t;
}

// Compares the running daemon (its `ctl stats --json`) with this one's config; "" when they
// agree, else why not.
std::string takeoverMismatch(const rt::RunConfig& cfg, const std::string& state,
                             const nlohmann::json& running) {
    std::vector<std::string> ours, theirs;
    for (const auto& b : cfg.ports) ours.push_back(b.port + "=" + b.device.text);
    if (cfg.uplink) ours.push_back("uplink=" + cfg.uplink->text);
    const auto& ports = running.contains("ports") ? running["ports"] : nlohmann::json::array();
    for (const auto& p : ports) {
        if (!p.is_object()) continue;
        theirs.push_back(p.value("name", std::string("?")) + "=" + p.value("device", std::string("?")));
    }
    if (bindingsText(ours) != bindingsText(theirs))
        return "it binds " + bindingsText(theirs) + ", this config " + bindingsText(ours) +
               " (a takeover keeps the ports and devices: stop it, then start this config)";
    std::string theirState;
    if (running.contains("state") && running["state"].is_object())
        theirState = running["state"].value("file", std::string());
    if (canonicalOrSelf(theirState) != canonicalOrSelf(state))
        return "it saves its sessions to " + (theirState.empty() ? "no state file" : theirState) +
               ", this one restores " + (state.empty() ? "none (no --state)" : state) +
               " (give the same --state, or the connections through it are lost)";
    return "";
}

// The daemon to replace: its pid once it agrees with this config, 0 when there is none (a
// plain start); else an exit code (it is left running).
int checkPredecessor(const rt::RunConfig& cfg, const std::string& state, int& pidOut) {
    const std::string& socket = cfg.controlSocket;
    pidOut = 0;
    const int pid = rt::controlSocketOwner(socket);
    if (pid == 0) {  // printed even with --quiet: not what was asked for
        std::cerr << "sluice run: note: --takeover: no daemon serves " << socket
                  << "; starting normally\n";
        return kExitOk;
    }
    auto raw = rt::controlRequest(socket, R"({"cmd":"stats","format":"json"})", kTakeoverQueryMs);
    nlohmann::json reply = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
    nlohmann::json running;
    if (reply.is_object() && reply.value("ok", false))
        running = nlohmann::json::parse(reply.value("output", std::string()), nullptr, false);
    if (!running.is_object()) {
        std::cerr << "sluice run: error: --takeover: the daemon on " << socket << " (pid " << pid
                  << ") does not answer: " << (raw ? "malformed reply" : raw.error().str())
                  << "; it is left running\n";
        return kExitInputError;
    }
    if (std::string why = takeoverMismatch(cfg, state, running); !why.empty()) {
        std::cerr << "sluice run: error: --takeover: the daemon on " << socket << " (pid " << pid
                  << ") has another config: " << why << "; it is left running\n";
        return kExitInputError;
    }
    pidOut = pid;
    return kExitOk;
}

// Stops the predecessor `pid` and waits until it has handed over: it releases its control
// socket's lock once its workers have stopped and its state file is written (it closes its
// devices after that, ~100 ms more, while this one forwards), or it has exited.
int stopPredecessor(const std::string& socket, int pid) {
    const auto t0 = std::chrono::steady_clock::now();
    // The pidfd is taken, and the owner checked again, before the signal: the pid cannot have
    // been reused by then, and an exit cannot be missed.
    int pfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (rt::controlSocketOwner(socket) != pid) {
        if (pfd >= 0) close(pfd);
        std::cerr << "sluice run: error: --takeover: the daemon on " << socket << " (pid " << pid
                  << ") went away meanwhile; start again\n";
        return kExitInputError;
    }
    int sent = pfd >= 0 ? static_cast<int>(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, nullptr, 0))
                        : kill(pid, SIGTERM);
    if (sent != 0 && errno != ESRCH) {
        std::cerr << "sluice run: error: --takeover: cannot stop pid " << pid << ": "
                  << std::strerror(errno) << "\n";
        if (pfd >= 0) close(pfd);
        return kExitInputError;
    }
    bool done = false;
    for (int i = 0; i < kTakeoverDeadlineMs * 2 && !done; ++i) {  // every 0.5 ms
        done = rt::controlSocketOwner(socket) != pid;
        if (!done && pfd >= 0) {
            pollfd p{pfd, POLLIN, 0};
            done = poll(&p, 1, 0) > 0;  // exited
        }
        if (!done) usleep(500);
    }
    if (pfd >= 0) close(pfd);
    if (!done) {
        std::cerr << "sluice run: error: --takeover: pid " << pid << " did not stop within "
                  << kTakeoverDeadlineMs / 1000 << " s\n";
        return kExitInputError;
    }
    std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - t0;
    std::cerr << "sluice run: took over from pid " << pid << " (it stopped in " << ms.count()
              << " ms)\n";
    return kExitOk;
}

// The device locks of a takeover: the predecessor drops them when it has closed its devices
// (or exits). Polled while this daemon already forwards; bounded.
void takeDeviceLocks(rt::Runtime& runtime) {
    Status s = runtime.acquireDeviceLocks();
    for (int i = 0; !s && i < kTakeoverDeadlineMs / 5; ++i) {
        usleep(5000);
        s = runtime.acquireDeviceLocks();
    }
    if (!s)
        std::cerr << "sluice run: warning: --takeover: " << s.error().str()
                  << " still after " << kTakeoverDeadlineMs / 1000 << " s; running without it\n";
}

int runRun(const RunOptions& opts) {
    RunOptions o = opts;
    // Absolute, so `ctl stats` names the same file whatever the caller's directory
    // (`--takeover` compares it with its own).
    if (!o.state.empty()) o.state = std::filesystem::absolute(o.state).string();
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
    // The artifact the runtime runs: the policy compiled (or interpreted) here, or an AOT
    // object with its descriptor, run without the source.
    std::string note;
    Expected<rt::Artifact> artifact = makeError("");
    if (!cfg->artifactPath.empty()) {
        artifact = pipelines::objectArtifact(cfg->artifactPath);
    } else {
        lang::Frontend frontend(frontendOptions());
        auto policy = loadPolicyOrReport(frontend, cfg->policyPath, false);
        if (!policy) return kExitInputError;
        artifact = pipelines::makeArtifact(cfg->slowPath, policy, cfg->workers, note,
                                           cfg->compileCache);
    }
    if (!artifact) {
        std::cerr << "sluice run: error: " << artifact.error().str() << "\n";
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
    // With --takeover the devices are bound only once the daemon being replaced has stopped:
    // everything else (mempool, session table) is made while it still forwards.
    auto runtime = rt::Runtime::create(*cfg, std::move(artifact.value()), o.takeover);
    if (!runtime) {
        std::cerr << "sluice run: error: " << runtime.error().str() << "\n";
        return kExitInputError;
    }
    int predecessor = 0;
    if (o.takeover) {
        if (int rc = checkPredecessor(*cfg, o.state, predecessor); rc != kExitOk) return rc;
    }
    const bool tookOver = predecessor != 0;
    // A takeover opens its devices while the predecessor still forwards (both sockets see
    // every frame; this one does not run yet), without their locks (it holds them).
    if (o.takeover) {
        if (auto s = (*runtime)->bindDevices(!tookOver); !s) {
            std::cerr << "sluice run: error: " << s.error().str()
                      << (tookOver ? "; the running daemon is left running" : "") << "\n";
            return kExitInputError;
        }
    }
    if (tookOver) {
        if (int rc = stopPredecessor(cfg->controlSocket, predecessor); rc != kExitOk) return rc;
    }
    const auto bindStart = std::chrono::steady_clock::now();
    // After a takeover a failure here leaves no daemon: say so (the state file is kept).
    const std::string after =
        tookOver ? " (the daemon it replaced has stopped" +
                       (o.state.empty() ? std::string(")") : "; its sessions are in " + o.state + ")")
                 : "";
    // Frames received before the predecessor stopped: it forwarded them.
    const size_t drained = tookOver ? (*runtime)->drainReceive() : 0;
    LoaderSettings ls;
    ls.slowPath = cfg->slowPath;
    ls.workers = cfg->workers;
    ls.compileCache = cfg->compileCache;
    (*runtime)->setLoader(makePipelineLoader(ls), cfg->policyPath);
    (*runtime)->setChecker(makePipelineChecker());
    std::string restored;
    if (!o.state.empty()) {
        (*runtime)->setStateFile(o.state);
        restored = (*runtime)->restoreState(o.state);
    }
    if (auto s = (*runtime)->start(true); !s) {
        std::cerr << "sluice run: error: " << s.error().str() << after << "\n";
        return kExitInputError;
    }
    const std::chrono::duration<double, std::milli> bindMs = std::chrono::steady_clock::now() - bindStart;
    if (!restored.empty()) std::cerr << "sluice run: " << restored << "\n";
    if (tookOver) {
        std::cerr << "sluice run: state restored and workers started in " << bindMs.count()
                  << " ms (" << drained << " frames the predecessor forwarded dropped)\n";
        takeDeviceLocks(**runtime);
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
        {
            std::unique_lock<std::mutex> lock(gWakeMu);
            gWake.wait_for(lock, std::chrono::milliseconds(50),
                           [] { return gStopSignal.load() != 0 || gReload.load(); });
        }
        if (gReload.exchange(false)) {
            if (cfg->policyPath.empty()) {
                std::cerr << "sluice run: SIGHUP: no policy file to reload (this daemon runs the "
                             "AOT object " << cfg->artifactPath << "; use sluice ctl reload FILE)\n";
            } else {
                auto r = nlohmann::json::parse(
                    (*runtime)->reloadFile(cfg->policyPath, {}, "sighup"), nullptr, false);
                if (!r.is_discarded()) {
                    std::string msg = r.value("message", std::string());
                    if (!msg.empty()) std::cerr << msg << (msg.back() == '\n' ? "" : "\n");
                    std::cerr << "sluice run: SIGHUP reload of " << cfg->policyPath << ": "
                              << r.value("result", std::string("?")) << "\n";
                }
            }
        }
        std::chrono::duration<double> waited = std::chrono::steady_clock::now() - begin;
        if (o.duration > 0 && waited.count() >= o.duration) break;
    }
    int rc = kExitOk;
    // The control socket (its pid lock) goes last: a --takeover successor waits for that lock
    // and then knows the workers have stopped and the state file is written.
    Status stopped = (*runtime)->stop(true);
    if (!stopped) {
        std::cerr << "sluice run: error: " << stopped.error().str() << "\n";
        rc = kExitInputError;
    }
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
    if (Status c = (*runtime)->closeControl(); !c) {
        std::cerr << "sluice run: error: " << c.error().str() << "\n";
        rc = kExitInputError;
        stopped = c;
    }
    if (o.json) {
        printJson(std::cout, nlohmann::json::parse((*runtime)->statsJson()));
    } else if (!o.quiet) {
        auto reply = nlohmann::json::parse((*runtime)->control(R"({"cmd":"stats"})"), nullptr, false);
        if (!reply.is_discarded()) std::cout << reply.value("output", std::string());
    }
    if (!stopped) {  // a thread that did not stop may still run: no exit-time destructors
        std::cout.flush();
        std::_Exit(rc);
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
    cmd->add_flag("--takeover", o->takeover,
                  "Restart without a stall: start up, then stop the daemon of the same control "
                  "socket (it saves --state) and take its devices; none running: a plain start; "
                  "other ports, devices or --state: refused, exit 1");
    cmd->callback([o, &exitCode] { exitCode = runRun(*o); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("run", setupRun);

}  // namespace sluice::cli
