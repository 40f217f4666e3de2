// Every shipped policy (examples/, stdlib/) checks without errors, and its canonical form
// re-parses to the same model and is a fixed point of the printer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sluice/lang/dump.h"
#include "sluice/lang/frontend.h"

namespace sluice::lang::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> shippedPolicies() {
    std::vector<fs::path> files;
    for (const char* dir : {"examples", "stdlib"}) {
        for (const auto& entry : fs::directory_iterator(fs::path(SLUICE_SOURCE_DIR) / dir)) {
            if (entry.path().extension() == ".sl") files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

FrontendOptions withStdlib() {
    FrontendOptions options;
    options.stdlibDirs = defaultStdlibDirs();
    return options;
}

std::string diagnosticsText(Frontend& fe) {
    std::ostringstream out;
    fe.diags().printText(out);
    return out.str();
}

TEST(ShippedPolicies, ThereAreSome) { EXPECT_GE(shippedPolicies().size(), 8u); }

TEST(ShippedPolicies, CheckCleanAndFormatRoundTrips) {
    for (const fs::path& file : shippedPolicies()) {
        SCOPED_TRACE(file.string());
        Frontend original(withStdlib());
        auto policy = original.loadFile(file.string());
        ASSERT_NE(policy, nullptr) << diagnosticsText(original);
        EXPECT_EQ(original.diags().errorCount(), 0u) << diagnosticsText(original);

        Frontend printer(withStdlib());
        std::string formatted;
        ASSERT_TRUE(printer.formatFile(file.string(), formatted)) << diagnosticsText(printer);

        // Same directory and name, so relative imports resolve as for the original.
        Frontend reparsed(withStdlib());
        auto again = reparsed.loadString(file.string(), formatted);
        ASSERT_NE(again, nullptr) << diagnosticsText(reparsed) << formatted;
        EXPECT_EQ(dumpPolicy(*policy), dumpPolicy(*again));

        Frontend printer2(withStdlib());
        std::string twice;
        ASSERT_TRUE(printer2.formatString(file.string(), formatted, twice));
        EXPECT_EQ(formatted, twice);
    }
}

}  // namespace
}  // namespace sluice::lang::test
