// `sluice lsp`: a Language Server (LSP 3.17) on stdin/stdout for editors (docs/lsp.md). The
// server itself is cli/lsp/; this only wires the shared options (--stdlib) and the streams.
// Exit 0 after `shutdown` then `exit`, 1 when the input ends or `exit` comes without
// `shutdown` (as the LSP specification says).
#include <iostream>

#include "command.h"
#include "lsp/server.h"

namespace sluice::cli {
namespace {

void setupLsp(CLI::App& app, int& exitCode) {
    auto* cmd = app.add_subcommand(
        "lsp", "Language Server over stdio: diagnostics as you type, hover, go to definition, symbols");
    cmd->footer("Speaks LSP 3.17 on stdin/stdout (Content-Length frames); problems with what the "
                "client sends are logged to stderr. Exit codes (as the LSP specification says): 0 "
                "after 'shutdown' then 'exit'; 1 when 'exit' comes without 'shutdown' or the input "
                "ends; 2 usage. Editor set-up: docs/lsp.md.");
    cmd->callback([&exitCode] {
        lsp::Server server(frontendOptions(), std::cout, std::cerr);
        exitCode = server.run(std::cin);
    });
}

}  // namespace

SLUICE_REGISTER_COMMAND("lsp", setupLsp);

}  // namespace sluice::cli
