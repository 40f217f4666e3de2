// `sluice query` (issue 14, item 2) on a two-VM policy whose answers are known by hand: web1
// takes HTTPS from anyone, db1 takes Postgres only from web1, both VMs may send anything
// (stateful). Every class's example is checked against `sluice eval` run separately (the
// interpreter through the CLI, not the query's own replay), and against the hand-made answer;
// the classes of one entry point must be distinct (different deciding rules or outputs).
// Query-text mistakes are located in "<query>", and the usage errors exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using sluice::test::Outcome;
using sluice::test::shellQuote;
using sluice::test::sluiceCommand;

constexpr const char* kPolicy = R"(import std.protocols;
port web1 { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers sg; }
port db1 { mac 02:00:00:00:00:02; ip 10.0.0.2; vni 1; layers sg; }
const DB_CLIENTS = 10.0.0.1;
layer sg {
  default deny;
  out { group egress priority 10 { rule all priority 1 action allow stateful; } }
  in {
    group web priority 20 {
      rule https priority 1 match dst_ip 10.0.0.1 proto tcp dst_port HTTPS action allow;
    }
    group db priority 30 {
      rule pg priority 1 match dst_ip 10.0.0.2 src_ip DB_CLIENTS proto tcp dst_port 5432 action allow;
    }
  }
}
)";

class Query : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_query_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        policy_ = (dir_ / "two_vms.sl").string();
        std::ofstream(policy_) << kPolicy;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Outcome sluice(const std::string& args) {
        return sluice::test::runShell(sluiceCommand(args), dir_);
    }
    json query(const std::string& args) {
        Outcome r = sluice("query " + policy_ + " " + args + " --json");
        EXPECT_EQ(r.code, 0) << r.err << r.out;
        json j = json::parse(r.out, nullptr, false);
        EXPECT_TRUE(j.is_object()) << r.out;
        return j;
    }
    // The verdict `sluice eval` gives the example at the class's entry point; for the wire
    // to no local address, allowed when some port's inbound delivers it.
    std::string evalVerdict(const json& c) {
        std::vector<std::string> ports;
        if (c["port"].is_null())
            ports = {"web1", "db1"};
        else
            ports = {c["port"].get<std::string>()};
        std::string verdict = "deny";
        for (const auto& p : ports) {
            Outcome r = sluice("eval " + policy_ + " --port " + p + " --dir " +
                               c["dir"].get<std::string>() + " --packet " +
                               shellQuote(c["example"].get<std::string>()) + " --json");
            EXPECT_EQ(r.code, 0) << r.err;
            json e = json::parse(r.out, nullptr, false);
            if (e.is_object() && e["verdict"] == "allow") verdict = "allow";
        }
        return verdict;
    }
    void checkClasses(const json& j) {
        std::map<std::string, std::set<std::string>> shapes;  // entry -> rules + output
        for (const auto& c : j["classes"]) {
            EXPECT_EQ(evalVerdict(c), c["verdict"].get<std::string>()) << c.dump();
            std::string shape = c["rules"].dump() + c["output"].get<std::string>() +
                                c["verdict"].get<std::string>();
            EXPECT_TRUE(shapes[c["entry"].get<std::string>()].insert(shape).second)
                << "two classes with one shape: " << c.dump();
        }
        EXPECT_TRUE(j["internal_errors"].empty()) << j["internal_errors"].dump();
    }
    fs::path dir_;
    std::string policy_;
};

TEST_F(Query, HttpsToWebIsAllowedFromEveryEntry) {
    json j = query("--from 0.0.0.0/0 --to web1 --match 'proto tcp dst_port HTTPS' --verdict allow");
    checkClasses(j);
    std::set<std::string> entries;
    for (const auto& c : j["classes"]) {
        EXPECT_EQ(c["verdict"], "allow");
        EXPECT_EQ(c["output"], "vm:web1") << c.dump();
        EXPECT_NE(c["rules"].dump().find("sg.https"), std::string::npos) << c.dump();
        entries.insert(c["entry"].get<std::string>());
    }
    // From the wire for web1, and from db1's VM (through web1's inbound).
    EXPECT_TRUE(entries.count("port web1 in")) << j.dump();
    EXPECT_TRUE(entries.count("port db1 out")) << j.dump();
    EXPECT_EQ(j["truncated"], false);
}

TEST_F(Query, PostgresToDbIsDeniedExceptFromWeb) {
    json j = query("--from 0.0.0.0/0 --to db1 --match 'proto tcp dst_port 5432' --verdict deny");
    checkClasses(j);
    std::set<std::string> entries;
    for (const auto& c : j["classes"]) {
        EXPECT_EQ(c["verdict"], "deny");
        entries.insert(c["entry"].get<std::string>());
    }
    EXPECT_TRUE(entries.count("port db1 in")) << j.dump();  // from the wire: no client is web1
    EXPECT_FALSE(entries.count("port web1 out")) << j.dump();  // web1 is the allowed client

    json allowed = query("--from web1 --to db1 --match 'proto tcp dst_port 5432'");
    checkClasses(allowed);
    bool webConnects = false;
    for (const auto& c : allowed["classes"])
        if (c["entry"] == "port web1 out" && c["verdict"] == "allow") {
            EXPECT_EQ(c["output"], "vm:db1");
            if (c["connects"] == true) webConnects = true;
        }
    // The SYN's SYN-ACK comes back through db1's stateful outbound pair.
    json syn = query("--from web1 --to db1 --match 'proto tcp dst_port 5432 tcp_flags S'");
    for (const auto& c : syn["classes"])
        if (c["entry"] == "port web1 out" && c["verdict"] == "allow" && c["connects"] == true)
            webConnects = true;
    EXPECT_TRUE(webConnects) << syn.dump();
}

TEST_F(Query, BothOutcomesWithoutVerdictAndTheCapIsReported) {
    json j = query("--from 0.0.0.0/0 --to db1");
    checkClasses(j);
    std::set<std::string> verdicts;
    for (const auto& c : j["classes"]) verdicts.insert(c["verdict"].get<std::string>());
    EXPECT_EQ(verdicts, (std::set<std::string>{"allow", "deny"}));
    json one = query("--from 0.0.0.0/0 --to db1 --max-classes 1");
    EXPECT_EQ(one["truncated"], true);
    EXPECT_LT(one["classes"].size(), j["classes"].size());

    Outcome text = sluice("query " + policy_ + " --from 0.0.0.0/0 --to db1 --verdict allow");
    EXPECT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("port web1 out: allow -> vm:db1"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("  example: "), std::string::npos) << text.out;
}

TEST_F(Query, AnEmptySpaceSaysSo) {
    json j = query("--from 10.0.0.0/8 --to ::/0");  // no packet has a v4 source and v6 destination
    EXPECT_EQ(j["entries_with_packets"], 0);
    EXPECT_TRUE(j["classes"].empty());
    Outcome text = sluice("query " + policy_ + " --from 10.0.0.0/8 --to ::/0");
    EXPECT_NE(text.out.find("no packets"), std::string::npos) << text.out;
}

TEST_F(Query, MistakesAreReportedWhereTheyAre) {
    Outcome r = sluice("query " + policy_ + " --from 0.0.0.0/0 --to nosuchvm");
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(r.err.find("<query>:2:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nosuchvm"), std::string::npos) << r.err;
    r = sluice("query " + policy_ + " --from 0.0.0.0/0 --to web1 --match 'dst_prot 80' --json");
    EXPECT_EQ(r.code, 1);
    json j = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["ok"], false);
    EXPECT_FALSE(j["diagnostics"].empty()) << r.out;

    EXPECT_EQ(sluice("query " + (dir_ / "missing.sl").string() + " --from web1 --to db1").code, 1);
    EXPECT_EQ(sluice("query " + policy_ + " --from web1 --to 'db1; port x {}'").code, 2);
    EXPECT_EQ(sluice("query " + policy_ + " --from web1 --to db1 --verdict maybe").code, 2);
    EXPECT_EQ(sluice("query " + policy_ + " --from web1 --to db1 --max-classes 0").code, 2);
    EXPECT_EQ(sluice("query " + policy_ + " --from web1").code, 2);  // --to is required
}

}  // namespace
