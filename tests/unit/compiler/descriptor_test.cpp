// The artifact descriptor (compiler/artifact, compiler::describe): it agrees with the code the
// compiler generates (rule ids, names, ports, layer order), survives its file format, and its
// reader refuses every kind of damage with a message (never a crash).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sluice/artifact/descriptor_file.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/describe.h"
#include "sluice/lang/frontend.h"

namespace sluice::artifact {
namespace {

std::shared_ptr<const lang::Policy> load(const std::string& rel) {
    lang::FrontendOptions fo;
    fo.stdlibDirs = lang::defaultStdlibDirs();
    lang::Frontend fe(fo);
    auto p = fe.loadFile(std::string(SLUICE_SOURCE_DIR) + "/" + rel);
    EXPECT_TRUE(p != nullptr) << rel << ": " << fe.diags().toJson();
    return p;
}

const char* const kPolicies[] = {"examples/vpc.sl", "examples/run/demo.sl"};

TEST(ArtifactDescriptor, DescribesWhatTheCompilerGenerates) {
    for (const char* rel : kPolicies) {
        auto policy = load(rel);
        ASSERT_TRUE(policy);
        Descriptor d = compiler::describe(*policy);
        EXPECT_TRUE(check(d).ok()) << rel;
        auto code = compiler::compile(*policy);
        ASSERT_TRUE(code.ok()) << code.error().str();
        Status m = matches(d, *(*code)->descriptor());
        EXPECT_TRUE(m.ok()) << rel << ": " << (m.ok() ? "" : m.error().message);
        EXPECT_EQ(d.ports.size(), policy->ports.size());
        EXPECT_EQ(d.layers.size(), policy->layers.size());
        EXPECT_EQ(d.ecmpGroups.size(), policy->ecmpGroups.size());
        EXPECT_FALSE(d.rules.empty());
    }
}

TEST(ArtifactDescriptor, AMismatchWithTheCodeIsNamed) {
    auto policy = load("examples/vpc.sl");
    ASSERT_TRUE(policy);
    auto code = compiler::compile(*policy);
    ASSERT_TRUE(code.ok());
    const sl_policy_desc& c = *(*code)->descriptor();
    const Descriptor good = compiler::describe(*policy);
    auto broken = [&](auto&& change) {
        Descriptor d = good;
        change(d);
        return !matches(d, c).ok();
    };
    EXPECT_TRUE(broken([](Descriptor& d) { d.policyHash ^= 1; }));
    EXPECT_TRUE(broken([](Descriptor& d) { d.rules.back().rule += "x"; }));
    EXPECT_TRUE(broken([](Descriptor& d) { d.rules.front().stateful = !d.rules.front().stateful; }));
    EXPECT_TRUE(broken([](Descriptor& d) { d.rules.pop_back(); }));
    EXPECT_TRUE(broken([](Descriptor& d) { d.layers.front() += "x"; }));
    EXPECT_TRUE(broken([](Descriptor& d) { d.ports.front().name += "x"; }));
    EXPECT_TRUE(broken([](Descriptor& d) {
        auto& l = d.ports.front().layers;
        if (l.size() > 1) std::swap(l.front(), l.back()); else l.push_back(0);
    }));
}

TEST(ArtifactDescriptor, RoundTripsThroughItsFileFormat) {
    for (const char* rel : kPolicies) {
        auto policy = load(rel);
        ASSERT_TRUE(policy);
        Descriptor d = compiler::describe(*policy);
        d.objectCrc = 0x12345678u;
        auto back = parse(serialize(d), "x.desc");
        ASSERT_TRUE(back.ok()) << back.error().str();
        EXPECT_TRUE(*back == d) << rel;
    }
    Descriptor empty;
    auto back = parse(serialize(empty), "empty.desc");
    ASSERT_TRUE(back.ok()) << back.error().str();
    EXPECT_TRUE(*back == empty);
}

// Recomputes the trailer so a change inside the payload reaches the payload reader.
std::string resealed(std::string b) {
    const size_t end = b.size() - 4;
    uint32_t c = crc32c(std::string_view(b).substr(0, end));
    for (int i = 0; i < 4; ++i) b[end + i] = static_cast<char>(c >> (8 * i));
    return b;
}

TEST(ArtifactDescriptor, EveryDamageIsAClearError) {
    auto policy = load("examples/vpc.sl");
    ASSERT_TRUE(policy);
    const std::string good = serialize(compiler::describe(*policy));
    auto refused = [](const std::string& bytes, const std::string& words) {
        auto r = parse(bytes, "bad.desc");
        if (r.ok()) return ::testing::AssertionFailure() << "accepted";
        if (r.error().str().find(words) == std::string::npos)
            return ::testing::AssertionFailure() << "message: " << r.error().str();
        if (r.error().str().find("bad.desc") == std::string::npos)
            return ::testing::AssertionFailure() << "no file name: " << r.error().str();
        return ::testing::AssertionSuccess();
    };
    // Every truncation, every single-byte corruption.
    for (size_t n = 0; n < good.size(); ++n) ASSERT_FALSE(parse(good.substr(0, n), "t").ok()) << n;
    for (size_t i = 0; i < good.size(); ++i) {
        std::string b = good;
        b[i] = static_cast<char>(b[i] ^ 0x5a);
        ASSERT_FALSE(parse(b, "c").ok()) << i;
    }
    EXPECT_TRUE(refused(good.substr(0, 10), "truncated"));
    EXPECT_TRUE(refused(good + "x", "trailing"));
    std::string foreign = good;
    foreign[0] = 'X';
    EXPECT_TRUE(refused(foreign, "not a Sluice artifact descriptor"));
    std::string version = good;
    version[8] = 2;
    EXPECT_TRUE(refused(resealed(version), "version 2"));
    std::string flipped = good;
    flipped[good.size() / 2] ^= 1;
    EXPECT_TRUE(refused(flipped, "checksum"));
    // A port count of 2^32-1 with a valid checksum: refused before anything is allocated.
    std::string counts = good;
    for (int i = 0; i < 4; ++i) counts[24 + 12 + i] = '\xff';  // header, policy hash, object crc
    EXPECT_TRUE(refused(resealed(counts), "impossible count of ports"));
    // Inconsistent but well formed: a port walking a layer that does not exist.
    Descriptor d = compiler::describe(*policy);
    d.ports.front().layers.push_back(static_cast<uint32_t>(d.layers.size()));
    EXPECT_TRUE(refused(serialize(d), "inconsistent"));
}

TEST(ArtifactDescriptor, FilesAreWrittenAtomicallyAndReadWithLimits) {
    auto policy = load("examples/run/demo.sl");
    ASSERT_TRUE(policy);
    const Descriptor d = compiler::describe(*policy);
    auto dir = std::filesystem::temp_directory_path() / ("desc_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "p.o.desc").string();
    ASSERT_TRUE(writeFile(path, d).ok());
    auto back = readFile(path);
    ASSERT_TRUE(back.ok()) << back.error().str();
    EXPECT_TRUE(*back == d);
    EXPECT_EQ(descriptorPathFor((dir / "p.o").string()), path);
    EXPECT_FALSE(readFile((dir / "missing.desc").string()).ok());
    EXPECT_FALSE(readFile(dir.string()).ok());       // a directory
    EXPECT_FALSE(readFile("/dev/zero").ok());        // never blocks or reads forever
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice::artifact
