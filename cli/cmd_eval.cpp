// `sluice eval FILE (--port P --dir in|out | --from-uplink) (--packet TEXT | --packets FILE)
// [--single-hop]`: run packets through the reference semantics. By default each packet follows
// its whole network-level path (network.h: the sender's outbound pipeline, the forwarding
// decision, the receiving port's inbound pipeline); --single-hop evaluates the one port and
// direction only. One interpreter serves all packets of a run, so stateful sessions created by
// earlier packets are seen by later ones.
#include <iostream>

#include "command.h"
#include "sluice/interp/interpreter.h"
#include "sluice/interp/network.h"

namespace sluice::cli {
namespace {

struct EvalOptions {
    std::string file;
    std::string port;
    std::string dir;
    std::string packet;
    std::string packetsFile;
    bool json = false;
    bool singleHop = false;
    bool fromUplink = false;
};

int runEval(const EvalOptions& options) {
    lang::Frontend frontend(frontendOptions());
    auto policy = loadPolicyOrReport(frontend, options.file, false);
    if (!policy) return kExitInputError;

    int port = options.fromUplink ? -1 : policy->findPort(options.port);
    if (!options.fromUplink && port < 0) {
        std::cerr << "sluice eval: error: no port named '" << options.port << "' in "
                  << options.file << "\n";
        for (const auto& p : policy->ports) std::cerr << "note: port '" << p.name << "' exists\n";
        return kExitUsage;
    }
    std::optional<lang::Direction> defaultDir;
    if (options.dir == "in") defaultDir = lang::Direction::In;
    if (options.dir == "out") defaultDir = lang::Direction::Out;
    if (options.fromUplink) defaultDir = lang::Direction::In;

    std::vector<InputLine> lines;
    if (!options.packet.empty()) lines.push_back({options.packet, "--packet"});
    if (!options.packetsFile.empty()) {
        auto text = readInputOrReport(options.packetsFile, kPacketListLimits);
        if (!text) return kExitInputError;
        for (InputLine& l : packetLines(*text, options.packetsFile)) lines.push_back(std::move(l));
    }

    interp::Interpreter interpreter(policy);
    int exitCode = kExitOk;
    for (const auto& line : lines) {
        auto parsed = lang::parsePacketText(line.text);
        if (!parsed) {
            std::cerr << line.where << ": error: bad packet: " << parsed.error().str() << "\n  "
                      << line.text << "\n";
            exitCode = kExitInputError;
            continue;
        }
        auto dir = parsed->direction ? parsed->direction : defaultDir;
        if (!dir) {
            std::cerr << line.where << ": error: no direction: give --dir or end the packet "
                      << "with 'in' or 'out'\n";
            exitCode = kExitUsage;
            continue;
        }
        if (options.fromUplink && *dir != lang::Direction::In) {
            std::cerr << line.where << ": error: a packet from the uplink travels 'in'\n";
            exitCode = kExitUsage;
            continue;
        }
        if (options.singleHop) {
            auto p = static_cast<uint32_t>(port);
            auto result = interpreter.evaluate(p, *dir, parsed->headers);
            if (options.json) {
                printJson(std::cout, nlohmann::json::parse(interp::resultToJson(*policy, p, *dir, result)), -1);
            } else {
                std::cout << line.text << "\n"
                          << interp::resultToText(*policy, p, *dir, result) << "\n";
            }
            continue;
        }
        std::optional<uint32_t> start;
        if (port >= 0) start = static_cast<uint32_t>(port);
        interp::PathResult path =
            start ? interp::evaluatePath(interpreter, *start, *dir, parsed->headers)
                  : interp::evaluateFromUplink(interpreter, parsed->headers);
        if (options.json) {
            printJson(std::cout, nlohmann::json::parse(interp::pathToJson(*policy, start, *dir, path)), -1);
        } else {
            std::cout << line.text << "\n"
                      << interp::pathToText(*policy, start, *dir, path) << "\n";
        }
    }
    return exitCode;
}

void setupEval(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<EvalOptions>();
    auto* cmd = app.add_subcommand("eval", "Evaluate packets with the reference interpreter");
    cmd->add_option("file", options->file, "Policy file (.sl)")->required();
    auto* portOpt = cmd->add_option("--port", options->port, "Port (vNIC) name");
    cmd->add_option("--dir", options->dir, "Direction: in or out")->check(CLI::IsMember({"in", "out"}));
    auto* one = cmd->add_option("--packet", options->packet, "One packet, e.g. \"tcp 10.0.0.5:1234 -> 10.0.1.7:443\"");
    auto* many = cmd->add_option("--packets", options->packetsFile, "File with one packet a line");
    cmd->add_flag("--json", options->json, "One JSON object a line");
    cmd->add_flag("--single-hop", options->singleHop,
                  "Only the given port and direction, not the whole path");
    auto* uplink = cmd->add_flag("--from-uplink", options->fromUplink,
                                 "Packets arrive from the uplink; the port is found by VNI and "
                                 "address")
                       ->excludes(portOpt);
    cmd->callback([options, &exitCode, one, many, portOpt, uplink] {
        if (portOpt->count() == 0 && uplink->count() == 0) {
            std::cerr << "sluice eval: error: give --port (or --from-uplink)\n";
            exitCode = kExitUsage;
            return;
        }
        if (options->singleHop && options->fromUplink) {
            std::cerr << "sluice eval: error: --single-hop needs --port\n";
            exitCode = kExitUsage;
            return;
        }
        if (one->count() == 0 && many->count() == 0) {
            std::cerr << "sluice eval: error: give --packet or --packets\n";
            exitCode = kExitUsage;
            return;
        }
        exitCode = runEval(*options);
    });
}

}  // namespace

SLUICE_REGISTER_COMMAND("eval", setupEval);

}  // namespace sluice::cli
