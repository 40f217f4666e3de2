// `sluice import iptables` (issue 14 item 1): a realistic iptables-save file
// (tests/data/iptables/web_host.rules) imports with --lossy, and the imported policy gives, packet
// by packet, the verdict iptables gives. The expected verdicts are worked out by hand from the
// rules file (first match in INPUT/OUTPUT, user chains entered and returned from, chain policy
// last), written next to each packet with the line that decides; they are not produced by the
// importer. Without --lossy the file's LOG and INVALID rules are errors with their lines.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;

using sluice::test::Outcome;
using sluice::test::slurp;

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

struct Case {
    const char* port;
    const char* packet;  // packet text; `in`/`out` gives the direction
    const char* verdict;
    const char* why;     // the rule of web_host.rules that decides
};

// Ports: `host` (interfaces no rule names), `eth0`, `eth1` (named by -i/-o).
const Case kCases[] = {
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags S in", "allow", "20 -> SSH_ADMIN 32"},
    {"host", "tcp 192.0.2.10:40000 -> 192.0.2.1:22 flags S in", "allow", "SSH_ADMIN 33"},
    {"host", "tcp 10.99.0.1:40000 -> 192.0.2.1:22 flags S in", "deny", "SSH_ADMIN 34"},
    {"host", "tcp 203.0.113.9:40000 -> 192.0.2.1:22 flags S in", "deny", "12 -> SCANNERS 39"},
    {"eth0", "tcp 100.64.1.1:40000 -> 192.0.2.2:443 flags S in", "allow", "SCANNERS 40 is telnet only; WEB_IN 37"},
    {"host", "tcp 100.64.1.1:40000 -> 192.0.2.1:23 flags S in", "deny", "SCANNERS 40"},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags SF in", "deny", "14 SYN,FIN"},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags SR in", "deny", "15 SYN,RST"},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 in", "deny", "13 no flags"},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags SE in", "allow", "13 ignores ECE"},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 8 in", "allow", "16 (limit: a meter)"},
    {"host", "icmp 203.0.113.5 -> 192.0.2.1 type 8 in", "deny", "SCANNERS 39 before 16"},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 3 code 4 in", "allow", "18"},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 11 in", "allow", "19"},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 5 in", "deny", "policy DROP"},
    {"host", "tcp 8.8.8.8:40000 -> 192.0.2.1:443 flags S in", "deny", "21 is eth0 only; policy"},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:443 flags S in", "allow", "21 -> WEB_IN 37"},
    {"eth0", "tcp 198.51.100.5:40000 -> 192.0.2.2:443 flags S in", "deny", "WEB_IN 35"},
    {"eth0", "tcp 10.1.2.3:40000 -> 192.0.2.2:8085 flags S in", "allow", "WEB_IN 36"},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:8085 flags S in", "deny", "WEB_IN 38"},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:8090 flags S in", "deny", "not in 21's ports; policy"},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:22 flags S in", "deny", "SSH_ADMIN 34"},
    {"eth0", "tcp 10.20.1.1:40000 -> 192.0.2.2:9100 flags S in", "deny", "22 is eth1 only"},
    {"eth1", "tcp 10.20.1.1:40000 -> 192.0.2.3:9100 flags S in", "allow", "22"},
    {"eth1", "tcp 10.21.1.1:40000 -> 192.0.2.3:9100 flags S in", "deny", "22 is 10.20/16 only"},
    {"eth1", "udp 10.20.1.1:5000 -> 192.0.2.3:161 in", "allow", "23"},
    {"eth1", "tcp 8.8.8.8:40000 -> 192.0.2.3:443 flags S in", "deny", "21 is eth0 only"},
    {"host", "tcp 10.20.1.1:40000 -> 192.0.2.1:9100 flags S in", "deny", "22 is eth1 only"},
    {"host", "udp 10.0.0.1:68 -> 192.0.2.1:67 in", "allow", "24"},
    {"host", "udp 10.0.0.1:5000 -> 192.0.2.1:67 in", "deny", "27 REJECT"},
    {"host", "udp 10.0.0.1:5000 -> 192.0.2.1:53 in", "deny", "27 REJECT"},
    {"host", "tcp 1.2.3.4:40000 -> 192.0.2.1:113 flags S in", "deny", "25 REJECT"},
    {"host", "tcp 192.0.2.1:40000 -> 169.254.169.254:80 flags S out", "deny", "29"},
    {"host", "tcp 192.0.2.1:40000 -> 169.254.169.254:443 flags S out", "allow", "OUTPUT policy"},
    {"host", "tcp 192.0.2.1:40000 -> 203.0.113.1:587 flags S out", "deny", "30 REJECT"},
    {"host", "tcp 192.0.2.1:40000 -> 203.0.113.1:26 flags S out", "allow", "OUTPUT policy"},
    {"eth1", "tcp 192.0.2.3:40000 -> 10.20.9.9:25 flags S out", "deny", "30 before 31"},
    {"eth1", "udp 192.0.2.3:40000 -> 10.20.9.9:9999 out", "allow", "31"},
    // Replies: ESTABLISHED (10) accepts them; the outbound allows record sessions.
    {"host", "udp 1.1.1.1:53 -> 192.0.2.1:40000 in", "deny", "no session yet: 27 REJECT"},
    {"host", "udp 192.0.2.1:40000 -> 1.1.1.1:53 out", "allow", "OUTPUT policy"},
    {"host", "udp 1.1.1.1:53 -> 192.0.2.1:40000 in", "allow", "10 ESTABLISHED (the session)"},
    {"host", "tcp 192.0.2.1:41000 -> 93.184.216.34:443 flags S out", "allow", "OUTPUT policy"},
    {"host", "tcp 93.184.216.34:443 -> 192.0.2.1:41000 flags SA in", "allow", "10 ESTABLISHED"},
};

class ImportIptables : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_ipt_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        rules_ = std::string(SLUICE_TEST_DATA) + "/iptables/web_host.rules";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Outcome run(const std::string& cmd) { return sluice::test::runShell(cmd, dir_); }
    Outcome sluice(const std::string& args) {
        return run("timeout 30 " + std::string(SLUICE_BINARY_DIR) + "/cli/sluice " + args +
                   " --no-color");
    }
    // One `sluice eval --json` per port over that port's packets, in order (sessions carry).
    std::vector<std::string> verdicts(const std::string& policy, const std::string& port,
                                      const std::vector<std::string>& packets) {
        fs::path file = dir_ / (port + ".packets");
        {
            std::ofstream out(file);
            for (const auto& p : packets) out << p << "\n";
        }
        Outcome r = sluice("eval " + policy + " --port " + port + " --dir in --packets " +
                           file.string() + " --json");
        EXPECT_EQ(r.code, 0) << r.err;
        std::vector<std::string> v;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
            size_t at = line.find("\"verdict\":\"");
            if (at == std::string::npos) at = line.find("\"verdict\": \"");
            if (at == std::string::npos) continue;
            size_t start = line.find('"', line.find(':', at) + 1) + 1;
            v.push_back(line.substr(start, line.find('"', start) - start));
        }
        return v;
    }
    fs::path dir_;
    std::string rules_;
};

TEST_F(ImportIptables, UnmappableRulesAreErrorsWithTheirLines) {
    std::string out = (dir_ / "p.sl").string();
    Outcome r = sluice("import iptables " + rules_ + " -o " + out);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_FALSE(fs::exists(out)) << "nothing is written when the import fails";
    EXPECT_TRUE(has(r.err, "web_host.rules:11:33: error: state 'INVALID' cannot be imported")) << r.err;
    EXPECT_TRUE(has(r.err, "web_host.rules:26:")) << r.err;  // LOG (its 3/min rate first)
    EXPECT_TRUE(has(r.err, "[I001]")) << r.err;
    EXPECT_TRUE(has(r.err, "with --lossy")) << r.err;
    // REJECT is recorded as a note even when the import fails.
    EXPECT_TRUE(has(r.err, "web_host.rules:25:1: note: REJECT is imported as deny")) << r.err;
}

TEST_F(ImportIptables, LossyImportGivesTheVerdictsOfIptables) {
    std::string policy = (dir_ / "p.sl").string();
    Outcome r = sluice("import iptables " + rules_ + " --lossy -o " + policy);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.err, "web_host.rules:11:33: warning:")) << r.err;
    EXPECT_TRUE(has(r.err, "[I002]")) << r.err;
    std::string text = slurp(policy);
    EXPECT_TRUE(has(text, "port host {")) << text;
    EXPECT_TRUE(has(text, "port eth0 {")) << text;
    EXPECT_TRUE(has(text, "port eth1 {")) << text;
    EXPECT_TRUE(has(text, "meter limit_l16 { rate 5pps; }")) << text;
    Outcome check = sluice("check " + policy);
    EXPECT_EQ(check.code, 0) << check.err;

    for (const char* port : {"host", "eth0", "eth1"}) {
        std::vector<std::string> packets;
        std::vector<const Case*> cases;
        for (const Case& c : kCases) {
            if (std::string(c.port) != port) continue;
            packets.push_back(c.packet);
            cases.push_back(&c);
        }
        std::vector<std::string> got = verdicts(policy, port, packets);
        ASSERT_EQ(got.size(), cases.size()) << port;
        for (size_t i = 0; i < cases.size(); ++i) {
            EXPECT_EQ(got[i], cases[i]->verdict)
                << "port " << port << ": " << cases[i]->packet << " (" << cases[i]->why << ")";
        }
    }
}

TEST_F(ImportIptables, BothFamiliesOfOneHost) {
    std::string policy = (dir_ / "p.sl").string();
    std::string v6 = std::string(SLUICE_TEST_DATA) + "/iptables/web_host6.rules";
    Outcome r = sluice("import iptables " + rules_ + " " + v6 + " --lossy -o " + policy);
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<std::string> got = verdicts(
        policy, "host",
        {"tcp [2001:db8:20::9]:40000 -> [2001:db8::1]:22 flags S in",   // v6 line 11
         "tcp [2001:db8:99::9]:40000 -> [2001:db8::1]:22 flags S in",   // v6 line 13 DROP
         "tcp [2001:db8:99::9]:40000 -> [2001:db8::1]:443 flags S in",  // v6 line 12
         "icmpv6 2001:db8:99::9 -> 2001:db8::1 type 135 in",        // v6 line 8
         "tcp 10.99.0.1:40000 -> 192.0.2.1:443 flags S in",             // v4: 21 is eth0 only
         "tcp [2001:db8::1]:40000 -> [2001:db8:dead::5]:443 flags S out",  // v6 line 14
         "tcp [2001:db8::1]:40000 -> [2001:db8:beef::5]:443 flags S out"}); // v6 OUTPUT policy
    EXPECT_EQ(got, (std::vector<std::string>{"allow", "deny", "allow", "allow", "deny", "deny",
                                             "allow"}));
}

TEST_F(ImportIptables, MalformedInputIsAnErrorWithALocation) {
    struct Bad {
        const char* text;
        const char* expect;
    };
    const Bad cases[] = {
        {"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n",
         "bad.rules:4:25: error: bad port '99999'"},
        {"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A NOPE -j ACCEPT\nCOMMIT\n",
         "bad.rules:4:4: error: chain 'NOPE' is not declared"},
        {"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"open\nCOMMIT\n",
         "bad.rules:4:31: error: unterminated quote"},
        {"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT --dport 22 -j ACCEPT\nCOMMIT\n",
         "error: port matches need '-p tcp' or '-p udp'"},
        {"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n"
         "-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n",
         "jumps to itself (a loop)"},
        {"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\n",
         "has no COMMIT line"},
        {"hello world\n", "outside a table"},
        {"", "no '*filter' table"},
        {"# Generated by iptables-save v1.8.9\n*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s fd00::1 -j ACCEPT\nCOMMIT\n",
         "is IPv6 in an iptables-save file"},
    };
    for (const Bad& b : cases) {
        fs::path file = dir_ / "bad.rules";
        std::ofstream(file, std::ios::trunc) << b.text;
        Outcome r = run("cd " + dir_.string() + " && timeout 30 " + std::string(SLUICE_BINARY_DIR) +
                        "/cli/sluice import iptables bad.rules --no-color");
        EXPECT_EQ(r.code, 1) << b.text << "\n" << r.err;
        EXPECT_TRUE(has(r.err, b.expect)) << b.text << "\n" << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    Outcome missing = sluice("import iptables " + (dir_ / "absent.rules").string());
    EXPECT_EQ(missing.code, 1) << missing.err;
    Outcome usage = sluice("import iptables");
    EXPECT_EQ(usage.code, 2) << usage.err;
}

TEST_F(ImportIptables, NegationIsUnmappableAndLossyLeavesTheRuleOut) {
    fs::path file = dir_ / "neg.rules";
    std::ofstream(file) << "*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                           "-A INPUT ! -s 10.0.0.0/8 -p tcp --dport 80 -j ACCEPT\n"
                           "-A INPUT -p tcp --dport 443 -j ACCEPT\nCOMMIT\n";
    Outcome strict = sluice("import iptables " + file.string());
    EXPECT_EQ(strict.code, 1);
    EXPECT_TRUE(has(strict.err, "neg.rules:4:12: error: '! -s' cannot be imported")) << strict.err;
    std::string policy = (dir_ / "p.sl").string();
    Outcome lossy = sluice("import iptables " + file.string() + " --lossy -o " + policy);
    ASSERT_EQ(lossy.code, 0) << lossy.err;
    EXPECT_EQ(verdicts(policy, "host",
                       {"tcp 8.8.8.8:1 -> 192.0.2.1:80 flags S in",
                        "tcp 8.8.8.8:1 -> 192.0.2.1:443 flags S in"}),
              (std::vector<std::string>{"deny", "allow"}));
}

}  // namespace
