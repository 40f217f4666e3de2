// `sluice import security-groups` (issue 14, item 1) on the exports in
// tests/data/security_groups (README there): the imported policy gives, through `sluice eval`,
// the verdicts worked out by hand from the groups below; a group's allows are stateful (a
// reply passes a direction that has no rule for it); `sluice query` on the import sees the
// connection web1 -> db1:5432 established; malformed and unmappable input is reported at its
// line and column, --lossy leaves the unmappable out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;
using sluice::test::Outcome;
using sluice::test::shellQuote;
using sluice::test::sluiceCommand;

struct Case {
    const char* port;
    const char* dir;
    const char* packet;
    const char* verdict;
    const char* why;
};

// AWS: web (443 from anywhere v4+v6, 22 from 203.0.113.0/24, all egress), db (5432 from
// members of web, no egress), monitoring (ICMP echo from 10.0.0.0/16, SNMP from 10.0.5.0/24).
// web1 = web + monitoring (10.0.1.10, 2600:1f18:4a3:6901::a), web2 = web (10.0.1.11),
// db1 = db + monitoring (10.0.2.20).
const Case kAws[] = {
    {"eni_0web1", "in", "tcp 198.51.100.7:40000 -> 10.0.1.10:443", "allow", "web 443 v4"},
    {"eni_0web2", "in", "tcp 198.51.100.7:40000 -> 10.0.1.11:443", "allow", "web 443 v4"},
    {"eni_0web1", "in", "tcp [2001:db8::1]:4000 -> [2600:1f18:4a3:6901::a]:443", "allow", "web 443 v6"},
    {"eni_0web2", "in", "tcp 198.51.100.7:40000 -> 10.0.1.11:22", "deny", "22 is the bastion's only"},
    {"eni_0web2", "in", "tcp 203.0.113.5:40000 -> 10.0.1.11:22", "allow", "bastion"},
    {"eni_0web2", "in", "tcp 198.51.100.7:40000 -> 10.0.1.11:8080", "deny", "no rule"},
    {"eni_0web1", "out", "tcp 10.0.1.10:40000 -> 10.0.2.20:5432", "allow", "web egress, db 5432 from web"},
    {"eni_0web2", "out", "tcp 10.0.1.11:40000 -> 10.0.2.20:5432", "allow", "web2 is a member of web"},
    {"eni_0db1", "in", "tcp 198.51.100.7:40000 -> 10.0.2.20:5432", "deny", "not a member of web"},
    {"eni_0db1", "in", "icmp 10.0.3.3 -> 10.0.2.20 type 8", "allow", "monitoring echo"},
    {"eni_0db1", "in", "icmp 10.1.3.3 -> 10.0.2.20 type 8", "deny", "outside 10.0.0.0/16"},
    {"eni_0db1", "in", "icmp 10.0.3.3 -> 10.0.2.20 type 3 code 1", "deny", "only type 8"},
    {"eni_0web2", "in", "icmp 10.0.3.3 -> 10.0.1.11 type 8", "deny", "web2 has no monitoring"},
    {"eni_0web1", "in", "udp 10.0.5.9:5000 -> 10.0.1.10:161", "allow", "monitoring SNMP"},
    {"eni_0web2", "in", "udp 10.0.5.9:5000 -> 10.0.1.11:161", "deny", "web2 has no monitoring"},
    {"eni_0db1", "out", "tcp 10.0.2.20:40000 -> 198.51.100.7:443", "deny", "db has no egress"},
    {"eni_0web1", "out", "udp 10.0.1.10:5000 -> 198.51.100.7:53", "allow", "web egress all"},
};

// OpenStack: web (tcp 80 from anywhere v4 and v6, default egress v4+v6), app (8080 from members
// of web, ICMP from 10.20.0.0/16, egress v4). web-1 = web (10.20.1.5), app-1 = app (10.20.2.5).
const Case kOpenStack[] = {
    {"web_1", "in", "tcp 192.0.2.9:4000 -> 10.20.1.5:80", "allow", "web 80"},
    {"web_1", "in", "tcp 192.0.2.9:4000 -> 10.20.1.5:443", "deny", "no rule"},
    {"web_1", "in", "tcp [2001:db8::9]:4000 -> [2001:db8:1::5]:80", "allow", "IPv6 remote null = ::/0"},
    {"web_1", "out", "tcp 10.20.1.5:4000 -> 10.20.2.5:8080", "allow", "web egress, app 8080 from web"},
    {"app_1", "in", "tcp 192.0.2.9:4000 -> 10.20.2.5:8080", "deny", "not a member of web"},
    {"app_1", "in", "icmp 10.20.9.9 -> 10.20.2.5 type 8", "allow", "icmp, any type"},
    {"app_1", "in", "icmp 10.20.9.9 -> 10.20.2.5 type 3 code 4", "allow", "icmp, any type"},
    {"app_1", "in", "icmp 192.0.2.9 -> 10.20.2.5 type 8", "deny", "outside 10.20.0.0/16"},
    {"app_1", "out", "tcp 10.20.2.5:4000 -> 192.0.2.9:443", "allow", "egress IPv4 any"},
    {"app_1", "out", "tcp [2001:db8:2::5]:4000 -> [2001:db8::9]:443", "deny", "app has no IPv6 egress"},
};

class ImportSecurityGroups : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_sg_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    static std::string data(const std::string& name) {
        return std::string(SLUICE_TEST_DATA) + "/security_groups/" + name;
    }
    Outcome sluice(const std::string& args) {
        return sluice::test::runShell(sluiceCommand(args + " --no-color"), dir_);
    }
    std::string imported(const std::string& groups, const std::string& interfaces) {
        std::string out = (dir_ / (groups + ".sl")).string();
        Outcome r = sluice("import security-groups " + data(groups) + " --interfaces " +
                           data(interfaces) + " -o " + out);
        EXPECT_EQ(r.code, 0) << r.err;
        Outcome check = sluice("check " + out);
        EXPECT_EQ(check.code, 0) << check.err;
        EXPECT_EQ(check.err.find("warning"), std::string::npos) << check.err;
        return out;
    }
    std::string verdict(const std::string& policy, const Case& c) {
        Outcome r = sluice("eval " + policy + " --port " + c.port + " --dir " + c.dir +
                           " --packet " + shellQuote(c.packet) + " --json");
        EXPECT_EQ(r.code, 0) << r.err;
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        return j.is_object() && j["verdict"].is_string() ? j["verdict"].get<std::string>() : "?";
    }
    fs::path writeFile(const std::string& name, const std::string& text) {
        fs::path p = dir_ / name;
        std::ofstream(p) << text;
        return p;
    }
    fs::path dir_;
};

TEST_F(ImportSecurityGroups, AwsExportGivesTheHandWorkedVerdicts) {
    std::string policy = imported("aws_groups.json", "aws_interfaces.json");
    for (const Case& c : kAws)
        EXPECT_EQ(verdict(policy, c), c.verdict) << c.port << " " << c.dir << " " << c.packet
                                                  << " (" << c.why << ")";
}

TEST_F(ImportSecurityGroups, OpenStackExportGivesTheHandWorkedVerdicts) {
    std::string policy = imported("openstack_groups.json", "openstack_ports.json");
    for (const Case& c : kOpenStack)
        EXPECT_EQ(verdict(policy, c), c.verdict) << c.port << " " << c.dir << " " << c.packet
                                                  << " (" << c.why << ")";
}

TEST_F(ImportSecurityGroups, AllowsAreStatefulAsTheCloudsAre) {
    std::string policy = imported("aws_groups.json", "aws_interfaces.json");
    // db has no egress rule: its reply passes only through the pair its SYN left.
    fs::path both = writeFile("both.packets",
                              "tcp 10.0.1.10:40000 -> 10.0.2.20:5432 flags S in\n"
                              "tcp 10.0.2.20:5432 -> 10.0.1.10:40000 flags SA out\n");
    fs::path alone = writeFile("alone.packets", "tcp 10.0.2.20:5432 -> 10.0.1.10:40000 flags SA out\n");
    auto verdicts = [&](const fs::path& packets) {
        Outcome r = sluice("eval " + policy + " --port eni_0db1 --dir in --single-hop --packets " +
                           packets.string() + " --json");
        EXPECT_EQ(r.code, 0) << r.err;
        std::vector<std::string> v;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_object()) v.push_back(j.value("verdict", "?"));
        }
        return v;
    };
    EXPECT_EQ(verdicts(both), (std::vector<std::string>{"allow", "allow"}));
    EXPECT_EQ(verdicts(alone), (std::vector<std::string>{"deny"}));
    // The whole connection, as `sluice query` sees it: the SYN-ACK comes back to web1.
    Outcome q = sluice("query " + policy + " --from eni_0web1 --to eni_0db1 --match " +
                       shellQuote("proto tcp dst_port 5432 tcp_flags S") + " --verdict allow --json");
    ASSERT_EQ(q.code, 0) << q.err;
    auto j = nlohmann::json::parse(q.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << q.out;
    bool connects = false;
    for (const auto& c : j["classes"])
        if (c["entry"] == "port eni_0web1 out" && c["connects"] == true) connects = true;
    EXPECT_TRUE(connects) << q.out;
}

TEST_F(ImportSecurityGroups, BadInputIsReportedWhereItIs) {
    struct Bad {
        const char* name;
        const char* text;
        const char* where;  // expected "FILE:LINE:COL: error" suffix
        const char* what;
    };
    const Bad bad[] = {
        {"syntax.json", "{\n  \"SecurityGroups\": [\n    {,\n", ":3:6: error:", "member name"},
        {"shape.json", "{\"foo\": 1}\n", ":1:1: error:", "describe-security-groups"},
        {"proto.json",
         "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\",\n \"IpPermissions\": [{\"IpProtocol\": \"bogus\"}]}]}\n",
         ":2:35: error:", "unknown protocol"},
        {"cidr.json",
         "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\",\n"
         "  \"FromPort\": 1, \"ToPort\": 2, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/33\"}]}]}]}\n",
         ":2:55: error:", "not an address prefix"},
        {"ports.json",
         "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\",\n"
         "  \"FromPort\": 80, \"ToPort\": 70000, \"IpRanges\": []}]}]}\n",
         ":2:29: error:", "integer"},
        {"reference.json",
         "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"-1\",\n"
         "  \"UserIdGroupPairs\": [{\"GroupId\": \"sg-2\"}]}]}]}\n",
         ":2:36: error:", "--interfaces"},
        {"deep.json", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]",
         ":1:66: error:", "nested deeper"},
    };
    for (const Bad& b : bad) {
        fs::path p = writeFile(b.name, b.text);
        Outcome r = sluice("import security-groups " + p.string());
        EXPECT_EQ(r.code, 1) << b.name << ": " << r.err;
        EXPECT_NE(r.err.find(p.string() + b.where), std::string::npos) << b.name << ": " << r.err;
        EXPECT_NE(r.err.find(b.what), std::string::npos) << b.name << ": " << r.err;
        EXPECT_TRUE(r.out.empty()) << b.name;
    }
}

TEST_F(ImportSecurityGroups, LossyLeavesTheUnmappableOut) {
    fs::path p = writeFile("prefix_list.json",
                           "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"GroupName\": \"edge\",\n"
                           " \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 443, \"ToPort\": 443,\n"
                           "   \"IpRanges\": [{\"CidrIp\": \"192.0.2.0/24\"}],\n"
                           "   \"PrefixListIds\": [{\"PrefixListId\": \"pl-123\"}]}]}]}\n");
    Outcome strict = sluice("import security-groups " + p.string());
    EXPECT_EQ(strict.code, 1);
    EXPECT_NE(strict.err.find(p.string() + ":4:22: error:"), std::string::npos) << strict.err;
    EXPECT_NE(strict.err.find("[I001]"), std::string::npos) << strict.err;
    Outcome lossy = sluice("import security-groups " + p.string() + " --lossy");
    EXPECT_EQ(lossy.code, 0) << lossy.err;
    EXPECT_NE(lossy.err.find(p.string() + ":4:22: warning:"), std::string::npos) << lossy.err;
    EXPECT_NE(lossy.out.find("src_ip 192.0.2.0/24 proto tcp dst_port 443"), std::string::npos)
        << lossy.out;
    // An interface carrying a group the export does not have.
    fs::path itf = writeFile("itf.json",
                             "{\"NetworkInterfaces\": [{\"NetworkInterfaceId\": \"eni-1\",\n"
                             " \"MacAddress\": \"0e:00:00:00:00:01\", \"PrivateIpAddress\": \"10.0.0.1\",\n"
                             " \"Groups\": [{\"GroupId\": \"sg-9\"}]}]}\n");
    Outcome unknown = sluice("import security-groups " + p.string() + " --lossy --interfaces " +
                             itf.string());
    EXPECT_EQ(unknown.code, 0) << unknown.err;
    EXPECT_NE(unknown.err.find("sg-9"), std::string::npos) << unknown.err;
    Outcome strictItf = sluice("import security-groups " + data("aws_groups.json") +
                               " --interfaces " + itf.string());
    EXPECT_EQ(strictItf.code, 1) << strictItf.err;
    EXPECT_NE(strictItf.err.find(itf.string() + ":1:24: error:"), std::string::npos) << strictItf.err;
}

}  // namespace
