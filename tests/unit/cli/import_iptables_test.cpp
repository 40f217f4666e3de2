// `sluice import iptables` (issue 14 item 1): a realistic iptables-save file
// (tests/data/iptables/web_host.rules) imports with --lossy, and the imported policy gives, packet
// by packet, the verdict iptables gives. The expected verdicts are worked out by hand from the
// rules file (first match in INPUT/OUTPUT, user chains entered and returned from, chain policy
// last), written next to each packet with the line that decides; they are not produced by the
// importer. Without --lossy the file's INVALID rule is an error with its line. LOG rules
// (issue 14 item 4) become the `log` flag of the rules that decide after them: each case also
// says, worked out by hand, whether iptables would have logged the packet (it met a LOG rule
// whose match it has on its way to the deciding rule); `sluice eval` must say `logged` then.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iterator>
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
    bool logged;         // a LOG rule was met on the way (web_host.rules: line 26, INPUT only)
};

// Ports: `host` (interfaces no rule names), `eth0`, `eth1` (named by -i/-o).
const Case kCases[] = {
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags S in", "allow", "20 -> SSH_ADMIN 32", false},
    {"host", "tcp 192.0.2.10:40000 -> 192.0.2.1:22 flags S in", "allow", "SSH_ADMIN 33", false},
    {"host", "tcp 10.99.0.1:40000 -> 192.0.2.1:22 flags S in", "deny", "SSH_ADMIN 34", false},
    {"host", "tcp 203.0.113.9:40000 -> 192.0.2.1:22 flags S in", "deny", "12 -> SCANNERS 39", false},
    {"eth0", "tcp 100.64.1.1:40000 -> 192.0.2.2:443 flags S in", "allow", "SCANNERS 40 is telnet only; WEB_IN 37", false},
    {"host", "tcp 100.64.1.1:40000 -> 192.0.2.1:23 flags S in", "deny", "SCANNERS 40", false},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags SF in", "deny", "14 SYN,FIN", false},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags SR in", "deny", "15 SYN,RST", false},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 in", "deny", "13 no flags", false},
    {"host", "tcp 10.20.5.7:40000 -> 192.0.2.1:22 flags SE in", "allow", "13 ignores ECE", false},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 8 in", "allow", "16 (limit: a meter)", false},
    {"host", "icmp 203.0.113.5 -> 192.0.2.1 type 8 in", "deny", "SCANNERS 39 before 16", false},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 3 code 4 in", "allow", "18", false},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 11 in", "allow", "19", false},
    {"host", "icmp 198.51.100.1 -> 192.0.2.1 type 5 in", "deny", "policy DROP", true},
    {"host", "tcp 8.8.8.8:40000 -> 192.0.2.1:443 flags S in", "deny", "21 is eth0 only; policy", true},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:443 flags S in", "allow", "21 -> WEB_IN 37", false},
    {"eth0", "tcp 198.51.100.5:40000 -> 192.0.2.2:443 flags S in", "deny", "WEB_IN 35", false},
    {"eth0", "tcp 10.1.2.3:40000 -> 192.0.2.2:8085 flags S in", "allow", "WEB_IN 36", false},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:8085 flags S in", "deny", "WEB_IN 38", false},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:8090 flags S in", "deny", "not in 21's ports; policy", true},
    {"eth0", "tcp 8.8.8.8:40000 -> 192.0.2.2:22 flags S in", "deny", "SSH_ADMIN 34", false},
    {"eth0", "tcp 10.20.1.1:40000 -> 192.0.2.2:9100 flags S in", "deny", "22 is eth1 only", true},
    {"eth1", "tcp 10.20.1.1:40000 -> 192.0.2.3:9100 flags S in", "allow", "22", false},
    {"eth1", "tcp 10.21.1.1:40000 -> 192.0.2.3:9100 flags S in", "deny", "22 is 10.20/16 only", true},
    {"eth1", "udp 10.20.1.1:5000 -> 192.0.2.3:161 in", "allow", "23", false},
    {"eth1", "tcp 8.8.8.8:40000 -> 192.0.2.3:443 flags S in", "deny", "21 is eth0 only", true},
    {"host", "tcp 10.20.1.1:40000 -> 192.0.2.1:9100 flags S in", "deny", "22 is eth1 only", true},
    {"host", "udp 10.0.0.1:68 -> 192.0.2.1:67 in", "allow", "24", false},
    {"host", "udp 10.0.0.1:5000 -> 192.0.2.1:67 in", "deny", "27 REJECT", true},
    {"host", "udp 10.0.0.1:5000 -> 192.0.2.1:53 in", "deny", "27 REJECT", true},
    {"host", "tcp 1.2.3.4:40000 -> 192.0.2.1:113 flags S in", "deny", "25 REJECT", false},
    {"host", "tcp 192.0.2.1:40000 -> 169.254.169.254:80 flags S out", "deny", "29", false},
    {"host", "tcp 192.0.2.1:40000 -> 169.254.169.254:443 flags S out", "allow", "OUTPUT policy", false},
    {"host", "tcp 192.0.2.1:40000 -> 203.0.113.1:587 flags S out", "deny", "30 REJECT", false},
    {"host", "tcp 192.0.2.1:40000 -> 203.0.113.1:26 flags S out", "allow", "OUTPUT policy", false},
    {"eth1", "tcp 192.0.2.3:40000 -> 10.20.9.9:25 flags S out", "deny", "30 before 31", false},
    {"eth1", "udp 192.0.2.3:40000 -> 10.20.9.9:9999 out", "allow", "31", false},
    // Replies: ESTABLISHED (10) accepts them; the outbound allows record sessions.
    {"host", "udp 1.1.1.1:53 -> 192.0.2.1:40000 in", "deny", "no session yet: 27 REJECT", true},
    {"host", "udp 192.0.2.1:40000 -> 1.1.1.1:53 out", "allow", "OUTPUT policy", false},
    {"host", "udp 1.1.1.1:53 -> 192.0.2.1:40000 in", "allow", "10 ESTABLISHED (the session)", false},
    {"host", "tcp 192.0.2.1:41000 -> 93.184.216.34:443 flags S out", "allow", "OUTPUT policy", false},
    {"host", "tcp 93.184.216.34:443 -> 192.0.2.1:41000 flags SA in", "allow", "10 ESTABLISHED", false},
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
    // One `sluice eval --json` per port over that port's packets, in order (sessions carry):
    // each result's verdict and whether it was logged.
    struct EvalResult {
        std::string verdict;
        bool logged = false;
    };
    std::vector<EvalResult> results(const std::string& policy, const std::string& port,
                                  const std::vector<std::string>& packets) {
        fs::path file = dir_ / (port + ".packets");
        {
            std::ofstream out(file);
            for (const auto& p : packets) out << p << "\n";
        }
        Outcome r = sluice("eval " + policy + " --port " + port + " --dir in --packets " +
                           file.string() + " --json");
        EXPECT_EQ(r.code, 0) << r.err;
        std::vector<EvalResult> v;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
            // The result's own keys follow its hops and layers (keys are sorted), so the last
            // "logged" and "verdict" of the line are the whole path's.
            size_t at = line.rfind("\"verdict\":\"");
            size_t lg = line.rfind("\"logged\":");
            if (at == std::string::npos || lg == std::string::npos) continue;
            size_t start = at + 11;
            EvalResult o;
            o.verdict = line.substr(start, line.find('"', start) - start);
            o.logged = line.compare(lg + 9, 4, "true") == 0;
            v.push_back(o);
        }
        return v;
    }
    std::vector<std::string> verdicts(const std::string& policy, const std::string& port,
                                      const std::vector<std::string>& packets) {
        std::vector<std::string> v;
        for (const EvalResult& o : results(policy, port, packets)) v.push_back(o.verdict);
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
    // LOG is the flow-log flag now; its 3/min rate limits log lines only: a note.
    EXPECT_FALSE(has(r.err, "web_host.rules:26:1: error")) << r.err;
    EXPECT_TRUE(has(r.err, "web_host.rules:26:1: note: '-m limit' on a LOG rule is not imported"))
        << r.err;
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
        std::vector<EvalResult> got = results(policy, port, packets);
        ASSERT_EQ(got.size(), cases.size()) << port;
        for (size_t i = 0; i < cases.size(); ++i) {
            EXPECT_EQ(got[i].verdict, cases[i]->verdict)
                << "port " << port << ": " << cases[i]->packet << " (" << cases[i]->why << ")";
            EXPECT_EQ(got[i].logged, cases[i]->logged)
                << "port " << port << ": " << cases[i]->packet << " (" << cases[i]->why << ")";
        }
    }
}

// tests/data/iptables/log_host.rules: verdicts and logged-ness worked out by hand from the
// rules (first match; a packet is logged when it has a LOG/NFLOG rule's match on its way).
TEST_F(ImportIptables, LogRulesBecomeTheLogFlagOfTheRulesThatDecide) {
    std::string rules = std::string(SLUICE_TEST_DATA) + "/iptables/log_host.rules";
    std::string policy = (dir_ / "log.sl").string();
    Outcome r = sluice("import iptables " + rules + " -o " + policy);
    ASSERT_EQ(r.code, 0) << r.err;  // LOG and NFLOG map: no --lossy needed
    EXPECT_TRUE(has(r.err, "log_host.rules:14:1: note: '-m limit' on a LOG rule")) << r.err;
    std::string text = slurp(policy);
    // "LOG M; DROP M" (lines 7-8) is one logged drop; so is the LOGDROP chain (18-19).
    auto count = [&](const std::string& what) {
        size_t n = 0;
        for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count("(logged by line 7)"), 1u) << text;
    EXPECT_EQ(count("log_host.rules:8:"), 1u) << text;
    EXPECT_EQ(count("(logged by line 18)"), 1u) << text;
    // NFLOG at 10: the logged copy of 11 and then 12, which covers its match; 11 and 12 are
    // not repeated unlogged, and no logged policy rule is needed.
    EXPECT_EQ(count("(logged by line 10)"), 2u) << text;
    EXPECT_EQ(count("log_host.rules:11:"), 1u) << text;
    Outcome check = sluice("check " + policy);
    EXPECT_EQ(check.code, 0) << check.err;

    struct LogCase {
        const char* packet;
        const char* verdict;
        bool logged;
        const char* why;
    };
    const LogCase in[] = {
        {"tcp 203.0.113.5:4000 -> 192.0.2.1:80 in", "deny", true, "7 LOG, 8 DROP"},
        {"tcp 8.8.8.8:4000 -> 192.0.2.1:23 in", "deny", true, "9 -> LOGDROP 18 LOG, 19 DROP"},
        {"tcp 10.1.1.1:4000 -> 192.0.2.1:22 in", "allow", true, "10 NFLOG, 11"},
        {"tcp 8.8.8.8:4000 -> 192.0.2.1:22 in", "deny", true, "10 NFLOG, 12"},
        {"tcp 8.8.8.8:4000 -> 192.0.2.1:80 in", "allow", false, "policy ACCEPT"},
        {"udp 8.8.8.8:4000 -> 192.0.2.1:53 in", "allow", false, "13 before the LOG at 14"},
        {"udp 8.8.8.8:4000 -> 192.0.2.1:123 in", "allow", true, "14 LOG, 15"},
        {"udp 198.51.100.7:4000 -> 192.0.2.1:5000 in", "deny", true, "14 LOG, 16"},
        {"udp 8.8.8.8:4000 -> 192.0.2.1:5000 in", "allow", true, "14 LOG, policy ACCEPT"},
        {"tcp 198.51.100.7:4000 -> 192.0.2.1:80 in", "deny", false, "16 (not udp: no LOG)"},
        {"icmp 198.51.100.7 -> 192.0.2.1 type 8 in", "deny", false, "16"},
    };
    std::vector<std::string> packets;
    for (const LogCase& c : in) packets.push_back(c.packet);
    std::vector<EvalResult> got = results(policy, "host", packets);
    ASSERT_EQ(got.size(), std::size(in));
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].verdict, in[i].verdict) << in[i].packet << " (" << in[i].why << ")";
        EXPECT_EQ(got[i].logged, in[i].logged) << in[i].packet << " (" << in[i].why << ")";
    }
    // OUTPUT: a LOG that only the chain policy follows.
    fs::path file = dir_ / "out.packets";
    {
        std::ofstream o(file);
        o << "tcp 192.0.2.1:4000 -> 192.0.2.9:80 out\n"     // 17 LOG, policy ACCEPT
          << "tcp 192.0.2.1:4000 -> 8.8.8.8:80 out\n";      // policy ACCEPT
    }
    Outcome e = sluice("eval " + policy + " --port host --dir out --packets " + file.string() +
                       " --json --single-hop");
    ASSERT_EQ(e.code, 0) << e.err;
    std::istringstream lines(e.out);
    std::string first, second;
    std::getline(lines, first);
    std::getline(lines, second);
    EXPECT_TRUE(has(first, "\"verdict\":\"allow\"") && has(first, "],\"logged\":true")) << first;
    EXPECT_TRUE(has(second, "\"verdict\":\"allow\"") && has(second, "],\"logged\":false")) << second;
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
