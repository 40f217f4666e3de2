// Server (server.h). Lifecycle rules of LSP 3.17: before `initialize` a request is answered
// ServerNotInitialized and a notification dropped (`exit` still ends the server); after
// `shutdown` every request but `exit` is InvalidRequest. Unknown requests are MethodNotFound,
// unknown notifications (and `$/` ones such as $/cancelRequest) are ignored. Params are read
// with checked accessors: a wrong type is InvalidParams for a request, a logged drop for a
// notification.
#include "lsp/server.h"

#include <istream>
#include <ostream>

#include "lsp/features.h"
#include "lsp/framing.h"
#include "lsp/text_positions.h"
#include "sluice/support/input_file.h"

namespace sluice::cli::lsp {

using nlohmann::json;

namespace {

const json& member(const json& j, const char* key) {
    if (!j.is_object()) throw ParamsError{"params must be an object"};
    auto it = j.find(key);
    if (it == j.end()) throw ParamsError{std::string("missing '") + key + "'"};
    return *it;
}

std::string stringMember(const json& j, const char* key) {
    const json& v = member(j, key);
    if (!v.is_string()) throw ParamsError{std::string("'") + key + "' must be a string"};
    return v.get<std::string>();
}

uint64_t unsignedMember(const json& j, const char* key) {
    const json& v = member(j, key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
        throw ParamsError{std::string("'") + key + "' must be a non-negative integer"};
    }
    return v.get<uint64_t>();
}

int64_t versionMember(const json& j) {
    auto it = j.is_object() ? j.find("version") : j.end();
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_number_integer()) throw ParamsError{"'version' must be an integer"};
    return it->get<int64_t>();
}

std::string documentUri(const json& params) {
    return stringMember(member(params, "textDocument"), "uri");
}

// The byte offset of an LSP position in `text` (clamped to the text).
size_t offsetOf(const std::string& text, uint64_t line, uint64_t character) {
    size_t begin = 0;
    for (uint64_t l = 0; l < line; ++l) {
        size_t nl = text.find('\n', begin);
        if (nl == std::string::npos) return text.size();
        begin = nl + 1;
    }
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view lineText(text.data() + begin, end - begin);
    return begin + byteOffsetOfUtf16(lineText, character);
}

}  // namespace

Server::Server(lang::FrontendOptions options, std::ostream& out, std::ostream& log)
    : documents_(std::move(options)), out_(out), log_(log) {}

int Server::run(std::istream& in) {
    FrameReader reader(in);
    while (!exited_) {
        FrameRead frame = reader.next();
        if (!frame.problem.empty()) logLine(frame.problem);
        if (frame.status == FrameRead::Status::End) break;
        if (frame.status == FrameRead::Status::Message) handle(frame.body);
    }
    return exitCode();
}

bool Server::handle(const std::string& body) {
    bool parseError = false;
    Incoming in = classify(body, parseError);
    switch (in.kind) {
        case Incoming::Kind::Invalid:
            logLine(in.problem);
            send(errorMessage(in.id, parseError ? ErrorCode::ParseError : ErrorCode::InvalidRequest,
                              in.problem));
            break;
        case Incoming::Kind::Response:
            logLine("dropped a response: this server sends no requests");
            break;
        case Incoming::Kind::Request:
            request(in);
            break;
        case Incoming::Kind::Notification:
            notification(in);
            break;
    }
    return !exited_;
}

void Server::request(const Incoming& in) {
    if (!initialized_ && in.method != "initialize") {
        send(errorMessage(in.id, ErrorCode::ServerNotInitialized,
                          "'" + in.method + "' before 'initialize'"));
        return;
    }
    if (shutdownRequested_) {
        send(errorMessage(in.id, ErrorCode::InvalidRequest,
                          "'" + in.method + "' after 'shutdown' (only 'exit' is accepted)"));
        return;
    }
    try {
        json result;
        if (in.method == "initialize") {
            if (initialized_) {
                send(errorMessage(in.id, ErrorCode::InvalidRequest, "'initialize' sent twice"));
                return;
            }
            result = initialize(in.params);
        } else if (in.method == "shutdown") {
            shutdownRequested_ = true;
            result = nullptr;
        } else if (in.method == "textDocument/hover" || in.method == "textDocument/definition") {
            result = atPosition(in.method, in.params);
        } else if (in.method == "textDocument/documentSymbol") {
            result = documentSymbol(in.params);
        } else {
            send(errorMessage(in.id, ErrorCode::MethodNotFound, "unknown method '" + in.method + "'"));
            return;
        }
        send(resultMessage(in.id, result));
    } catch (const ParamsError& e) {
        send(errorMessage(in.id, ErrorCode::InvalidParams, in.method + ": " + e.message));
    } catch (const std::exception& e) {
        // A bug of ours (a json accessor we did not guard); still an answer, not a crash.
        send(errorMessage(in.id, ErrorCode::InternalError, in.method + ": " + e.what()));
    }
}

void Server::notification(const Incoming& in) {
    if (in.method == "exit") {
        exited_ = true;
        return;
    }
    if (!initialized_ || shutdownRequested_) {
        logLine("dropped notification '" + in.method + "': " +
                (initialized_ ? "after 'shutdown'" : "before 'initialize'"));
        return;
    }
    try {
        if (in.method == "textDocument/didOpen") {
            didOpen(in.params);
        } else if (in.method == "textDocument/didChange") {
            didChange(in.params);
        } else if (in.method == "textDocument/didClose") {
            didClose(in.params);
        } else if (in.method != "initialized" && in.method.rfind("$/", 0) != 0) {
            logLine("ignored unknown notification '" + in.method + "'");
        }
    } catch (const ParamsError& e) {
        logLine("dropped notification '" + in.method + "': " + e.message);
    } catch (const std::exception& e) {
        logLine("dropped notification '" + in.method + "': " + e.what());
    }
}

json Server::initialize(const json& params) {
    if (!params.is_null() && !params.is_object()) throw ParamsError{"params must be an object"};
    initialized_ = true;
    return {{"capabilities",
             {{"positionEncoding", "utf-16"},
              {"textDocumentSync", {{"openClose", true}, {"change", 1}}},  // 1: Full
              {"hoverProvider", true},
              {"definitionProvider", true},
              {"documentSymbolProvider", true}}},
            {"serverInfo", {{"name", "sluice"}}}};
}

void Server::didOpen(const json& params) {
    const json& item = member(params, "textDocument");
    std::string uri = stringMember(item, "uri");
    std::string text = stringMember(item, "text");
    Document* doc = documents_.open(uri, std::move(text), versionMember(item));
    if (doc == nullptr) {
        logLine("dropped didOpen of " + uri + ": " + std::to_string(kMaxDocuments) +
                " documents are open already");
        return;
    }
    publish(*doc);
}

void Server::didChange(const json& params) {
    const json& item = member(params, "textDocument");
    std::string uri = stringMember(item, "uri");
    const json& changes = member(params, "contentChanges");
    if (!changes.is_array()) throw ParamsError{"'contentChanges' must be an array"};
    Document* doc = documents_.find(uri);
    if (doc == nullptr) throw ParamsError{uri + " is not open"};
    // Full sync sends the whole text; a client that sends ranges anyway gets them applied.
    std::string text = doc->text;
    for (const json& change : changes) {
        std::string replacement = stringMember(change, "text");
        if (!change.contains("range")) {
            text = std::move(replacement);
            continue;
        }
        const json& range = member(change, "range");
        const json& start = member(range, "start");
        const json& end = member(range, "end");
        size_t from = offsetOf(text, unsignedMember(start, "line"), unsignedMember(start, "character"));
        size_t to = offsetOf(text, unsignedMember(end, "line"), unsignedMember(end, "character"));
        if (to < from) std::swap(from, to);
        if (text.size() - (to - from) + replacement.size() > kPolicyFileLimits.maxBytes + 1) {
            throw ParamsError{"the change makes the document larger than a policy file may be"};
        }
        text.replace(from, to - from, replacement);
    }
    publish(*documents_.update(uri, std::move(text), versionMember(item)));
}

void Server::didClose(const json& params) {
    std::string uri = documentUri(params);
    documents_.close(uri);
    clearDiagnostics(uri);
}

json Server::atPosition(const std::string& method, const json& params) {
    std::string uri = documentUri(params);
    const json& position = member(params, "position");
    uint64_t line = unsignedMember(position, "line");
    uint64_t character = unsignedMember(position, "character");
    Document* doc = documents_.find(uri);
    if (doc == nullptr) throw ParamsError{uri + " is not open"};
    return method == "textDocument/hover" ? hoverResult(*doc, line, character)
                                          : definitionResult(*doc, line, character);
}

json Server::documentSymbol(const json& params) {
    std::string uri = documentUri(params);
    Document* doc = documents_.find(uri);
    if (doc == nullptr) throw ParamsError{uri + " is not open"};
    return documentSymbolsResult(*doc);
}

void Server::publish(const Document& doc) {
    send(notificationMessage("textDocument/publishDiagnostics", diagnosticsParams(doc)));
}

void Server::clearDiagnostics(const std::string& uri) {
    send(notificationMessage("textDocument/publishDiagnostics",
                             {{"uri", uri}, {"diagnostics", json::array()}}));
}

void Server::send(const std::string& body) { out_ << frameMessage(body) << std::flush; }

void Server::logLine(const std::string& line) { log_ << "sluice lsp: " << line << "\n"; }

}  // namespace sluice::cli::lsp
