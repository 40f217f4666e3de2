// `sluice gateway CONFIG`: the on-demand forwarding gateway (docs/gateway.md). Today it answers
// RSP from the controller's store and follows the store's revision; the VXLAN relay of
// forwarding-cache misses runs on a kernel UDP socket. SIGTERM or SIGINT end it; the counters
// are then printed to stdout as one JSON object (SIGUSR1: one line of them at once).
#include <atomic>
#include <csignal>
#include <iostream>

#include "command.h"
#include "sluice/gateway/process.h"

namespace sluice::cli {
namespace {

std::atomic<bool> gStop{false}, gDump{false};

void onSignal(int) { gStop.store(true); }
void onDump(int) { gDump.store(true); }

int runGatewayCommand(const std::string& path) {
    auto text = readInputOrReport(path, kConfigFileLimits);
    if (!text) return kExitInputError;
    auto config = gateway::parseGatewayConfig(*text, path);
    if (!config) {
        std::cerr << config.error().str() << "\n";
        return kExitInputError;
    }
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sa.sa_handler = onDump;
    sigaction(SIGUSR1, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return gateway::runGateway(*config, gStop, std::cerr, std::cout, &gDump) == 0 ? kExitOk
                                                                                  : kExitInputError;
}

void setupGateway(CLI::App& app, int& exitCode) {
    auto path = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "gateway", "The on-demand forwarding gateway: answers RSP from the controller's store");
    cmd->add_option("config", *path, "Gateway config (JSON, docs/gateway.md)")->required();
    cmd->callback([path, &exitCode] { exitCode = runGatewayCommand(*path); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("gateway", setupGateway);

}  // namespace sluice::cli
