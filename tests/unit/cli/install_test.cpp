// Packaging (issue 14, item 8): `cmake --install` of the build puts the binary, the stdlib it
// finds next to itself, one man page per command, the bash completion and the editor grammar
// under the prefix; the man pages render without warnings and name every option the binary
// takes; the completion completes commands and options; the TextMate grammar knows every
// keyword of the language grammar and every match field.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "cli_run.h"
#include "sluice/lang/packet.h"

namespace {

namespace fs = std::filesystem;
using sluice::test::Outcome;
using sluice::test::runShell;
using sluice::test::shellQuote;
using sluice::test::slurp;

class Install : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        scratch_ = fs::temp_directory_path() / ("sluice_install_" + std::to_string(::getpid()));
        prefix_ = scratch_ / "prefix";
        fs::create_directories(scratch_);
        installed_ = runShell("cmake --install " + std::string(SLUICE_BINARY_DIR) + " --prefix " +
                                  prefix_.string(),
                              scratch_);
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        fs::remove_all(scratch_, ec);
    }
    static Outcome sh(const std::string& cmd) { return runShell(cmd, scratch_); }
    static inline fs::path scratch_, prefix_;
    static inline Outcome installed_;
};

TEST_F(Install, PutsEverythingUnderThePrefix) {
    ASSERT_EQ(installed_.code, 0) << installed_.err << installed_.out;
    for (const char* f : {"bin/sluice", "share/sluice/stdlib/protocols.sl",
                          "share/sluice/stdlib/security_groups.sl", "share/man/man1/sluice.1",
                          "share/man/man1/sluice-verify.1", "share/man/man1/sluice-import-iptables.1",
                          "share/bash-completion/completions/sluice",
                          "share/sluice/editors/sluice.tmLanguage.json"})
        EXPECT_TRUE(fs::is_regular_file(prefix_ / f)) << f;
    Outcome v = sh((prefix_ / "bin/sluice").string() + " --version");
    EXPECT_EQ(v.code, 0);
    EXPECT_NE(v.out.find("sluice "), std::string::npos);
}

TEST_F(Install, TheInstalledBinaryUsesTheInstalledStdlib) {
    ASSERT_EQ(installed_.code, 0) << installed_.err;
    // A name only the installed copy has: found by the installed binary, not by the build's.
    std::ofstream(prefix_ / "share/sluice/stdlib/protocols.sl", std::ios::app)
        << "\nconst INSTALLED_STDLIB_MARK = 7;\n";
    fs::path policy = scratch_ / "mark.sl";
    std::ofstream(policy) << "import std.protocols;\n"
                             "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni INSTALLED_STDLIB_MARK; "
                             "layers l; }\nlayer l { default allow; }\n";
    std::string env = "env -u SLUICE_STDLIB ";
    EXPECT_EQ(sh(env + (prefix_ / "bin/sluice").string() + " check " + policy.string()).code, 0);
    EXPECT_EQ(sh(env + std::string(SLUICE_BINARY_DIR) + "/cli/sluice check " + policy.string()).code, 1);
}

TEST_F(Install, EveryCommandHasAManPageNamingItsOptions) {
    ASSERT_EQ(installed_.code, 0) << installed_.err;
    fs::path man = prefix_ / "share/man/man1";
    std::string top = slurp(man / "sluice.1");
    // Every command the binary lists in its help has a page, and each page renders cleanly.
    Outcome help = sh((prefix_ / "bin/sluice").string() + " --help");
    std::regex command(R"(^  ([a-z][a-z-]+) )");
    size_t commands = 0;
    std::istringstream lines(help.out);
    bool inCommands = false;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("SUBCOMMANDS", 0) == 0 || line.rfind("Subcommands", 0) == 0) inCommands = true;
        std::smatch m;
        if (!inCommands || !std::regex_search(line, m, command)) continue;
        ++commands;
        std::string name = m[1];
        fs::path page = man / ("sluice-" + name + ".1");
        ASSERT_TRUE(fs::is_regular_file(page)) << name;
        Outcome render = sh("groff -man -Tutf8 -ww -z " + page.string());
        EXPECT_EQ(render.code, 0) << name;
        EXPECT_TRUE(render.err.empty()) << name << ": " << render.err;
        // Each option of `sluice NAME --help` is in the page (roff writes '-' as '\-').
        std::string text = slurp(page);
        std::string plain = std::regex_replace(text, std::regex(R"(\\-)"), "-");
        Outcome sub = sh((prefix_ / "bin/sluice").string() + " " + name + " --help");
        std::regex option(R"((--[a-z][a-z-]*))");
        for (auto it = std::sregex_iterator(sub.out.begin(), sub.out.end(), option);
             it != std::sregex_iterator(); ++it)
            EXPECT_NE(plain.find((*it)[1].str()), std::string::npos)
                << name << " page lacks " << (*it)[1].str();
    }
    EXPECT_GE(commands, 12u) << help.out;
    EXPECT_NE(top.find(".SH COMMANDS"), std::string::npos);
}

TEST_F(Install, BashCompletesCommandsAndOptions) {
    ASSERT_EQ(installed_.code, 0) << installed_.err;
    std::string script = (prefix_ / "share/bash-completion/completions/sluice").string();
    auto complete = [&](const std::string& line) {
        std::string prog = "source " + shellQuote(script) +
                           "; read -ra COMP_WORDS <<< " + shellQuote(line) +
                           "; [[ " + shellQuote(line) + " == *' ' ]] && COMP_WORDS+=(''); "
                           "COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _sluice; echo \"${COMPREPLY[*]}\"";
        return sh("bash -c " + shellQuote(prog)).out;
    };
    EXPECT_EQ(complete("sluice ver"), "verify\n");
    EXPECT_NE(complete("sluice import ").find("security-groups"), std::string::npos);
    EXPECT_EQ(complete("sluice query p.sl --verd"), "--verdict\n");
    EXPECT_EQ(complete("sluice ctl vm mo"), "move\n");
    // A word that names no command leaves the top level's options.
    EXPECT_NE(complete("sluice nosuchcommand --").find("--version"), std::string::npos);
}

TEST(EditorGrammar, KnowsEveryKeywordAndField) {
    std::string source = SLUICE_SOURCE_DIR;
    auto grammar = nlohmann::json::parse(slurp(source + "/editors/sluice.tmLanguage.json"), nullptr, false);
    ASSERT_TRUE(grammar.is_object());
    EXPECT_EQ(grammar["scopeName"], "source.sluice");
    std::string keywords;
    for (const auto& p : grammar["repository"]["keywords"]["patterns"]) keywords += p["match"].get<std::string>();
    std::string fields = grammar["repository"]["fields"]["match"].get<std::string>();
    auto has = [](const std::string& alternation, const std::string& word) {
        return std::regex_search(alternation, std::regex("[(|]" + word + "[|)]"));
    };
    // Every keyword the parser knows: the quoted words of the ANTLR grammar.
    std::string g4 = slurp(source + "/lang/grammar/Sluice.g4");
    std::regex quoted("'([a-z_]+)'");
    size_t words = 0;
    for (auto it = std::sregex_iterator(g4.begin(), g4.end(), quoted); it != std::sregex_iterator(); ++it) {
        ++words;
        EXPECT_TRUE(has(keywords, (*it)[1].str())) << "keyword " << (*it)[1].str();
    }
    EXPECT_GE(words, 30u);
    for (size_t i = 0; i < sluice::lang::kFieldCount; ++i) {
        std::string name(sluice::lang::fieldInfo(static_cast<sluice::lang::Field>(i)).name);
        EXPECT_TRUE(has(fields, name)) << "field " << name;
    }
    // Every pattern is a valid regular expression (ECMAScript is close enough to Oniguruma
    // for these).
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
        if (j.is_object()) {
            for (const char* k : {"match", "begin", "end"}) {
                if (j.contains(k)) {
                    EXPECT_NO_THROW(std::regex(j[k].get<std::string>())) << j[k];
                }
            }
            for (const auto& [k, v] : j.items()) walk(v);
        } else if (j.is_array()) {
            for (const auto& v : j) walk(v);
        }
    };
    walk(grammar);
}

}  // namespace
