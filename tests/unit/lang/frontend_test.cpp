// Loading: imports (stdlib search path, relative paths, diamonds), diagnostics rendering.
#include <cstdlib>

#include "sluice/lang/dump.h"
#include "test_util.h"

namespace sluice::lang::test {
namespace {

TEST(Imports, StdlibAndRelativeAndDiamondLoadedOnce) {
    TempDir dir;
    dir.write("std/base.sl", "const BASE_NET = 10.0.0.0/8;\n");
    dir.write("src/common/layer.sl", "import \"../shared.sl\";\nlayer common { default allow; }\n");
    dir.write("src/shared.sl", "layer shared { default deny; }\n");
    std::string root = dir.write(
        "src/root.sl",
        "import std.base;\nimport \"common/layer.sl\";\nimport \"shared.sl\";\n"
        "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers shared, common, own; }\n"
        "layer own { out { group g priority 1 { rule r priority 1 match dst_ip BASE_NET action allow; } } }\n");
    FrontendOptions o;
    o.stdlibDirs = {"/nonexistent", (dir.path() / "std").string()};
    Frontend fe(o);
    auto p = fe.loadFile(root);
    std::ostringstream text;
    fe.diags().printText(text);
    ASSERT_NE(p, nullptr) << text.str();
    EXPECT_TRUE(fe.diags().diagnostics().empty()) << text.str();
    EXPECT_EQ(fe.sources().fileCount(), 4u);  // shared.sl once
    // Imports first (depth first), the root's own declarations last.
    ASSERT_EQ(p->layers.size(), 3u);
    EXPECT_EQ(p->layers[0].name, "shared");
    EXPECT_EQ(p->layers[1].name, "common");
    EXPECT_EQ(p->layers[2].name, "own");
    EXPECT_EQ(p->ports[0].layers, (std::vector<uint32_t>{0, 1, 2}));
}

TEST(Imports, LoadStringResolvesRelativeToItsName) {
    TempDir dir;
    dir.write("lib.sl", "layer l { default allow; }\n");
    auto l = loadSnippet(std::string("import \"lib.sl\";\n") + kPort, {},
                         (dir.path() / "virtual.sl").string());
    EXPECT_NE(l.policy, nullptr) << l.text;
}

TEST(Imports, DuplicateAcrossFilesNotesTheOtherFile) {
    TempDir dir;
    dir.write("a.sl", "layer l { default allow; }\n");
    std::string root = dir.write("root.sl", std::string("import \"a.sl\";\n") + kPort +
                                                "layer l { default deny; }\n");
    Frontend fe;
    EXPECT_EQ(fe.loadFile(root), nullptr);
    const auto& ds = fe.diags().diagnostics();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_STREQ(diagId(ds[0].kind), "E101");
    ASSERT_EQ(ds[0].notes.size(), 1u);
    EXPECT_NE(fe.sources().path(ds[0].notes[0].range.begin.file).find("a.sl"), std::string::npos);
}

TEST(Imports, SyntaxErrorInAnImportStopsSemanticChecks) {
    TempDir dir;
    dir.write("bad.sl", "layer { }\n");
    std::string root = dir.write("root.sl", "import \"bad.sl\";\nport p { layers nope; }\n");
    Frontend fe;
    EXPECT_EQ(fe.loadFile(root), nullptr);
    const auto& ds = fe.diags().diagnostics();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_STREQ(diagId(ds[0].kind), "E001");
}

TEST(StdlibDirs, EnvironmentVariableIsAppended) {
    setenv("SLUICE_STDLIB", "/some/where", 1);
    auto dirs = defaultStdlibDirs();
    unsetenv("SLUICE_STDLIB");
    ASSERT_FALSE(dirs.empty());
    EXPECT_EQ(dirs.back(), "/some/where");
    EXPECT_NE(dirs.front(), "/some/where");  // the compiled-in directory comes first
}

TEST(Rendering, ClangFormatWithCaretAndNotes) {
    auto l = loadSnippet("port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }\n"
                         "layer l { default allow; }\n"
                         "layer l { default deny; }\n");
    EXPECT_EQ(l.text,
              "test.sl:3:7: error: redefinition of 'l' [E101]\n"
              "layer l { default deny; }\n"
              "      ^\n"
              "test.sl:2:7: note: previous definition is here\n"
              "layer l { default allow; }\n"
              "      ^\n");
}

TEST(Rendering, CaretSpansTheRangeAndKeepsTabs) {
    auto l = loadSnippet("\tconst A = 1;\nconst\tA = 2;\n");
    EXPECT_NE(l.text.find("test.sl:2:7: error: redefinition of 'A' [E101]\nconst\tA = 2;\n     \t^\n"),
              std::string::npos)
        << l.text;
    auto w = loadSnippet(layerWith("rule r priority 1 match dst_port 70000 action allow;"));
    EXPECT_NE(w.text.find("^~~~~\n"), std::string::npos) << w.text;
}

TEST(Rendering, Json) {
    auto l = loadSnippet("layer l { default allow; }\nlayer l { }\n");
    EXPECT_EQ(l.json.substr(0, 1), "[");
    EXPECT_NE(l.json.find("\"id\":\"E101\""), std::string::npos) << l.json;
    EXPECT_NE(l.json.find("\"severity\":\"error\""), std::string::npos);
    EXPECT_NE(l.json.find("\"file\":\"test.sl\",\"line\":2,\"col\":7"), std::string::npos) << l.json;
    EXPECT_NE(l.json.find("\"notes\":[{\"file\":\"test.sl\",\"line\":1"), std::string::npos) << l.json;
    auto none = loadSnippet("");
    EXPECT_EQ(none.json, "[]");
    EXPECT_NE(none.policy, nullptr);
}

TEST(Rendering, JsonEscapesStrings) {
    auto l = loadSnippet("import \"a\\\"b\";\n");
    EXPECT_NE(l.json.find("a\\\"b"), std::string::npos) << l.json;
}

TEST(Robustness, FrontendIsReusable) {
    Frontend fe;
    EXPECT_EQ(fe.loadString("a.sl", "layer l { default allow; } layer l { }"), nullptr);
    EXPECT_NE(fe.loadString("b.sl", "layer l { default allow; }"), nullptr);
}

}  // namespace
}  // namespace sluice::lang::test
