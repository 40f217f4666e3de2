// `sluice ctl vm add|move|del|list` against a file store (docs/controller.md): the exit-code
// contract (0 committed, 1 store unreadable, 2 usage, 3 refused), compare-and-swap, JSON.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;

using sluice::test::Outcome;
using sluice::test::slurp;

class CtlVm : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice-ctl-vm-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        store_ = (dir_ / "vpc.store").string();
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Outcome sluice(const std::string& args) {
        return sluice::test::runShell(sluice::test::sluiceCommand(args, 30), dir_);
    }
    Outcome vm(const std::string& args) { return sluice("ctl vm --store " + store_ + " " + args); }
    fs::path dir_;
    std::string store_;
};

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

TEST_F(CtlVm, AddMoveDelList) {
    auto r = vm("add 100 10.1.0.5 --host 192.168.0.2 --mac 02:00:00:00:00:05");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "added VM 10.1.0.5 in VNI 100 on 192.168.0.2 (revision 1)")) << r.out;
    r = vm("add 100 fd00::7 --host fd00:1::2 --mac 02:00:00:00:00:07");
    ASSERT_EQ(r.code, 0) << r.err;
    r = vm("move 100 10.1.0.5 --host 192.168.0.3");
    ASSERT_EQ(r.code, 0) << r.err;
    r = vm("list --json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["schema_version"], 2);
    EXPECT_EQ(j["revision"], 3);
    ASSERT_EQ(j["vms"].size(), 2u);
    auto& moved = j["vms"][0];
    EXPECT_EQ(moved["ip"], "10.1.0.5");
    EXPECT_EQ(moved["host"], "192.168.0.3");
    EXPECT_EQ(moved["mac"], "02:00:00:00:00:05");  // kept by the move
    EXPECT_EQ(moved["version"], 3);
    r = vm("del 100 fd00::7");
    ASSERT_EQ(r.code, 0) << r.err;
    r = vm("list --vni 100");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "revision 4")) << r.out;
    EXPECT_TRUE(has(r.out, "10.1.0.5  host 192.168.0.3")) << r.out;
    EXPECT_FALSE(has(r.out, "fd00::7")) << r.out;
    // --store after the subcommand and $SLUICE_STORE name the same store.
    r = sluice("ctl vm list --store " + store_);
    EXPECT_TRUE(has(r.out, "revision 4")) << r.out;
    ::setenv("SLUICE_STORE", store_.c_str(), 1);
    r = sluice("ctl vm list");
    ::unsetenv("SLUICE_STORE");
    EXPECT_TRUE(has(r.out, "revision 4")) << r.out;
}

TEST_F(CtlVm, RefusalsExitThree) {
    ASSERT_EQ(vm("add 5 10.0.0.1 --host 10.9.0.1 --mac 02:00:00:00:00:01").code, 0);
    auto r = vm("add 5 10.0.0.1 --host 10.9.0.2 --mac 02:00:00:00:00:01");
    EXPECT_EQ(r.code, 3);
    EXPECT_TRUE(has(r.err, "conflict: VM 10.0.0.1 in VNI 5 exists (version 1)")) << r.err;
    r = vm("move 5 10.0.0.1 --host 10.9.0.2 --expect-version 7 --json");
    EXPECT_EQ(r.code, 3);
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["result"], "conflict");
    EXPECT_EQ(j["revision"], 1);
    r = vm("move 5 10.0.0.1 --host 10.9.0.2 --expect-version 1");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(vm("move 5 10.0.0.99 --host 10.9.0.2").code, 3);  // no such VM
    EXPECT_EQ(vm("del 5 10.0.0.99").code, 3);
    EXPECT_EQ(vm("del 5 10.0.0.1 --expect-version 1").code, 3);  // it is at 2 now
    r = vm("add 5 10.0.0.2 --host 10.9.0.1 --mac 01:00:5e:00:00:01");
    EXPECT_EQ(r.code, 3);
    EXPECT_TRUE(has(r.err, "refused: MAC 01:00:5e:00:00:01 is not a unicast address")) << r.err;
    EXPECT_TRUE(has(vm("list").out, "revision 2"));
}

TEST_F(CtlVm, UsageErrorsExitTwo) {
    EXPECT_EQ(vm("add 5 10.0.0.x --host 10.9.0.1 --mac 02:00:00:00:00:01").code, 2);
    EXPECT_EQ(vm("add 16777216 10.0.0.1 --host 10.9.0.1 --mac 02:00:00:00:00:01").code, 2);
    EXPECT_EQ(vm("add 5 10.0.0.1 --host nowhere --mac 02:00:00:00:00:01").code, 2);
    EXPECT_EQ(vm("add 5 10.0.0.1 --host 10.9.0.1 --mac 02:00:00:00:00").code, 2);
    EXPECT_EQ(vm("add 5 10.0.0.1 --host 10.9.0.1").code, 2);  // --mac required
    EXPECT_EQ(vm("list --vni x").code, 2);
    EXPECT_EQ(vm("frobnicate").code, 2);
    EXPECT_FALSE(fs::exists(store_));  // nothing was written
}

TEST_F(CtlVm, UnreadableStoreExitsOne) {
    ASSERT_EQ(vm("add 5 10.0.0.1 --host 10.9.0.1 --mac 02:00:00:00:00:01").code, 0);
    std::string text = slurp(store_);
    text[text.find("10.9.0.1")] = '9';  // one byte: the checksum no longer matches
    std::ofstream(store_, std::ios::trunc) << text;
    auto r = vm("list");
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(has(r.err, store_ + ":4:")) << r.err;
    EXPECT_TRUE(has(r.err, "checksum mismatch")) << r.err;
    r = vm("add 5 10.0.0.2 --host 10.9.0.1 --mac 02:00:00:00:00:01");
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(slurp(store_), text);  // the corrupt store is left for the operator
    r = sluice("ctl vm --store " + dir_.string() + " list");  // a directory
    EXPECT_EQ(r.code, 1);
}

}  // namespace

namespace {

TEST_F(CtlVm, Routes) {
    auto route = [&](const std::string& args) { return sluice("ctl route --store " + store_ + " " + args); };
    auto r = route("add 100 10.2.0.0/16 --via 192.168.0.9");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "added route 10.2.0.0/16 in VNI 100 (revision 1)")) << r.out;
    ASSERT_EQ(route("add 100 fd00:2::/32 --via fd00:1::9").code, 0);
    ASSERT_EQ(vm("add 100 10.1.0.5 --host 192.168.0.2 --mac 02:00:00:00:00:05").code, 0);
    r = route("list --json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["revision"], 3);  // routes and VMs share the store's revisions
    ASSERT_EQ(j["routes"].size(), 2u);
    EXPECT_EQ(j["routes"][0]["prefix"], "10.2.0.0/16");
    EXPECT_EQ(j["routes"][0]["via"], "192.168.0.9");
    EXPECT_EQ(route("add 100 10.2.0.1/16 --via 1.1.1.1").code, 2);  // host bits set
    EXPECT_EQ(route("add 100 10.2.0.0/16 --via nowhere").code, 2);
    EXPECT_EQ(route("del 100 10.3.0.0/16").code, 3);  // no such route
    ASSERT_EQ(route("del 100 10.2.0.0/16").code, 0);
    r = route("list");
    EXPECT_FALSE(has(r.out, "10.2.0.0/16")) << r.out;
    EXPECT_TRUE(has(r.out, "fd00:2::/32  via fd00:1::9")) << r.out;
    EXPECT_EQ(vm("list --json").out.find("10.1.0.5") != std::string::npos, true);
}

}  // namespace
