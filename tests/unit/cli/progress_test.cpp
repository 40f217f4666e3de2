// Progress on a terminal (issue 14, item 5): `proptest`, `compile` and `verify` draw a bar with counts on
// stderr when it is a terminal (script(1) gives the run one), never with --quiet, never when
// stderr is a file or a pipe; the bar's line is cleared before the report.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;
using sluice::test::Outcome;
using sluice::test::shellQuote;
using sluice::test::sluiceCommand;

class ProgressOnATerminal : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
        dir_ = fs::temp_directory_path() / ("sluice_progress_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        policy_ = std::string(SLUICE_SOURCE_DIR) + "/examples/vpc.sl";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    // The command on a pseudo-terminal: what the terminal showed (stdout and stderr together).
    std::string onTerminal(const std::string& args) {
        Outcome r = sluice::test::runShell(
            "TERM=xterm script -qec " + shellQuote(sluiceCommand(args)) + " /dev/null", dir_);
        EXPECT_EQ(r.code, 0) << r.err;
        return r.out;
    }
    fs::path dir_;
    std::string policy_;
};

const std::string kRedraw = "\r\033[K";

TEST_F(ProgressOnATerminal, ProptestShowsCountsAndClearsTheLine) {
    std::string screen = onTerminal("proptest " + policy_ + " --cases 3000");
    EXPECT_NE(screen.find(kRedraw + "proptest  compile  ["), std::string::npos) << screen;
    EXPECT_NE(screen.find("13/13  100%"), std::string::npos) << screen;
    EXPECT_NE(screen.find("3000/3000  100%"), std::string::npos) << screen;
    // The report starts on a cleared line.
    EXPECT_NE(screen.find(kRedraw + "ok: 3000 packets"), std::string::npos) << screen;
}

TEST_F(ProgressOnATerminal, CompileShowsItsPasses) {
    std::string screen = onTerminal("compile " + policy_);
    EXPECT_NE(screen.find(kRedraw + "compile  compile  ["), std::string::npos) << screen;
    EXPECT_NE(screen.find("13/13  100%"), std::string::npos) << screen;
}

TEST_F(ProgressOnATerminal, VerifyCountsTheGroupsOfItsRuleChecks) {
    std::string screen = onTerminal("verify " + policy_);
    EXPECT_NE(screen.find(kRedraw + "verify  rule checks  ["), std::string::npos) << screen;
    EXPECT_NE(screen.find("100%"), std::string::npos) << screen;
    EXPECT_NE(screen.find(kRedraw + "verify  assertions"), std::string::npos) << screen;
}

TEST_F(ProgressOnATerminal, NothingWithQuietOrWithoutATerminal) {
    EXPECT_EQ(onTerminal("proptest " + policy_ + " --cases 300 --quiet").find("\033[K"),
              std::string::npos);
    EXPECT_EQ(onTerminal("compile " + policy_ + " --quiet").find("\033[K"), std::string::npos);
    EXPECT_EQ(onTerminal("verify " + policy_ + " --quiet --no-color").find("\033[K"), std::string::npos);
    Outcome piped = sluice::test::runShell(sluiceCommand("proptest " + policy_ + " --cases 300"), dir_);
    EXPECT_EQ(piped.code, 0);
    EXPECT_EQ(piped.err.find("\033[K"), std::string::npos) << piped.err;
    EXPECT_EQ(piped.out.find("\033[K"), std::string::npos);
}

}  // namespace
