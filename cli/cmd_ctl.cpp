// `sluice ctl stats|sessions|trace|flush|reload|rollback|history|save|monitor`: talk to a running `sluice run` over its control
// socket (--socket, $SLUICE_CTL_SOCKET, or /run/sluice/sluice.sock).
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <filesystem>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "command.h"
#include "sluice/runtime/control.h"

namespace sluice::cli {
namespace {

struct CtlOptions {
    std::string socket;
    bool json = false;
    bool prometheus = false;
    std::string packet;
    std::string port;
    std::string dir;
    size_t limit = 100;
    std::string file;
    bool force = false;
    bool dryRun = false;
    std::string expect;
    std::string verdict;     // monitor
    uint64_t maxEvents = 0;  // monitor: stop after this many decisions (0: until interrupted)
    double seconds = 0;      // monitor: stop after this long (0: until interrupted)
};

constexpr int kRequestTimeoutMs = 10000;  // an ordinary request: stats, sessions, trace
constexpr int kReloadTimeoutMs = 600000;  // the daemon's deferred-request deadline

std::string socketPath(const CtlOptions& o) {
    if (!o.socket.empty()) return o.socket;
    if (const char* env = std::getenv("SLUICE_CTL_SOCKET")) return env;
    return "/run/sluice/sluice.sock";
}

// One request to the daemon; the reply's "output", or nullopt after printing why there is none
// (no daemon, a malformed reply, or the daemon's own error).
std::optional<std::string> exchange(const CtlOptions& o, const nlohmann::json& request,
                                    int timeoutMs) {
    auto raw = rt::controlRequest(socketPath(o), request.dump(), timeoutMs);
    if (!raw) {
        std::cerr << "sluice ctl: error: " << raw.error().str() << "\n";
        return std::nullopt;
    }
    auto reply = nlohmann::json::parse(*raw, nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) {
        std::cerr << "sluice ctl: error: malformed reply from the daemon\n";
        return std::nullopt;
    }
    if (!reply.value("ok", false)) {
        std::cerr << "sluice ctl: error: " << reply.value("error", std::string("unknown")) << "\n";
        return std::nullopt;
    }
    return reply.value("output", std::string());
}

int send(const CtlOptions& o, nlohmann::json request) {
    request["format"] = o.prometheus ? "prometheus" : o.json ? "json" : "text";
    auto output = exchange(o, request, kRequestTimeoutMs);
    if (!output) return kExitInputError;
    std::string out = std::move(*output);
    if (o.json) {  // the daemon's JSON, with the CLI's schema_version
        auto j = nlohmann::json::parse(out, nullptr, false);
        if (j.is_object()) out = withSchema(std::move(j)).dump();
    }
    std::cout << out;
    if (!out.empty() && out.back() != '\n') std::cout << "\n";
    return kExitOk;
}

// `ctl reload` / `ctl rollback`: the reply's output is the attempt as JSON; its "exit" is the
// command's exit code (0 swapped, 3 refused by verification or gate, 1 input errors).
int sendReload(const CtlOptions& o, nlohmann::json request) {
    request["format"] = "json";
    auto output = exchange(o, request, kReloadTimeoutMs);
    if (!output) return kExitInputError;
    auto a = nlohmann::json::parse(*output, nullptr, false);
    if (a.is_discarded() || !a.is_object() || !a.contains("exit") || !a["exit"].is_number_integer()) {
        std::cerr << "sluice ctl: error: malformed reload reply from the daemon\n";
        return kExitInputError;
    }
    int code = a["exit"].get<int>();
    if (code != kExitOk && code != kExitViolation) code = kExitInputError;
    if (o.json) {
        std::cout << a.dump(2) << "\n";
        return code;
    }
    std::string msg = a.value("message", std::string());
    if (!msg.empty()) std::cerr << msg << (msg.back() == '\n' ? "" : "\n");
    std::string result = a.value("result", std::string());
    std::cout << result;
    if (a.contains("pipeline")) {
        std::cout << ": pipeline " << a["pipeline"];
        if (a.contains("previous_pipeline")) std::cout << " (was " << a["previous_pipeline"] << ")";
    } else if (a.contains("previous_pipeline")) {
        std::cout << ": the running pipeline " << a["previous_pipeline"] << " is unchanged";
    }
    if (a.value("forced", false)) std::cout << "  [forced: verification failed]";
    if (a.contains("diff")) {
        std::string sum = a["diff"].value("summary", std::string());
        if (!sum.empty()) std::cout << "\n  diff: " << sum;
    }
    if (a.contains("request_to_swap_ms"))
        std::cout << "\n  " << a["request_to_swap_ms"].get<double>() << " ms from request to "
                  << (result == "swapped" ? "swap" : "answer");
    std::cout << "\n";
    return code;
}

volatile std::sig_atomic_t gMonitorStop = 0;
void onMonitorSignal(int) { gMonitorStop = 1; }

// `ctl monitor`: subscribes, then takes the decisions the daemon buffered for it every 100 ms
// (each take an ordinary request with its own deadline) and prints them, until interrupted
// (SIGINT/SIGTERM), --count or --seconds; then unsubscribes. Lines the daemon had to drop
// because this client was too slow are reported (stderr; a JSON line with --json).
int monitor(const CtlOptions& o) {
    nlohmann::json sub = {{"cmd", "monitor"}, {"op", "subscribe"}, {"port", o.port},
                          {"verdict", o.verdict}, {"format", o.json ? "json" : "text"}};
    auto out = exchange(o, sub, kRequestTimeoutMs);
    if (!out) return kExitInputError;
    auto id = nlohmann::json::parse(*out, nullptr, false);
    if (!id.is_object() || !id.contains("id") || !id["id"].is_number_unsigned()) {
        std::cerr << "sluice ctl: error: malformed reply from the daemon\n";
        return kExitInputError;
    }
    uint64_t monitorId = id["id"].get<uint64_t>();
    gMonitorStop = 0;
    std::signal(SIGINT, onMonitorSignal);
    std::signal(SIGTERM, onMonitorSignal);
    auto start = std::chrono::steady_clock::now();
    uint64_t shown = 0;
    int code = kExitOk;
    while (!gMonitorStop) {
        auto taken = exchange(o, {{"cmd", "monitor"}, {"op", "take"}, {"id", monitorId}},
                              kRequestTimeoutMs);
        if (!taken) {
            code = kExitInputError;
            break;
        }
        auto t = nlohmann::json::parse(*taken, nullptr, false);
        std::string lines = t.is_object() ? t.value("lines", std::string()) : std::string();
        uint64_t lost = t.is_object() ? t.value("lost", uint64_t{0}) : 0;
        if (lost > 0) {
            if (o.json) {
                std::cout << nlohmann::json({{"schema_version", 1}, {"lost", lost}}).dump() << "\n";
            }
            std::cerr << "sluice ctl monitor: " << lost
                      << " decisions lost (this client read too slowly)\n";
        }
        size_t at = 0;
        while (at < lines.size() && !(o.maxEvents && shown >= o.maxEvents)) {
            size_t nl = lines.find('\n', at);
            if (nl == std::string::npos) nl = lines.size();
            std::cout << lines.substr(at, nl - at) << "\n";
            at = nl + 1;
            ++shown;
        }
        std::cout.flush();
        if (o.maxEvents && shown >= o.maxEvents) break;
        if (o.seconds > 0 && std::chrono::steady_clock::now() - start >=
                                 std::chrono::duration<double>(o.seconds))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    (void)exchange(o, {{"cmd", "monitor"}, {"op", "stop"}, {"id", monitorId}}, kRequestTimeoutMs);
    return code;
}

void setupCtl(CLI::App& app, int& exitCode) {
    auto o = std::make_shared<CtlOptions>();
    auto* ctl = app.add_subcommand("ctl", "Control a running vSwitch (stats, sessions, trace, flush, reload, rollback, history, save, monitor)");
    ctl->add_option("--socket", o->socket, "Control socket (default $SLUICE_CTL_SOCKET or /run/sluice/sluice.sock)");
    ctl->require_subcommand(1);

    auto* stats = ctl->add_subcommand("stats", "Counters per port, layer, rule and drop reason");
    stats->add_flag("--json", o->json, "JSON output");
    stats->add_flag("--prometheus", o->prometheus, "Prometheus text exposition format");
    stats->callback([o, &exitCode] { exitCode = send(*o, {{"cmd", "stats"}}); });

    auto* sessions = ctl->add_subcommand("sessions", "Session table entries");
    sessions->add_flag("--json", o->json, "JSON output");
    sessions->add_option("--port", o->port, "Only sessions charged to this port");
    sessions->add_option("--limit", o->limit, "At most this many entries (default 100)");
    sessions->callback([o, &exitCode] {
        exitCode = send(*o, {{"cmd", "sessions"}, {"port", o->port}, {"limit", o->limit}});
    });

    auto* trace = ctl->add_subcommand("trace", "Which groups and rules decide a packet on the live pipeline");
    trace->add_option("packet", o->packet, "Packet text, e.g. \"tcp 10.0.0.1:1234 -> 10.0.0.2:80 flags S\"")->required();
    trace->add_option("--port", o->port, "Port the packet enters (out: default the owner of the source)");
    trace->add_option("--dir", o->dir, "out (from the VM) or in (from the uplink)")
        ->check(CLI::IsMember({"in", "out"}));
    trace->add_flag("--json", o->json, "JSON output");
    trace->callback([o, &exitCode] {
        exitCode = send(*o, {{"cmd", "trace"}, {"packet", o->packet}, {"port", o->port}, {"dir", o->dir}});
    });

    auto* flush = ctl->add_subcommand("flush", "Remove sessions (all, or one port's)");
    flush->add_option("--port", o->port, "Only this port's sessions");
    flush->add_flag("--json", o->json, "JSON output");
    flush->callback([o, &exitCode] { exitCode = send(*o, {{"cmd", "flush"}, {"port", o->port}}); });

    auto* reload = ctl->add_subcommand(
        "reload", "Check, verify, diff, compile and hot-swap a policy (exit 0 swapped, 3 refused, 1 errors)");
    reload->add_option("file", o->file, "Policy file (.sl), as the daemon sees it")->required();
    reload->add_flag("--force", o->force, "Reload even when verification fails (recorded)");
    reload->add_option("--expect", o->expect, "Gate file of intended changes (as `sluice diff --expect`)");
    reload->add_flag("--dry-run", o->dryRun, "Everything but the swap");
    reload->add_flag("--json", o->json, "JSON output");
    reload->callback([o, &exitCode] {
        // Paths as the daemon sees them: relative ones are made absolute here.
        auto abs = [](const std::string& p) {
            return p.empty() || p[0] == '/' ? p : std::filesystem::absolute(p).string();
        };
        exitCode = sendReload(*o, {{"cmd", "reload"}, {"file", abs(o->file)}, {"force", o->force},
                                   {"dry_run", o->dryRun}, {"expect", abs(o->expect)}});
    });

    auto* rollback = ctl->add_subcommand(
        "rollback", "Return to the pipeline the last reload replaced, verified and diffed as a reload (exit 0, 3 refused, 1 errors)");
    rollback->add_flag("--force", o->force, "Roll back even when verification fails (recorded)");
    rollback->add_option("--expect", o->expect, "Gate file of intended changes (as `sluice diff --expect`)");
    rollback->add_flag("--dry-run", o->dryRun, "Everything but the swap");
    rollback->add_flag("--json", o->json, "JSON output");
    rollback->callback([o, &exitCode] {
        std::string e = o->expect.empty() || o->expect[0] == '/'
                            ? o->expect
                            : std::filesystem::absolute(o->expect).string();
        exitCode = sendReload(*o, {{"cmd", "rollback"}, {"force", o->force},
                                   {"dry_run", o->dryRun}, {"expect", e}});
    });

    auto* mon = ctl->add_subcommand(
        "monitor", "Stream live decisions of logged rules, audit layers and (all_drops) drops");
    mon->add_option("--port", o->port, "Only decisions of this port's pipelines");
    mon->add_option("--verdict", o->verdict, "Only allow or deny decisions")
        ->check(CLI::IsMember({"allow", "deny"}));
    mon->add_flag("--json", o->json, "One JSON object a line (snake_case, schema_version)");
    mon->add_option("--count", o->maxEvents, "Stop after N decisions (default: until interrupted)");
    mon->add_option("--seconds", o->seconds, "Stop after this many seconds (default: until interrupted)");
    mon->callback([o, &exitCode] { exitCode = monitor(*o); });

    auto* history = ctl->add_subcommand("history", "Every reload attempt: time, policy hash, result, diff");
    history->add_flag("--json", o->json, "JSON output");
    history->callback([o, &exitCode] { exitCode = send(*o, {{"cmd", "history"}}); });

    auto* save = ctl->add_subcommand("save", "Write the session state file (default: run --state FILE)");
    save->add_option("file", o->file, "State file (default: the daemon's --state)");
    save->add_flag("--json", o->json, "JSON output");
    save->callback([o, &exitCode] {
        std::string f = o->file.empty() || o->file[0] == '/' ? o->file
                                                           : std::filesystem::absolute(o->file).string();
        exitCode = send(*o, {{"cmd", "save"}, {"file", f}});
    });
}

}  // namespace

SLUICE_REGISTER_COMMAND("ctl", setupCtl);

}  // namespace sluice::cli
