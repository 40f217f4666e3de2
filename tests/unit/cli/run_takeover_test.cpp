// `sluice run --takeover` on bad input (issue 13): the daemon to replace is found through the
// control socket's pid file and asked for its config before anything is stopped. No daemon:
// a plain start. Another config (other ports or devices, another state file): exit 1 and the
// running daemon keeps running. The same config: the running daemon exits 0 and the successor
// serves the socket. Null devices, so no root is needed (the namespace test
// tests/e2e/reload_netns_test.cpp checks a TCP connection across a takeover).
//
// Deliberate breaks tried (each made a test here fail, then was restored):
// - takeoverMismatch() returning "" always: DifferentPortsAreRefused and
//   DifferentStateFileIsRefused fail (the running daemon is stopped).
// - takeOver() not sending SIGTERM: SameConfigTakesOver fails (the successor times out).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string sluiceBin() { return std::string(SLUICE_BINARY_DIR) + "/cli/sluice"; }

std::string readText(const fs::path& p) {
    std::stringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
}

// Exit code and stdout+stderr of the sluice binary with `args`, under a 60 s timeout.
std::pair<int, std::string> runSluice(const std::string& args) {
    std::string out;
    FILE* p = popen(("timeout 60 " + sluiceBin() + " " + args + " 2>&1").c_str(), "r");
    if (!p) return {-1, out};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

class RunTakeover : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_takeover_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        fs::copy_file(std::string(SLUICE_SOURCE_DIR) + "/examples/run/demo.sl", dir_ / "demo.sl",
                      fs::copy_options::overwrite_existing);
        socket_ = (dir_ / "ctl.sock").string();
        both_ = config("both.json", R"({"vm1": "null", "vm2": "null"})");
        one_ = config("one.json", R"({"vm1": "null"})");
    }
    void TearDown() override {
        for (pid_t p : pids_) {
            if (::waitpid(p, nullptr, WNOHANG) == 0) {
                ::kill(p, SIGKILL);
                ::waitpid(p, nullptr, 0);
            }
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string config(const std::string& name, const std::string& ports) {
        fs::path p = dir_ / name;
        std::ofstream(p) << R"({"policy": "demo.sl", "slow_path": "interpreter", "ports": )"
                         << ports << R"(, "control_socket": ")" << socket_ << "\"}";
        return p.string();
    }
    // `sluice run CONFIG ARGS...` in the background, stderr to `log`.
    pid_t spawn(const std::string& config, std::vector<std::string> extra, const fs::path& log) {
        std::vector<std::string> args = {sluiceBin(), "run", config};
        args.insert(args.end(), extra.begin(), extra.end());
        pid_t pid = ::fork();
        if (pid == 0) {
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        pids_.push_back(pid);
        return pid;
    }
    // The pid `ctl stats --json` reports for the socket's daemon, 0 when none answers.
    long servingPid() {
        auto [rc, out] = runSluice("ctl --socket " + socket_ + " stats --json");
        auto j = nlohmann::json::parse(out, nullptr, false);
        return rc == 0 && j.is_object() ? j.value("pid", 0L) : 0L;
    }
    // Waits (polling, 30 s deadline) until the daemon `pid` serves the socket.
    bool waitServing(pid_t pid) {
        auto deadline = Clock::now() + std::chrono::seconds(30);
        while (Clock::now() < deadline) {
            if (fs::exists(socket_) && servingPid() == pid) return true;
            if (::waitpid(pid, nullptr, WNOHANG) == pid) return false;  // it died
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    // The exit code of `pid` once it ends within `seconds`; -1 when it does not.
    static int waitExit(pid_t pid, int seconds) {
        auto deadline = Clock::now() + std::chrono::seconds(seconds);
        int st = 0;
        while (Clock::now() < deadline) {
            if (::waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -1;
    }
    static bool alive(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == 0; }

    fs::path dir_;
    std::string socket_, both_, one_;
    std::vector<pid_t> pids_;
};

TEST_F(RunTakeover, NoDaemonRunningIsAPlainStart) {
    auto [rc, out] = runSluice("run " + both_ + " --takeover --duration 0.2 --quiet");
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("--takeover: no daemon serves " + socket_ + "; starting normally"),
              std::string::npos)
        << out;
}

TEST_F(RunTakeover, DifferentPortsAreRefused) {
    pid_t first = spawn(both_, {"--quiet"}, dir_ / "first.log");
    ASSERT_TRUE(waitServing(first)) << readText(dir_ / "first.log");
    auto [rc, out] = runSluice("run " + one_ + " --takeover --quiet");
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("has another config: it binds vm1=null, vm2=null, this config vm1=null"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("it is left running"), std::string::npos) << out;
    EXPECT_TRUE(alive(first));
    EXPECT_EQ(servingPid(), first);
}

TEST_F(RunTakeover, DifferentStateFileIsRefused) {
    const std::string a = (dir_ / "a.state").string(), b = (dir_ / "b.state").string();
    pid_t first = spawn(both_, {"--quiet", "--state", a}, dir_ / "first.log");
    ASSERT_TRUE(waitServing(first)) << readText(dir_ / "first.log");
    auto [rc, out] = runSluice("run " + both_ + " --takeover --quiet --state " + b);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("it saves its sessions to " + a + ", this one restores " + b),
              std::string::npos)
        << out;
    // No --state at all is another state file too: the sessions would be lost.
    auto [rc2, out2] = runSluice("run " + both_ + " --takeover --quiet");
    EXPECT_EQ(rc2, 1) << out2;
    EXPECT_NE(out2.find("this one restores none (no --state)"), std::string::npos) << out2;
    EXPECT_TRUE(alive(first));
    EXPECT_EQ(servingPid(), first);
}

TEST_F(RunTakeover, SameConfigTakesOver) {
    const std::string state = (dir_ / "s.state").string();
    pid_t first = spawn(both_, {"--quiet", "--state", state}, dir_ / "first.log");
    ASSERT_TRUE(waitServing(first)) << readText(dir_ / "first.log");
    // A relative --state names the same file: it is made absolute before comparing.
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    fs::current_path(dir_);
    pid_t second = spawn(both_, {"--quiet", "--state", "s.state", "--takeover"}, dir_ / "second.log");
    fs::current_path(cwd, ec);
    EXPECT_EQ(waitExit(first, 30), 0) << readText(dir_ / "first.log") << readText(dir_ / "second.log");
    ASSERT_TRUE(waitServing(second)) << readText(dir_ / "second.log");
    EXPECT_TRUE(fs::exists(state));  // written by the first on its way out
    const std::string log = readText(dir_ / "second.log");
    EXPECT_NE(log.find("took over from pid " + std::to_string(first)), std::string::npos) << log;
    ASSERT_EQ(::kill(second, SIGTERM), 0);
    EXPECT_EQ(waitExit(second, 30), 0) << readText(dir_ / "second.log");
}

}  // namespace
