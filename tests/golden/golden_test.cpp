// Runs every tests/golden/cases/NAME.sl through the front end:
//  - the diagnostics text must equal NAME.stderr (paths relative to the cases directory);
//  - for inputs without errors, `fmt` must equal NAME.fmt.sl, be idempotent, and re-parse to
//    the same model (dumpPolicy) as the original.
// SLUICE_REGENERATE_GOLDEN=1 rewrites the expected files instead of comparing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sluice/lang/dump.h"
#include "sluice/lang/frontend.h"

namespace fs = std::filesystem;
using sluice::lang::Frontend;
using sluice::lang::FrontendOptions;

namespace {

const fs::path kDir = SLUICE_GOLDEN_DIR;

bool regenerate() {
    const char* v = std::getenv("SLUICE_REGENERATE_GOLDEN");
    return v != nullptr && std::string(v) == "1";
}

std::string readFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeFile(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

std::vector<std::string> caseNames() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(kDir)) {
        std::string name = e.path().filename().string();
        if (!e.is_regular_file() || e.path().extension() != ".sl") continue;
        if (name.size() > 7 && name.substr(name.size() - 7) == ".fmt.sl") continue;
        names.push_back(name.substr(0, name.size() - 3));
    }
    std::sort(names.begin(), names.end());
    return names;
}

FrontendOptions options() {
    FrontendOptions o;
    o.stdlibDirs = {"std"};  // relative, so messages are stable
    return o;
}

// Compares with the expected file, or rewrites it when regenerating.
void expectFile(const std::string& name, const std::string& actual) {
    fs::path p = kDir / name;
    if (regenerate()) {
        writeFile(p, actual);
        return;
    }
    ASSERT_TRUE(fs::exists(p)) << p << " is missing; run with SLUICE_REGENERATE_GOLDEN=1";
    EXPECT_EQ(readFile(p), actual) << "golden mismatch for " << name;
}

class Golden : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        saved_ = fs::current_path();
        fs::current_path(kDir);
    }
    void TearDown() override { fs::current_path(saved_); }
    fs::path saved_;
};

TEST_P(Golden, DiagnosticsAndFormat) {
    const std::string name = GetParam();
    const std::string file = name + ".sl";
    Frontend fe(options());
    auto policy = fe.loadFile(file);
    std::ostringstream diags;
    fe.diags().printText(diags);
    expectFile(name + ".stderr", diags.str());
    EXPECT_EQ(policy == nullptr, fe.diags().hasErrors());

    fs::path fmtPath = kDir / (name + ".fmt.sl");
    if (policy == nullptr) {
        EXPECT_FALSE(fs::exists(fmtPath)) << "stale " << fmtPath << " for an input with errors";
        return;
    }
    Frontend fmtFe(options());
    std::string formatted;
    ASSERT_TRUE(fmtFe.formatFile(file, formatted));
    expectFile(name + ".fmt.sl", formatted);

    std::string twice;
    ASSERT_TRUE(fmtFe.formatString(name + ".fmt.sl", formatted, twice));
    EXPECT_EQ(formatted, twice) << "fmt is not idempotent";

    Frontend again(options());
    auto reparsed = again.loadString(file, formatted);
    std::ostringstream err;
    again.diags().printText(err);
    ASSERT_NE(reparsed, nullptr) << err.str();
    EXPECT_EQ(sluice::lang::dumpPolicy(*policy), sluice::lang::dumpPolicy(*reparsed));
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(caseNames()),
                         [](const auto& info) { return info.param; });

// The suite must not pass vacuously.
TEST(GoldenSuite, HasCases) { EXPECT_GE(caseNames().size(), 8u); }

}  // namespace
