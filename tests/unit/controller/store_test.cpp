#include "sluice/controller/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace {

using namespace sluice::controller;
namespace fs = std::filesystem;
using Outcome = CommitResult::Outcome;

Address ip(const char* s) { return *parseAddress(s); }
Mac mac(const char* s) { return *parseMac(s); }

Write putVm(uint32_t vni, const char* vm, const char* host, uint64_t expect = kAnyVersion,
            const char* m = "02:00:00:00:00:01") {
    Write w;
    w.op = Write::Op::PutVm;
    w.vm = {vni, ip(vm)};
    w.vmValue = {ip(host), mac(m), 0};
    w.expectVersion = expect;
    return w;
}
Write delVm(uint32_t vni, const char* vm, uint64_t expect = kAnyVersion) {
    Write w;
    w.op = Write::Op::DeleteVm;
    w.vm = {vni, ip(vm)};
    w.expectVersion = expect;
    return w;
}
Write putRoute(uint32_t vni, const char* prefix, const char* hop) {
    Write w;
    w.op = Write::Op::PutRoute;
    w.route = {vni, *parsePrefix(prefix)};
    w.routeValue = {ip(hop), 0};
    return w;
}

struct TempDir {
    fs::path path;
    TempDir() {
        path =
            fs::temp_directory_path() / ("sluice-store-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(reinterpret_cast<uintptr_t>(this)));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void commitRules(Store& s) {
    EXPECT_EQ(*s.revision(), 0u);
    auto r = s.commit({putVm(100, "10.1.0.5", "192.168.0.2", kMustBeAbsent)});
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.revision, 1u);
    // Create-only on an existing VM: a conflict.
    r = s.commit({putVm(100, "10.1.0.5", "192.168.0.3", kMustBeAbsent)});
    EXPECT_EQ(r.outcome, Outcome::Conflict);
    EXPECT_EQ(r.revision, 1u);
    // Move with the current version; then the old version is stale.
    r = s.commit({putVm(100, "10.1.0.5", "192.168.0.3", 1)});
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.revision, 2u);
    r = s.commit({putVm(100, "10.1.0.5", "192.168.0.4", 1)});
    EXPECT_EQ(r.outcome, Outcome::Conflict);
    EXPECT_NE(r.message.find("version 2, not 1"), std::string::npos) << r.message;
    // All or nothing: the second write fails, the first is not applied.
    r = s.commit({putVm(100, "10.1.0.6", "192.168.0.2"), delVm(100, "10.9.9.9")});
    EXPECT_EQ(r.outcome, Outcome::Conflict);
    EXPECT_EQ(r.failedWrite, 1u);
    auto t = s.read();
    ASSERT_TRUE(t) << t.error().str();
    EXPECT_EQ(t->revision, 2u);
    EXPECT_EQ(t->vms.size(), 1u);
    EXPECT_EQ(t->vms.at({100, ip("10.1.0.5")}).host, ip("192.168.0.3"));
    EXPECT_EQ(t->vms.at({100, ip("10.1.0.5")}).version, 2u);
    // One commit, one revision, every record in it at that version; later writes in a commit
    // see earlier ones.
    r = s.commit({putVm(7, "fd00::1", "fd00:1::1", kMustBeAbsent),
                  putVm(7, "fd00::1", "fd00:1::2", 3), putRoute(7, "10.2.0.0/16", "192.168.0.9")});
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.revision, 3u);
    t = s.read();
    EXPECT_EQ(t->vms.at({7, ip("fd00::1")}).host, ip("fd00:1::2"));
    EXPECT_EQ(t->vms.at({7, ip("fd00::1")}).version, 3u);
    EXPECT_EQ(t->routes.at({7, *parsePrefix("10.2.0.0/16")}).version, 3u);
    // Delete with a stale version refused, with the current one done.
    EXPECT_EQ(s.commit({delVm(100, "10.1.0.5", 1)}).outcome, Outcome::Conflict);
    r = s.commit({delVm(100, "10.1.0.5", 2)});
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(s.read()->vms.count({100, ip("10.1.0.5")}), 0u);
    EXPECT_EQ(*s.revision(), 4u);
    // Invalid values are refused, not conflicts.
    EXPECT_EQ(s.commit({putVm(1 << 24, "10.0.0.1", "10.0.0.2")}).outcome, Outcome::Refused);
    EXPECT_EQ(
        s.commit({putVm(1, "10.0.0.1", "10.0.0.2", kAnyVersion, "01:00:5e:00:00:01")}).outcome,
        Outcome::Refused);
    EXPECT_EQ(
        s.commit({putVm(1, "10.0.0.1", "10.0.0.2", kAnyVersion, "00:00:00:00:00:00")}).outcome,
        Outcome::Refused);
    EXPECT_EQ(s.commit({}).outcome, Outcome::Refused);
    EXPECT_EQ(*s.revision(), 4u);
}

TEST(ControllerStore, MemoryStoreCommitRules) {
    auto s = makeMemoryStore();
    commitRules(*s);
}

TEST(ControllerStore, FileStoreCommitRulesAndPersistence) {
    TempDir d;
    auto path = (d.path / "vpc.store").string();
    {
        auto s = openFileStore(path);
        commitRules(*s);
    }
    // Another instance (another process, as the gateway is) reads what was committed.
    auto s = openFileStore(path);
    EXPECT_EQ(*s->revision(), 4u);
    auto t = s->read();
    ASSERT_TRUE(t) << t.error().str();
    EXPECT_EQ(t->vms.size(), 1u);
    EXPECT_EQ(t->vms.at({7, ip("fd00::1")}).mac, mac("02:00:00:00:00:01"));
    EXPECT_EQ(t->routes.size(), 1u);
    // No temporary file is left behind.
    for (const auto& e : fs::directory_iterator(d.path))
        EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(ControllerStore, LimitsAreEnforced) {
    StoreLimits lim;
    lim.maxVms = 2;
    lim.maxRoutes = 1;
    lim.maxWritesPerCommit = 3;
    auto s = makeMemoryStore(lim);
    ASSERT_TRUE(
        s->commit({putVm(1, "10.0.0.1", "10.9.0.1"), putVm(1, "10.0.0.2", "10.9.0.1")}).ok());
    auto r = s->commit({putVm(1, "10.0.0.3", "10.9.0.1")});
    EXPECT_EQ(r.outcome, Outcome::Refused);
    EXPECT_NE(r.message.find("limit of 2 VMs"), std::string::npos);
    EXPECT_TRUE(s->commit({putVm(1, "10.0.0.2", "10.9.0.2")}).ok());  // updates still fit
    EXPECT_TRUE(s->commit({putRoute(1, "0.0.0.0/0", "10.9.0.1")}).ok());
    EXPECT_EQ(s->commit({putRoute(1, "10.0.0.0/8", "10.9.0.1")}).outcome, Outcome::Refused);
    std::vector<Write> many(4, putVm(1, "10.0.0.1", "10.9.0.1"));
    EXPECT_EQ(s->commit(many).outcome, Outcome::Refused);
    // A file holding more than the limits is refused on read.
    TempDir d;
    auto path = (d.path / "s").string();
    ASSERT_TRUE(openFileStore(path)
                    ->commit({putVm(1, "10.0.0.1", "10.9.0.1"), putVm(1, "10.0.0.2", "10.9.0.1"),
                              putVm(1, "10.0.0.3", "10.9.0.1")})
                    .ok());
    auto small = openFileStore(path, lim)->read();
    ASSERT_FALSE(small);
    EXPECT_NE(small.error().str().find("more than 2 VMs"), std::string::npos)
        << small.error().str();
}

TEST(ControllerStore, CorruptFileIsRefusedAndNeverOverwritten) {
    TempDir d;
    auto path = (d.path / "vpc.store").string();
    auto s = openFileStore(path);
    ASSERT_TRUE(
        s->commit({putVm(5, "10.0.0.1", "10.9.0.1"), putVm(5, "10.0.0.2", "10.9.0.2")}).ok());
    const std::string good = slurp(path);
    // Change one byte anywhere: the checksum or the parser refuses the file.
    for (size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] = bad[i] == '1' ? '2' : '1';
        std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
        auto t = s->read();
        ASSERT_FALSE(t) << "byte " << i << " changed, file still accepted";
        auto r = s->commit({putVm(5, "10.0.0.3", "10.9.0.3")});
        ASSERT_EQ(r.outcome, Outcome::Failed) << i;
        ASSERT_EQ(slurp(path), bad) << "a corrupt store was overwritten";
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << good.substr(0, good.size() / 2);
    auto t = s->read();
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().str().find("truncated"), std::string::npos) << t.error().str();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << good;
    EXPECT_TRUE(s->read());
    // Not a regular file.
    auto dirStore = openFileStore(d.path.string());
    EXPECT_FALSE(dirStore->read());
    EXPECT_FALSE(dirStore->revision());
}

TEST(ControllerStore, DiagnosticsNameLineAndColumn) {
    TempDir d;
    auto path = (d.path / "s").string();
    ASSERT_TRUE(openFileStore(path)->commit({putVm(5, "10.0.0.1", "10.9.0.1")}).ok());
    // A hand-edited file: the trailer's checksum is checked first, at its own column.
    std::string bad =
        "sluice-store 1\nrevision 1\nvm 5 10.0.0.1 10.9.0.1 02:00:00:00:00:01 9\nend 1 0\n";
    std::ofstream(path, std::ios::trunc) << bad;
    auto t = openFileStore(path)->read();
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().str().find(path + ":4:7: error: checksum mismatch"), std::string::npos)
        << t.error().str();
}

TEST(ControllerStore, ConcurrentCommittersSerialise) {
    // Two writers (own instances, own lock descriptors) each bump a VM 25 times with CAS and
    // retry on conflict: every bump lands, none is lost.
    TempDir d;
    auto path = (d.path / "s").string();
    ASSERT_TRUE(
        openFileStore(path)->commit({putVm(1, "10.0.0.1", "10.9.0.1", kMustBeAbsent)}).ok());
    std::atomic<int> conflicts{0}, commits{0};
    auto worker = [&] {
        auto s = openFileStore(path);
        for (int n = 0; n < 25;) {
            auto t = s->read();
            ASSERT_TRUE(t) << t.error().str();
            uint64_t v = t->vms.at({1, ip("10.0.0.1")}).version;
            auto r = s->commit({putVm(1, "10.0.0.1", "10.9.0.1", v)});
            if (r.ok()) {
                ++n;
                ++commits;
            } else {
                ASSERT_EQ(r.outcome, Outcome::Conflict) << r.message;
                ++conflicts;
            }
        }
    };
    std::thread a(worker), b(worker);
    a.join();
    b.join();
    EXPECT_EQ(commits.load(), 50);
    EXPECT_EQ(*openFileStore(path)->revision(), 51u);
}

TEST(ControllerAddress, TextForms) {
    EXPECT_EQ(formatAddress(ip("10.1.2.3")), "10.1.2.3");
    EXPECT_EQ(formatAddress(ip("FD00::1")), "fd00::1");
    EXPECT_FALSE(parseAddress("10.1.2"));
    EXPECT_FALSE(parseAddress("host.example"));
    EXPECT_FALSE(parseAddress(""));
    EXPECT_EQ(formatMac(mac("02:AB:00:00:00:01")), "02:ab:00:00:00:01");
    EXPECT_FALSE(parseMac("02:ab:00:00:00"));
    EXPECT_FALSE(parseMac("02-ab-00-00-00-01"));
    EXPECT_FALSE(parseMac("02:ab:00:00:00:0g"));
    EXPECT_TRUE(parsePrefix("10.0.0.0/8"));
    EXPECT_FALSE(parsePrefix("10.0.0.1/8"));  // host bits set
    EXPECT_FALSE(parsePrefix("10.0.0.0/33"));
    EXPECT_FALSE(parsePrefix("10.0.0.0/"));
    EXPECT_TRUE(parsePrefix("fd00::/16"));
    EXPECT_EQ(*parseVni("16777215"), 16777215u);
    EXPECT_FALSE(parseVni("16777216"));
    EXPECT_FALSE(parseVni("-1"));
    EXPECT_FALSE(parseVni("1x"));
}

}  // namespace
