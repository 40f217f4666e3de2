// Unit tests of the compiler: key projection, cost model choices, IR verifier, generations
// (ResourceTracker removal), object cache, AOT emission, pass dumps.
#include <gtest/gtest.h>

#include <filesystem>
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

}  // namespace
}  // namespace sluice
