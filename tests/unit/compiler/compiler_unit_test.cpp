// Unit tests of the compiler: key projection, cost model choices, IR verifier, generations
// (ResourceTracker removal), object cache, AOT emission, pass dumps.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ir/keys.h"
#include "lower/lower.h"
#include "sluice/compiler/compare.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/meta.h"
#include "sluice/compiler/validate.h"

namespace sluice {
namespace {

using lang::Family;
using lang::Field;
using lang::u128;

lang::MatchValue v4(uint32_t lo, uint32_t hi, int len = -1) { return {lo, hi, Family::V4, len, {}}; }
lang::MatchValue num(uint64_t lo, uint64_t hi) { return {lo, hi, Family::None, -1, {}}; }

std::shared_ptr<lang::Policy> onePort(std::vector<lang::Rule> rules, bool lpm = false) {
    auto p = std::make_shared<lang::Policy>();
    lang::Layer l;
    l.name = "acl";
    l.defaultAction[1].verdict = lang::Verdict::Deny;
    lang::Group g;
    g.name = "g";
    if (lpm) {
        g.mode = lang::GroupMode::Lpm;
        g.lpmField = Field::DstIp;
    }
    g.rules = std::move(rules);
    l.groups[1].push_back(g);
    p->layers.push_back(l);
    lang::Port port;
    port.name = "p";
    port.layers = {0};
    p->ports.push_back(port);
    return p;
}

lang::Rule rule(uint32_t prio, std::vector<lang::Condition> conds, bool allow = true) {
    lang::Rule r;
    r.name = "r" + std::to_string(prio);
    r.priority = prio;
    r.conditions = std::move(conds);
    r.action.verdict = allow ? lang::Verdict::Allow : lang::Verdict::Deny;
    return r;
}

std::string classifierOf(const lang::Policy& p) {
    ir::Module m;
    EXPECT_TRUE(ir::runLowering(p, {}, m, nullptr).ok());
    return ir::classifierName(m.layers[1].groups[0].table.cls.kind);
}

TEST(Keys, ProjectionIsMonotoneWithinAFamily) {
    std::mt19937_64 rng(5);
    for (int i = 0; i < 10000; ++i) {
        u128 a = (u128(rng()) << 64) | rng(), b = (u128(rng()) << 64) | rng();
        if (a > b) std::swap(a, b);
        EXPECT_LE(ir::projectKey(true, a, Family::V6), ir::projectKey(true, b, Family::V6));
        uint32_t x = static_cast<uint32_t>(rng()), y = static_cast<uint32_t>(rng());
        if (x > y) std::swap(x, y);
        EXPECT_LT(ir::projectKey(true, x, Family::V4), ir::projectKey(true, u128(y) + (x == y), Family::V4) + (x == y));
    }
    // Families never share keys.
    EXPECT_LT(ir::projectKey(true, 0xffffffffu, Family::V4), ir::projectKey(true, 0, Family::V6));
    EXPECT_EQ(ir::projectKey(true, 12345, Family::None), 0u);
}

TEST(CostModel, ExactPointsBecomeAHash) {
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < 50; ++i) {
        rules.push_back(rule(i, {{Field::DstIp, {v4(0x0a000000 + i, 0x0a000000 + i)}, {}},
                                 {Field::DstPort, {num(80 + i, 80 + i)}, {}}}));
    }
    EXPECT_EQ(classifierOf(*onePort(rules)), "hash");
}

TEST(CostModel, OneFieldRangesBecomeAnIntervalSearch) {
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < 50; ++i) rules.push_back(rule(i, {{Field::DstPort, {num(i * 100, i * 100 + 150)}, {}}}));
    EXPECT_EQ(classifierOf(*onePort(rules)), "interval");
}

TEST(CostModel, LpmGroupsOnOneFieldBecomeIntervals) {
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < 30; ++i) {
        int len = 8 + static_cast<int>(i % 25);
        uint32_t host = (1u << (32 - len)) - 1;
        uint32_t net = (0x0a000000u | (i << 12)) & ~host;
        rules.push_back(rule(i, {{Field::DstIp, {v4(net, net | host, len)}, {}}}));
    }
    EXPECT_EQ(classifierOf(*onePort(rules, true)), "interval");
}

TEST(CostModel, MultiFieldRulesBecomeATree) {
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < 60; ++i) {
        rules.push_back(rule(i, {{Field::SrcIp, {v4(0x0a000000 + (i << 8), 0x0a0000ff + (i << 8), 24)}, {}},
                                 {Field::DstPort, {num(i, i + 1000)}, {}}}));
    }
    EXPECT_EQ(classifierOf(*onePort(rules)), "tree");
}

TEST(CostModel, TinyTablesStayLinear) {
    EXPECT_EQ(classifierOf(*onePort({rule(1, {{Field::Proto, {num(6, 6)}, {}}})})), "linear");
}

TEST(Ir, VerifierRejectsBrokenTrees) {
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < 60; ++i) {
        rules.push_back(rule(i, {{Field::SrcIp, {v4(i << 8, (i << 8) | 255, 24)}, {}}, {Field::DstPort, {num(i, i + 9)}, {}}}));
    }
    auto p = onePort(rules);
    ir::Module m;
    ASSERT_TRUE(ir::runLowering(*p, {}, m, nullptr).ok());
    EXPECT_FALSE(ir::verifyModule(m).has_value());
    m.layers[1].groups[0].table.cls.leafRows[0] = 1000000;
    ASSERT_TRUE(ir::verifyModule(m).has_value());
    EXPECT_NE(ir::verifyModule(m)->find("leaf row out of range"), std::string::npos);
}

TEST(Ir, ClassifierAgreesWithRowScan) {
    std::mt19937_64 rng(11);
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < 300; ++i) {
        uint32_t a = static_cast<uint32_t>(rng() % 4096) << 8;
        uint16_t port = static_cast<uint16_t>(rng() % 2000);
        rules.push_back(rule(i, {{Field::SrcIp, {v4(a, a | 0xfff, 20)}, {}}, {Field::DstPort, {num(port, port + rng() % 300)}, {}}}));
    }
    auto p = onePort(rules);
    ir::Module m;
    ASSERT_TRUE(ir::runLowering(*p, {}, m, nullptr).ok());
    const ir::Table& t = m.layers[1].groups[0].table;
    ASSERT_EQ(t.cls.kind, ir::ClassifierKind::Tree);
    for (int i = 0; i < 20000; ++i) {
        lang::Headers h;
        h.srcIp = lang::IpAddr::v4(static_cast<uint32_t>(rng() % (1u << 20)));
        h.dstIp = lang::IpAddr::v4(1);
        h.dstPort = static_cast<uint16_t>(rng() % 2400);
        ASSERT_EQ(ir::classifyTable(t, h), ir::scanTable(t, h));
    }
}

TEST(Jit, GenerationsAreIndependentAndRemovable) {
    auto allow = onePort({rule(1, {{Field::DstPort, {num(80, 80)}, {}}}, true)});
    auto deny = onePort({rule(1, {{Field::DstPort, {num(80, 80)}, {}}}, false)});
    auto g1 = compiler::compile(*allow);
    auto g2 = compiler::compile(*deny);
    ASSERT_TRUE(g1.ok() && g2.ok());
    lang::Headers h;
    h.proto = 6;
    h.srcIp = lang::IpAddr::v4(1);
    h.dstIp = lang::IpAddr::v4(2);
    h.dstPort = 80;
    sl_meta m = compiler::toMeta(h);
    sl_result r1, r2;
    (*g1)->lookup(0, lang::Direction::Out)(&m, &r1);
    (*g2)->lookup(0, lang::Direction::Out)(&m, &r2);
    EXPECT_EQ(r1.verdict, SL_VERDICT_ALLOW);
    EXPECT_EQ(r2.verdict, SL_VERDICT_DENY);
    g1->reset();  // the old generation's code is removed; the new one keeps working
    sl_result r3;
    (*g2)->lookup(0, lang::Direction::Out)(&m, &r3);
    EXPECT_EQ(r3.verdict, SL_VERDICT_DENY);
    EXPECT_EQ(std::string((*g2)->descriptor()->rules[0].rule), "r1");
}

TEST(Jit, ObjectCacheServesARestart) {
    auto p = onePort({rule(1, {{Field::DstPort, {num(80, 80)}, {}}})});
    compiler::CompileOptions o;
    o.cacheDir = ::testing::TempDir() + "/sluice-cache-" + std::to_string(::getpid());
    std::filesystem::remove_all(o.cacheDir);
    auto first = compiler::compile(*p, o);
    ASSERT_TRUE(first.ok());
    EXPECT_FALSE((*first)->fromCache());
    auto second = compiler::compile(*p, o);
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE((*second)->fromCache());
    EXPECT_EQ((*first)->policyHash(), (*second)->policyHash());
    std::filesystem::remove_all(o.cacheDir);
}

TEST(Emit, IrAsmObjAndHeader) {
    auto p = onePort({rule(1, {{Field::DstPort, {num(80, 80)}, {}}})});
    compiler::CompileOptions o;
    o.symbolPrefix = "unit";
    auto ir = compiler::emit(*p, compiler::EmitKind::Ir, o);
    ASSERT_TRUE(ir.ok());
    EXPECT_NE(ir->find("define void @unit_p0_out("), std::string::npos);
    EXPECT_NE(ir->find("@unit_policy"), std::string::npos);
    auto obj = compiler::emit(*p, compiler::EmitKind::Obj, o);
    ASSERT_TRUE(obj.ok());
    EXPECT_EQ(obj->substr(0, 4), "\x7f" "ELF");
    std::string h = compiler::emitHeader(*p, o);
    EXPECT_NE(h.find("void unit_p0_in_burst(const sl_meta *const *in, sl_result *out, uint32_t n);"), std::string::npos);
}

TEST(Passes, DumpAfterAndTimings) {
    auto p = onePort({rule(1, {{Field::DstPort, {num(80, 80)}, {}}})});
    std::ostringstream log;
    compiler::CompileOptions o;
    o.dumpAfter = {"select-classifier"};
    o.log = &log;
    std::vector<compiler::PassTiming> t;
    ASSERT_TRUE(compiler::emit(*p, compiler::EmitKind::Ir, o, &t).ok());
    EXPECT_NE(log.str().find("*** IR dump after select-classifier ***"), std::string::npos);
    EXPECT_NE(log.str().find("classifier linear"), std::string::npos);
    ASSERT_GE(t.size(), 6u);
    EXPECT_EQ(t[0].pass, "build-ir");
}

TEST(Validate, NamesTheTableAndAPacketOnFaults) {
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < 3; ++i) rules.push_back(rule(i, {{Field::DstPort, {num(i * 10, i * 10 + 5)}, {}}}, i % 2 == 0));
    auto p = onePort(rules);
    auto good = compiler::validateTranslation(*p);
    ASSERT_TRUE(good.ok());
    EXPECT_TRUE(good->ok());
    compiler::CompileOptions o;
    o.fault = compiler::FaultInjection::DropLeafRow;  // linear: the first row is lost
    auto bad = compiler::validateTranslation(*p, o);
    ASSERT_TRUE(bad.ok());
    ASSERT_FALSE(bad->ok());
    EXPECT_EQ(bad->failures[0].table, "acl/out/g");
    EXPECT_NE(bad->failures[0].detail.find("source picks rule #0"), std::string::npos) << bad->failures[0].detail;
}


// A group big enough to become a tree: IPv4 /24 sources x port ranges.
std::shared_ptr<lang::Policy> treePolicy(uint32_t n = 40) {
    std::vector<lang::Rule> rules;
    for (uint32_t i = 0; i < n; ++i) {
        rules.push_back(rule(i, {{Field::SrcIp, {v4(0x0a000000 | (i << 8), 0x0a000000 | (i << 8) | 255, 24)}, {}},
                                 {Field::DstPort, {num(80 + i, 90 + 2 * i)}, {}}},
                             i % 2 == 1));
    }
    return onePort(rules);
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

TEST(Passes, ValidationRunsOnTheOneLowering) {
    auto p = treePolicy();
    std::ostringstream log;
    compiler::CompileOptions o;
    o.dumpAfter = {"build-ir", "validate"};
    o.log = &log;
    compiler::ValidationReport report;
    auto c = compiler::compileValidated(*p, o, &report);
    ASSERT_TRUE(c.ok()) << c.error().str();
    EXPECT_EQ(count(log.str(), "*** IR dump after build-ir ***"), 1u) << log.str();
    EXPECT_EQ(count(log.str(), "*** IR dump after validate ***"), 1u);
    EXPECT_TRUE((*c)->validated());
    EXPECT_EQ(report.irHash, (*c)->irHash());
    EXPECT_GE(report.tables, 2u);   // the group's rules and its conditions
    EXPECT_GE(report.actions, 40u); // one binding per rule at least
    std::vector<std::string> ran;
    for (const auto& t : (*c)->timings()) ran.push_back(t.pass);
    auto at = [&](const std::string& n) { return std::find(ran.begin(), ran.end(), n) - ran.begin(); };
    EXPECT_LT(at("verify-ir"), at("validate"));
    EXPECT_LT(at("validate"), at("llvm-irgen"));
    EXPECT_LT(static_cast<size_t>(at("jit-link")), ran.size());
}

TEST(Passes, PassNamesAreThePassTable) {
    auto names = compiler::passNames();
    for (const char* n : {"build-ir", "select-classifier", "verify-ir", "hash-ir", "validate",
                          "llvm-irgen", "llvm-opt", "llvm-codegen", "jit-link"})
        EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    EXPECT_EQ(names.front(), "build-ir");
    EXPECT_EQ(names.back(), "jit-link");
}

TEST(Validate, BoxArithmeticDecidesNarrowTreesWithoutZ3) {
    auto p = treePolicy(200);
    EXPECT_EQ(classifierOf(*p), "tree");
    auto good = compiler::validateTranslation(*p);
    ASSERT_TRUE(good.ok());
    EXPECT_TRUE(good->ok()) << good->failures[0].detail;
    EXPECT_GT(good->regions, 10u);
    EXPECT_EQ(good->solverQueries, 0u);
    EXPECT_EQ(good->decidedByBoxes, good->regions);
}

// Every fault is caught both by the box arithmetic and by Z3 alone, naming the table.
TEST(Validate, FaultsAreCaughtByBoxesAndBySolver) {
    auto p = treePolicy(200);
    for (auto fault : {compiler::FaultInjection::DropLeafRow, compiler::FaultInjection::ShiftBound}) {
        for (bool boxes : {true, false}) {
            compiler::CompileOptions o;
            o.fault = fault;
            auto bad = compiler::validateTranslation(*p, o, {boxes});
            ASSERT_TRUE(bad.ok());
            ASSERT_FALSE(bad->ok()) << "fault " << static_cast<int>(fault) << " boxes " << boxes;
            EXPECT_EQ(bad->failures[0].table, "acl/out/g");
            EXPECT_NE(bad->failures[0].packet.find("->"), std::string::npos) << bad->failures[0].packet;
            if (boxes) EXPECT_EQ(bad->solverQueries, 0u);
            else EXPECT_GT(bad->solverQueries, 0u);
        }
    }
}

TEST(Validate, WrongActionIsCaughtAndNothingIsLinked) {
    auto p = treePolicy();
    compiler::CompileOptions o;
    o.fault = compiler::FaultInjection::WrongAction;
    compiler::ValidationReport report;
    auto c = compiler::compileValidated(*p, o, &report);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("translation validation failed"), std::string::npos);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.failures[0].table, "actions/acl/out/g/r0");
    std::vector<compiler::PassTiming> t;
    o.validator = compiler::translationValidator();
    auto obj = compiler::emit(*p, compiler::EmitKind::Obj, o, &t);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(t.back().pass, "validate");  // no llvm-* step ran
}

TEST(Jit, CacheRecordsTheValidatedIr) {
    auto p = treePolicy();
    compiler::CompileOptions o;
    o.cacheDir = ::testing::TempDir() + "/sluice-vcache-" + std::to_string(::getpid());
    std::filesystem::remove_all(o.cacheDir);
    auto ran = [](const compiler::CompiledPolicy& c, const std::string& pass) {
        for (const auto& t : c.timings())
            if (t.pass == pass) return true;
        return false;
    };
    auto plain = compiler::compile(*p, o);  // not validated
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE((*plain)->validated());
    auto v1 = compiler::compileValidated(*p, o);  // the cached object's IR is validated now
    ASSERT_TRUE(v1.ok());
    EXPECT_TRUE((*v1)->fromCache());
    EXPECT_TRUE(ran(**v1, "validate"));
    EXPECT_FALSE(ran(**v1, "llvm-codegen"));
    auto v2 = compiler::compileValidated(*p, o);  // recorded as validated for this IR
    ASSERT_TRUE(v2.ok());
    EXPECT_TRUE((*v2)->fromCache());
    EXPECT_TRUE((*v2)->validated());
    EXPECT_FALSE(ran(**v2, "validate"));
    EXPECT_EQ((*v2)->irHash(), (*v1)->irHash());
    // The key covers code-changing options: another leaf size is another entry.
    compiler::CompileOptions o2 = o;
    o2.treeLeafSize = 4;
    EXPECT_NE(compiler::cacheKey(*p, o), compiler::cacheKey(*p, o2));
    o2.treeLeafSize = o.treeLeafSize;
    o2.optLevel = 1;
    EXPECT_NE(compiler::cacheKey(*p, o), compiler::cacheKey(*p, o2));
    std::filesystem::remove_all(o.cacheDir);
}

TEST(Jit, CorruptOrStaleCacheEntriesAreRebuilt) {
    auto p = treePolicy();
    compiler::CompileOptions o;
    o.cacheDir = ::testing::TempDir() + "/sluice-ccache-" + std::to_string(::getpid());
    std::filesystem::remove_all(o.cacheDir);
    ASSERT_TRUE(compiler::compileValidated(*p, o).ok());
    std::string path;
    for (const auto& e : std::filesystem::directory_iterator(o.cacheDir)) path = e.path().string();
    ASSERT_FALSE(path.empty());
    auto mutate = [&](size_t offset, bool truncate) {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(offset));
        char c = 0;
        f.get(c);
        f.seekp(static_cast<std::streamoff>(offset));
        f.put(static_cast<char>(c ^ 0x5a));
        f.close();
        if (truncate) std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    };
    sl_meta m{};
    sl_result r;
    // 16: the recorded IR hash (stale entry); 2000: object bytes (checksum); truncation.
    for (auto [offset, truncate] : {std::pair<size_t, bool>{16, false}, {2000, false}, {0, true}}) {
        mutate(offset, truncate);
        auto c = compiler::compileValidated(*p, o);
        ASSERT_TRUE(c.ok()) << c.error().str();
        EXPECT_FALSE((*c)->fromCache()) << "offset " << offset;
        EXPECT_TRUE((*c)->validated());
        (*c)->lookup(0, lang::Direction::Out)(&m, &r);
        auto again = compiler::compileValidated(*p, o);  // rewritten: a hit again
        ASSERT_TRUE(again.ok());
        EXPECT_TRUE((*again)->fromCache());
    }
    std::filesystem::remove_all(o.cacheDir);
}
}  // namespace
}  // namespace sluice
