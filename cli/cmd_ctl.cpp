// `sluice ctl stats|sessions|trace|flush`: talk to a running `sluice run` over its control
// socket (--socket, $SLUICE_CTL_SOCKET, or /run/sluice/sluice.sock).
#include <cstdlib>
#include <iostream>
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
};

std::string socketPath(const CtlOptions& o) {
    if (!o.socket.empty()) return o.socket;
    if (const char* env = std::getenv("SLUICE_CTL_SOCKET")) return env;
    return "/run/sluice/sluice.sock";
}

int send(const CtlOptions& o, nlohmann::json request) {
    request["format"] = o.prometheus ? "prometheus" : o.json ? "json" : "text";
    auto raw = rt::controlRequest(socketPath(o), request.dump());
    if (!raw) {
        std::cerr << "sluice ctl: error: " << raw.error().str() << "\n";
        return kExitInputError;
    }
    auto reply = nlohmann::json::parse(*raw, nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) {
        std::cerr << "sluice ctl: error: malformed reply from the daemon\n";
        return kExitInputError;
    }
    if (!reply.value("ok", false)) {
        std::cerr << "sluice ctl: error: " << reply.value("error", std::string("unknown")) << "\n";
        return kExitInputError;
    }
    std::string out = reply.value("output", std::string());
    std::cout << out;
    if (!out.empty() && out.back() != '\n') std::cout << "\n";
    return kExitOk;
}

void setupCtl(CLI::App& app, int& exitCode) {
    auto o = std::make_shared<CtlOptions>();
    auto* ctl = app.add_subcommand("ctl", "Control a running vSwitch (stats, sessions, trace, flush)");
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
}

}  // namespace

SLUICE_REGISTER_COMMAND("ctl", setupCtl);

}  // namespace sluice::cli
