// JSON-RPC 2.0 as LSP uses it: error codes, and the shape of replies and notifications.
// Classifies an incoming message (request, notification, or something to refuse) without
// trusting any of its fields.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace sluice::cli::lsp {

// JSON-RPC and LSP 3.17 error codes.
enum class ErrorCode : int {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
    ServerNotInitialized = -32002,
};

// Thrown by a handler whose params are not what the method takes: the dispatcher answers
// InvalidParams with the message.
struct ParamsError {
    std::string message;
};

struct Incoming {
    enum class Kind { Request, Notification, Response, Invalid };
    Kind kind = Kind::Invalid;
    nlohmann::json id;  // Request: a number or string; Invalid: the id if one was readable, else null
    std::string method;
    nlohmann::json params;  // null when absent
    std::string problem;    // Invalid: why
};

// `body` is one frame's bytes; a body that is not JSON is Invalid with id null (ParseError).
Incoming classify(const std::string& body, bool& parseError);

// Serialised messages (invalid UTF-8 in strings is replaced, never thrown on).
std::string resultMessage(const nlohmann::json& id, const nlohmann::json& result);
std::string errorMessage(const nlohmann::json& id, ErrorCode code, const std::string& message);
std::string notificationMessage(const std::string& method, const nlohmann::json& params);

}  // namespace sluice::cli::lsp
