// The AOT object of examples/vpc.sl, linked into a C program, gives the interpreter's answers.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "sluice/compiler/compare.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/meta.h"
#include "sluice/compiler/sampler.h"
#include "sluice/lang/frontend.h"

namespace sluice {
namespace {

TEST(Aot, CProgramAgreesWithInterpreter) {
    lang::FrontendOptions fo;
    fo.stdlibDirs = lang::defaultStdlibDirs();
    lang::Frontend fe(fo);
    auto policy = fe.loadFile(SLUICE_AOT_POLICY);
    ASSERT_TRUE(policy) << fe.diags().toJson();
    compiler::BoundarySampler sampler(*policy, 7);
    std::vector<lang::Headers> hs;
    std::vector<sl_meta> metas;
    for (int i = 0; i < 2000; ++i) {
        hs.push_back(sampler.next());
        metas.push_back(compiler::toMeta(hs.back()));
    }
    std::string dir = ::testing::TempDir();
    std::string inPath = dir + "/aot_in.bin", outPath = dir + "/aot_out.bin";
    {
        std::ofstream in(inPath, std::ios::binary);
        in.write(reinterpret_cast<const char*>(metas.data()), static_cast<std::streamsize>(metas.size() * sizeof(sl_meta)));
    }
    std::string cmd = std::string(SLUICE_AOT_MAIN) + " " + inPath + " " + outPath;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream out(outPath, std::ios::binary);
    // A JIT compile provides the descriptor (same rule numbering as the AOT object).
    auto jit = compiler::compile(*policy, {});
    ASSERT_TRUE(jit.ok()) << jit.error().str();
    const sl_policy_desc& desc = *(*jit)->descriptor();
    interp::Interpreter interp(policy);
    size_t checked = 0;
    for (uint32_t e = 0; e < policy->ports.size() * 2; ++e) {
        uint32_t port = e / 2;
        auto dir = static_cast<lang::Direction>(e % 2);
        for (size_t i = 0; i < hs.size(); ++i) {
            sl_result r;
            ASSERT_TRUE(out.read(reinterpret_cast<char*>(&r), sizeof r));
            interp.clearSessions();
            auto want = interp.evaluate(port, dir, hs[i]);
            auto diff = compiler::compareResults(*policy, desc, port, dir, r, want);
            ASSERT_FALSE(diff) << lang::formatPacketText(hs[i]) << ": " << *diff;
            ++checked;
        }
    }
    EXPECT_EQ(checked, hs.size() * policy->ports.size() * 2);
}

}  // namespace
}  // namespace sluice
