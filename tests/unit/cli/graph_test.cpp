// `sluice graph` (issue 14, item 3): the DOT text has the policy's ports, the layer chain of
// each port in outbound order, the groups per direction, the route tables their rules route to
// and the next hops; --port keeps only what that port reaches; Graphviz parses it (when `dot`
// is installed: scripts/setup.sh installs graphviz); errors exit 1.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;

using sluice::test::Outcome;
using sluice::test::slurp;

class Graph : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_graph_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        policy_ = (dir_ / "g.sl").string();
        std::ofstream(policy_) <<
            "port a { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers sg, vnet; }\n"
            "port b { mac 02:00:00:00:00:02; ip 10.0.0.2; vni 1; layers sg; }\n"
            "port c { mac 02:00:00:00:00:03; ip 10.0.9.3; vni 2; layers other; }\n"
            "layer sg { default deny;\n"
            "  out { group egress priority 10 { rule all priority 1 action allow stateful; } }\n"
            "  in { group ingress priority 20 { rule web priority 1 match dst_port 443 action allow; } } }\n"
            "layer vnet { default allow;\n"
            "  out { group fwd priority 5 { rule r priority 1 match dst_ip 10.9.0.0/16 action route rt; } } }\n"
            "layer other { default allow; }\n"
            "routes rt { 10.9.1.0/24 -> port b; 10.9.2.0/24 -> ecmp fw; 10.9.3.0/24 -> drop;\n"
            "  0.0.0.0/0 -> gateway 192.168.0.1; }\n"
            "ecmp fw { member fw1 192.168.0.21 weight 2; member fw2 192.168.0.22; }\n";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Outcome run(const std::string& cmd) { return sluice::test::runShell(cmd, dir_); }
    Outcome sluice(const std::string& args) {
        return run("timeout 30 " + std::string(SLUICE_BINARY_DIR) + "/cli/sluice " + args);
    }
    fs::path dir_;
    std::string policy_;
};

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

TEST_F(Graph, NodesAndEdgesOfTheWholePolicy) {
    std::string dot = (dir_ / "out.dot").string();
    Outcome r = sluice("graph " + policy_ + " -o " + dot);
    ASSERT_EQ(r.code, 0) << r.err;
    std::string g = slurp(dot);
    ASSERT_EQ(g.rfind("digraph sluice {", 0), 0u) << g;
    for (const char* node : {"\"port:a\" [", "\"port:b\" [", "\"port:c\" [", "\"layer:sg\" [",
                             "\"layer:vnet\" [", "\"layer:other\" [", "\"group:sg:out:egress\" [",
                             "\"group:sg:in:ingress\" [", "\"group:vnet:out:fwd\" [",
                             "\"routes:rt\" [", "\"ecmp:fw\" [", "\"member:fw:fw1\" [",
                             "\"gateway:192.168.0.1\" [", "\"drop\" ["})
        EXPECT_TRUE(has(g, node)) << node << "\n" << g;
    // Port a's pipeline in outbound order: a -> sg -> vnet.
    EXPECT_TRUE(has(g, "\"port:a\" -> \"layer:sg\" [label=\"a 1\""));
    EXPECT_TRUE(has(g, "\"layer:sg\" -> \"layer:vnet\" [label=\"a 2\""));
    EXPECT_TRUE(has(g, "\"port:b\" -> \"layer:sg\" [label=\"b 1\""));
    EXPECT_FALSE(has(g, "\"port:b\" -> \"layer:vnet\""));
    EXPECT_TRUE(has(g, "\"group:vnet:out:fwd\" -> \"routes:rt\" [label=\"route\"]"));
    EXPECT_TRUE(has(g, "\"routes:rt\" -> \"port:b\" [label=\"10.9.1.0/24\"]"));
    EXPECT_TRUE(has(g, "\"routes:rt\" -> \"ecmp:fw\" [label=\"10.9.2.0/24\"]"));
    EXPECT_TRUE(has(g, "\"routes:rt\" -> \"drop\" [label=\"10.9.3.0/24\"]"));
    EXPECT_TRUE(has(g, "\"routes:rt\" -> \"gateway:192.168.0.1\" [label=\"0.0.0.0/0\"]"));
    EXPECT_TRUE(has(g, "\"ecmp:fw\" -> \"member:fw:fw2\""));
    EXPECT_TRUE(has(g, "weight 2"));
    if (run("command -v dot").code == 0) {
        Outcome svg = run("dot -Tsvg " + dot);
        EXPECT_EQ(svg.code, 0) << svg.err;
        EXPECT_TRUE(has(svg.out, "<svg")) << svg.err;
        EXPECT_TRUE(has(svg.out, "port a")) << "labels rendered";
    }
}

TEST_F(Graph, PortKeepsWhatItReaches) {
    Outcome r = sluice("graph " + policy_ + " --port a");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "\"port:a\" -> \"layer:sg\""));
    EXPECT_TRUE(has(r.out, "\"routes:rt\" -> \"port:b\""));  // b is reached by a route
    EXPECT_FALSE(has(r.out, "\"port:b\" -> \"layer:sg\""));  // but b's pipeline is not shown
    EXPECT_FALSE(has(r.out, "\"port:c\"")) << r.out;
    EXPECT_FALSE(has(r.out, "\"layer:other\"")) << r.out;
    Outcome c = sluice("graph " + policy_ + " --port c");
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_FALSE(has(c.out, "\"routes:rt\"")) << c.out;
    EXPECT_TRUE(has(c.out, "\"port:c\" -> \"layer:other\""));
}

TEST_F(Graph, CompiledShowsTheClassifiersThatShip) {
    // A group big enough for a real classifier, next to the fixture's small ones.
    std::string big = (dir_ / "big.sl").string();
    {
        std::ofstream out(big);
        out << "port a { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers acl, vnet; }\n"
               "layer acl { default deny;\n  out { group many priority 1 {\n";
        for (int i = 0; i < 60; ++i)
            out << "    rule r" << i << " priority " << i + 1 << " match dst_ip 10." << i
                << ".0.0/16 dst_port " << 1000 + i * 7 << " action allow;\n";
        out << "  } } }\n"
               "layer vnet { default allow;\n"
               "  out { group fwd priority 5 { rule r priority 1 match dst_ip 10.9.0.0/16 action route rt; } } }\n"
               "layer unused { default allow; out { group g priority 1 { rule r priority 1 action allow; } } }\n"
               "routes rt { 10.9.1.0/24 -> drop; 0.0.0.0/0 -> gateway 192.168.0.1; }\n";
    }
    Outcome g = sluice("graph " + big + " --compiled");
    ASSERT_EQ(g.code, 0) << g.err;
    // Each table's line is what `sluice compile` reports for it: kind and rows.
    Outcome c = sluice("compile " + big + " --no-validate");
    ASSERT_EQ(c.code, 0) << c.err;
    size_t checked = 0;
    std::istringstream lines(c.out + c.err);
    for (std::string line; std::getline(lines, line);) {
        // "  acl/out/many: hypersplit, 60 rows, 1234 bytes"
        auto colon = line.find(": ");
        if (line.rfind("  ", 0) != 0 || colon == std::string::npos) continue;
        std::string table = line.substr(2, colon - 2);
        if (table.rfind("unused/", 0) == 0) continue;  // compiled, but no port draws it
        std::string kind = line.substr(colon + 2, line.find(',', colon) - colon - 2);
        std::string rows = line.substr(line.find(", ", colon) + 2);
        rows = rows.substr(0, rows.find(' '));
        std::string node;
        if (table.rfind("routes/", 0) == 0) {
            node = "\"routes:" + table.substr(7) + "\" [";
        } else {
            auto s1 = table.find('/'), s2 = table.rfind('/');
            node = "\"group:" + table.substr(0, s1) + ":" + table.substr(s1 + 1, s2 - s1 - 1) + ":" +
                   table.substr(s2 + 1) + "\" [";
        }
        size_t at = g.out.find("\n  " + node);  // the node's own line, not an edge to it
        ASSERT_NE(at, std::string::npos) << node << "\n" << g.out;
        ++at;
        std::string label = g.out.substr(at, g.out.find('\n', at) - at);
        EXPECT_TRUE(has(label, "\\n" + kind + ", " + rows + " row(s), ")) << table << ": " << label;
        ++checked;
    }
    EXPECT_GE(checked, 3u) << c.err;
    EXPECT_FALSE(has(g.out, "layer:unused")) << "no port reaches it: not drawn";
    EXPECT_FALSE(has(sluice("graph " + big).out, "row(s)"));  // only with --compiled
}

TEST_F(Graph, ErrorsExitOne) {
    Outcome r = sluice("graph " + policy_ + " --port nope");
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(has(r.err, "no port named 'nope'")) << r.err;
    r = sluice("graph " + (dir_ / "missing.sl").string());
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(has(r.err, "missing.sl")) << r.err;
    std::string bad = (dir_ / "bad.sl").string();
    std::ofstream(bad) << "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers nowhere; }\n";
    r = sluice("graph " + bad);
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(has(r.err, "bad.sl:1:")) << r.err;
    r = sluice("graph " + policy_ + " --bogus");
    EXPECT_EQ(r.code, 2);
    r = sluice("graph " + policy_ + " -o " + (dir_ / "no" / "such" / "dir.dot").string());
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(has(r.err, "cannot write")) << r.err;
}

}  // namespace
