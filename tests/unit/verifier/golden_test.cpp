// Golden: the findings of examples/defective/defective.sl, one line each (kind, severity,
// line, rules), compared with tests/golden/verifier/defective.findings. SLUICE_REGENERATE=1
// rewrites the file. Every witness must have replayed without disagreement.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sluice/lang/frontend.h"
#include "sluice/verify/verifier.h"

namespace sluice::verify {
namespace {

std::string normalise(const Report& r) {
    std::vector<std::string> lines;
    for (const auto& f : r.findings) {
        std::ostringstream s;
        s << findingName(f.kind) << " "
          << (f.severity == Severity::Error ? "error" : f.severity == Severity::Warning ? "warning"
                                                                                         : "note")
          << " line " << f.range.begin.line << ":";
        for (const auto& i : f.involved) s << " " << i.name;
        s << (f.witness ? " [witness]" : "");
        lines.push_back(s.str());
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (auto& l : lines) out += l + "\n";
    return out;
}

TEST(VerifierGolden, DefectiveExample) {
    std::string path = std::string(SLUICE_SOURCE_DIR) + "/examples/defective/defective.sl";
    lang::FrontendOptions fo;
    fo.stdlibDirs = lang::defaultStdlibDirs();
    lang::Frontend fe(fo);
    auto p = fe.loadFile(path);
    ASSERT_TRUE(p) << "defective.sl does not load";
    auto report = verifyPolicy(p);
    for (const auto& f : report.findings) EXPECT_NE(f.kind, FindingKind::Internal) << f.message;
    EXPECT_TRUE(report.hasErrors());
    std::string got = normalise(report);
    std::string golden = std::string(SLUICE_VERIFIER_GOLDEN_DIR) + "/defective.findings";
    if (std::getenv("SLUICE_REGENERATE")) {
        std::ofstream(golden) << got;
        GTEST_SKIP() << "regenerated " << golden;
    }
    std::ifstream in(golden);
    ASSERT_TRUE(in) << "missing " << golden << " (run with SLUICE_REGENERATE=1)";
    std::stringstream want;
    want << in.rdbuf();
    EXPECT_EQ(got, want.str());
}

}  // namespace
}  // namespace sluice::verify
