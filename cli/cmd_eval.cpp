// `sluice eval FILE --port P --dir in|out (--packet TEXT | --packets FILE)`: run packets
// through the reference interpreter. One interpreter serves all packets of a run, so stateful
// sessions created by earlier packets are seen by later ones.
#include <fstream>
#include <iostream>

#include "command.h"
#include "sluice/interp/interpreter.h"

namespace sluice::cli {
namespace {

struct EvalOptions {
    std::string file;
    std::string port;
    std::string dir;
    std::string packet;
    std::string packetsFile;
    bool json = false;
};

struct PacketLine {
    std::string text;
    std::string where;  // "FILE:LINE" for diagnostics
};

int runEval(const EvalOptions& options) {
    lang::Frontend frontend(frontendOptions());
    auto policy = loadPolicyOrReport(frontend, options.file, false);
    if (!policy) return kExitInputError;

    int port = policy->findPort(options.port);
    if (port < 0) {
        std::cerr << "sluice eval: error: no port named '" << options.port << "' in "
                  << options.file << "\n";
        for (const auto& p : policy->ports) std::cerr << "note: port '" << p.name << "' exists\n";
        return kExitUsage;
    }
    std::optional<lang::Direction> defaultDir;
    if (options.dir == "in") defaultDir = lang::Direction::In;
    if (options.dir == "out") defaultDir = lang::Direction::Out;

    std::vector<PacketLine> lines;
    if (!options.packet.empty()) lines.push_back({options.packet, "--packet"});
    if (!options.packetsFile.empty()) {
        std::ifstream in(options.packetsFile);
        if (!in) {
            std::cerr << options.packetsFile << ": error: cannot read packets file\n";
            return kExitInputError;
        }
        std::string line;
        for (size_t n = 1; std::getline(in, line); ++n) {
            auto first = line.find_first_not_of(" \t\r");
            if (first == std::string::npos || line[first] == '#') continue;
            lines.push_back({line, options.packetsFile + ":" + std::to_string(n)});
        }
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
        auto result = interpreter.evaluate(static_cast<uint32_t>(port), *dir, parsed->headers);
        if (options.json) {
            std::cout << interp::resultToJson(*policy, port, *dir, result) << "\n";
        } else {
            std::cout << line.text << "\n"
                      << interp::resultToText(*policy, port, *dir, result) << "\n";
        }
    }
    return exitCode;
}

void setupEval(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<EvalOptions>();
    auto* cmd = app.add_subcommand("eval", "Evaluate packets with the reference interpreter");
    cmd->add_option("file", options->file, "Policy file (.sl)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--port", options->port, "Port (vNIC) name")->required();
    cmd->add_option("--dir", options->dir, "Direction: in or out")->check(CLI::IsMember({"in", "out"}));
    auto* one = cmd->add_option("--packet", options->packet, "One packet, e.g. \"tcp 10.0.0.5:1234 -> 10.0.1.7:443\"");
    auto* many = cmd->add_option("--packets", options->packetsFile, "File with one packet a line")
                     ->check(CLI::ExistingFile);
    cmd->add_flag("--json", options->json, "One JSON object a line");
    cmd->callback([options, &exitCode, one, many] {
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
