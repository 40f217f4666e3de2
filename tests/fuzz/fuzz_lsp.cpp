// libFuzzer target for `sluice lsp` (cli/lsp/): the input is the byte stream a client sends
// (framing, JSON-RPC, LSP params, document text). Contract beyond no crash, hang or huge
// allocation: the exit code is 0 or 1; everything the server writes is a sequence of
// "Content-Length: N\r\n\r\n" frames of JSON-RPC 2.0 objects, each a response (an id with
// exactly one of result or error, an error with an integer code and a message) or a
// notification (a method); and a second run on the same bytes writes the same bytes (no
// state leaks between messages of one run into another).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "fuzz_fail.h"
#include "lsp/server.h"

namespace {

using nlohmann::json;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    sluice::fuzz::fail("fuzz_lsp", what, detail);
}

void checkOutput(const std::string& out) {
    size_t at = 0;
    const std::string prefix = "Content-Length: ";
    while (at < out.size()) {
        if (out.compare(at, prefix.size(), prefix) != 0) fail("output frame without Content-Length", out.substr(at, 200));
        size_t end = out.find("\r\n\r\n", at);
        if (end == std::string::npos) fail("output header not terminated", out.substr(at, 200));
        std::string number = out.substr(at + prefix.size(), end - at - prefix.size());
        if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos)
            fail("output Content-Length is not a number", number);
        size_t length = std::stoul(number);
        if (end + 4 + length > out.size()) fail("output body shorter than its Content-Length", number);
        json m = json::parse(out.substr(end + 4, length), nullptr, false);
        if (m.is_discarded() || !m.is_object()) fail("output body is not a JSON object", out.substr(end + 4, length));
        if (m.value("jsonrpc", "") != "2.0") fail("output without jsonrpc 2.0", m.dump());
        if (m.contains("method")) {
            if (!m["method"].is_string() || m.contains("id")) fail("malformed notification", m.dump());
        } else {
            if (!m.contains("id")) fail("response without id", m.dump());
            if (m.contains("result") == m.contains("error")) fail("response needs one of result, error", m.dump());
            if (m.contains("error") && (!m["error"]["code"].is_number_integer() || !m["error"]["message"].is_string()))
                fail("malformed error", m.dump());
        }
        at = end + 4 + length;
    }
}

std::string serve(const std::string& input, int& code) {
    sluice::lang::FrontendOptions options;
    options.stdlibDirs = sluice::lang::defaultStdlibDirs();
    std::istringstream in(input);
    std::ostringstream out, log;
    sluice::cli::lsp::Server server(options, out, log);
    code = server.run(in);
    return out.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    int code = -1, again = -1;
    std::string out = serve(input, code);
    if (code != 0 && code != 1) fail("exit code is neither 0 nor 1", std::to_string(code));
    checkOutput(out);
    if (serve(input, again) != out || again != code) fail("a second run answered differently", input.substr(0, 400));
    return 0;
}
