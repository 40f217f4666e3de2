// One test (at least) per diagnostic kind the front end emits: the id, the location and the
// notes that point at related declarations.
#include "test_util.h"

namespace sluice::lang::test {
namespace {

TEST(Syntax, AllErrorsReportedWithFriendlyMessages) {
    auto l = loadSnippet("const A = 80\nconst B = 1;\nlayer x { default maybe; }\nport q { mac @; }\n");
    EXPECT_EQ(l.policy, nullptr);
    EXPECT_GE(countId(l, "E001"), 3u) << l.text;
    const Diagnostic* d = findId(l, "E001");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->message, "expected ';'");
    EXPECT_EQ(d->range.begin.line, 1u);  // just after `80`, as clang places it
    EXPECT_EQ(d->range.begin.col, 13u);
    EXPECT_NE(l.text.find("unexpected 'maybe'"), std::string::npos) << l.text;
    EXPECT_NE(l.text.find("unexpected character '@'"), std::string::npos) << l.text;
}

TEST(Syntax, ExpectedListsNameWhatFits) {
    auto l = loadSnippet("const = 5;\n");
    ASSERT_EQ(l.diags.size(), 1u) << l.text;
    EXPECT_EQ(l.diags[0].message, "unexpected '='; expected a name");
    auto eof = loadSnippet("layer l {\n  out {\n\n");
    ASSERT_EQ(eof.diags.size(), 1u) << eof.text;
    EXPECT_EQ(eof.diags[0].message, "unexpected end of file; expected '}' or 'group'");
    EXPECT_EQ(eof.diags[0].range.begin.line, 2u);  // just after the last token, not past the end
    EXPECT_EQ(eof.diags[0].range.begin.col, 8u);
}

TEST(Syntax, BinaryAndUnterminatedInputDoNotCrash) {
    std::string bad = "layer \xff\xfe { \"unterminated\n rule \x01 ; } } } 999999999999999999999999";
    bad.push_back('\0');
    bad += "port";
    auto l = loadSnippet(bad);
    EXPECT_EQ(l.policy, nullptr);
    EXPECT_GE(countId(l, "E001"), 1u);
    EXPECT_NE(l.text.find("character 0xff"), std::string::npos) << l.text;
}

TEST(Files, MissingRootFileIsE002) {
    Frontend fe;
    EXPECT_EQ(fe.loadFile("/nonexistent/dir/x.sl"), nullptr);
    ASSERT_EQ(fe.diags().diagnostics().size(), 1u);
    EXPECT_STREQ(diagId(fe.diags().diagnostics()[0].kind), "E002");
}

TEST(Files, ImportCycleIsE003WithChainNotes) {
    TempDir dir;
    std::string root = dir.write("root.sl", "import \"a.sl\";\n");
    dir.write("a.sl", "import \"b.sl\";\nlayer la { default allow; }\n");
    dir.write("b.sl", "import \"a.sl\";\nlayer lb { default allow; }\n");
    Frontend fe;
    EXPECT_EQ(fe.loadFile(root), nullptr);
    const auto& ds = fe.diags().diagnostics();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_STREQ(diagId(ds[0].kind), "E003");
    EXPECT_NE(ds[0].message.find("a.sl -> "), std::string::npos) << ds[0].message;
    ASSERT_EQ(ds[0].notes.size(), 1u);
    EXPECT_NE(ds[0].notes[0].message.find("imports"), std::string::npos);
}

TEST(Files, SelfImportIsACycle) {
    TempDir dir;
    std::string root = dir.write("self.sl", "import \"self.sl\";\n");
    Frontend fe;
    EXPECT_EQ(fe.loadFile(root), nullptr);
    EXPECT_STREQ(diagId(fe.diags().diagnostics().at(0).kind), "E003");
}

TEST(Files, MissingImportsAreE004) {
    FrontendOptions o;
    o.stdlibDirs = {"/nonexistent"};
    auto l = loadSnippet("import std.nothing;\nimport \"nothing.sl\";\nimport bare;\n", o);
    EXPECT_EQ(countId(l, "E004"), 3u) << l.text;
}

TEST(Literals, MalformedAddressesAreE005) {
    auto l = loadSnippet(layerWith("rule r priority 1 match src_ip 300.1.2.3 src_mac 02:00 action allow;"));
    EXPECT_EQ(countId(l, "E005"), 2u) << l.text;
}

TEST(Literals, UnknownUnitIsE005) {
    auto l = loadSnippet("meter m { rate 10Gbit; }\n");
    ASSERT_EQ(countId(l, "E005"), 1u) << l.text;
    EXPECT_NE(findId(l, "E005")->message.find("unknown unit 'Gbit'"), std::string::npos);
}

TEST(Names, DuplicateDeclarationHasNoteAtFirst) {
    auto l = loadSnippet(std::string(kPort) + "layer l { default allow; }\nconst l = 1;\n");
    const Diagnostic* d = findId(l, "E101");
    ASSERT_NE(d, nullptr) << l.text;
    EXPECT_EQ(d->range.begin.line, 3u);
    ASSERT_EQ(d->notes.size(), 1u);
    EXPECT_EQ(d->notes[0].range.begin.line, 2u);
    EXPECT_EQ(d->notes[0].message, "previous definition is here");
}

TEST(Names, DuplicateRulesGroupsAssertionsAndMembers) {
    auto l = loadSnippet(std::string(kPort) +
                         "layer l { out { group g priority 1 { rule r priority 1 action allow; "
                         "rule r priority 2 action allow; } group g priority 2 { } } }\n"
                         "assert a isolated 10.0.0.0/8 -> 10.1.0.0/16;\n"
                         "assert a isolated 10.0.0.0/8 -> 10.1.0.0/16;\n"
                         "ecmp e { member m 1.1.1.1; member m 1.1.1.2; }\n");
    EXPECT_EQ(countId(l, "E101"), 4u) << l.text;
}

TEST(Names, UnknownNameSuggestsClosest) {
    auto l = loadSnippet("port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers acll; }\n"
                         "layer acl { default allow; }\n");
    const Diagnostic* d = findId(l, "E102");
    ASSERT_NE(d, nullptr) << l.text;
    EXPECT_EQ(d->message, "unknown layer 'acll'");
    ASSERT_EQ(d->notes.size(), 1u);
    EXPECT_EQ(d->notes[0].message, "did you mean 'acl'?");
    EXPECT_EQ(d->notes[0].range.begin.line, 2u);
}

TEST(Names, UnknownConstantInValue) {
    auto l = loadSnippet("const WEB = 80;\n" + layerWith("rule r priority 1 match dst_port WEBB action allow;"));
    const Diagnostic* d = findId(l, "E102");
    ASSERT_NE(d, nullptr) << l.text;
    ASSERT_EQ(d->notes.size(), 1u);
    EXPECT_EQ(d->notes[0].message, "did you mean 'WEB'?");
}

TEST(Names, WrongKindIsE103) {
    auto l = loadSnippet(layerWith("rule r priority 1 action route l;"));
    const Diagnostic* d = findId(l, "E103");
    ASSERT_NE(d, nullptr) << l.text;
    EXPECT_EQ(d->message, "'l' is a layer, not a route table");
}

TEST(Names, UnknownFieldIsE104WithSuggestion) {
    auto l = loadSnippet(layerWith("rule r priority 1 match dst_prot 80 action allow;"));
    const Diagnostic* d = findId(l, "E104");
    ASSERT_NE(d, nullptr) << l.text;
    ASSERT_EQ(d->notes.size(), 1u);
    EXPECT_EQ(d->notes[0].message, "did you mean 'dst_port'?");
}

TEST(Names, ConstantCycleIsE105) {
    auto l = loadSnippet("const A = B;\nconst B = 1, A;\n" +
                         layerWith("rule r priority 1 match dst_port A action allow;"));
    EXPECT_EQ(countId(l, "E105"), 1u) << l.text;
    EXPECT_EQ(l.policy, nullptr);
}

TEST(Types, TypeMismatchIsE201) {
    auto l = loadSnippet(layerWith("rule r priority 1 match dst_port 10.0.0.1 action allow;"));
    const Diagnostic* d = findId(l, "E201");
    ASSERT_NE(d, nullptr) << l.text;
    EXPECT_EQ(d->message, "expected an integer for dst_port, found the IPv4 address 10.0.0.1");
}

TEST(Types, DisjointFamiliesAreE202) {
    auto l = loadSnippet(layerWith(
        "rule r priority 1 match src_ip 10.0.0.0/8 dst_ip fd00::/8 action allow;"));
    EXPECT_EQ(countId(l, "E202"), 1u) << l.text;
}

TEST(Types, MixedFamiliesInOneConditionAreFine) {
    auto l = loadSnippet(layerWith(
        "rule r priority 1 match src_ip 10.0.0.0/8, fd00::/8 dst_ip fd00::/8 action allow;"));
    EXPECT_NE(l.policy, nullptr) << l.text;
}

TEST(Types, SetOfOtherFamilyIsE202) {
    auto l = loadSnippet(layerWith(
        "rule r priority 1 match dst_ip 10.0.0.0/8 action set src_ip fd00::1;\n"
        "rule s priority 2 match dst_ip fd00::/8 action set dst_ip fd00::2;\n"
        "rule t priority 3 action set dst_ip fd00::2;"));
    EXPECT_EQ(countId(l, "E202"), 1u) << l.text;
    EXPECT_EQ(findId(l, "E202")->range.begin.line, 5u);
}

TEST(Types, EncapOuterFamiliesMustAgree) {
    auto l = loadSnippet(layerWith(
        "rule r priority 1 action encap vxlan vni 1 src 10.0.0.1 dst fd00::1;"));
    EXPECT_EQ(countId(l, "E202"), 1u) << l.text;
}

TEST(Types, OutOfRangeValuesAreE203) {
    auto l = loadSnippet(
        "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 16777216; layers l; }\n"
        "layer l { out { group g priority 4294967296 { "
        "rule a priority 1 match dst_port 65536 action allow; "
        "rule b priority 2 match dscp 64 action allow; "
        "rule c priority 3 match src_port 0..65535 dscp 63 vni 16777215 action allow; "
        "rule d priority 99999999999 action allow; } } }\n");
    EXPECT_EQ(countId(l, "E203"), 5u) << l.text;  // each reported once
}

TEST(Types, EmptyRangeIsE204) {
    auto l = loadSnippet(layerWith("rule r priority 1 match dst_port 100..10 action allow;"));
    EXPECT_EQ(countId(l, "E204"), 1u) << l.text;
}

TEST(Types, BadPrefixesAreE205) {
    auto l = loadSnippet(layerWith(
        "rule a priority 1 match dst_ip 10.0.0.1/8 action allow;\n"
        "rule b priority 2 match dst_ip 10.0.0.0/33 action allow;\n"
        "rule c priority 3 match dst_ip fd00::1/64 action allow;\n"
        "rule d priority 4 match dst_ip fd00::/129 action allow;"));
    EXPECT_EQ(countId(l, "E205"), 4u) << l.text;
    EXPECT_NE(l.text.find("did you mean 10.0.0.0/8?"), std::string::npos) << l.text;
}

TEST(Structure, DuplicateFieldIsE206) {
    auto l = loadSnippet(layerWith("rule r priority 1 match dst_port 1 dst_port 2 action allow;"));
    ASSERT_EQ(countId(l, "E206"), 1u) << l.text;
    EXPECT_EQ(findId(l, "E206")->notes.size(), 1u);
}

TEST(Structure, NonRewritableFieldIsE207) {
    auto l = loadSnippet(layerWith("rule r priority 1 action set proto 6;"));
    EXPECT_EQ(countId(l, "E207"), 1u) << l.text;
}

TEST(Structure, EqualPrioritiesAreE301) {
    auto l = loadSnippet(std::string(kPort) +
                         "layer l { out { group g priority 1 { rule a priority 5 action allow; "
                         "rule b priority 5 action allow; } }\n"
                         "out { group h priority 1 { } } in { group k priority 1 { } } }\n");
    EXPECT_EQ(countId(l, "E301"), 2u) << l.text;  // rules in g; groups g/h (not k: other direction)
}

TEST(Structure, LpmGroupsNeedPrefixesIsE302) {
    auto l = loadSnippet(std::string(kPort) +
                         "layer l { in { group g priority 1 lpm dst_ip {\n"
                         "rule a priority 1 match src_ip 10.0.0.0/8 action allow;\n"
                         "rule b priority 2 match dst_ip 10.0.0.1..10.0.0.5 action allow;\n"
                         "rule c priority 3 match dst_ip 10.0.0.0/8, 10.1.1.1 action allow; } } }\n");
    EXPECT_EQ(countId(l, "E302"), 2u) << l.text;
}

TEST(Structure, ConflictingActionsAreE303) {
    auto l = loadSnippet("routes rt { 0.0.0.0/0 -> drop; }\n" +
                         layerWith("rule a priority 1 action deny, route rt;\n"
                                   "rule b priority 2 action set dst_port 1, set dst_port 2;\n"
                                   "rule c priority 3 action route rt, route rt;\n"
                                   "rule d priority 4 action decap vxlan, encap vxlan vni 1 src "
                                   "1.1.1.1 dst 2.2.2.2, encap vxlan vni 2 src 1.1.1.1 dst 2.2.2.2;"));
    EXPECT_EQ(countId(l, "E303"), 4u) << l.text;
}

TEST(Structure, StatefulDenyIsE304) {
    auto l = loadSnippet(layerWith("rule a priority 1 action deny stateful;\n"
                                   "rule b priority 2 action allow stateful idle 30s;"));
    EXPECT_EQ(countId(l, "E304"), 1u) << l.text;
}

TEST(Structure, PortSettingsMissingAndUnknownAreE305) {
    auto l = loadSnippet("port p { mac 02:00:00:00:00:01; color red; }\n");
    EXPECT_EQ(countId(l, "E305"), 4u) << l.text;  // ip, vni, layers missing; color unknown
    EXPECT_NE(l.text.find("expected one of: mac, ip, vni, layers, credit"), std::string::npos);
}

TEST(Structure, RepeatedSettingIsE306) {
    auto l = loadSnippet("port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; vni 2; layers l; }\n"
                         "layer l { default allow; default in deny; }\n");
    EXPECT_EQ(countId(l, "E306"), 2u) << l.text;
}

TEST(Structure, InconsistentCreditIsE307) {
    auto l = loadSnippet(
        "credit c { bandwidth base 20Gbps max 10Gbps host 40Gbps cap 30s;\n"
        "cpu base 20% max 100% host 800% cap 30s consume 0%; }\n");
    EXPECT_EQ(countId(l, "E307"), 2u) << l.text;
}

TEST(Structure, EcmpWithoutMembersIsE308) {
    auto l = loadSnippet("ecmp e { hash src_ip; }\n");
    EXPECT_EQ(countId(l, "E308"), 1u) << l.text;
}

TEST(Structure, DuplicateRouteIsE309) {
    auto l = loadSnippet("routes r { 10.0.0.0/8 -> drop; 10.0.0.0/8 -> drop; 10.0.0.0/16 -> drop; }\n");
    EXPECT_EQ(countId(l, "E309"), 1u) << l.text;
}

TEST(Structure, EmptyListIsE310) {
    auto l = loadSnippet("port p { mac 02:00:00:00:00:01; ip; vni 1; layers; }\n");
    EXPECT_EQ(countId(l, "E310"), 2u) << l.text;
}

TEST(Warnings, UnusedDeclarationsOfTheRootFileOnly) {
    TempDir dir;
    dir.write("lib.sl", "layer lib_unused { default allow; }\nconst LIB = 1;\n");
    std::string root = dir.write(
        "root.sl", "import \"lib.sl\";\nconst UNUSED = 1;\nlayer lonely { default allow; }\n"
                   "routes rt { 0.0.0.0/0 -> drop; }\n"
                   "port p { mac 02:00:00:00:00:01; ip 10.0.0.9; vni 1; layers used; }\n"
                   "layer used { default allow; }\n");
    Frontend fe;
    auto p = fe.loadFile(root);
    ASSERT_NE(p, nullptr);  // warnings only
    const auto& ds = fe.diags().diagnostics();
    ASSERT_EQ(ds.size(), 3u);
    for (const Diagnostic& d : ds) {
        EXPECT_STREQ(diagId(d.kind), "W001");
        EXPECT_EQ(fe.sources().path(d.range.begin.file), root);
    }
    FrontendOptions quiet;
    quiet.warnings = false;
    Frontend fe2(quiet);
    ASSERT_NE(fe2.loadFile(root), nullptr);
    EXPECT_TRUE(fe2.diags().diagnostics().empty());
}

TEST(Warnings, LibraryFileWithoutPortsHasNoUnusedWarnings) {
    auto l = loadSnippet("const WEB = 80, 443;\nlayer lib_layer { default allow; }\n");
    ASSERT_NE(l.policy, nullptr) << l.text;
    EXPECT_EQ(countId(l, "W001"), 0u) << l.text;
}

TEST(Names, CycleAmongUnusedConstantsIsE105) {
    auto l = loadSnippet("const A = B;\nconst B = A;\n");
    EXPECT_EQ(l.policy, nullptr) << l.text;
    EXPECT_EQ(countId(l, "E105"), 1u) << l.text;
}

TEST(Warnings, AssertionBetweenDisjointFamiliesIsW002) {
    auto l = loadSnippet("assert a reachable 10.0.0.0/8 -> fd00::/8;\n"
                         "assert b isolated fd00::/8 -> 10.0.0.0/8;\n"
                         "assert c reachable 10.0.0.0/8, fd00::/8 -> fd01::/16;\n");
    ASSERT_NE(l.policy, nullptr) << l.text;
    EXPECT_EQ(countId(l, "W002"), 2u) << l.text;
}

TEST(Warnings, RuleDisjointFromItsGroupIsW002) {
    auto l = loadSnippet(std::string(kPort) +
                         "layer l { out { group g priority 1 match dst_ip 10.0.0.0/8 dst_port 80..90 {\n"
                         "rule a priority 1 match dst_ip 192.168.0.0/16 action allow;\n"
                         "rule b priority 2 match dst_ip 10.1.0.0/16, fd00::/8 dst_port 85 action allow;\n"
                         "rule c priority 3 match dst_port 100 action allow; } } }\n");
    ASSERT_NE(l.policy, nullptr) << l.text;  // a warning, not an error
    ASSERT_EQ(countId(l, "W002"), 2u) << l.text;
    EXPECT_EQ(l.diags[0].range.begin.line, 3u);
    EXPECT_EQ(l.diags[0].notes.size(), 1u);
}

TEST(Behaviour, ErrorsAreReportedInSourceOrder) {
    auto l = loadSnippet("port p { mac 1; ip 10.0.0.1; vni 99999999; layers nope; }\n"
                         "layer x { out { group g priority 1 { rule a priority 1 match dst_port 70000 "
                         "action allow; } } }\nlayer x { }\n");
    ASSERT_GE(l.diags.size(), 4u) << l.text;
    for (size_t i = 1; i < l.diags.size(); ++i) {
        const SourceLoc& a = l.diags[i - 1].range.begin;
        const SourceLoc& b = l.diags[i].range.begin;
        EXPECT_TRUE(a.line < b.line || (a.line == b.line && a.col <= b.col)) << l.text;
    }
}

}  // namespace
}  // namespace sluice::lang::test
