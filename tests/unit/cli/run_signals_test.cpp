// `sluice run` and signals during start-up (issue 9): SIGTERM used to be blocked until the
// daemon was running, so a start that hung (a FIFO as a pcap, a slow compile) could only be
// stopped with SIGKILL. Now SIGTERM/SIGINT during start-up end it at once with exit 1.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

class RunSignals : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_run_signals_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        // A policy big enough that loading and compiling it takes well over the 200 ms after
        // which the test signals (about 0.8 s of CPU for parsing alone).
        std::ofstream policy(dir_ / "big.sl");
        policy << "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }\n"
                  "layer l { default deny; in { group g priority 1 {\n";
        for (int i = 0; i < 20000; ++i) {
            policy << "  rule r" << i << " priority " << i + 1 << " match proto tcp src_ip 10."
                   << (i / 256) % 256 << "." << i % 256 << ".0/24 dst_port " << i % 60000 + 1
                   << " action allow;\n";
        }
        policy << "} } }\n";
        std::ofstream config(dir_ / "run.json");
        config << R"({"policy": "big.sl", "slow_path": "compiled", "ports": {"p": "null"},)"
               << R"( "control_socket": ")" << (dir_ / "ctl.sock").string() << R"("})";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
};

TEST_F(RunSignals, SigtermDuringStartUpEndsItAtOnceWithExitOne) {
    std::string err = (dir_ / "stderr.txt").string();
    std::string binary = std::string(SLUICE_BINARY_DIR) + "/cli/sluice";
    std::string config = (dir_ / "run.json").string();
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execl(binary.c_str(), binary.c_str(), "run", config.c_str(), "--duration", "30",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto signalled = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    int status = 0;
    pid_t done = 0;
    // Deadline: exiting takes milliseconds; 5 s leaves room for a loaded machine.
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() - signalled < std::chrono::seconds(5)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (done == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        FAIL() << "sluice run did not end within 5 s of SIGTERM during start-up";
    }
    std::stringstream text;
    text << std::ifstream(err).rdbuf();
    ASSERT_TRUE(WIFEXITED(status)) << text.str();
    EXPECT_EQ(WEXITSTATUS(status), 1) << text.str();
    EXPECT_NE(text.str().find("stopped by SIGTERM during start-up"), std::string::npos) << text.str();
    EXPECT_FALSE(fs::exists(dir_ / "ctl.sock"));  // nothing was served yet
}

}  // namespace
