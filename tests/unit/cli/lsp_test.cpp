// `sluice lsp` driven by a scripted client over pipes (issue 14, item 8): the built binary is
// spawned with its stdin and stdout connected to the test; every read has a deadline and the
// process is killed if it outlives the test, so a hang fails instead of blocking. Expected
// positions are computed here from the text sent (0-based lines, UTF-16 columns), never
// written as numbers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kDeadlineMs = 30000;

// An LSP position of the `occurrence`-th `needle` in `text` (plus `offset` bytes into it).
json positionOf(const std::string& text, const std::string& needle, int occurrence = 0,
                size_t offset = 0) {
    size_t at = text.find(needle);
    for (int i = 0; i < occurrence && at != std::string::npos; ++i) at = text.find(needle, at + 1);
    EXPECT_NE(at, std::string::npos) << needle;
    at += offset;
    size_t lineStart = text.rfind('\n', at == 0 ? 0 : at - 1);
    lineStart = lineStart == std::string::npos || at == 0 ? 0 : lineStart + 1;
    int line = 0;
    for (size_t i = 0; i < lineStart; ++i) line += text[i] == '\n';
    // UTF-16 units: one per UTF-8 lead byte, two for a 4-byte sequence (outside the BMP).
    int units = 0;
    for (size_t i = lineStart; i < at; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xc0) != 0x80) units += (c & 0xf8) == 0xf0 ? 2 : 1;
    }
    return {{"line", line}, {"character", units}};
}

json rangeOf(const std::string& text, const std::string& needle, int occurrence = 0) {
    json start = positionOf(text, needle, occurrence);
    json end = start;
    // Every needle used for a range is ASCII, so its UTF-16 length is its byte length.
    end["character"] = start["character"].get<int>() + static_cast<int>(needle.size());
    return {{"start", start}, {"end", end}};
}

// The range of `length` bytes (ASCII) at `offset` into the first `needle` of `text`.
json rangeAt(const std::string& text, const std::string& needle, size_t offset, int length) {
    json start = positionOf(text, needle, 0, offset);
    json end = start;
    end["character"] = start["character"].get<int>() + length;
    return {{"start", start}, {"end", end}};
}

std::string fileUri(const fs::path& p) { return "file://" + p.string(); }

// The server process and the client's end of its pipes.
class LspProcess {
public:
    explicit LspProcess(const fs::path& stderrFile, const std::vector<std::string>& extra = {}) {
        ::signal(SIGPIPE, SIG_IGN);  // a server that died must fail a check, not kill the test
        int toChild[2], fromChild[2];
        EXPECT_EQ(::pipe2(toChild, O_CLOEXEC), 0);
        EXPECT_EQ(::pipe2(fromChild, O_CLOEXEC), 0);
        std::string binary = std::string(SLUICE_BINARY_DIR) + "/cli/sluice";
        std::vector<std::string> args = {binary, "lsp"};
        args.insert(args.end(), extra.begin(), extra.end());
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(toChild[0], 0);
            ::dup2(fromChild[1], 1);
            int err = ::open(stderrFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(err, 2);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(binary.c_str(), argv.data());
            ::_exit(127);
        }
        ::close(toChild[0]);
        ::close(fromChild[1]);
        in_ = toChild[1];
        out_ = fromChild[0];
    }
    ~LspProcess() {
        closeInput();
        if (out_ >= 0) ::close(out_);
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    void sendRaw(const std::string& bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::write(in_, bytes.data() + done, bytes.size() - done);
            if (n <= 0) {
                ADD_FAILURE() << "the server stopped reading its input";
                return;
            }
            done += static_cast<size_t>(n);
        }
    }
    void send(const json& message) {
        std::string body = message.dump();
        sendRaw("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
    void request(int id, const std::string& method, const json& params) {
        send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    }
    void notify(const std::string& method, const json& params) {
        send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
    }
    void closeInput() {
        if (in_ >= 0) ::close(in_);
        in_ = -1;
    }

    // The next message the server sent that satisfies `want` (others are kept in `seen`);
    // null at the deadline or when the server's output ends.
    json waitFor(const std::function<bool(const json&)>& want) {
        auto deadline = Clock::now() + std::chrono::milliseconds(kDeadlineMs);
        while (true) {
            while (auto m = parseOne()) {
                if (want(*m)) return *m;
                seen.push_back(*m);
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return nullptr;
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char chunk[65536];
            ssize_t n = ::read(out_, chunk, sizeof chunk);
            if (n <= 0) return nullptr;
            buffer_.append(chunk, static_cast<size_t>(n));
        }
    }
    json response(int id) {
        return waitFor([id](const json& m) { return m.contains("id") && m["id"] == id && !m.contains("method"); });
    }
    json diagnosticsFor(const std::string& uri) {
        return waitFor([&](const json& m) {
            return m.value("method", "") == "textDocument/publishDiagnostics" &&
                   m["params"]["uri"] == uri;
        });
    }
    // The exit code; -1 when the server has not exited by the deadline (it is then killed).
    int exitCode() {
        auto deadline = Clock::now() + std::chrono::milliseconds(kDeadlineMs);
        while (Clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                reaped_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }

    std::vector<json> seen;

private:
    // One framed message from buffer_, if complete. The framing is checked strictly: a
    // server that writes anything else on stdout breaks every editor.
    std::optional<json> parseOne() {
        size_t end = buffer_.find("\r\n\r\n");
        if (end == std::string::npos) return std::nullopt;
        std::string header = buffer_.substr(0, end);
        const std::string prefix = "Content-Length: ";
        EXPECT_EQ(header.rfind(prefix, 0), 0u) << header;
        size_t length = std::stoul(header.substr(prefix.size()));
        if (buffer_.size() < end + 4 + length) return std::nullopt;
        json m = json::parse(buffer_.substr(end + 4, length));
        buffer_.erase(0, end + 4 + length);
        EXPECT_EQ(m["jsonrpc"], "2.0");
        return m;
    }

    pid_t pid_ = -1;
    int in_ = -1, out_ = -1;
    bool reaped_ = false;
    std::string buffer_;
};

class Lsp : public ::testing::Test {
protected:
    void SetUp() override {
        scratch_ = fs::temp_directory_path() /
                   ("sluice_lsp_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(scratch_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(scratch_, ec);
    }
    std::string stderrText() { return sluice::test::slurp(scratch_ / "stderr"); }

    void initialize(LspProcess& lsp) {
        lsp.request(1, "initialize", {{"processId", nullptr}, {"rootUri", nullptr}, {"capabilities", json::object()}});
        json init = lsp.response(1);
        ASSERT_TRUE(init.contains("result")) << init.dump();
        json caps = init["result"]["capabilities"];
        EXPECT_EQ(caps["textDocumentSync"]["change"], 1);  // full text
        EXPECT_EQ(caps["hoverProvider"], true);
        EXPECT_EQ(caps["definitionProvider"], true);
        EXPECT_EQ(caps["documentSymbolProvider"], true);
        lsp.notify("initialized", json::object());
    }
    // didOpen of a Sluice document at version 1.
    static void open(LspProcess& lsp, const std::string& uri, const std::string& text) {
        lsp.notify("textDocument/didOpen",
                   {{"textDocument", {{"uri", uri}, {"languageId", "sluice"}, {"version", 1}, {"text", text}}}});
    }
    void shutdownAndExit(LspProcess& lsp, int id) {
        lsp.request(id, "shutdown", nullptr);
        json r = lsp.response(id);
        EXPECT_TRUE(r.contains("result") && r["result"].is_null()) << r.dump();
        lsp.notify("exit", nullptr);
        EXPECT_EQ(lsp.exitCode(), 0) << stderrText();
    }

    fs::path scratch_;
};

// A policy without diagnostics; a comment with characters outside ASCII (one outside the BMP,
// two UTF-16 units) sits before names on the rule's line, so byte and UTF-16 columns differ.
const std::string kPolicy = R"(import std.protocols;

const WEB_NET = 10.1.0.0/16;

port web1 {
    mac 02:00:0a:01:00:05;
    ip 10.1.0.5;
    vni 5001;
    layers acl;
}

layer acl {
    default deny;
    in {
        group admin priority 10 match src_ip WEB_NET {
            rule ssh priority 1 match proto tcp /* café 😀 */ dst_port SSH action allow;
        }
    }
}
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos);
    return text.replace(at, from.size(), to);
}

TEST_F(Lsp, DiagnosticsAsYouTypeThenFixed) {
    LspProcess lsp(scratch_ / "stderr");
    initialize(lsp);
    std::string uri = fileUri(scratch_ / "policy.sl");
    std::string broken = replaced(kPolicy, "dst_port SSH ", "dst_port SSHH ");
    open(lsp, uri, broken);
    json diags = lsp.diagnosticsFor(uri);
    ASSERT_FALSE(diags.is_null()) << stderrText();
    EXPECT_EQ(diags["params"]["version"], 1);
    json list = diags["params"]["diagnostics"];
    ASSERT_EQ(list.size(), 1u) << list.dump(2);
    EXPECT_EQ(list[0]["code"], "E102");
    EXPECT_EQ(list[0]["severity"], 1);
    EXPECT_EQ(list[0]["range"], rangeOf(broken, "SSHH")) << list[0].dump(2);
    EXPECT_NE(list[0]["message"].get<std::string>().find("SSHH"), std::string::npos);
    // The "did you mean 'SSH'?" note points into the stdlib file.
    ASSERT_TRUE(list[0].contains("relatedInformation")) << list[0].dump(2);
    json related = list[0]["relatedInformation"][0];
    EXPECT_NE(related["message"].get<std::string>().find("SSH"), std::string::npos);
    std::string stdlibProtocols = fs::path(SLUICE_SOURCE_DIR) / "stdlib" / "protocols.sl";
    EXPECT_EQ(related["location"]["uri"], fileUri(stdlibProtocols));
    EXPECT_EQ(related["location"]["range"],
              rangeAt(sluice::test::slurp(stdlibProtocols), "const SSH ", 6, 3));

    lsp.notify("textDocument/didChange",
               {{"textDocument", {{"uri", uri}, {"version", 2}}}, {"contentChanges", {{{"text", kPolicy}}}}});
    diags = lsp.diagnosticsFor(uri);
    ASSERT_FALSE(diags.is_null());
    EXPECT_EQ(diags["params"]["version"], 2);
    EXPECT_EQ(diags["params"]["diagnostics"], json::array()) << diags.dump(2);

    lsp.notify("textDocument/didClose", {{"textDocument", {{"uri", uri}}}});
    diags = lsp.diagnosticsFor(uri);
    EXPECT_EQ(diags["params"]["diagnostics"], json::array());
    shutdownAndExit(lsp, 2);
}

TEST_F(Lsp, SyntaxErrorRangeAndSymbolsOfAPartialTree) {
    LspProcess lsp(scratch_ / "stderr");
    initialize(lsp);
    std::string uri = fileUri(scratch_ / "policy.sl");
    // A missing ';' is reported just after the previous token; the layer still parses enough
    // to be listed.
    std::string broken = replaced(kPolicy, "const WEB_NET = 10.1.0.0/16;", "const WEB_NET = 10.1.0.0/16");
    open(lsp, uri, broken);
    json list = lsp.diagnosticsFor(uri)["params"]["diagnostics"];
    ASSERT_GE(list.size(), 1u);
    EXPECT_EQ(list[0]["code"], "E001");
    json after = positionOf(broken, "10.1.0.0/16", 0, std::string("10.1.0.0/16").size());
    EXPECT_EQ(list[0]["range"]["start"], after) << list.dump(2);
    lsp.request(2, "textDocument/documentSymbol", {{"textDocument", {{"uri", uri}}}});
    json symbols = lsp.response(2)["result"];
    bool layerListed = false;
    for (const json& s : symbols) layerListed |= s["name"] == "acl";
    EXPECT_TRUE(layerListed) << symbols.dump(2);
    shutdownAndExit(lsp, 3);
}

TEST_F(Lsp, HoverDefinitionAndSymbols) {
    LspProcess lsp(scratch_ / "stderr");
    initialize(lsp);
    std::string uri = fileUri(scratch_ / "policy.sl");
    open(lsp, uri, kPolicy);
    ASSERT_FALSE(lsp.diagnosticsFor(uri).is_null());
    json doc = {{"uri", uri}};

    // A constant of the document, hovered at its use (on its last character).
    lsp.request(2, "textDocument/hover", {{"textDocument", doc}, {"position", positionOf(kPolicy, "WEB_NET {", 0, 6)}});
    json hover = lsp.response(2)["result"];
    ASSERT_TRUE(hover.is_object()) << hover.dump();
    std::string text = hover["contents"]["value"];
    EXPECT_NE(text.find("constant"), std::string::npos) << text;
    EXPECT_NE(text.find("const WEB_NET = 10.1.0.0/16;"), std::string::npos) << text;
    EXPECT_NE(text.find("policy.sl:3:"), std::string::npos) << text;
    EXPECT_EQ(hover["range"], rangeOf(kPolicy, "WEB_NET", 1));

    // A stdlib name after the non-ASCII comment: the UTF-16 column must land on it.
    json sshAt = positionOf(kPolicy, "SSH action");
    lsp.request(3, "textDocument/hover", {{"textDocument", doc}, {"position", sshAt}});
    hover = lsp.response(3)["result"];
    ASSERT_TRUE(hover.is_object()) << hover.dump();
    text = hover["contents"]["value"];
    EXPECT_NE(text.find("const SSH"), std::string::npos) << text;
    EXPECT_NE(text.find("= 22;"), std::string::npos) << text;
    EXPECT_NE(text.find("protocols.sl"), std::string::npos) << text;
    EXPECT_EQ(hover["range"], rangeAt(kPolicy, "SSH action", 0, 3));

    // Go to definition: the document's own constant, then the stdlib file.
    lsp.request(4, "textDocument/definition", {{"textDocument", doc}, {"position", positionOf(kPolicy, "WEB_NET {")}});
    json def = lsp.response(4)["result"];
    EXPECT_EQ(def["uri"], uri);
    EXPECT_EQ(def["range"], rangeOf(kPolicy, "WEB_NET"));
    lsp.request(5, "textDocument/definition", {{"textDocument", doc}, {"position", sshAt}});
    def = lsp.response(5)["result"];
    std::string stdlibProtocols = fs::path(SLUICE_SOURCE_DIR) / "stdlib" / "protocols.sl";
    EXPECT_EQ(def["uri"], fileUri(stdlibProtocols)) << def.dump();
    EXPECT_EQ(def["range"], rangeAt(sluice::test::slurp(stdlibProtocols), "const SSH ", 6, 3))
        << def.dump();
    // A layer named in a port's settings.
    lsp.request(6, "textDocument/definition", {{"textDocument", doc}, {"position", positionOf(kPolicy, "acl;")}});
    EXPECT_EQ(lsp.response(6)["result"]["range"], rangeOf(kPolicy, "acl", 1));

    // Nothing under the cursor (a keyword) and past the end of the line: null, not an error.
    lsp.request(7, "textDocument/hover", {{"textDocument", doc}, {"position", positionOf(kPolicy, "default")}});
    EXPECT_TRUE(lsp.response(7)["result"].is_null());
    lsp.request(8, "textDocument/hover", {{"textDocument", doc}, {"position", {{"line", 2}, {"character", 100000}}}});
    EXPECT_TRUE(lsp.response(8)["result"].is_null());

    // Outline: constant, port and layer at the top; the layer holds the group, which holds the rule.
    lsp.request(9, "textDocument/documentSymbol", {{"textDocument", doc}});
    json symbols = lsp.response(9)["result"];
    ASSERT_EQ(symbols.size(), 3u) << symbols.dump(2);
    EXPECT_EQ(symbols[0]["name"], "WEB_NET");
    EXPECT_EQ(symbols[1]["name"], "web1");
    EXPECT_EQ(symbols[2]["name"], "acl");
    EXPECT_EQ(symbols[2]["selectionRange"], rangeOf(kPolicy, "acl", 1));
    ASSERT_EQ(symbols[2]["children"].size(), 1u);
    json group = symbols[2]["children"][0];
    EXPECT_EQ(group["name"], "admin");
    ASSERT_EQ(group["children"].size(), 1u);
    EXPECT_EQ(group["children"][0]["name"], "ssh");
    EXPECT_EQ(group["children"][0]["selectionRange"], rangeOf(kPolicy, "ssh"));
    EXPECT_EQ(group["children"][0]["range"]["start"], positionOf(kPolicy, "rule ssh"));
    shutdownAndExit(lsp, 10);
}

TEST_F(Lsp, ImportsResolveBesideTheDocumentOnDisk) {
    fs::create_directories(scratch_ / "lib");
    const std::string lib = "const ADMIN_NET = 172.16.10.0/28;\n";
    std::ofstream(scratch_ / "lib" / "nets.sl") << lib;
    std::string text = replaced(kPolicy, "import std.protocols;", "import std.protocols;\nimport \"lib/nets.sl\";");
    text = replaced(text, "match src_ip WEB_NET", "match src_ip WEB_NET, ADMIN_NET");
    LspProcess lsp(scratch_ / "stderr");
    initialize(lsp);
    std::string uri = fileUri(scratch_ / "policy.sl");
    open(lsp, uri, text);
    EXPECT_EQ(lsp.diagnosticsFor(uri)["params"]["diagnostics"], json::array());
    lsp.request(2, "textDocument/definition", {{"textDocument", {{"uri", uri}}}, {"position", positionOf(text, "ADMIN_NET")}});
    json def = lsp.response(2)["result"];
    EXPECT_EQ(def["uri"], fileUri(scratch_ / "lib" / "nets.sl")) << def.dump();
    EXPECT_EQ(def["range"], rangeOf(lib, "ADMIN_NET"));
    shutdownAndExit(lsp, 3);
}

TEST_F(Lsp, HostileInputIsAnsweredOrDroppedAndTheServerGoesOn) {
    LspProcess lsp(scratch_ / "stderr");
    // Before initialize: requests are refused, notifications dropped.
    lsp.request(1, "textDocument/hover", json::object());
    EXPECT_EQ(lsp.response(1)["error"]["code"], -32002);
    initialize(lsp);
    // Not JSON: ParseError with a null id.
    lsp.sendRaw("Content-Length: 9\r\n\r\n{\"id\": 1,");
    json parseError = lsp.waitFor([](const json& m) { return m.contains("error") && m["id"].is_null(); });
    EXPECT_EQ(parseError["error"]["code"], -32700);
    // Garbage headers, a negative and an oversized Content-Length (its body is skipped), a
    // frame without a length: dropped with a log line each, and the next request is answered.
    lsp.sendRaw("this is not a header\r\n\r\n");
    lsp.sendRaw("Content-Length: -5\r\n\r\n");
    lsp.sendRaw("Content-Length: 16777217\r\n\r\n" + std::string(16777217, 'x'));
    lsp.sendRaw("Content-Type: application/json\r\n\r\n");
    lsp.request(2, "no/such/method", json::object());
    EXPECT_EQ(lsp.response(2)["error"]["code"], -32601);
    // Wrong types in params and documents that are not open: InvalidParams.
    lsp.request(3, "textDocument/hover", {{"textDocument", {{"uri", 42}}}, {"position", {{"line", 0}, {"character", 0}}}});
    EXPECT_EQ(lsp.response(3)["error"]["code"], -32602);
    lsp.request(4, "textDocument/definition", {{"textDocument", {{"uri", "file:///nowhere.sl"}}}, {"position", {{"line", -1}, {"character", "x"}}}});
    EXPECT_EQ(lsp.response(4)["error"]["code"], -32602);
    lsp.request(5, "textDocument/documentSymbol", "not an object");
    EXPECT_EQ(lsp.response(5)["error"]["code"], -32602);
    lsp.send({{"jsonrpc", "2.0"}, {"id", json::array()}, {"method", "shutdown"}});
    json badId = lsp.waitFor([](const json& m) { return m.contains("error") && m["id"].is_null(); });
    EXPECT_EQ(badId["error"]["code"], -32600);
    lsp.notify("textDocument/didOpen", {{"textDocument", "garbage"}});  // dropped, logged
    // A position past the end of the document, and an open document whose text is binary.
    std::string uri = fileUri(scratch_ / "p.sl");
    lsp.notify("textDocument/didOpen", {{"textDocument", {{"uri", uri}, {"version", 1}, {"text", kPolicy}}}});
    ASSERT_FALSE(lsp.diagnosticsFor(uri).is_null());
    lsp.request(6, "textDocument/hover", {{"textDocument", {{"uri", uri}}}, {"position", {{"line", 100000}, {"character", 0}}}});
    json past = lsp.response(6);
    EXPECT_TRUE(past.contains("result") && past["result"].is_null()) << past.dump();
    lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                          {"contentChanges", {{{"text", std::string("const A = 1;\0", 13)}}}}});
    json refused = lsp.diagnosticsFor(uri)["params"]["diagnostics"];
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_NE(refused[0]["message"].get<std::string>().find("NUL"), std::string::npos);
    shutdownAndExit(lsp, 7);
    std::string log = stderrText();
    for (const char* why : {"header line without ':'", "invalid Content-Length '-5'", "exceeds the limit",
                            "without Content-Length", "dropped notification 'textDocument/didOpen'"})
        EXPECT_NE(log.find(why), std::string::npos) << why << "\n" << log;
}

TEST_F(Lsp, ExitCodesFollowTheSpec) {
    {
        LspProcess lsp(scratch_ / "stderr");
        initialize(lsp);
        lsp.notify("exit", nullptr);  // without shutdown
        EXPECT_EQ(lsp.exitCode(), 1);
    }
    {
        LspProcess lsp(scratch_ / "stderr");
        initialize(lsp);
        lsp.closeInput();  // the client went away
        EXPECT_EQ(lsp.exitCode(), 1);
    }
    {
        LspProcess lsp(scratch_ / "stderr");
        initialize(lsp);
        lsp.request(2, "shutdown", nullptr);
        ASSERT_TRUE(lsp.response(2).contains("result"));
        lsp.request(3, "textDocument/hover", json::object());
        EXPECT_EQ(lsp.response(3)["error"]["code"], -32600);  // after shutdown
        lsp.notify("exit", nullptr);
        EXPECT_EQ(lsp.exitCode(), 0);
    }
}

}  // namespace
