// Running the built `sluice` binary from a test: under `timeout`, so a regression fails
// instead of hanging, with stdout and stderr captured through files in the test's directory.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sluice::test {

struct Outcome {
    int code = -1;  // exit code; -1 when killed by a signal
    std::string out, err;
};

inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs `cmd` with /bin/sh; `scratch` holds the captured output.
inline Outcome runShell(const std::string& cmd, const std::filesystem::path& scratch) {
    std::string o = (scratch / "stdout").string(), e = (scratch / "stderr").string();
    int status = std::system((cmd + " >" + o + " 2>" + e).c_str());
    Outcome r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(o);
    r.err = slurp(e);
    return r;
}

// "timeout SECONDS <build>/cli/sluice ARGS".
inline std::string sluiceCommand(const std::string& args, int seconds = 60) {
    return "timeout " + std::to_string(seconds) + " " + std::string(SLUICE_BINARY_DIR) +
           "/cli/sluice " + args;
}

// Single-quoted for /bin/sh.
inline std::string shellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

}  // namespace sluice::test
