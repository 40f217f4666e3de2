// `sluice lsp`: the Language Server's lifecycle and dispatch (LSP 3.17 over a byte stream).
// initialize / initialized / shutdown / exit; textDocument/didOpen, didChange, didClose
// (diagnostics published after each); hover, definition, documentSymbol. Every message is
// answered per JSON-RPC or dropped with one line on the log stream; nothing a client sends
// makes it throw, crash or wait for anything but its next message.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "lsp/document_store.h"
#include "lsp/json_rpc.h"

namespace sluice::cli::lsp {

class Server {
public:
    // Replies and notifications are framed onto `out` (flushed per message); problems go to
    // `log`, one line each.
    Server(lang::FrontendOptions options, std::ostream& out, std::ostream& log);

    // Reads frames from `in` until `exit` or the end of input; returns the exit code the
    // spec gives: 0 after `shutdown` then `exit`, else 1.
    int run(std::istream& in);

    // One message body. Returns false once `exit` was received.
    bool handle(const std::string& body);
    int exitCode() const { return shutdownRequested_ ? 0 : 1; }

private:
    void request(const Incoming& in);
    void notification(const Incoming& in);
    nlohmann::json initialize(const nlohmann::json& params);
    void didOpen(const nlohmann::json& params);
    void didChange(const nlohmann::json& params);
    void didClose(const nlohmann::json& params);
    nlohmann::json atPosition(const std::string& method, const nlohmann::json& params);
    nlohmann::json documentSymbol(const nlohmann::json& params);
    void publish(const Document& doc);
    void clearDiagnostics(const std::string& uri);
    void send(const std::string& body);
    void logLine(const std::string& line);

    DocumentStore documents_;
    std::ostream& out_;
    std::ostream& log_;
    bool initialized_ = false;
    bool shutdownRequested_ = false;
    bool exited_ = false;
};

}  // namespace sluice::cli::lsp
