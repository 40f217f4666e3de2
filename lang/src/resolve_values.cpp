// Resolver (resolver.h): constants (expansion, cycles, budgets) and literal values.
#include "resolver.h"

namespace sluice::lang::resolver {

std::vector<Resolver::ConstRef> Resolver::constRefs(const ast::Const& c) {
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

void Resolver::expandConstants() {
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

void Resolver::reportConstCycle(uint32_t idx, SourceRange useSite) {
    if (!cycleReported_.insert(idx).second) return;
    const ast::Const& c = *consts_[idx];
    error(DiagKind::ConstantCycle, useSite,
          "constant '" + c.name.text + "' is defined in terms of itself");
    note(c.name.range, "'" + c.name.text + "' is declared here");
}

void Resolver::materializeConst(uint32_t idx) {
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

bool Resolver::spendExpansion(size_t n, SourceRange at) {
    if (n <= kMaxExpandedValues - expandedValues_) {
        expandedValues_ += n;
        return true;
    }
    if (!budgetReported_) {
        budgetReported_ = true;
        error(DiagKind::ExpansionTooLarge, at,
              "constants of this policy expand to more than " + std::to_string(kMaxExpandedValues) +
                  " values in total");
    }
    return false;
}

const std::vector<RVal>& Resolver::constValues(uint32_t idx) const {
    static const std::vector<RVal> kNone;
    return constState_[idx] == 2 ? constValues_[idx] : kNone;
}

std::optional<uint32_t> Resolver::constIndexQuiet(const std::string& name) const {
    const Entry* e = findEntry(name);
    if (e == nullptr || e->kind != DeclKind::Const) return std::nullopt;
    return e->index;
}

std::optional<uint32_t> Resolver::constIndex(const std::string& name) {
    const Entry* e = findEntry(name);
    if (e == nullptr || e->kind != DeclKind::Const) return std::nullopt;
    const_cast<Entry*>(e)->used = true;
    return e->index;
}

ast::Atom Resolver::bound(const ast::Atom& a, bool& ok) {
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

std::vector<RVal> Resolver::expandOne(const ast::Value& v) {
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

std::vector<RVal> Resolver::expand(const std::vector<ast::Value>& values) {
    std::vector<RVal> out;
    size_t count = 0;
    for (const ast::Value& v : values) {
        auto idx =
            !v.hi && v.lo.kind == ast::AtomKind::Name ? constIndexQuiet(v.lo.text) : std::nullopt;
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

std::string Resolver::describe(const ast::Atom& a) {
    switch (a.kind) {
        case ast::AtomKind::Int:
        case ast::AtomKind::Hex:
            return "the integer " + a.text;
        case ast::AtomKind::Ipv4:
            return (a.text.find('/') != std::string::npos ? "the IPv4 prefix "
                                                          : "the IPv4 address ") +
                   a.text;
        case ast::AtomKind::HexColon:
            if (parseMac(a.text)) return "the MAC address " + a.text;
            return (a.text.find('/') != std::string::npos ? "the IPv6 prefix "
                                                          : "the IPv6 address ") +
                   a.text;
        case ast::AtomKind::Quantity: {
            Quantity q;
            std::string err;
            if (parseQuantity(a.text, q, err))
                return std::string(quantityKindName(q.kind)) + " " + a.text;
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

void Resolver::badName(const RVal& v, const ast::Atom& a, const std::string& wanted) {
    const Entry* e = findEntry(a.text);
    if (e != nullptr) {
        valueError(DiagKind::WrongKindOfName, v,
                   "'" + a.text + "' is " + article(e->kind) + " " + kindName(e->kind) + ", not " +
                       wanted);
        note(e->nameRange, "'" + a.text + "' is declared here");
        return;
    }
    valueError(DiagKind::UnknownName, v, "unknown name '" + a.text + "'; expected " + wanted);
    suggest(a.text, DeclKind::Const);
    hintImport(a.text, v.at);
}

std::optional<u128> Resolver::integer(const RVal& v, const ast::Atom& a, u128 max,
                                      const std::string& what) {
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
        unsigned d = c >= '0' && c <= '9'   ? static_cast<unsigned>(c - '0')
                     : c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10)
                                            : static_cast<unsigned>(c - 'A' + 10);
        u128 base = hex ? 16 : 10;
        if (value > (~static_cast<u128>(0) - d) / base) overflow = true;
        value = value * base + d;
    }
    if (overflow || value > max) {
        valueError(
            DiagKind::OutOfRange, v,
            "value " + a.text + " is out of range for " + what + " (0.." + u128ToString(max) + ")");
        return std::nullopt;
    }
    return value;
}

std::optional<Addr> Resolver::address(const RVal& v, const ast::Atom& a, const std::string& what) {
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
                       "prefix " + a.text + " has host bits set; did you mean " + net.str() + "/" +
                           std::to_string(len) + "?");
            return std::nullopt;
        }
    }
    return out;
}

std::optional<IpAddr> Resolver::plainAddress(const RVal& v, const std::string& what) {
    if (v.hi) {
        valueError(DiagKind::TypeMismatch, v,
                   "expected a single address for " + what + ", found a range");
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

std::optional<uint64_t> Resolver::mac(const RVal& v, const ast::Atom& a, const std::string& what) {
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

std::optional<Quantity> Resolver::quantity(const RVal& v, std::initializer_list<QuantityKind> kinds,
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

std::optional<uint64_t> Resolver::durationMs(const RVal& v, const std::string& what) {
    auto q = quantity(v, {QuantityKind::Duration}, what);
    if (!q) return std::nullopt;
    if (!q->whole || q->amount % 1000 != 0) {
        valueError(
            DiagKind::OutOfRange, v,
            "duration " + v.lo.text + " for " + what + " is not a whole number of milliseconds");
        return std::nullopt;
    }
    return q->amount / 1000;
}

bool Resolver::atMost(const RVal& v, uint64_t n, uint64_t max, const std::string& what,
                      const std::string& limit) {
    if (n <= max) return true;
    valueError(DiagKind::OutOfRange, v, what + " must be at most " + limit);
    return false;
}

}  // namespace sluice::lang::resolver
