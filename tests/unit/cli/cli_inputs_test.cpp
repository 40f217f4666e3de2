// `sluice` commands on inputs that hung it, read gigabytes or echoed them (issue 9): a FIFO or
// a device as a policy, an import, `--packets`, a gate file, a rule set or the run config;
// each is now one clear error and exit 1 (diff: 2), quickly and without echoing the input.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Outcome {
    int code = -1;
    std::string output;  // stdout and stderr
};

// `timeout` turns a hang into exit 124 (a failure) instead of a stuck suite.
Outcome sluice(const std::string& args) {
    std::string cmd = "timeout 20 " + std::string(SLUICE_BINARY_DIR) + "/cli/sluice " + args + " 2>&1";
    Outcome r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && r.output.size() < (1u << 20)) {
        r.output.append(buf, n);
    }
    int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

class CliInputs : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_cli_test_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        fifo_ = (dir_ / "pipe.sl").string();
        ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
        policy_ = write("ok.sl",
                        "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }\n"
                        "layer l { default allow; }\n");
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
    fs::path dir_;
    std::string fifo_;
    std::string policy_;
};

TEST_F(CliInputs, PolicyThatIsAFifoOrADevice) {
    for (const std::string& f : {fifo_, std::string("/dev/zero")}) {
        Outcome r = sluice("check " + f);
        EXPECT_EQ(r.code, 1) << r.output;
        EXPECT_NE(r.output.find("not a regular file"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("[E006]"), std::string::npos) << r.output;
    }
    Outcome fmt = sluice("fmt " + fifo_);
    EXPECT_EQ(fmt.code, 1) << fmt.output;
    Outcome imp = sluice("check " + write("imp.sl", "import \"pipe.sl\";\n"));
    EXPECT_EQ(imp.code, 1) << imp.output;
    EXPECT_NE(imp.output.find("[E006]"), std::string::npos) << imp.output;
}

TEST_F(CliInputs, PacketsFileThatIsAFifoOrADevice) {
    // `eval --packets /dev/zero` exited 0 having read 2.15 GB.
    for (const std::string& f : {fifo_, std::string("/dev/zero")}) {
        Outcome r = sluice("eval " + policy_ + " --port p --dir out --packets " + f);
        EXPECT_EQ(r.code, 1) << r.output;
        EXPECT_NE(r.output.find(f + ": error: not a regular file"), std::string::npos) << r.output;
    }
    Outcome ok = sluice("eval " + policy_ + " --port p --dir out --packets " +
                    write("pk.txt", "# one packet\nudp 10.0.0.1:1 -> 10.0.0.9:53\n"));
    EXPECT_EQ(ok.code, 0) << ok.output;
    Outcome bin = sluice("eval " + policy_ + " --port p --dir out --packets " +
                     write("bin.txt", std::string("udp\0\x1b[2J", 8)));
    EXPECT_EQ(bin.code, 1) << bin.output;
    EXPECT_EQ(bin.output.find('\x1b'), std::string::npos) << bin.output;
}

TEST_F(CliInputs, GateRuleSetAndConfigFiles) {
    Outcome diff = sluice("diff " + policy_ + " " + policy_ + " --expect " + fifo_);
    EXPECT_EQ(diff.code, 2) << diff.output;
    EXPECT_NE(diff.output.find("not a regular file"), std::string::npos) << diff.output;
    Outcome cb = sluice("import classbench " + fifo_);
    EXPECT_EQ(cb.code, 1) << cb.output;
    Outcome cfg = sluice("run " + fifo_);
    EXPECT_EQ(cfg.code, 1) << cfg.output;
    EXPECT_NE(cfg.output.find("not a regular file"), std::string::npos) << cfg.output;
    // `run` on a config naming /dev/zero printed a ~2 GB source line.
    std::string config = write("run.json", R"({"policy": "/dev/zero", "ports": {"p": "null"}})");
    Outcome pol = sluice("run " + config);
    EXPECT_EQ(pol.code, 1) << pol.output;
    EXPECT_LT(pol.output.size(), 1000u);
    EXPECT_NE(pol.output.find("[E006]"), std::string::npos) << pol.output;
}

}  // namespace
