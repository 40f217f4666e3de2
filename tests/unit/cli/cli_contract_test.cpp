// One CLI contract on every command (issue 14, item 6): a missing input is an input error
// (exit 1; `diff`: 2, its error code), snake_case JSON with `schema_version`, SARIF from check
// and verify, "did you mean" for commands and options (exit 2), diff's `expected` only with
// --expect, `ctl flush --port nope` an error, a missing device named without DPDK's log lines.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using sluice::test::Outcome;
using sluice::test::slurp;

class CliContract : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_contract_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        policy_ = write("ok.sl",
                        "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }\n"
                        "layer l { default deny; out { group g priority 1 { rule r priority 1 "
                        "match dst_port 80 action allow; } } }\n");
        bad_ = write("bad.sl",
                     "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }\n"
                     "layer l { default deny; out { group g priority 1 { rule r priority 1 "
                     "match dst_ip nowhere action allow; } } }\n");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string write(const std::string& name, const std::string& text) {
        std::string p = (dir_ / name).string();
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    // `timeout` turns a hang into exit 124 (a failure) instead of a stuck suite.
    Outcome sluice(const std::string& args) {
        return sluice::test::runShell(sluice::test::sluiceCommand(args, 30), dir_);
    }
    fs::path dir_;
    std::string policy_, bad_;
};

TEST_F(CliContract, MissingInputIsAnInputErrorOnEveryCommand) {
    std::string missing = (dir_ / "missing.sl").string();
    for (const std::string& args :
         {"check " + missing, "compile " + missing, "verify " + missing, "fmt " + missing,
          "proptest " + missing, "eval " + missing + " --port p --packet 'udp 1.1.1.1 -> 2.2.2.2'",
          "bench classify " + missing + " --port p --packets " + missing, "run " + missing,
          "import classbench " + missing,
          "eval " + policy_ + " --port p --dir out --packets " + missing}) {
        Outcome r = sluice(args);
        EXPECT_EQ(r.code, 1) << args << "\n" << r.err;
        EXPECT_NE(r.err.find("missing.sl"), std::string::npos) << args << "\n" << r.err;
        EXPECT_NE(r.err.find("error:"), std::string::npos) << args << "\n" << r.err;
    }
    Outcome diff = sluice("diff " + missing + " " + policy_);
    EXPECT_EQ(diff.code, 2) << diff.err;  // diff: 0 same, 1 different, 2 error
}

// Colour is automatic on a terminal: `script` gives the command a pty as stderr.
TEST_F(CliContract, ColourAutomaticOnATerminal) {
    if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
    std::string bin = std::string(SLUICE_BINARY_DIR) + "/cli/sluice";
    auto onTty = [&](const std::string& env, const std::string& args) {
        std::string out = (dir_ / "tty.out").string();
        std::string cmd = env + " timeout 20 script -qec '" + bin + " " + args + "' /dev/null >" + out;
        (void)std::system(cmd.c_str());
        return slurp(out);
    };
    EXPECT_NE(onTty("", "check " + bad_).find("\x1b[1;31merror"), std::string::npos);
    EXPECT_EQ(onTty("NO_COLOR=1", "check " + bad_).find('\x1b'), std::string::npos);
    EXPECT_EQ(onTty("", "check --no-color " + bad_).find('\x1b'), std::string::npos);
    Outcome piped = sluice("check " + bad_);  // stderr is a file
    EXPECT_NE(piped.err.find("unknown name 'nowhere'"), std::string::npos);
    EXPECT_EQ(piped.err.find('\x1b'), std::string::npos);
    EXPECT_NE(sluice("check --color " + bad_).err.find('\x1b'), std::string::npos);
}

TEST_F(CliContract, DidYouMeanForCommandsAndOptions) {
    Outcome cmd = sluice("chek " + policy_);
    EXPECT_EQ(cmd.code, 2);
    EXPECT_NE(cmd.err.find("unknown command 'chek' for 'sluice'; did you mean 'check'?"),
              std::string::npos) << cmd.err;
    Outcome sub = sluice("ctl flsh");
    EXPECT_EQ(sub.code, 2);
    EXPECT_NE(sub.err.find("unknown command 'flsh' for 'sluice ctl'; did you mean 'flush'?"),
              std::string::npos) << sub.err;
    Outcome opt = sluice("verify " + policy_ + " --sarf");
    EXPECT_EQ(opt.code, 2);
    EXPECT_NE(opt.err.find("unknown option '--sarf' for 'sluice verify'; did you mean '--sarif'?"),
              std::string::npos) << opt.err;
    Outcome far = sluice("check " + policy_ + " --zzzzzzzz");
    EXPECT_EQ(far.code, 2);
    EXPECT_NE(far.err.find("unknown option '--zzzzzzzz'"), std::string::npos) << far.err;
    EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
    Outcome help = sluice("--help");
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << help.out;
}

// Every key of a JSON value, recursively.
void keys(const json& j, std::vector<std::string>& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            out.push_back(it.key());
            keys(it.value(), out);
        }
    } else if (j.is_array()) {
        for (const auto& e : j) keys(e, out);
    }
}

void expectSnakeCase(const json& j, const std::string& what) {
    std::vector<std::string> ks;
    keys(j, ks);
    EXPECT_FALSE(ks.empty()) << what;
    for (const auto& k : ks) {
        bool snake = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
        EXPECT_TRUE(snake) << what << ": key '" << k << "'";
    }
}

TEST_F(CliContract, JsonIsSnakeCaseWithSchemaVersion) {
    Outcome check = sluice("check --json " + bad_);
    EXPECT_EQ(check.code, 1);
    json c = json::parse(check.out);
    EXPECT_EQ(c["schema_version"], 2);
    const json& d = c["files"][0]["diagnostics"][0];
    EXPECT_EQ(d["id"], "E102");
    EXPECT_EQ(d["line"], 2);
    EXPECT_GE(d["end_col"].get<int>(), d["col"].get<int>());
    expectSnakeCase(c, "check");

    Outcome verify = sluice("verify --json " + policy_);
    EXPECT_EQ(verify.code, 0) << verify.err;
    json v = json::parse(verify.out);
    EXPECT_EQ(v["schema_version"], 2);
    expectSnakeCase(v, "verify");

    Outcome eval = sluice("eval --json " + policy_ + " --port p --dir out --packet 'tcp 10.0.0.1:5 -> 10.0.0.9:80'");
    EXPECT_EQ(eval.code, 0) << eval.err;
    json e = json::parse(eval.out);
    EXPECT_EQ(e["schema_version"], 2);
    expectSnakeCase(e, "eval");

    Outcome prop = sluice("proptest --json --cases 50 " + policy_);
    EXPECT_EQ(prop.code, 0) << prop.err;
    EXPECT_EQ(json::parse(prop.out)["schema_version"], 2);
    Outcome comp = sluice("compile --json --no-validate " + policy_);
    EXPECT_EQ(comp.code, 0) << comp.err;
    json cj = json::parse(comp.out);
    EXPECT_EQ(cj["schema_version"], 2);
    expectSnakeCase(cj, "compile");
}

TEST_F(CliContract, SarifFromCheckAndVerify) {
    Outcome check = sluice("check --sarif " + bad_ + " " + policy_);
    EXPECT_EQ(check.code, 1);
    json s = json::parse(check.out);
    EXPECT_EQ(s["version"], "2.1.0");
    const json& results = s["runs"][0]["results"];
    ASSERT_EQ(results.size(), 1u) << check.out;
    EXPECT_EQ(results[0]["ruleId"], "E102");
    EXPECT_EQ(results[0]["level"], "error");
    const json& loc = results[0]["locations"][0]["physicalLocation"];
    EXPECT_EQ(loc["artifactLocation"]["uri"], bad_);
    EXPECT_EQ(loc["region"]["startLine"], 2);
    EXPECT_EQ(s["runs"][0]["tool"]["driver"]["rules"][0]["id"], "E102");
    Outcome clean = sluice("check --sarif " + policy_);
    EXPECT_EQ(clean.code, 0);
    EXPECT_TRUE(json::parse(clean.out)["runs"][0]["results"].empty());
    // verify --sarif on a policy with input errors: the diagnostics as SARIF, exit 1.
    Outcome verify = sluice("verify --sarif " + bad_);
    EXPECT_EQ(verify.code, 1);
    EXPECT_EQ(json::parse(verify.out)["runs"][0]["results"][0]["ruleId"], "E102");
    EXPECT_EQ(sluice("check --sarif --json " + policy_).code, 2);
}

TEST_F(CliContract, DiffExpectedOnlyWithExpect) {
    std::string changed = write("changed.sl",
                                "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }\n"
                                "layer l { default deny; out { group g priority 1 { rule r "
                                "priority 1 match dst_port 81 action allow; } } }\n");
    Outcome plain = sluice("diff --json " + policy_ + " " + changed);
    EXPECT_EQ(plain.code, 1) << plain.err;
    json p = json::parse(plain.out);
    EXPECT_EQ(p["schema_version"], 2);
    ASSERT_FALSE(p["changes"].empty());
    for (const auto& c : p["changes"]) EXPECT_FALSE(c.contains("expected")) << c.dump();
    EXPECT_FALSE(p.contains("gate_failed"));
    std::string expect = write("expect.txt", "rule l.r\n");
    Outcome gated = sluice("diff --json " + policy_ + " " + changed + " --expect " + expect);
    EXPECT_EQ(gated.code, 0) << gated.out << gated.err;
    json g = json::parse(gated.out);
    EXPECT_EQ(g["gate_failed"], false);
    for (const auto& c : g["changes"]) EXPECT_EQ(c["expected"], true) << c.dump();
}

TEST_F(CliContract, RunNamesAMissingDeviceWithoutDpdkLogLines) {
    std::string config = write("run.json", R"({"policy": ")" + policy_ +
                                               R"(", "ports": {"p": "af_packet:sl-nope-c14"}})");
    Outcome r = sluice("run " + config + " --socket " + (dir_ / "s.sock").string() + " --duration 1");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("network interface 'sl-nope-c14' does not exist"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("rte_"), std::string::npos) << r.err;  // no DPDK log line
    EXPECT_EQ(r.err.find("EAL:"), std::string::npos) << r.err;
}

TEST_F(CliContract, RunNamesAMissingAfXdpDeviceToo) {
    std::string config = write("xdp.json", R"({"policy": ")" + policy_ +
                                               R"(", "ports": {"p": "af_xdp:sl-nope-x14"}})");
    Outcome r = sluice("run " + config + " --socket " + (dir_ / "x.sock").string() + " --duration 1");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("network interface 'sl-nope-x14' does not exist"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("EAL:"), std::string::npos) << r.err;
}

TEST_F(CliContract, CtlFlushOfAnUnknownPortIsAnError) {
    std::string sock = (dir_ / "ctl.sock").string();
    std::string config = write("null.json", R"({"policy": ")" + policy_ +
                                                R"(", "ports": {"p": "null"}, "control_socket": ")" +
                                                sock + R"("})");
    std::string cmd = "timeout 60 " + std::string(SLUICE_BINARY_DIR) + "/cli/sluice run --quiet " +
                      config + " --duration 30 >/dev/null 2>&1 & echo $!";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    int pid = 0;
    ASSERT_EQ(std::fscanf(p, "%d", &pid), 1);
    ::pclose(p);
    // Wait for the socket, with a deadline.
    Outcome stats;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stats = sluice("ctl --socket " + sock + " stats --json");
    } while (stats.code != 0 && std::chrono::steady_clock::now() < deadline);
    ASSERT_EQ(stats.code, 0) << stats.err;
    EXPECT_EQ(json::parse(stats.out)["schema_version"], 2);
    Outcome nope = sluice("ctl --socket " + sock + " flush --port nope");
    EXPECT_EQ(nope.code, 1);
    EXPECT_NE(nope.err.find("no port named 'nope'"), std::string::npos) << nope.err;
    Outcome ok = sluice("ctl --socket " + sock + " flush --port p");
    EXPECT_EQ(ok.code, 0) << ok.err;
    ::kill(pid, SIGTERM);
}

}  // namespace
