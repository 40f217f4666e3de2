// Resolver and type checker. One pass over the merged declarations:
//   1. register names (one namespace for constants, ports, layers, route tables, ECMP groups,
//      meters and credits; one for assertions) -> E101 with a note at the first one;
//   2. lower each declaration into the model, expanding constants at their use (E105 cycles)
//      and typing each value by where it is used (E2xx), resolving references to indices;
//   3. sort groups and rules by priority; warn about unused declarations of the root file.
// Errors never stop the pass: a bad value or reference is skipped and checking goes on.
#include "resolve.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "sluice/lang/limits.h"
#include "sluice/support/spelling.h"
#include "units.h"

namespace sluice::lang {

namespace {

enum class DeclKind { Const, Port, Layer, Routes, Ecmp, Meter, Credit };

const char* kindName(DeclKind k) {
    switch (k) {
        case DeclKind::Const: return "constant";
        case DeclKind::Port: return "port";
        case DeclKind::Layer: return "layer";
        case DeclKind::Routes: return "route table";
        case DeclKind::Ecmp: return "ECMP group";
        case DeclKind::Meter: return "meter";
        case DeclKind::Credit: return "credit policy";
    }
    return "declaration";
}

const char* article(DeclKind k) {
    return k == DeclKind::Ecmp ? "an" : "a";
}

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

u128 hostMask(unsigned width, int len) {
    unsigned bits = width - static_cast<unsigned>(len);
    if (bits >= 128) return ~static_cast<u128>(0);
    return (static_cast<u128>(1) << bits) - 1;
}

u128 fieldMax(Field f) {
    unsigned w = fieldInfo(f).width;
    return w >= 128 ? ~static_cast<u128>(0) : (static_cast<u128>(1) << w) - 1;
}

std::string u128ToString(u128 v) {
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

    std::shared_ptr<Policy> run() {
        policy_ = std::make_shared<Policy>();
        policy_->sources = diags_.sharedSources();
        registerAll();
        // Expand every constant once, used or not, so that a cycle or a bad value in an unused
        // constant is still reported (E105).
        expandConstants();
        policy_->ports.resize(ports_.size());
        policy_->layers.resize(layers_.size());
        policy_->routeTables.resize(routes_.size());
        policy_->ecmpGroups.resize(ecmps_.size());
        policy_->meters.resize(meters_.size());
        policy_->credits.resize(credits_.size());
        for (size_t i = 0; i < credits_.size(); ++i) lowerCredit(*credits_[i], policy_->credits[i]);
        for (size_t i = 0; i < meters_.size(); ++i) lowerMeter(*meters_[i], policy_->meters[i]);
        for (size_t i = 0; i < ecmps_.size(); ++i) lowerEcmp(*ecmps_[i], policy_->ecmpGroups[i]);
        for (size_t i = 0; i < routes_.size(); ++i) lowerRoutes(*routes_[i], policy_->routeTables[i]);
        for (size_t i = 0; i < layers_.size(); ++i) lowerLayer(*layers_[i], policy_->layers[i]);
        for (size_t i = 0; i < ports_.size(); ++i) lowerPort(*ports_[i], policy_->ports[i]);
        for (const ast::Assert* a : asserts_) {
            Assertion out;
            if (lowerAssert(*a, out)) policy_->assertions.push_back(std::move(out));
        }
        if (in_.warnings) warnUnused();
        return policy_;
    }

private:
    // ---- diagnostics ----
    void error(DiagKind k, SourceRange r, std::string msg) {
        suppressedLast_ = false;
        diags_.report(k, r, std::move(msg));
    }
    // Notes belong to the last error; none when that error was suppressed.
    void note(SourceRange r, std::string msg) {
        if (!suppressedLast_) diags_.note(r, std::move(msg));
    }

    // An error in a constant's value is reported at its first use only: every later use of the
    // same value with the same problem would repeat it (issue 14: one /33, three reports).
    void valueError(DiagKind k, const RVal& v, const std::string& msg) {
        if (v.viaConst.empty()) {
            error(k, v.at, msg);
            return;
        }
        const SourceLoc& o = v.origin.begin;
        std::string key = std::to_string(o.file) + ":" + std::to_string(o.line) + ":" +
                          std::to_string(o.col) + ":" + msg;
        if (!reportedConstErrors_.insert(std::move(key)).second) {
            suppressedLast_ = true;
            return;
        }
        error(k, v.at, msg + " (from constant '" + v.viaConst + "')");
        note(v.origin, "value of constant '" + v.viaConst + "' is here");
    }

    // ---- step 1: names ----
    void add(DeclKind kind, const ast::Ident& name, uint32_t file, uint32_t index) {
        if (name.text.empty()) return;
        auto it = byName_.find(name.text);
        if (it != byName_.end()) {
            const Entry& prev = entries_[it->second];
            error(DiagKind::DuplicateName, name.range,
                  std::string("redefinition of '") + name.text + "'" +
                      (prev.kind != kind ? std::string(" (already ") + article(prev.kind) + " " +
                                               kindName(prev.kind) + ")"
                                         : ""));
            note(prev.nameRange, "previous definition is here");
            return;
        }
        byName_[name.text] = entries_.size();
        entries_.push_back({kind, name.text, name.range, file, index, false});
    }

    template <typename T>
    void push(std::vector<const T*>& list, DeclKind kind, const T& decl, uint32_t file) {
        if (decl.name.text.empty() || byName_.count(decl.name.text) != 0) {
            add(kind, decl.name, file, 0);  // reports the duplicate; not lowered
            return;
        }
        add(kind, decl.name, file, static_cast<uint32_t>(list.size()));
        list.push_back(&decl);
    }

    void registerAll() {
        std::unordered_map<std::string, SourceRange> assertNames;
        for (const ast::File* f : in_.files) {
            for (const ast::Decl& d : f->decls) {
                if (auto* c = std::get_if<ast::Const>(&d)) {
                    push(consts_, DeclKind::Const, *c, f->fileId);
                } else if (auto* s = std::get_if<ast::SettingsDecl>(&d)) {
                    switch (s->kind) {
                        case ast::BlockKind::Port: push(ports_, DeclKind::Port, *s, f->fileId); break;
                        case ast::BlockKind::Ecmp: push(ecmps_, DeclKind::Ecmp, *s, f->fileId); break;
                        case ast::BlockKind::Meter: push(meters_, DeclKind::Meter, *s, f->fileId); break;
                        case ast::BlockKind::Credit:
                            push(credits_, DeclKind::Credit, *s, f->fileId);
                            break;
                    }
                } else if (auto* l = std::get_if<ast::Layer>(&d)) {
                    push(layers_, DeclKind::Layer, *l, f->fileId);
                } else if (auto* r = std::get_if<ast::Routes>(&d)) {
                    push(routes_, DeclKind::Routes, *r, f->fileId);
                } else if (auto* a = std::get_if<ast::Assert>(&d)) {
                    auto [it, fresh] = assertNames.emplace(a->name.text, a->name.range);
                    if (!fresh) {
                        error(DiagKind::DuplicateName, a->name.range,
                              "redefinition of assertion '" + a->name.text + "'");
                        note(it->second, "previous definition is here");
                        continue;
                    }
                    asserts_.push_back(a);
                }
            }
        }
        constState_.assign(consts_.size(), 0);
        constValues_.resize(consts_.size());
        constDepth_.assign(consts_.size(), 0);
        constFailed_.assign(consts_.size(), false);
    }

    const Entry* findEntry(const std::string& name) const {
        auto it = byName_.find(name);
        return it == byName_.end() ? nullptr : &entries_[it->second];
    }

    void suggest(const std::string& name, std::optional<DeclKind> kind) {
        if (++suggestions_ > 1000) return;  // enough help for one run
        std::vector<std::string> candidates;
        for (const Entry& e : entries_) {
            if (!kind || e.kind == *kind) candidates.push_back(e.name);
        }
        std::string best = closest(name, candidates);
        if (!best.empty()) {
            note(findEntry(best)->nameRange, "did you mean '" + best + "'?");
        }
    }

    // An unknown name that a module of the stdlib path declares: say which import brings it.
    void hintImport(const std::string& name, SourceRange at) {
        if (in_.stdlib == nullptr || ++importHints_ > 100) return;
        if (auto module = in_.stdlib->moduleDeclaring(name))
            note(at, "'" + name + "' is declared in " + *module + "; add 'import " + *module + ";'");
    }

    // A reference to a declaration of `kind`: E102 unknown (with a suggestion), E103 wrong kind.
    std::optional<uint32_t> lookup(const ast::Ident& id, DeclKind kind) {
        if (id.text.empty()) return std::nullopt;
        const Entry* e = findEntry(id.text);
        if (e == nullptr) {
            error(DiagKind::UnknownName, id.range,
                  std::string("unknown ") + kindName(kind) + " '" + id.text + "'");
            suggest(id.text, kind);
            hintImport(id.text, id.range);
            return std::nullopt;
        }
        if (e->kind != kind) {
            error(DiagKind::WrongKindOfName, id.range,
                  "'" + id.text + "' is " + article(e->kind) + " " + kindName(e->kind) + ", not " +
                      article(kind) + " " + kindName(kind));
            note(e->nameRange, "'" + id.text + "' is declared here");
            return std::nullopt;
        }
        const_cast<Entry*>(e)->used = true;
        return e->index;
    }

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
    std::vector<ConstRef> constRefs(const ast::Const& c) {
        std::vector<ConstRef> refs;
        auto named = [&](const ast::Atom& a, SourceRange at) {
            if (a.kind != ast::AtomKind::Name) return;
            if (auto idx = constIndex(a.text)) refs.push_back({*idx, at});
        };
        for (const ast::Value& v : c.values) {
            if (!v.hi) {
                named(v.lo, v.range);
            } else {
                named(v.lo, v.lo.range);
                named(*v.hi, v.hi->range);
            }
        }
        return refs;
    }

    void expandConstants() {
        struct Frame {
            uint32_t idx;
            std::vector<ConstRef> refs;
            size_t next = 0;
        };
        std::vector<Frame> stack;
        for (uint32_t root = 0; root < consts_.size(); ++root) {
            if (constState_[root] != 0) continue;
            constState_[root] = 1;
            stack.push_back({root, constRefs(*consts_[root])});
            while (!stack.empty()) {
                Frame& top = stack.back();
                if (top.next == top.refs.size()) {
                    materializeConst(top.idx);
                    stack.pop_back();
                    continue;
                }
                ConstRef ref = top.refs[top.next++];
                if (constState_[ref.idx] == 1) {
                    reportConstCycle(ref.idx, ref.at);
                } else if (constState_[ref.idx] == 0) {
                    constState_[ref.idx] = 1;
                    stack.push_back({ref.idx, constRefs(*consts_[ref.idx])});  // `top` dangles
                }
            }
        }
    }

    void reportConstCycle(uint32_t idx, SourceRange useSite) {
        if (!cycleReported_.insert(idx).second) return;
        const ast::Const& c = *consts_[idx];
        error(DiagKind::ConstantCycle, useSite,
              "constant '" + c.name.text + "' is defined in terms of itself");
        note(c.name.range, "'" + c.name.text + "' is declared here");
    }

    // Called when every constant `idx` names is done (or on the stack: a cycle, reported).
    void materializeConst(uint32_t idx) {
        const ast::Const& c = *consts_[idx];
        constState_[idx] = 2;
        size_t count = 0;
        uint32_t depth = 1;
        bool failed = false;
        auto part = [&](const ast::Atom& a, bool plain) {
            auto j = a.kind == ast::AtomKind::Name ? constIndexQuiet(a.text) : std::nullopt;
            if (!j) {
                count += plain ? 1 : 0;
                return;
            }
            failed = failed || constFailed_[*j];
            depth = std::max(depth, constDepth_[*j] + 1);
            count += plain ? constValues_[*j].size() : 0;
        };
        for (const ast::Value& v : c.values) {
            part(v.lo, !v.hi);
            if (v.hi) {
                part(*v.hi, false);
                ++count;
            }
        }
        constDepth_[idx] = depth;
        if (failed) {
            constFailed_[idx] = true;
            return;
        }
        if (depth > kMaxConstantDepth) {
            error(DiagKind::ConstantTooDeep, c.name.range,
                  "constant '" + c.name.text + "' is defined through more than " +
                      std::to_string(kMaxConstantDepth) + " levels of constants");
            constFailed_[idx] = true;
            return;
        }
        if (count > kMaxListValues) {
            error(DiagKind::ExpansionTooLarge, c.name.range,
                  "constant '" + c.name.text + "' expands to " + std::to_string(count) +
                      " values; at most " + std::to_string(kMaxListValues) + " are allowed");
            constFailed_[idx] = true;
            return;
        }
        std::vector<RVal> out;
        out.reserve(count);
        for (const ast::Value& v : c.values) {
            for (RVal r : expandOne(v)) {
                if (r.viaConst.empty()) {
                    r.viaConst = c.name.text;
                    r.origin = v.range;
                }
                out.push_back(std::move(r));
            }
        }
        constValues_[idx] = std::move(out);
    }

    // Takes `n` values from the policy's expansion budget (values copied out of constants, by
    // other constants and by uses); E311 (once) when it is spent.
    bool spendExpansion(size_t n, SourceRange at) {
        if (n <= kMaxExpandedValues - expandedValues_) {
            expandedValues_ += n;
            return true;
        }
        if (!budgetReported_) {
            budgetReported_ = true;
            error(DiagKind::ExpansionTooLarge, at,
                  "constants of this policy expand to more than " +
                      std::to_string(kMaxExpandedValues) + " values in total");
        }
        return false;
    }

    // Values of constant `idx`, expanded by expandConstants() (empty for a cycle or a failure).
    const std::vector<RVal>& constValues(uint32_t idx) const {
        static const std::vector<RVal> kNone;
        return constState_[idx] == 2 ? constValues_[idx] : kNone;
    }

    std::optional<uint32_t> constIndexQuiet(const std::string& name) const {
        const Entry* e = findEntry(name);
        if (e == nullptr || e->kind != DeclKind::Const) return std::nullopt;
        return e->index;
    }

    std::optional<uint32_t> constIndex(const std::string& name) {
        const Entry* e = findEntry(name);
        if (e == nullptr || e->kind != DeclKind::Const) return std::nullopt;
        const_cast<Entry*>(e)->used = true;
        return e->index;
    }

    // A range bound that names a constant must name a single plain value.
    ast::Atom bound(const ast::Atom& a, bool& ok) {
        if (a.kind != ast::AtomKind::Name) return a;
        auto idx = constIndex(a.text);
        if (!idx) return a;
        if (constFailed_[*idx]) {
            ok = false;
            return a;
        }
        const auto& vals = constValues(*idx);
        if (vals.size() != 1 || vals[0].hi) {
            error(DiagKind::TypeMismatch, a.range,
                  "constant '" + a.text + "' used as a range bound must be a single value");
            ok = false;
            return a;
        }
        ast::Atom out = vals[0].lo;
        out.range = a.range;
        return out;
    }

    std::vector<RVal> expandOne(const ast::Value& v) {
        std::vector<RVal> out;
        if (!v.hi && v.lo.kind == ast::AtomKind::Name) {
            if (auto idx = constIndex(v.lo.text)) {
                const std::vector<RVal>& vals = constValues(*idx);
                if (constState_[*idx] != 2 || !spendExpansion(vals.size(), v.range)) return out;
                for (RVal r : vals) {
                    r.at = v.range;
                    out.push_back(std::move(r));
                }
                return out;
            }
        }
        RVal r;
        bool ok = true;
        r.lo = bound(v.lo, ok);
        if (v.hi) r.hi = bound(*v.hi, ok);
        r.at = v.range;
        r.origin = v.range;
        if (ok) out.push_back(std::move(r));
        return out;
    }

    // A written list, constants expanded (E311 when that would exceed kMaxListValues).
    std::vector<RVal> expand(const std::vector<ast::Value>& values) {
        std::vector<RVal> out;
        size_t count = 0;
        for (const ast::Value& v : values) {
            auto idx = !v.hi && v.lo.kind == ast::AtomKind::Name ? constIndexQuiet(v.lo.text)
                                                                  : std::nullopt;
            count += idx ? constValues(*idx).size() : 1;
        }
        if (count > kMaxListValues && !values.empty()) {
            error(DiagKind::ExpansionTooLarge, {values.front().range.begin, values.back().range.end},
                  "this list expands to " + std::to_string(count) + " values; at most " +
                      std::to_string(kMaxListValues) + " are allowed");
            return out;
        }
        out.reserve(count);
        for (const ast::Value& v : values) {
            for (RVal& r : expandOne(v)) out.push_back(std::move(r));
        }
        return out;
    }

    // ---- literals ----
    std::string describe(const ast::Atom& a) {
        switch (a.kind) {
            case ast::AtomKind::Int:
            case ast::AtomKind::Hex: return "the integer " + a.text;
            case ast::AtomKind::Ipv4:
                return (a.text.find('/') != std::string::npos ? "the IPv4 prefix " : "the IPv4 address ") + a.text;
            case ast::AtomKind::HexColon:
                if (parseMac(a.text)) return "the MAC address " + a.text;
                return (a.text.find('/') != std::string::npos ? "the IPv6 prefix " : "the IPv6 address ") + a.text;
            case ast::AtomKind::Quantity: {
                Quantity q;
                std::string err;
                if (parseQuantity(a.text, q, err)) return std::string(quantityKindName(q.kind)) + " " + a.text;
                return "the quantity " + a.text;
            }
            case ast::AtomKind::Name: {
                const Entry* e = findEntry(a.text);
                if (e != nullptr) return std::string("the ") + kindName(e->kind) + " '" + a.text + "'";
                return "the name '" + a.text + "'";
            }
        }
        return a.text;
    }

    // An unknown name where a value was expected: E103 when it names a declaration, else E102.
    void badName(const RVal& v, const ast::Atom& a, const std::string& wanted) {
        const Entry* e = findEntry(a.text);
        if (e != nullptr) {
            valueError(DiagKind::WrongKindOfName, v,
                       "'" + a.text + "' is " + article(e->kind) + " " + kindName(e->kind) +
                           ", not " + wanted);
            note(e->nameRange, "'" + a.text + "' is declared here");
            return;
        }
        valueError(DiagKind::UnknownName, v, "unknown name '" + a.text + "'; expected " + wanted);
        suggest(a.text, DeclKind::Const);
        hintImport(a.text, v.at);
    }

    std::optional<u128> integer(const RVal& v, const ast::Atom& a, u128 max, const std::string& what) {
        if (a.kind != ast::AtomKind::Int && a.kind != ast::AtomKind::Hex) {
            if (a.kind == ast::AtomKind::Name && findEntry(a.text) == nullptr) {
                badName(v, a, "an integer for " + what);
            } else {
                valueError(DiagKind::TypeMismatch, v,
                           "expected an integer for " + what + ", found " + describe(a));
            }
            return std::nullopt;
        }
        u128 value = 0;
        bool overflow = false;
        bool hex = a.kind == ast::AtomKind::Hex;
        for (size_t i = hex ? 2 : 0; i < a.text.size(); ++i) {
            char c = a.text[i];
            unsigned d = c >= '0' && c <= '9' ? static_cast<unsigned>(c - '0')
                         : c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10)
                                                : static_cast<unsigned>(c - 'A' + 10);
            u128 base = hex ? 16 : 10;
            if (value > (~static_cast<u128>(0) - d) / base) overflow = true;
            value = value * base + d;
        }
        if (overflow || value > max) {
            valueError(DiagKind::OutOfRange, v,
                       "value " + a.text + " is out of range for " + what + " (0.." +
                           u128ToString(max) + ")");
            return std::nullopt;
        }
        return value;
    }

    // An IPv4/IPv6 address or prefix, with prefix length and host bits checked (E205).
    std::optional<Addr> address(const RVal& v, const ast::Atom& a, const std::string& what) {
        if (a.kind != ast::AtomKind::Ipv4 && a.kind != ast::AtomKind::HexColon) {
            if (a.kind == ast::AtomKind::Name && findEntry(a.text) == nullptr) {
                badName(v, a, "an address for " + what);
            } else {
                valueError(DiagKind::TypeMismatch, v,
                           "expected an address for " + what + ", found " + describe(a));
            }
            return std::nullopt;
        }
        std::string_view text = a.text;
        std::string_view addrText = text;
        std::optional<std::string_view> lenText;
        if (size_t slash = text.find('/'); slash != std::string_view::npos) {
            addrText = text.substr(0, slash);
            lenText = text.substr(slash + 1);
        }
        auto ip = parseIp(addrText);
        if (!ip) {
            if (a.kind == ast::AtomKind::HexColon && parseMac(a.text)) {
                valueError(DiagKind::TypeMismatch, v,
                           "expected an address for " + what + ", found " + describe(a));
            } else {
                valueError(DiagKind::BadLiteral, v,
                           std::string("malformed ") +
                               (a.kind == ast::AtomKind::Ipv4 ? "IPv4" : "IPv6") + " address '" +
                               std::string(addrText) + "'");
            }
            return std::nullopt;
        }
        Addr out{*ip, -1};
        if (lenText) {
            unsigned width = ip->width();
            size_t len = 0;
            bool tooLong = lenText->empty() || lenText->size() > 4;
            for (char c : *lenText) len = len * 10 + static_cast<size_t>(c - '0');
            if (tooLong || len > width) {
                valueError(DiagKind::BadPrefix, v,
                           "prefix length /" + std::string(*lenText) + " is too long for an " +
                               (width == 32 ? "IPv4" : "IPv6") + " address (at most /" +
                               std::to_string(width) + ")");
                return std::nullopt;
            }
            out.prefixLen = static_cast<int>(len);
            u128 host = hostMask(width, out.prefixLen);
            if ((ip->value & host) != 0) {
                IpAddr net = *ip;
                net.value &= ~host;
                valueError(DiagKind::BadPrefix, v,
                           "prefix " + a.text + " has host bits set; did you mean " + net.str() +
                               "/" + std::to_string(len) + "?");
                return std::nullopt;
            }
        }
        return out;
    }

    // A single address (no prefix, no range).
    std::optional<IpAddr> plainAddress(const RVal& v, const std::string& what) {
        if (v.hi) {
            valueError(DiagKind::TypeMismatch, v, "expected a single address for " + what + ", found a range");
            return std::nullopt;
        }
        auto a = address(v, v.lo, what);
        if (!a) return std::nullopt;
        if (a->prefixLen >= 0 && a->prefixLen != static_cast<int>(a->ip.width())) {
            valueError(DiagKind::TypeMismatch, v,
                       "expected a single address for " + what + ", found a prefix");
            return std::nullopt;
        }
        return a->ip;
    }

    std::optional<uint64_t> mac(const RVal& v, const ast::Atom& a, const std::string& what) {
        std::optional<uint64_t> m;
        if (a.kind == ast::AtomKind::HexColon) m = parseMac(a.text);
        if (!m) {
            if (a.kind == ast::AtomKind::Name && findEntry(a.text) == nullptr) {
                badName(v, a, "a MAC address for " + what);
            } else if (a.kind == ast::AtomKind::HexColon && !parseIp(a.text)) {
                valueError(DiagKind::BadLiteral, v, "malformed MAC address '" + a.text + "'");
            } else {
                valueError(DiagKind::TypeMismatch, v,
                           "expected a MAC address for " + what + ", found " + describe(a));
            }
        }
        return m;
    }

    std::optional<Quantity> quantity(const RVal& v, std::initializer_list<QuantityKind> kinds,
                                     const std::string& what) {
        std::string wanted;
        for (QuantityKind k : kinds) {
            if (!wanted.empty()) wanted += " or ";
            wanted += quantityKindName(k);
        }
        const ast::Atom& a = v.lo;
        if (v.hi || a.kind != ast::AtomKind::Quantity) {
            if (!v.hi && a.kind == ast::AtomKind::Name && findEntry(a.text) == nullptr) {
                badName(v, a, wanted + " for " + what);
            } else {
                valueError(DiagKind::TypeMismatch, v,
                           "expected " + wanted + " for " + what + ", found " +
                               (v.hi ? std::string("a range") : describe(a)));
            }
            return std::nullopt;
        }
        Quantity q;
        std::string err;
        if (!parseQuantity(a.text, q, err)) {
            valueError(DiagKind::BadLiteral, v, err);
            return std::nullopt;
        }
        if (std::find(kinds.begin(), kinds.end(), q.kind) == kinds.end()) {
            valueError(DiagKind::TypeMismatch, v,
                       "expected " + wanted + " for " + what + ", found " + describe(a));
            return std::nullopt;
        }
        return q;
    }

    std::optional<uint64_t> durationMs(const RVal& v, const std::string& what) {
        auto q = quantity(v, {QuantityKind::Duration}, what);
        if (!q) return std::nullopt;
        if (!q->whole || q->amount % 1000 != 0) {
            valueError(DiagKind::OutOfRange, v,
                       "duration " + v.lo.text + " for " + what + " is not a whole number of milliseconds");
            return std::nullopt;
        }
        return q->amount / 1000;
    }

    // E203 when a number that becomes a timer, a size or a rate in the runtime is above its
    // documented limit (docs/language.md, "Limits"); `limit` is that limit as written.
    bool atMost(const RVal& v, uint64_t n, uint64_t max, const std::string& what,
                const std::string& limit) {
        if (n <= max) return true;
        valueError(DiagKind::OutOfRange, v, what + " must be at most " + limit);
        return false;
    }

    // ---- match values ----
    bool matchValue(Field f, const RVal& v, MatchValue& out) {
        const FieldInfo& info = fieldInfo(f);
        std::string what(info.name);
        out.range = v.at;
        if (info.isIp) {
            auto lo = address(v, v.lo, what);
            if (!lo) return false;
            out.family = lo->ip.family;
            if (!v.hi) {
                int len = lo->prefixLen >= 0 ? lo->prefixLen : static_cast<int>(lo->ip.width());
                out.lo = lo->ip.value;
                out.hi = lo->ip.value | hostMask(lo->ip.width(), len);
                out.prefixLen = len;
                return true;
            }
            auto hi = address(v, *v.hi, what);
            if (!hi) return false;
            if (lo->prefixLen >= 0 || hi->prefixLen >= 0) {
                valueError(DiagKind::TypeMismatch, v, "the bounds of an address range must be addresses, not prefixes");
                return false;
            }
            if (lo->ip.family != hi->ip.family) {
                valueError(DiagKind::FamilyMismatch, v, "address range mixes IPv4 and IPv6");
                return false;
            }
            out.lo = lo->ip.value;
            out.hi = hi->ip.value;
        } else if (f == Field::SrcMac || f == Field::DstMac) {
            auto lo = mac(v, v.lo, what);
            if (!lo) return false;
            out.lo = out.hi = *lo;
            if (v.hi) {
                auto hi = mac(v, *v.hi, what);
                if (!hi) return false;
                out.hi = *hi;
            }
        } else {
            auto one = [&](const ast::Atom& a) -> std::optional<u128> {
                if (a.kind == ast::AtomKind::Name && findEntry(a.text) == nullptr) {
                    if (f == Field::Proto) {
                        if (auto p = parseProtocol(a.text)) return *p;
                        valueError(DiagKind::UnknownName, v,
                                   "unknown protocol '" + a.text +
                                       "'; expected tcp, udp, icmp, icmpv6, gre, esp, ah, sctp or 0..255");
                        return std::nullopt;
                    }
                    if (f == Field::TcpFlags) {
                        if (auto fl = parseTcpFlags(a.text)) return *fl;
                        valueError(DiagKind::BadLiteral, v,
                                   "bad TCP flags '" + a.text + "'; expected letters of FSRPAUEC or 0..255");
                        return std::nullopt;
                    }
                }
                std::string desc = what;
                if (f == Field::Dscp) desc = "dscp";
                return integer(v, a, fieldMax(f), desc);
            };
            auto lo = one(v.lo);
            if (!lo) return false;
            out.lo = out.hi = *lo;
            if (v.hi) {
                auto hi = one(*v.hi);
                if (!hi) return false;
                out.hi = *hi;
            }
        }
        if (out.lo > out.hi) {
            valueError(DiagKind::EmptyRange, v,
                       "range " + v.lo.text + ".." + (v.hi ? v.hi->text : "") +
                           " is empty (the first bound is greater than the second)");
            return false;
        }
        return true;
    }

    void fieldSuggestion(const ast::Ident& id) {
        std::vector<std::string> names;
        for (size_t i = 0; i < kFieldCount; ++i) names.emplace_back(fieldInfo(static_cast<Field>(i)).name);
        std::string best = closest(id.text, names);
        if (!best.empty()) note(id.range, "did you mean '" + best + "'?");
    }

    std::optional<Field> field(const ast::Ident& id) {
        if (id.text.empty()) return std::nullopt;
        auto f = fieldByName(id.text);
        if (!f) {
            error(DiagKind::UnknownField, id.range, "unknown field '" + id.text + "'");
            fieldSuggestion(id);
        }
        return f;
    }

    bool conditions(const std::vector<ast::Condition>& in, std::vector<Condition>& out) {
        bool ok = true;
        std::map<Field, SourceRange> seen;
        for (const ast::Condition& c : in) {
            auto f = field(c.field);
            if (!f) {
                ok = false;
                continue;
            }
            auto [it, fresh] = seen.emplace(*f, c.field.range);
            if (!fresh) {
                error(DiagKind::DuplicateField, c.field.range,
                      "field '" + c.field.text + "' is matched twice; list its values in one condition");
                note(it->second, "first condition on '" + c.field.text + "' is here");
                ok = false;
                continue;
            }
            Condition cond;
            cond.field = *f;
            cond.range = c.range;
            for (const RVal& v : expand(c.values)) {
                MatchValue mv;
                if (matchValue(*f, v, mv)) {
                    cond.values.push_back(mv);
                } else {
                    ok = false;
                }
            }
            if (cond.values.empty()) {
                ok = false;
                continue;
            }
            out.push_back(std::move(cond));
        }
        return ok;
    }

    // Families an IP field's condition admits: bit 0 = V4, bit 1 = V6 (3 when absent).
    static unsigned families(const std::vector<Condition>& conds, Field f) {
        for (const Condition& c : conds) {
            if (c.field != f) continue;
            unsigned m = 0;
            for (const MatchValue& v : c.values) m |= v.family == Family::V4 ? 1u : 2u;
            return m;
        }
        return 3;
    }

    static const char* familyText(unsigned mask) {
        return mask == 1 ? "IPv4" : mask == 2 ? "IPv6" : "IPv4 and IPv6";
    }

    // ---- priorities ----
    std::optional<uint32_t> priority(const ast::Atom& a) {
        if (a.text.empty()) return std::nullopt;
        RVal v;
        v.lo = a;
        v.at = v.origin = a.range;
        auto p = integer(v, a, 0xffffffffu, "a priority");
        if (!p) return std::nullopt;
        return static_cast<uint32_t>(*p);
    }

    // The priority's value when it is a valid one (no diagnostics: priority() reports).
    static std::optional<uint32_t> parsedPriority(const ast::Atom& a) {
        if (a.text.empty() || a.text.size() > 10 || a.kind != ast::AtomKind::Int) return std::nullopt;
        uint64_t v = std::stoull(a.text);
        if (v > 0xffffffffu) return std::nullopt;
        return static_cast<uint32_t>(v);
    }

    // ---- actions ----
    void lowerAction(const ast::Rule& r, unsigned trafficFamilies, Action& act) {
        act.range = r.actions.empty() ? r.range : r.actions.front().range;
        if (!r.actions.empty()) act.range.end = r.actions.back().range.end;
        const ast::ActionItem* deny = nullptr;
        const ast::ActionItem* allow = nullptr;
        const ast::ActionItem* encap = nullptr;
        const ast::ActionItem* decap = nullptr;
        const ast::ActionItem* route = nullptr;
        const ast::ActionItem* meter = nullptr;
        std::map<Field, SourceRange> sets;
        auto twice = [&](const ast::ActionItem* prev, const ast::ActionItem& a, const char* what) {
            if (prev == nullptr) return false;
            error(DiagKind::ConflictingActions, a.range,
                  std::string("a rule can have only one '") + what + "' action");
            note(prev->range, "previous '" + std::string(what) + "' is here");
            return true;
        };
        for (const ast::ActionItem& a : r.actions) {
            switch (a.kind) {
                case ast::ActionKind::Deny:
                    if (!twice(deny, a, "deny")) deny = &a;
                    break;
                case ast::ActionKind::Allow:
                    if (!twice(allow, a, "allow")) allow = &a;
                    break;
                case ast::ActionKind::Decap:
                    if (twice(decap, a, "decap")) break;
                    decap = &a;
                    if (!a.name.text.empty() && a.name.text != "vxlan") {
                        error(DiagKind::TypeMismatch, a.name.range,
                              "unsupported encapsulation '" + a.name.text + "'; expected 'vxlan'");
                    }
                    act.decap = true;
                    break;
                case ast::ActionKind::Encap:
                    if (twice(encap, a, "encap")) break;
                    encap = &a;
                    lowerEncap(a, act);
                    break;
                case ast::ActionKind::Route:
                    if (twice(route, a, "route")) break;
                    route = &a;
                    act.routeTable = lookup(a.name, DeclKind::Routes);
                    break;
                case ast::ActionKind::Meter:
                    if (twice(meter, a, "meter")) break;
                    meter = &a;
                    act.meter = lookup(a.name, DeclKind::Meter);
                    break;
                case ast::ActionKind::Set: {
                    auto f = field(a.name);
                    if (!f) break;
                    const FieldInfo& info = fieldInfo(*f);
                    if (!info.rewritable) {
                        std::string list;
                        for (size_t i = 0; i < kFieldCount; ++i) {
                            const FieldInfo& fi = fieldInfo(static_cast<Field>(i));
                            if (!fi.rewritable) continue;
                            if (!list.empty()) list += ", ";
                            list += fi.name;
                        }
                        error(DiagKind::FieldNotRewritable, a.name.range,
                              "field '" + a.name.text + "' cannot be rewritten; 'set' takes " + list);
                        break;
                    }
                    auto [it, fresh] = sets.emplace(*f, a.range);
                    if (!fresh) {
                        error(DiagKind::ConflictingActions, a.range,
                              "field '" + a.name.text + "' is set twice");
                        note(it->second, "previous 'set " + a.name.text + "' is here");
                        break;
                    }
                    if (!a.value) break;
                    std::vector<RVal> vals = expandOne(*a.value);
                    if (vals.size() != 1) {
                        if (!vals.empty()) {
                            error(DiagKind::TypeMismatch, a.value->range,
                                  "'set " + a.name.text + "' takes one value, not a list");
                        }
                        break;
                    }
                    const RVal& v = vals[0];
                    Rewrite rw;
                    rw.field = *f;
                    rw.range = a.range;
                    std::string what = "'set " + a.name.text + "'";
                    if (info.isIp) {
                        auto ip = plainAddress(v, what);
                        if (!ip) break;
                        unsigned fam = ip->family == Family::V4 ? 1u : 2u;
                        if ((trafficFamilies & fam) == 0) {
                            valueError(DiagKind::FamilyMismatch, v,
                                       "cannot set " + a.name.text + " to an " +
                                           (fam == 1 ? "IPv4" : "IPv6") +
                                           " address in a rule that matches only " +
                                           familyText(trafficFamilies) + " traffic");
                            break;
                        }
                        rw.value = ip->value;
                        rw.family = ip->family;
                    } else if (v.hi) {
                        valueError(DiagKind::TypeMismatch, v, what + " takes one value, not a range");
                        break;
                    } else if (*f == Field::SrcMac || *f == Field::DstMac) {
                        auto m = mac(v, v.lo, what);
                        if (!m) break;
                        rw.value = *m;
                    } else {
                        auto n = integer(v, v.lo, fieldMax(*f), std::string(info.name));
                        if (!n) break;
                        rw.value = *n;
                    }
                    act.rewrites.push_back(rw);
                    break;
                }
            }
        }
        if (deny != nullptr) {
            act.verdict = Verdict::Deny;
            for (const ast::ActionItem& a : r.actions) {
                if (&a == deny || a.kind == ast::ActionKind::Deny) continue;
                error(DiagKind::ConflictingActions, a.range, "'deny' cannot be combined with other actions");
                note(deny->range, "'deny' is here");
                break;
            }
            act.rewrites.clear();
            act.encap.reset();
            act.decap = false;
            act.routeTable.reset();
            act.meter.reset();
        } else {
            act.verdict = Verdict::Allow;
        }
    }

    void lowerEncap(const ast::ActionItem& a, Action& act) {
        if (!a.name.text.empty() && a.name.text != "vxlan") {
            error(DiagKind::TypeMismatch, a.name.range,
                  "unsupported encapsulation '" + a.name.text + "'; expected 'vxlan'");
            return;
        }
        Encap e;
        e.range = a.range;
        std::map<std::string, SourceRange> seen;
        bool ok = true;
        bool haveVni = false, haveSrc = false, haveDst = false;
        for (const ast::ActionArg& arg : a.args) {
            const std::string& key = arg.key.text;
            if (key != "vni" && key != "src" && key != "dst") {
                error(DiagKind::MissingProperty, arg.key.range,
                      "unknown encap argument '" + key + "'; expected vni, src and dst");
                ok = false;
                continue;
            }
            auto [it, fresh] = seen.emplace(key, arg.key.range);
            if (!fresh) {
                error(DiagKind::DuplicateProperty, arg.key.range, "encap argument '" + key + "' given twice");
                note(it->second, "first '" + key + "' is here");
                ok = false;
                continue;
            }
            std::vector<RVal> vals = expandOne(arg.value);
            if (vals.size() != 1) {
                if (!vals.empty()) error(DiagKind::TypeMismatch, arg.value.range, "encap " + key + " takes one value");
                ok = false;
                continue;
            }
            const RVal& v = vals[0];
            if (key == "vni") {
                auto n = v.hi ? std::nullopt : integer(v, v.lo, fieldMax(Field::Vni), "vni");
                if (v.hi) valueError(DiagKind::TypeMismatch, v, "encap vni takes one value, not a range");
                if (!n) { ok = false; continue; }
                e.vni = static_cast<uint32_t>(*n);
                haveVni = true;
            } else {
                auto ip = plainAddress(v, "encap " + key);
                if (!ip) { ok = false; continue; }
                (key == "src" ? e.outerSrc : e.outerDst) = *ip;
                (key == "src" ? haveSrc : haveDst) = true;
            }
        }
        for (auto [have, key] : {std::pair{haveVni, "vni"}, {haveSrc, "src"}, {haveDst, "dst"}}) {
            if (!have && !seen.count(key)) {
                error(DiagKind::MissingProperty, a.range,
                      std::string("encap vxlan needs '") + key + "' (encap vxlan vni N src ADDR dst ADDR)");
                ok = false;
            }
        }
        if (haveSrc && haveDst && e.outerSrc.family != e.outerDst.family) {
            error(DiagKind::FamilyMismatch, a.range, "encap src and dst addresses must be of one family");
            ok = false;
        }
        if (ok) act.encap = e;
    }

    // ---- layers ----
    void lowerLayer(const ast::Layer& l, Layer& out) {
        out.name = l.name.text;
        out.range = l.range;
        for (Action& a : out.defaultAction) {
            a.verdict = Verdict::Deny;
            a.range = l.name.range;
        }
        std::optional<SourceRange> defaults[2];
        std::map<std::string, SourceRange> ruleNames;
        struct GroupSeen {
            std::map<uint32_t, SourceRange> priorities;
            std::map<std::string, SourceRange> names;
        } seen[2];
        for (const ast::LayerItem& item : l.items) {
            if (auto* d = std::get_if<ast::LayerDefault>(&item)) {
                for (int dir = 0; dir < 2; ++dir) {
                    bool applies = d->dir == ast::Dir::Both ||
                                   (d->dir == ast::Dir::In) == (dir == static_cast<int>(Direction::In));
                    if (!applies) continue;
                    if (defaults[dir]) {
                        error(DiagKind::DuplicateProperty, d->range,
                              std::string("default action for '") + directionName(static_cast<Direction>(dir)) +
                                  "' given twice");
                        note(*defaults[dir], "previous default is here");
                        break;
                    }
                    defaults[dir] = d->range;
                    out.defaultAction[dir].verdict = d->allow ? Verdict::Allow : Verdict::Deny;
                    out.defaultAction[dir].range = d->range;
                }
                continue;
            }
            const auto& ld = std::get<ast::LayerDirection>(item);
            int dir = static_cast<int>(ld.dir == ast::Dir::Out ? Direction::Out : Direction::In);
            for (const ast::Group& g : ld.groups) {
                Group group;
                bool ok = lowerGroup(g, ruleNames, group);
                // Checked even when the group itself has errors, so one run reports all.
                if (auto prio = parsedPriority(g.priority)) {
                    auto [pit, pfresh] = seen[dir].priorities.emplace(*prio, g.priority.range);
                    if (!pfresh) {
                        error(DiagKind::DuplicatePriority, g.priority.range,
                              "group '" + g.name.text + "' has the same priority (" +
                                  std::to_string(*prio) + ") as another group of this direction");
                        note(pit->second,
                             "other group with priority " + std::to_string(*prio) + " is here");
                        ok = false;
                    }
                }
                if (!g.name.text.empty()) {
                    auto [nit, nfresh] = seen[dir].names.emplace(g.name.text, g.name.range);
                    if (!nfresh) {
                        error(DiagKind::DuplicateName, g.name.range,
                              "redefinition of group '" + g.name.text +
                                  "' in this direction of layer '" + l.name.text + "'");
                        note(nit->second, "previous definition is here");
                        ok = false;
                    }
                }
                if (ok) out.groups[dir].push_back(std::move(group));
            }
        }
        for (auto& groups : out.groups) {
            std::stable_sort(groups.begin(), groups.end(),
                             [](const Group& a, const Group& b) { return a.priority < b.priority; });
        }
    }

    bool lowerGroup(const ast::Group& g, std::map<std::string, SourceRange>& ruleNames, Group& out) {
        bool ok = true;
        out.name = g.name.text;
        out.range = g.range;
        auto p = priority(g.priority);
        if (!p) ok = false;
        out.priority = p.value_or(0);
        if (!conditions(g.conditions, out.conditions)) ok = false;
        std::optional<Field> lpm = std::nullopt;
        if (g.lpmField.has_value()) {
            lpm = field(*g.lpmField);
            if (lpm && !fieldInfo(*lpm).isIp) {
                error(DiagKind::TypeMismatch, g.lpmField->range,
                      "lpm needs an address field (src_ip, dst_ip, outer_src_ip, outer_dst_ip), not '" +
                          g.lpmField->text + "'");
                lpm.reset();
            }
            if (!lpm) ok = false;
            out.mode = GroupMode::Lpm;
            out.lpmField = lpm.value_or(Field::DstIp);
        }
        unsigned groupFamilies = families(out.conditions, Field::SrcIp) & families(out.conditions, Field::DstIp);
        std::map<uint32_t, SourceRange> priorities;
        for (const ast::Rule& r : g.rules) {
            Rule rule;
            bool ruleOk = lowerRule(r, groupFamilies, rule);
            if (!r.name.text.empty()) {
                auto [it, fresh] = ruleNames.emplace(r.name.text, r.name.range);
                if (!fresh) {
                    error(DiagKind::DuplicateName, r.name.range,
                          "redefinition of rule '" + r.name.text + "' in this layer");
                    note(it->second, "previous definition is here");
                    ruleOk = false;
                }
            }
            if (auto rp = parsedPriority(r.priority)) {  // lowerRule reported a bad one
                auto [it, fresh] = priorities.emplace(*rp, r.priority.range);
                if (!fresh) {
                    error(DiagKind::DuplicatePriority, r.priority.range,
                          "rule '" + r.name.text + "' has the same priority (" + std::to_string(*rp) +
                              ") as another rule of group '" + g.name.text + "'");
                    note(it->second, "other rule with priority " + std::to_string(*rp) + " is here");
                    ruleOk = false;
                }
            } else {
                ruleOk = false;
            }
            if (ruleOk && lpm) {
                const Field lpmField = out.lpmField;  // == *lpm (a plain copy keeps GCC quiet)
                const Condition* c = nullptr;
                for (const Condition& cond : rule.conditions) {
                    if (cond.field == lpmField) c = &cond;
                }
                std::string fname(fieldInfo(lpmField).name);
                if (c == nullptr) {
                    error(DiagKind::LpmFieldMissing, r.name.range,
                          "rule '" + r.name.text + "' in lpm group '" + g.name.text +
                              "' has no condition on " + fname);
                    note(g.lpmField->range, "the group matches by longest prefix of " + fname);
                    ruleOk = false;
                } else {
                    for (const MatchValue& v : c->values) {
                        if (v.prefixLen < 0) {
                            error(DiagKind::LpmFieldMissing, v.range,
                                  "values of " + fname + " in lpm group '" + g.name.text +
                                      "' must be prefixes or addresses, not ranges");
                            ruleOk = false;
                            break;
                        }
                    }
                }
            }
            if (ruleOk && in_.warnings) warnContradiction(rule, out);
            if (ruleOk) out.rules.push_back(std::move(rule));
            else ok = false;
        }
        std::stable_sort(out.rules.begin(), out.rules.end(),
                         [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
        return ok;
    }

    // W002: a rule that conditions a field the group also conditions, on values none of which
    // overlap the group's, can never match (the group is skipped unless its conditions hold).
    void warnContradiction(const Rule& rule, const Group& group) {
        for (const Condition& rc : rule.conditions) {
            for (const Condition& gc : group.conditions) {
                if (rc.field != gc.field) continue;
                bool overlap = false;
                for (const MatchValue& a : rc.values) {
                    for (const MatchValue& b : gc.values) {
                        overlap = overlap ||
                                  (a.family == b.family && a.lo <= b.hi && b.lo <= a.hi);
                    }
                }
                if (overlap) continue;
                std::string f(fieldInfo(rc.field).name);
                suppressedLast_ = false;
                diags_.report(DiagKind::ContradictoryMatch, rc.range,
                              "rule '" + rule.name + "' can never match: its " + f +
                                  " values are disjoint from those of group '" + group.name + "'");
                note(gc.range, "the group's condition on " + f + " is here");
            }
        }
    }

    bool lowerRule(const ast::Rule& r, unsigned groupFamilies, Rule& out) {
        size_t errors = diags_.errorCount();
        out.name = r.name.text;
        out.range = r.range;
        out.priority = 0;
        if (auto p = priority(r.priority)) out.priority = *p;
        conditions(r.conditions, out.conditions);
        unsigned src = families(out.conditions, Field::SrcIp);
        unsigned dst = families(out.conditions, Field::DstIp);
        if ((src & dst) == 0) {
            SourceRange at = r.name.range;
            for (const Condition& c : out.conditions) {
                if (c.field == Field::DstIp) at = c.range;
            }
            error(DiagKind::FamilyMismatch, at,
                  "rule '" + r.name.text + "' can never match: src_ip is " + familyText(src) +
                      " only and dst_ip is " + familyText(dst) + " only");
        }
        unsigned traffic = src & dst & groupFamilies;
        if (traffic == 0) traffic = 3;  // already reported, or the group's own problem
        lowerAction(r, traffic, out.action);
        const ast::Rule::Flag* terminating = nullptr;
        const ast::Rule::Flag* stateful = nullptr;
        for (const ast::Rule::Flag& f : r.flags) {
            const ast::Rule::Flag*& slot = f.stateful ? stateful : terminating;
            if (slot != nullptr) {
                error(DiagKind::DuplicateProperty, f.range,
                      std::string("'") + (f.stateful ? "stateful" : "terminating") + "' given twice");
                note(slot->range, "first one is here");
                continue;
            }
            slot = &f;
            if (!f.stateful) {
                out.terminating = true;
                continue;
            }
            out.stateful = true;
            if (f.idle) {
                std::vector<RVal> vals = expandOne(*f.idle);
                if (vals.size() == 1) {
                    if (auto ms = durationMs(vals[0], "the idle timeout")) {
                        if (*ms == 0) {
                            valueError(DiagKind::OutOfRange, vals[0], "the idle timeout must be positive");
                        } else if (atMost(vals[0], *ms, kMaxIdleTimeoutMs, "the idle timeout", "168h")) {
                            out.idleTimeoutMs = *ms;
                        }
                    }
                } else if (!vals.empty()) {
                    error(DiagKind::TypeMismatch, f.idle->range, "idle takes one duration");
                }
            }
            if (out.action.verdict == Verdict::Deny && !r.actions.empty()) {
                error(DiagKind::StatefulDeny, f.range,
                      "rule '" + r.name.text + "' is stateful but denies; only permitting rules can "
                      "create sessions");
            }
        }
        return diags_.errorCount() == errors;
    }

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
                                                             const char* what) {
        std::map<std::string, std::vector<SettingView>> out;
        for (const ast::Setting& s : d.settings) {
            if (s.name.text.empty()) continue;
            if (std::find(allowed.begin(), allowed.end(), s.name.text) == allowed.end()) {
                std::string list;
                for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
                error(DiagKind::MissingProperty, s.name.range,
                      "unknown setting '" + s.name.text + "' in " + what + " '" + d.name.text +
                          "'; expected one of: " + list);
                std::string best = closest(s.name.text, allowed);
                if (!best.empty()) note(s.name.range, "did you mean '" + best + "'?");
                continue;
            }
            auto& list = out[s.name.text];
            if (!list.empty() && !repeatable.count(s.name.text)) {
                error(DiagKind::DuplicateProperty, s.name.range,
                      "setting '" + s.name.text + "' given twice in " + what + " '" + d.name.text + "'");
                note(list.front().setting->name.range, "first '" + s.name.text + "' is here");
                continue;
            }
            SettingView v;
            v.setting = &s;
            for (const ast::SettingArg& a : s.args) {
                if (a.comma) v.hasComma = true;
                else v.values.push_back(&a.value);
            }
            list.push_back(std::move(v));
        }
        return out;
    }

    void require(const std::map<std::string, std::vector<SettingView>>& s,
                 std::initializer_list<const char*> names, const ast::SettingsDecl& d, const char* what) {
        for (const char* n : names) {
            if (s.count(n) == 0) {
                error(DiagKind::MissingProperty, d.name.range,
                      std::string(what) + " '" + d.name.text + "' lacks the required setting '" + n + "'");
            }
        }
    }

    // Exactly one value for a single-valued setting.
    std::optional<RVal> single(const SettingView& s, const char* shape) {
        std::vector<RVal> vals;
        for (const ast::Value* v : s.values) {
            for (RVal& r : expandOne(*v)) vals.push_back(std::move(r));
        }
        if (s.hasComma || s.values.size() != 1 || vals.size() > 1) {
            error(DiagKind::TypeMismatch, s.setting->range,
                  "'" + s.setting->name.text + "' takes " + shape);
            return std::nullopt;
        }
        if (vals.empty()) return std::nullopt;  // a bad constant, reported already
        return vals[0];
    }

    std::vector<RVal> list(const SettingView& s) {
        std::vector<RVal> vals;
        for (const ast::Value* v : s.values) {
            for (RVal& r : expandOne(*v)) vals.push_back(std::move(r));
        }
        if (s.values.empty()) {
            error(DiagKind::EmptyList, s.setting->range, "'" + s.setting->name.text + "' needs at least one value");
        }
        return vals;
    }

    static ast::Ident nameOf(const ast::Value& v) {
        return ast::Ident{v.lo.text, v.range};
    }

    bool isName(const ast::Value& v, const SettingView& s, const char* what) {
        if (v.hi || v.lo.kind != ast::AtomKind::Name) {
            error(DiagKind::TypeMismatch, v.range,
                  "'" + s.setting->name.text + "' takes " + what + ", not '" + v.lo.text + "'");
            return false;
        }
        return true;
    }

    void lowerPort(const ast::SettingsDecl& d, Port& out) {
        out.name = d.name.text;
        out.range = d.range;
        auto s = settings(d, {"mac", "ip", "vni", "layers", "credit"}, {}, "port");
        require(s, {"mac", "ip", "vni", "layers"}, d, "port");
        if (auto it = s.find("mac"); it != s.end()) {
            if (auto v = single(it->second[0], "one MAC address")) {
                if (v->hi) valueError(DiagKind::TypeMismatch, *v, "'mac' takes one MAC address, not a range");
                else if (auto m = mac(*v, v->lo, "the port's mac")) out.mac = *m;
            }
        }
        if (auto it = s.find("ip"); it != s.end()) {
            for (const RVal& v : list(it->second[0])) {
                if (auto ip = plainAddress(v, "the port's ip")) out.ips.push_back(*ip);
            }
        }
        if (auto it = s.find("vni"); it != s.end()) {
            if (auto v = single(it->second[0], "one VNI (0..16777215)")) {
                if (v->hi) valueError(DiagKind::TypeMismatch, *v, "'vni' takes one value, not a range");
                else if (auto n = integer(*v, v->lo, fieldMax(Field::Vni), "vni")) out.vni = static_cast<uint32_t>(*n);
            }
        }
        if (auto it = s.find("layers"); it != s.end()) {
            const SettingView& sv = it->second[0];
            if (sv.values.empty()) {
                error(DiagKind::EmptyList, sv.setting->range, "'layers' needs at least one layer");
            }
            std::map<uint32_t, SourceRange> seen;
            for (const ast::Value* v : sv.values) {
                if (!isName(*v, sv, "layer names")) continue;
                if (auto idx = lookup(nameOf(*v), DeclKind::Layer)) {
                    auto [pos, fresh] = seen.emplace(*idx, v->range);
                    if (!fresh) {
                        error(DiagKind::DuplicateProperty, v->range, "layer '" + v->lo.text + "' listed twice");
                        note(pos->second, "first listed here");
                        continue;
                    }
                    out.layers.push_back(*idx);
                }
            }
        }
        if (auto it = s.find("credit"); it != s.end()) {
            const SettingView& sv = it->second[0];
            if (sv.values.size() != 1 || sv.hasComma) {
                error(DiagKind::TypeMismatch, sv.setting->range, "'credit' takes one credit policy name");
            } else if (isName(*sv.values[0], sv, "a credit policy name")) {
                out.credit = lookup(nameOf(*sv.values[0]), DeclKind::Credit);
            }
        }
    }

    // `key value key value ...` arguments (probe, credit resources, member options).
    std::map<std::string, const ast::Value*> pairs(const std::vector<const ast::Value*>& vals, size_t from,
                                                   const std::vector<std::string>& keys, const std::string& what) {
        std::map<std::string, const ast::Value*> out;
        for (size_t i = from; i < vals.size(); i += 2) {
            const ast::Value& k = *vals[i];
            std::string key = k.hi ? "" : k.lo.text;
            if (k.hi || k.lo.kind != ast::AtomKind::Name ||
                std::find(keys.begin(), keys.end(), key) == keys.end()) {
                std::string list;
                for (const std::string& a : keys) list += (list.empty() ? "" : ", ") + a;
                error(DiagKind::MissingProperty, k.range,
                      "unexpected '" + k.lo.text + "' in " + what + "; expected one of: " + list);
                continue;
            }
            if (i + 1 >= vals.size()) {
                error(DiagKind::MissingProperty, k.range, "'" + key + "' in " + what + " needs a value");
                break;
            }
            if (out.count(key)) {
                error(DiagKind::DuplicateProperty, k.range, "'" + key + "' given twice in " + what);
                note(out[key]->range, "first value is here");
                continue;
            }
            out[key] = vals[i + 1];
        }
        return out;
    }

    std::optional<RVal> one(const ast::Value& v, const std::string& what) {
        std::vector<RVal> vals = expandOne(v);
        if (vals.size() != 1) {
            if (!vals.empty()) error(DiagKind::TypeMismatch, v.range, what + " takes one value");
            return std::nullopt;
        }
        if (vals[0].hi) {
            valueError(DiagKind::TypeMismatch, vals[0], what + " takes one value, not a range");
            return std::nullopt;
        }
        return vals[0];
    }

    std::optional<uint32_t> count(const ast::Value& v, const std::string& what, uint32_t min,
                                  uint32_t max = 0xffffffffu) {
        auto r = one(v, what);
        if (!r) return std::nullopt;
        auto n = integer(*r, r->lo, max, what);
        if (!n) return std::nullopt;
        if (*n < min) {
            valueError(DiagKind::OutOfRange, *r, what + " must be at least " + std::to_string(min));
            return std::nullopt;
        }
        return static_cast<uint32_t>(*n);
    }

    void lowerEcmp(const ast::SettingsDecl& d, EcmpGroup& out) {
        out.name = d.name.text;
        out.range = d.range;
        auto s = settings(d, {"member", "hash", "probe"}, {"member"}, "ecmp group");
        std::map<std::string, SourceRange> names;
        for (const SettingView& m : s["member"]) {
            const auto& v = m.values;
            if (v.size() < 2 || m.hasComma || !isName(*v[0], m, "a member name and an address")) {
                if (v.size() < 2 || m.hasComma) {
                    error(DiagKind::BadEcmp, m.setting->range,
                          "'member' takes a name and an address: member NAME ADDR [weight N]");
                }
                continue;
            }
            EcmpMember member;
            member.name = v[0]->lo.text;
            member.range = m.setting->range;
            auto [it, fresh] = names.emplace(member.name, v[0]->range);
            if (!fresh) {
                error(DiagKind::DuplicateName, v[0]->range, "redefinition of member '" + member.name + "'");
                note(it->second, "previous definition is here");
                continue;
            }
            auto addr = one(*v[1], "a member address");
            if (!addr) continue;
            auto ip = plainAddress(*addr, "member '" + member.name + "'");
            if (!ip) continue;
            member.address = *ip;
            auto opts = pairs(v, 2, {"weight"}, "member '" + member.name + "'");
            if (auto w = opts.find("weight"); w != opts.end()) {
                auto n = count(*w->second, "weight", 1);
                if (!n) continue;
                member.weight = *n;
            }
            out.members.push_back(std::move(member));
        }
        // The runtime picks a member by hashing into the sum of the weights: it must fit.
        uint64_t total = 0;
        for (const EcmpMember& m : out.members) total += m.weight;  // <= 2^32 members x 2^32
        if (total > kMaxEcmpTotalWeight) {
            error(DiagKind::BadEcmp, d.name.range,
                  "the member weights of ecmp group '" + d.name.text + "' add up to " +
                      std::to_string(total) + "; at most " + std::to_string(kMaxEcmpTotalWeight));
        }
        if (s["member"].empty()) {
            error(DiagKind::BadEcmp, d.name.range, "ecmp group '" + d.name.text + "' has no members");
        }
        if (auto it = s.find("hash"); it != s.end() && !it->second.empty()) {
            std::map<Field, SourceRange> seen;
            for (const ast::Value* v : it->second[0].values) {
                if (!isName(*v, it->second[0], "match field names")) continue;
                auto f = field(nameOf(*v));
                if (!f) continue;
                auto [pos, fresh] = seen.emplace(*f, v->range);
                if (!fresh) {
                    error(DiagKind::DuplicateProperty, v->range, "hash field '" + v->lo.text + "' listed twice");
                    note(pos->second, "first listed here");
                    continue;
                }
                out.hashFields.push_back(*f);
            }
            if (it->second[0].values.empty()) {
                error(DiagKind::EmptyList, it->second[0].setting->range, "'hash' needs at least one field");
            }
        } else {
            out.hashFields = {Field::SrcIp, Field::DstIp, Field::Proto, Field::SrcPort, Field::DstPort};
        }
        if (auto it = s.find("probe"); it != s.end() && !it->second.empty()) {
            HealthProbe p;
            auto opts = pairs(it->second[0].values, 0, {"interval", "timeout", "down_after", "up_after"}, "probe");
            for (auto& [key, val] : opts) {
                if (key == "interval" || key == "timeout") {
                    auto r = one(*val, key);
                    if (!r) continue;
                    auto ms = durationMs(*r, "probe " + key);
                    if (!ms) continue;
                    if (*ms == 0) {
                        valueError(DiagKind::OutOfRange, *r, "probe " + key + " must be positive");
                        continue;
                    }
                    if (!atMost(*r, *ms, kMaxProbeMs, "probe " + key, "1h")) continue;
                    (key == "interval" ? p.intervalMs : p.timeoutMs) = *ms;
                } else if (auto n = count(*val, key, 1, kMaxProbeCount)) {
                    (key == "down_after" ? p.downAfter : p.upAfter) = *n;
                }
            }
            out.probe = p;
        }
    }

    void lowerMeter(const ast::SettingsDecl& d, Meter& out) {
        out.name = d.name.text;
        out.range = d.range;
        auto s = settings(d, {"rate", "burst"}, {}, "meter");
        require(s, {"rate"}, d, "meter");
        if (auto it = s.find("rate"); it != s.end()) {
            if (auto v = single(it->second[0], "one rate (e.g. 2Gbps or 1Mpps)")) {
                if (auto q = quantity(*v, {QuantityKind::Bps, QuantityKind::Pps}, "the meter rate")) {
                    bool bps = q->kind == QuantityKind::Bps;
                    if (q->amount == 0) {
                        valueError(DiagKind::OutOfRange, *v, "the meter rate must be positive");
                    } else if (atMost(*v, q->amount, bps ? kMaxRateBps : kMaxRatePps,
                                      "the meter rate", bps ? "10Tbps" : "10Gpps")) {
                        (bps ? out.rateBps : out.ratePps) = q->amount;
                    }
                }
            }
        }
        if (auto it = s.find("burst"); it != s.end()) {
            if (auto v = single(it->second[0], "one size (e.g. 1MB)")) {
                auto q = quantity(*v, {QuantityKind::Bytes}, "the meter burst");
                if (q && atMost(*v, q->amount, kMaxBurstBytes, "the meter burst", "1TB")) {
                    out.burstBytes = q->amount;
                }
            }
        }
    }

    void lowerCredit(const ast::SettingsDecl& d, CreditPolicy& out) {
        out.name = d.name.text;
        out.range = d.range;
        auto s = settings(d, {"bandwidth", "cpu"}, {}, "credit policy");
        if (s.empty()) {
            error(DiagKind::MissingProperty, d.name.range,
                  "credit policy '" + d.name.text + "' needs 'bandwidth' or 'cpu'");
        }
        for (auto& [name, views] : s) {
            const SettingView& sv = views[0];
            bool bw = name == "bandwidth";
            std::string what = "'" + name + "' of credit policy '" + d.name.text + "'";
            auto opts = pairs(sv.values, 0, {"base", "max", "host", "cap", "consume"}, what);
            bool ok = true;
            for (const char* req : {"base", "max", "host", "cap"}) {
                if (!opts.count(req)) {
                    error(DiagKind::MissingProperty, sv.setting->name.range,
                          what + " lacks '" + req + "'");
                    ok = false;
                }
            }
            CreditSpec spec;
            spec.range = sv.setting->range;
            auto amount = [&](const char* key, double& slot) {
                auto it = opts.find(key);
                if (it == opts.end()) return;
                auto r = one(*it->second, key);
                if (!r) { ok = false; return; }
                auto q = quantity(*r, {bw ? QuantityKind::Bps : QuantityKind::Percent},
                                  std::string("'") + key + "' of " + name);
                if (!q) { ok = false; return; }
                if (!atMost(*r, q->amount, bw ? kMaxRateBps : kMaxCpuPercent,
                            std::string("'") + key + "' of " + name, bw ? "10Tbps" : "100000%")) {
                    ok = false;
                    return;
                }
                slot = bw ? q->asDouble() : q->asDouble() / 10000.0;
            };
            amount("base", spec.base);
            amount("max", spec.max);
            amount("host", spec.hostTotal);
            if (auto it = opts.find("cap"); it != opts.end()) {
                auto r = one(*it->second, "cap");
                auto ms = r ? durationMs(*r, "the credit cap") : std::nullopt;
                if (ms && atMost(*r, *ms, kMaxCreditCapMs, "the credit cap", "1h")) spec.capMs = *ms;
                else ok = false;
            }
            std::optional<RVal> consumeVal;
            if (auto it = opts.find("consume"); it != opts.end()) {
                consumeVal = one(*it->second, "consume");
                auto q = consumeVal ? quantity(*consumeVal, {QuantityKind::Percent}, "consume") : std::nullopt;
                if (q) spec.consume = q->asDouble() / 10000.0;
                else ok = false;
            }
            if (!ok) continue;
            if (!(spec.base <= spec.max && spec.max <= spec.hostTotal)) {
                error(DiagKind::BadCredit, sv.setting->range,
                      what + ": need base <= max <= host");
                continue;
            }
            if (consumeVal && !(spec.consume > 0 && spec.consume <= 1.0)) {
                valueError(DiagKind::BadCredit, *consumeVal, "consume must be above 0% and at most 100%");
                continue;
            }
            (bw ? out.bandwidth : out.cpu) = spec;
        }
    }

    // ---- routes ----
    void lowerRoutes(const ast::Routes& r, RouteTable& out) {
        out.name = r.name.text;
        out.range = r.range;
        std::map<std::tuple<int, u128, int>, SourceRange> seen;
        for (const ast::RouteEntry& e : r.entries) {
            RouteEntry entry;
            entry.range = e.range;
            auto pv = one(e.prefix, "a route");
            if (!pv) continue;
            auto a = address(*pv, pv->lo, "a route prefix");
            if (!a) continue;
            entry.prefix = a->ip;
            entry.prefixLen = a->prefixLen >= 0 ? a->prefixLen : static_cast<int>(a->ip.width());
            auto key = std::make_tuple(static_cast<int>(a->ip.family), a->ip.value, entry.prefixLen);
            auto [it, fresh] = seen.emplace(key, e.prefix.range);
            if (!fresh) {
                error(DiagKind::DuplicateRoute, e.prefix.range,
                      "prefix " + entry.prefix.str() + "/" + std::to_string(entry.prefixLen) +
                          " is routed twice in table '" + r.name.text + "'");
                note(it->second, "first route for it is here");
                continue;
            }
            bool ok = true;
            switch (e.hop) {
                case ast::HopKind::Port: {
                    entry.kind = NextHopKind::Port;
                    auto idx = lookup(e.target, DeclKind::Port);
                    ok = idx.has_value();
                    entry.port = idx.value_or(0);
                    break;
                }
                case ast::HopKind::Ecmp: {
                    entry.kind = NextHopKind::Ecmp;
                    auto idx = lookup(e.target, DeclKind::Ecmp);
                    ok = idx.has_value();
                    entry.ecmp = idx.value_or(0);
                    break;
                }
                case ast::HopKind::Host:
                case ast::HopKind::Gateway: {
                    entry.kind = e.hop == ast::HopKind::Host ? NextHopKind::Host : NextHopKind::Gateway;
                    ok = false;
                    if (!e.address) break;
                    auto v = one(*e.address, "a next hop");
                    if (!v) break;
                    auto ip = plainAddress(*v, e.hop == ast::HopKind::Host ? "the host" : "the gateway");
                    if (!ip) break;
                    entry.address = *ip;
                    ok = true;
                    break;
                }
                case ast::HopKind::Drop: entry.kind = NextHopKind::Drop; break;
            }
            if (ok) out.routes.push_back(entry);
        }
    }

    // ---- assertions ----
    bool lowerAssert(const ast::Assert& a, Assertion& out) {
        size_t errors = diags_.errorCount();
        out.name = a.name.text;
        out.range = a.range;
        switch (a.kind) {
            case ast::AssertKindAst::Isolated: out.kind = AssertKind::Isolated; break;
            case ast::AssertKindAst::ReachableEvery: out.kind = AssertKind::ReachableEvery; break;
            default: out.kind = AssertKind::ReachableSome; break;
        }
        auto endpoints = [&](const std::vector<ast::Value>& vals, std::vector<MatchValue>& dest) {
            for (const ast::Value& v : vals) {
                if (!v.hi && v.lo.kind == ast::AtomKind::Name) {
                    const Entry* e = findEntry(v.lo.text);
                    if (e != nullptr && e->kind == DeclKind::Port) {
                        const_cast<Entry*>(e)->used = true;
                        for (const IpAddr& ip : policy_->ports[e->index].ips) {
                            MatchValue mv;
                            mv.family = ip.family;
                            mv.lo = mv.hi = ip.value;
                            mv.prefixLen = static_cast<int>(ip.width());
                            mv.range = v.range;
                            dest.push_back(mv);
                        }
                        continue;
                    }
                }
                for (const RVal& r : expandOne(v)) {
                    if (!r.hi && r.lo.kind == ast::AtomKind::Name && findEntry(r.lo.text) == nullptr) {
                        valueError(DiagKind::UnknownName, r,
                                   "unknown name '" + r.lo.text + "'; expected an address, prefix, constant or port");
                        suggest(r.lo.text, DeclKind::Port);
                        continue;
                    }
                    MatchValue mv;
                    if (matchValue(Field::SrcIp, r, mv)) dest.push_back(mv);
                }
            }
        };
        endpoints(a.from, out.from);
        endpoints(a.to, out.to);
        conditions(a.conditions, out.conditions);
        warnDisjointFamilies(a, out);
        return diags_.errorCount() == errors;
    }

    // No packet is both IPv4 and IPv6: endpoints of disjoint families make the assertion
    // vacuous (isolated) or impossible (reachable).
    void warnDisjointFamilies(const ast::Assert& a, const Assertion& out) {
        auto families = [](const std::vector<MatchValue>& values) {
            unsigned mask = 0;
            for (const MatchValue& v : values) mask |= v.family == Family::V4 ? 1u : 2u;
            return mask;
        };
        unsigned from = families(out.from), to = families(out.to);
        if (from == 0 || to == 0 || (from & to) != 0) return;
        suppressedLast_ = false;
        diags_.report(DiagKind::ContradictoryMatch, a.range,
                      "assertion '" + a.name.text + "' relates " +
                          (from == 1 ? "IPv4-only" : "IPv6-only") + " sources to " +
                          (to == 1 ? "IPv4-only" : "IPv6-only") +
                          " destinations; no packet can be both, so it " +
                          (out.kind == AssertKind::Isolated ? "holds vacuously"
                                                            : "can never hold"));
    }

    // ---- warnings ----
    void warnUnused() {
        // A file without ports is a library module (stdlib and the like): its declarations
        // exist to be imported, so unused ones are expected there.
        bool deploysPorts = false;
        for (const Entry& e : entries_) {
            if (e.kind == DeclKind::Port && e.file == in_.rootFile) deploysPorts = true;
        }
        if (!deploysPorts) return;
        for (const Entry& e : entries_) {
            if (e.used || e.file != in_.rootFile || e.kind == DeclKind::Port) continue;
            std::string why;
            switch (e.kind) {
                case DeclKind::Layer: why = " (no port lists it)"; break;
                case DeclKind::Routes: why = " (no rule routes to it)"; break;
                case DeclKind::Ecmp: why = " (no route uses it)"; break;
                case DeclKind::Meter: why = " (no rule meters to it)"; break;
                case DeclKind::Credit: why = " (no port uses it)"; break;
                default: break;
            }
            suppressedLast_ = false;
            diags_.report(DiagKind::UnusedDeclaration, e.nameRange,
                          std::string(kindName(e.kind)) + " '" + e.name + "' is never used" + why);
        }
    }

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

}  // namespace

std::shared_ptr<Policy> resolvePolicy(const ResolveInput& input, DiagnosticEngine& diags) {
    return Resolver(input, diags).run();
}

}  // namespace sluice::lang
