// classify() and the message builders of json_rpc.h.
#include "lsp/json_rpc.h"

namespace sluice::cli::lsp {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

Incoming classify(const std::string& body, bool& parseError) {
    Incoming in;
    parseError = false;
    // No exceptions, and a depth the parser's own recursion can take: nlohmann's parser is
    // recursive, so refuse deeply nested input before parsing.
    int depth = 0, maxDepth = 0;
    bool inString = false, escaped = false;
    for (char c : body) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            maxDepth = std::max(maxDepth, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    if (maxDepth > 64) {
        in.problem = "message nested deeper than 64 levels";
        return in;
    }
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) {
        parseError = true;
        in.problem = "message is not valid JSON";
        return in;
    }
    if (!j.is_object()) {
        in.problem = j.is_array() ? "batches are not supported" : "message is not a JSON object";
        return in;
    }
    auto id = j.find("id");
    bool hasId = id != j.end();
    if (hasId && (id->is_string() || id->is_number_integer() || id->is_number_unsigned())) {
        in.id = *id;
    } else if (hasId && !id->is_null()) {
        in.problem = "'id' must be a number or a string";
        return in;
    }
    auto version = j.find("jsonrpc");
    if (version == j.end() || *version != "2.0") {
        in.problem = "'jsonrpc' must be \"2.0\"";
        return in;
    }
    auto method = j.find("method");
    if (method == j.end()) {
        // A reply to a request of ours (the server sends none), or junk.
        in.kind = j.contains("result") || j.contains("error") ? Incoming::Kind::Response
                                                               : Incoming::Kind::Invalid;
        if (in.kind == Incoming::Kind::Invalid) in.problem = "message without 'method'";
        return in;
    }
    if (!method->is_string()) {
        in.problem = "'method' must be a string";
        return in;
    }
    in.method = method->get<std::string>();
    if (auto p = j.find("params"); p != j.end()) in.params = *p;
    in.kind = hasId && !id->is_null() ? Incoming::Kind::Request : Incoming::Kind::Notification;
    return in;
}

std::string resultMessage(const json& id, const json& result) {
    return dump({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string errorMessage(const json& id, ErrorCode code, const std::string& message) {
    return dump({{"jsonrpc", "2.0"},
                 {"id", id},
                 {"error", {{"code", static_cast<int>(code)}, {"message", message}}}});
}

std::string notificationMessage(const std::string& method, const json& params) {
    return dump({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

}  // namespace sluice::cli::lsp
