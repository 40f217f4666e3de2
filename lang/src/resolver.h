// The resolver's one class, shared by the files that implement it by concern (p4c and Halide
// keep a pass or a concern per file):
//   resolve.cpp           the pass (run), diagnostics, names and imports (step 1)
//   resolve_values.cpp    constants (expansion, cycles, budgets) and literal values
//   resolve_rules.cpp     match values, priorities, actions, layers, groups and rules
//   resolve_settings.cpp  ports, ECMP groups, meters, credits, route tables, assertions
//   resolve_lint.cpp      warnings: unused declarations, contradictions, disjoint families
// The pass itself (resolve.cpp's header comment) is unchanged by the split.
// Private to lang/src.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "resolve.h"
#include "sluice/lang/limits.h"
#include "sluice/support/spelling.h"
#include "units.h"

namespace sluice::lang::resolver {

enum class DeclKind { Const, Port, Layer, Routes, Ecmp, Meter, Credit };

inline const char* kindName(DeclKind k) {
    switch (k) {
        case DeclKind::Const:
            return "constant";
        case DeclKind::Port:
            return "port";
        case DeclKind::Layer:
            return "layer";
        case DeclKind::Routes:
            return "route table";
        case DeclKind::Ecmp:
            return "ECMP group";
        case DeclKind::Meter:
            return "meter";
        case DeclKind::Credit:
            return "credit policy";
    }
    return "declaration";
}

inline const char* article(DeclKind k) { return k == DeclKind::Ecmp ? "an" : "a"; }

struct Entry {
    DeclKind kind;
    std::string name;
    SourceRange nameRange;
    uint32_t file = 0;
    uint32_t index = 0;  // into the model vector of its kind (or the const table)
    bool used = false;
};

// A value after constant expansion: the atoms, where to report (the use), and where it was
// written when it came from a constant.
struct RVal {
    ast::Atom lo;
    std::optional<ast::Atom> hi;
    SourceRange at;
    SourceRange origin;
    std::string viaConst;
};

inline u128 hostMask(unsigned width, int len) {
    unsigned bits = width - static_cast<unsigned>(len);
    if (bits >= 128) return ~static_cast<u128>(0);
    return (static_cast<u128>(1) << bits) - 1;
}

inline u128 fieldMax(Field f) {
    unsigned w = fieldInfo(f).width;
    return w >= 128 ? ~static_cast<u128>(0) : (static_cast<u128>(1) << w) - 1;
}

inline std::string u128ToString(u128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v != 0) {
        s += static_cast<char>('0' + static_cast<int>(v % 10));
        v /= 10;
    }
    return {s.rbegin(), s.rend()};
}

struct Addr {
    IpAddr ip;
    int prefixLen = -1;  // -1: written without '/'
};

class Resolver {
  public:
    Resolver(const ResolveInput& in, DiagnosticEngine& diags) : in_(in), diags_(diags) {}

    std::shared_ptr<Policy> run();

  private:
    // ---- diagnostics ----
    void error(DiagKind k, SourceRange r, std::string msg);
    // Notes belong to the last error; none when that error was suppressed.
    void note(SourceRange r, std::string msg);

    // An error in a constant's value is reported at its first use only: every later use of the
    // same value with the same problem would repeat it (issue 14: one /33, three reports).
    void valueError(DiagKind k, const RVal& v, const std::string& msg);

    // ---- step 1: names ----
    void add(DeclKind kind, const ast::Ident& name, uint32_t file, uint32_t index);

    template <typename T>
    void push(std::vector<const T*>& list, DeclKind kind, const T& decl, uint32_t file) {
        if (decl.name.text.empty() || byName_.count(decl.name.text) != 0) {
            add(kind, decl.name, file, 0);  // reports the duplicate; not lowered
            return;
        }
        add(kind, decl.name, file, static_cast<uint32_t>(list.size()));
        list.push_back(&decl);
    }

    void registerAll();

    const Entry* findEntry(const std::string& name) const;

    void suggest(const std::string& name, std::optional<DeclKind> kind);

    // An unknown name that a module of the stdlib path declares: say which import brings it.
    void hintImport(const std::string& name, SourceRange at);

    // A reference to a declaration of `kind`: E102 unknown (with a suggestion), E103 wrong kind.
    std::optional<uint32_t> lookup(const ast::Ident& id, DeclKind kind);

    // ---- constants ----
    // Every constant is expanded once, up front, in dependency order, with an explicit stack:
    // a chain of 10,000 constants or a cycle through 100,000 must not exhaust the C++ stack.
    // E105 on a cycle; E106 when a constant is defined through more than kMaxConstantDepth
    // levels; E311 when it would expand to more than kMaxListValues values, or the policy's
    // expansions to more than kMaxExpandedValues: sizes are added up from the sizes of the
    // parts before any value is copied. A constant that failed expands to nothing, silently.
    struct ConstRef {
        uint32_t idx;
        SourceRange at;  // the use, where a cycle is reported
    };

    // The constants `c`'s values name: plain values and range bounds.
    std::vector<ConstRef> constRefs(const ast::Const& c);

    void expandConstants();

    void reportConstCycle(uint32_t idx, SourceRange useSite);

    // Called when every constant `idx` names is done (or on the stack: a cycle, reported).
    void materializeConst(uint32_t idx);

    // Takes `n` values from the policy's expansion budget (values copied out of constants, by
    // other constants and by uses); E311 (once) when it is spent.
    bool spendExpansion(size_t n, SourceRange at);

    // Values of constant `idx`, expanded by expandConstants() (empty for a cycle or a failure).
    const std::vector<RVal>& constValues(uint32_t idx) const;

    std::optional<uint32_t> constIndexQuiet(const std::string& name) const;

    std::optional<uint32_t> constIndex(const std::string& name);

    // A range bound that names a constant must name a single plain value.
    ast::Atom bound(const ast::Atom& a, bool& ok);

    std::vector<RVal> expandOne(const ast::Value& v);

    // A written list, constants expanded (E311 when that would exceed kMaxListValues).
    std::vector<RVal> expand(const std::vector<ast::Value>& values);

    // ---- literals ----
    std::string describe(const ast::Atom& a);

    // An unknown name where a value was expected: E103 when it names a declaration, else E102.
    void badName(const RVal& v, const ast::Atom& a, const std::string& wanted);

    std::optional<u128> integer(const RVal& v, const ast::Atom& a, u128 max,
                                const std::string& what);

    // An IPv4/IPv6 address or prefix, with prefix length and host bits checked (E205).
    std::optional<Addr> address(const RVal& v, const ast::Atom& a, const std::string& what);

    // A single address (no prefix, no range).
    std::optional<IpAddr> plainAddress(const RVal& v, const std::string& what);

    std::optional<uint64_t> mac(const RVal& v, const ast::Atom& a, const std::string& what);

    std::optional<Quantity> quantity(const RVal& v, std::initializer_list<QuantityKind> kinds,
                                     const std::string& what);

    std::optional<uint64_t> durationMs(const RVal& v, const std::string& what);

    // E203 when a number that becomes a timer, a size or a rate in the runtime is above its
    // documented limit (docs/language.md, "Limits"); `limit` is that limit as written.
    bool atMost(const RVal& v, uint64_t n, uint64_t max, const std::string& what,
                const std::string& limit);

    // ---- match values ----
    bool matchValue(Field f, const RVal& v, MatchValue& out);

    void fieldSuggestion(const ast::Ident& id);

    std::optional<Field> field(const ast::Ident& id);

    bool conditions(const std::vector<ast::Condition>& in, std::vector<Condition>& out);

    // Families an IP field's condition admits: bit 0 = V4, bit 1 = V6 (3 when absent).
    static unsigned families(const std::vector<Condition>& conds, Field f);

    static const char* familyText(unsigned mask);

    // ---- priorities ----
    std::optional<uint32_t> priority(const ast::Atom& a);

    // The priority's value when it is a valid one (no diagnostics: priority() reports).
    static std::optional<uint32_t> parsedPriority(const ast::Atom& a);

    // ---- actions ----
    void lowerAction(const ast::Rule& r, unsigned trafficFamilies, Action& act);

    void lowerEncap(const ast::ActionItem& a, Action& act);

    // ---- layers ----
    void lowerLayer(const ast::Layer& l, Layer& out);
    // Whether any of the layer's results (a rule or a default) denies; W003 for an audit layer.
    static bool layerCanDeny(const Layer& layer);

    bool lowerGroup(const ast::Group& g, std::map<std::string, SourceRange>& ruleNames, Group& out);

    // W002: a rule that conditions a field the group also conditions, on values none of which
    // overlap the group's, can never match (the group is skipped unless its conditions hold).
    void warnContradiction(const Rule& rule, const Group& group);

    bool lowerRule(const ast::Rule& r, unsigned groupFamilies, Rule& out);

    // ---- settings blocks ----
    struct SettingView {
        const ast::Setting* setting = nullptr;
        std::vector<const ast::Value*> values;  // arguments without the commas
        bool hasComma = false;
    };

    // Groups a block's settings by name; E305 for names not in `allowed`, E306 for repeats of
    // names not in `repeatable`.
    std::map<std::string, std::vector<SettingView>> settings(const ast::SettingsDecl& d,
                                                             std::vector<std::string> allowed,
                                                             std::set<std::string> repeatable,
                                                             const char* what);

    void require(const std::map<std::string, std::vector<SettingView>>& s,
                 std::initializer_list<const char*> names, const ast::SettingsDecl& d,
                 const char* what);

    // Exactly one value for a single-valued setting.
    std::optional<RVal> single(const SettingView& s, const char* shape);

    std::vector<RVal> list(const SettingView& s);

    static ast::Ident nameOf(const ast::Value& v);

    bool isName(const ast::Value& v, const SettingView& s, const char* what);

    void lowerPort(const ast::SettingsDecl& d, Port& out);

    // `key value key value ...` arguments (probe, credit resources, member options).
    std::map<std::string, const ast::Value*> pairs(const std::vector<const ast::Value*>& vals,
                                                   size_t from,
                                                   const std::vector<std::string>& keys,
                                                   const std::string& what);

    std::optional<RVal> one(const ast::Value& v, const std::string& what);

    std::optional<uint32_t> count(const ast::Value& v, const std::string& what, uint32_t min,
                                  uint32_t max = 0xffffffffu);

    void lowerEcmp(const ast::SettingsDecl& d, EcmpGroup& out);

    void lowerMeter(const ast::SettingsDecl& d, Meter& out);

    void lowerCredit(const ast::SettingsDecl& d, CreditPolicy& out);

    // ---- routes ----
    void lowerRoutes(const ast::Routes& r, RouteTable& out);

    // ---- assertions ----
    bool lowerAssert(const ast::Assert& a, Assertion& out);

    // No packet is both IPv4 and IPv6: endpoints of disjoint families make the assertion
    // vacuous (isolated) or impossible (reachable).
    void warnDisjointFamilies(const ast::Assert& a, const Assertion& out);

    // ---- warnings ----
    void warnUnused();

    const ResolveInput& in_;
    DiagnosticEngine& diags_;
    std::shared_ptr<Policy> policy_;
    std::vector<Entry> entries_;
    std::unordered_map<std::string, size_t> byName_;
    std::vector<const ast::Const*> consts_;
    std::vector<const ast::SettingsDecl*> ports_, ecmps_, meters_, credits_;
    std::vector<const ast::Layer*> layers_;
    std::vector<const ast::Routes*> routes_;
    std::vector<const ast::Assert*> asserts_;
    std::vector<int> constState_;  // 0 new, 1 expanding, 2 done
    std::vector<std::vector<RVal>> constValues_;
    std::vector<uint32_t> constDepth_;  // 1 + the deepest constant it names
    std::vector<bool> constFailed_;     // E106/E311 (or names one that failed): expands to nothing
    std::set<uint32_t> cycleReported_;
    size_t expandedValues_ = 0;  // against kMaxExpandedValues
    bool budgetReported_ = false;
    size_t suggestions_ = 0;
    std::set<std::string> reportedConstErrors_;  // constant value errors already reported
    bool suppressedLast_ = false;
    size_t importHints_ = 0;
};

}  // namespace sluice::lang::resolver
