// The canonical printer: layout, comments, idempotence, same model after re-parsing.
#include "sluice/lang/dump.h"
#include "test_util.h"

namespace sluice::lang::test {
namespace {

std::string fmt(const std::string& src) {
    Frontend fe;
    std::string out;
    EXPECT_TRUE(fe.formatString("f.sl", src, out));
    return out;
}

TEST(Format, CanonicalLayout) {
    std::string src =
        "const  A=1 ,2..3;const B = 4;\n"
        "port p{mac 02:00:00:00:00:01;ip 10.0.0.1,fd00::1;vni 1;layers l;}\n"
        "layer l{default in allow;out{group g priority 1 match dst_port A{rule r priority 2 "
        "match proto tcp action allow,set dscp 1 terminating stateful idle 1m;}}}\n";
    EXPECT_EQ(fmt(src),
              "const A = 1, 2..3;\n"
              "const B = 4;\n"
              "\n"
              "port p {\n"
              "    mac 02:00:00:00:00:01;\n"
              "    ip 10.0.0.1, fd00::1;\n"
              "    vni 1;\n"
              "    layers l;\n"
              "}\n"
              "\n"
              "layer l {\n"
              "    default in allow;\n"
              "    out {\n"
              "        group g priority 1 match dst_port A {\n"
              "            rule r priority 2 match proto tcp action allow, set dscp 1 "
              "terminating stateful idle 1m;\n"
              "        }\n"
              "    }\n"
              "}\n");
}

TEST(Format, CommentsAreKept) {
    std::string src =
        "// header\n"
        "layer l {   // after brace\n"
        "  # before default\n"
        "  default allow;   // trailing\n"
        "  /* before end */\n"
        "}\n"
        "// footer\n";
    EXPECT_EQ(fmt(src),
              "// header\n"
              "layer l {\n"
              "    // after brace\n"
              "    # before default\n"
              "    default allow;  // trailing\n"
              "    /* before end */\n"
              "}\n"
              "// footer\n");
}

TEST(Format, TrailingCommentStaysBeforeBlankLine) {
    EXPECT_EQ(fmt("const A = 1; // a\nlayer l { } // after block\n// own\nconst B = 2;\n"),
              "const A = 1;  // a\n"
              "\n"
              "layer l {\n"
              "}\n"
              "\n"
              "// after block\n"
              "// own\n"
              "const B = 2;\n");
    EXPECT_EQ(fmt("import \"a\\\nb.sl\";\n"), "import \"a\\\nb.sl\";\n");
}

TEST(Format, IdempotentAndSameModel) {
    std::string src =
        "module m;\n"
        "import \"x.sl\"; // no such file: fmt does not load imports\n";
    EXPECT_EQ(fmt(fmt(src)), fmt(src));
    std::string policy = std::string(kPort) +
                         "layer l { out { /* c */ group g priority 1 { rule b priority 2 "
                         "action deny; rule a priority 1 match dst_ip 10.0.0.0/8 action "
                         "route rt; } } }\nroutes rt { 0.0.0.0/0 -> drop; }\n";
    std::string once = fmt(policy);
    EXPECT_EQ(fmt(once), once);
    auto a = loadSnippet(policy);
    auto b = loadSnippet(once);
    ASSERT_NE(a.policy, nullptr) << a.text;
    ASSERT_NE(b.policy, nullptr) << b.text;
    EXPECT_EQ(dumpPolicy(*a.policy), dumpPolicy(*b.policy));
}

TEST(Format, SyntaxErrorsFail) {
    Frontend fe;
    std::string out = "untouched";
    EXPECT_FALSE(fe.formatString("f.sl", "layer {", out));
    EXPECT_EQ(out, "untouched");
    EXPECT_TRUE(fe.diags().hasErrors());
}

}  // namespace
}  // namespace sluice::lang::test
