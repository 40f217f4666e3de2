// ANTLR parse tree -> ast::File, with ANTLR's syntax errors turned into E001 diagnostics.
//
// The input is handed to ANTLR with every non-ASCII byte replaced by DEL (0x7f): the runtime
// would throw on invalid UTF-8, and one byte per character keeps ANTLR's indices equal to byte
// offsets, so all locations are computed from byte offsets and token text is cut from the
// original (so a string such as an import path keeps its UTF-8).
#include <algorithm>
#include <cctype>
#include <exception>

// The runtime's headers trip -Wattributes with GCC 12; they are not ours to fix.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#include "SluiceLexer.h"
#include "SluiceParser.h"
#include "antlr4-runtime.h"
#pragma GCC diagnostic pop
#include "parse.h"
#include "sluice/support/spelling.h"
#include "sluice/lang/limits.h"

namespace sluice::lang {

namespace {

using sluice_antlr::SluiceLexer;
using sluice_antlr::SluiceParser;
using P = SluiceParser;

// Byte offsets -> line/column of one file.
class Locator {
public:
    Locator(uint32_t fileId, const std::string& text) : fileId_(fileId), text_(text) {
        starts_.push_back(0);
        for (size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n') starts_.push_back(i + 1);
        }
    }

    SourceLoc at(size_t offset) const {
        offset = std::min(offset, text_.size());
        auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
        size_t line = static_cast<size_t>(it - starts_.begin());
        return {fileId_, static_cast<uint32_t>(line),
                static_cast<uint32_t>(offset - starts_[line - 1] + 1)};
    }

    SourceRange token(const antlr4::Token* t) const {
        if (t == nullptr) return {};
        if (t->getType() == antlr4::Token::EOF) {
            // Just after the last visible character, where clang points for "expected '}'".
            size_t last = text_.size();
            while (last > 0 && std::isspace(static_cast<unsigned char>(text_[last - 1]))) --last;
            if (last == 0) {
                SourceLoc begin = at(0);
                return {begin, begin};
            }
            SourceLoc end = at(last - 1);
            end.col += 1;
            return {end, end};
        }
        size_t start = t->getStartIndex();
        size_t stop = t->getStopIndex();
        if (stop < start) stop = start;
        return {at(start), at(stop)};
    }

    // Just after the token (where a missing ';' belongs).
    SourceRange after(const antlr4::Token* t) const {
        if (t == nullptr || t->getType() == antlr4::Token::EOF) return token(t);
        SourceLoc l = at(t->getStopIndex());
        l.col += 1;
        return {l, l};
    }

    SourceRange span(antlr4::ParserRuleContext* ctx) const {
        if (ctx == nullptr) return {};
        antlr4::Token* start = ctx->getStart();
        antlr4::Token* stop = ctx->getStop();
        SourceRange r = token(start);
        if (stop != nullptr && start != nullptr && stop->getTokenIndex() > start->getTokenIndex() &&
            stop->getType() != antlr4::Token::EOF) {
            r.end = token(stop).end;
        }
        return r;
    }

    std::string text(const antlr4::Token* t) const {
        if (t == nullptr || t->getType() == antlr4::Token::EOF) return {};
        size_t start = t->getStartIndex();
        size_t stop = t->getStopIndex();
        if (stop < start || start >= text_.size()) return {};
        return text_.substr(start, std::min(stop, text_.size() - 1) - start + 1);
    }

    const std::string& source() const { return text_; }

private:
    uint32_t fileId_;
    const std::string& text_;
    std::vector<size_t> starts_;
};

// How a token type reads in "expected ..." messages.
std::string describeTokenType(const antlr4::dfa::Vocabulary& vocab, ssize_t type) {
    switch (type) {
        case -1: return "end of file";  // Token::EOF
        case P::INT: return "a number";
        case P::HEX: return "a hex number";
        case P::IPV4: return "an IPv4 address";
        case P::HEXCOLON: return "an IPv6 or MAC address";
        case P::QUANTITY: return "a quantity";
        case P::ID: return "a name";
        case P::STRING: return "a string";
        default: break;
    }
    std::string lit = vocab.getLiteralName(static_cast<size_t>(type));
    return lit.empty() ? vocab.getSymbolicName(static_cast<size_t>(type)) : lit;
}

// The token type of a literal such as "';'" (looked up, not hard-coded: T__N numbers change
// with the grammar).
size_t literalType(antlr4::Parser* parser, const std::string& literal) {
    const auto& vocab = parser->getVocabulary();
    for (size_t t = 0; t <= vocab.getMaxTokenType(); ++t) {
        if (vocab.getLiteralName(t) == literal) return t;
    }
    return antlr4::Token::INVALID_TYPE;
}

std::string describeExpected(antlr4::Parser* parser, const antlr4::misc::IntervalSet& set) {
    const auto& vocab = parser->getVocabulary();
    std::vector<ssize_t> types = set.toList();
    auto has = [&](ssize_t t) { return std::find(types.begin(), types.end(), t) != types.end(); };
    // Keywords that may also be names (grammar rule softKeyword) are noise next to "a name".
    const auto& atn = parser->getATN();
    const antlr4::misc::IntervalSet& soft =
        atn.nextTokens(atn.ruleToStartState[P::RuleSoftKeyword]);
    // Reserved words are accepted as declared names only to report E107: never suggest them.
    const antlr4::misc::IntervalSet& reserved =
        atn.nextTokens(atn.ruleToStartState[P::RuleReservedWord]);
    bool name = has(P::ID);
    bool value = name && has(P::INT) && has(P::IPV4);
    bool declStart = !name && std::any_of(types.begin(), types.end(), [&](ssize_t t) {
                    return vocab.getLiteralName(static_cast<size_t>(t)) == "'layer'";
                });
    if (declStart) return "a declaration (const, port, layer, routes, ecmp, meter, credit, assert)";
    std::vector<std::string> names;
    if (value) names.push_back("a value");
    for (ssize_t t : types) {
        if (name && (soft.contains(static_cast<size_t>(t)) || reserved.contains(static_cast<size_t>(t))))
            continue;
        if (value && (t == P::INT || t == P::HEX || t == P::IPV4 || t == P::HEXCOLON ||
                      t == P::QUANTITY || t == P::ID)) {
            continue;
        }
        names.push_back(describeTokenType(vocab, t));
    }
    if (names.empty()) return {};
    if (names.size() > 5) return has(literalType(parser, "';'")) ? "';'" : std::string();
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
        out += names[i];
    }
    return out;
}

std::string describeToken(const Locator& loc, const antlr4::Token* t) {
    if (t == nullptr || t->getType() == antlr4::Token::EOF) return "end of file";
    std::string text = loc.text(t);
    if (t->getType() == P::ERROR_CHAR && !text.empty()) {
        unsigned char c = static_cast<unsigned char>(text[0]);
        if (c < 0x20 || c >= 0x7f) {
            static const char* hex = "0123456789abcdef";
            return std::string("character 0x") + hex[c >> 4] + hex[c & 15];
        }
        if (c == '"') return "unterminated string";
        return "character '" + text + "'";
    }
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return "'" + text + "'";
}

// Thrown by the error strategy after kMaxSyntaxErrors: ends the parse of the file at once.
struct StopParsing {};

// Reports every syntax error as E001 (clang-like wording) and keeps ANTLR's recovery, up to
// kMaxSyntaxErrors per file (then E010 and the parse stops).
class FriendlyErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
    FriendlyErrorStrategy(const Locator& loc, DiagnosticEngine& diags)
        : loc_(loc), diags_(diags) {}

protected:
    void reportNoViableAlternative(antlr4::Parser* p,
                                   const antlr4::NoViableAltException& e) override {
        antlr4::Token* t = e.getOffendingToken();
        // When prediction failed some tokens after the decision started, the expected set is
        // that of the decision's start, which would mislead ("const = 5": not a declaration).
        std::string expected = e.getStartToken() == t ? describeExpected(p, p->getExpectedTokens())
                                                      : std::string();
        report(loc_.token(t), unexpected(t, expected));
        hintKeyword(p, t);
    }

    void reportInputMismatch(antlr4::Parser* p, const antlr4::InputMismatchException& e) override {
        antlr4::Token* t = e.getOffendingToken();
        std::string expected = describeExpected(p, e.getExpectedTokens());
        // A statement that runs into the next line without its ';': point where the ';' goes,
        // as clang does, rather than at the next line's first token.
        antlr4::Token* prev = t != nullptr && t->getTokenIndex() > 0
                                  ? p->getTokenStream()->get(t->getTokenIndex() - 1)
                                  : nullptr;
        while (prev != nullptr && prev->getChannel() != antlr4::Token::DEFAULT_CHANNEL &&
               prev->getTokenIndex() > 0) {
            prev = p->getTokenStream()->get(prev->getTokenIndex() - 1);
        }
        if (prev != nullptr && e.getExpectedTokens().contains(literalType(p, "';'")) &&
            t->getType() != P::ERROR_CHAR && t->getLine() > prev->getLine()) {
            report(loc_.after(prev), "expected " + expected);
            return;
        }
        report(loc_.token(t), unexpected(t, expected));
        hintKeyword(p, t);
    }

    void reportFailedPredicate(antlr4::Parser*, const antlr4::FailedPredicateException& e) override {
        report(loc_.token(e.getOffendingToken()), "syntax error");
    }

    void reportUnwantedToken(antlr4::Parser* p) override {
        if (inErrorRecoveryMode(p)) return;
        beginErrorCondition(p);
        antlr4::Token* t = p->getCurrentToken();
        std::string expected = describeExpected(p, getExpectedTokens(p));
        report(loc_.token(t), unexpected(t, expected));
    }

    void reportMissingToken(antlr4::Parser* p) override {
        if (inErrorRecoveryMode(p)) return;
        beginErrorCondition(p);
        std::string expected = describeExpected(p, getExpectedTokens(p));
        if (expected.empty()) expected = "more input";
        // clang places a missing ';' just after the previous token.
        antlr4::Token* prev = p->getTokenStream()->LT(-1);
        SourceRange r = prev != nullptr ? loc_.after(prev) : loc_.token(p->getCurrentToken());
        report(r, "expected " + expected);
    }

private:
    // `acton allow`: the name before the offending token is a misspelt keyword (it parsed as a
    // match field, so the error is at the next token). Note the keyword it is closest to.
    void hintKeyword(antlr4::Parser* p, antlr4::Token* t) {
        if (t == nullptr || t->getTokenIndex() == 0) return;
        antlr4::Token* prev = p->getTokenStream()->get(t->getTokenIndex() - 1);
        while (prev->getChannel() != antlr4::Token::DEFAULT_CHANNEL && prev->getTokenIndex() > 0)
            prev = p->getTokenStream()->get(prev->getTokenIndex() - 1);
        if (prev->getType() != P::ID) return;
        if (keywords_.empty()) {
            const auto& vocab = p->getVocabulary();
            for (size_t k = 0; k <= vocab.getMaxTokenType(); ++k) {
                std::string lit = vocab.getLiteralName(k);
                if (lit.size() > 3 && std::isalpha(static_cast<unsigned char>(lit[1])))
                    keywords_.push_back(lit.substr(1, lit.size() - 2));
            }
        }
        std::string best = closest(loc_.text(prev), keywords_);
        if (!best.empty()) diags_.note(loc_.token(prev), "did you mean '" + best + "'?");
    }

    std::string unexpected(antlr4::Token* t, const std::string& expected) {
        std::string msg = "unexpected " + describeToken(loc_, t);
        // After a stray character ANTLR's expected set is that of some outer rule: misleading.
        bool stray = t != nullptr && t->getType() == P::ERROR_CHAR;
        if (!expected.empty() && !stray) msg += "; expected " + expected;
        return msg;
    }

    void report(SourceRange r, std::string msg) {
        if (reported_ == kMaxSyntaxErrors) {
            diags_.report(DiagKind::TooManyErrors, r,
                          "too many syntax errors in this file (" +
                              std::to_string(kMaxSyntaxErrors) + "); stopped parsing it");
            throw StopParsing();
        }
        ++reported_;
        diags_.report(DiagKind::SyntaxError, r, std::move(msg));
    }

    const Locator& loc_;
    DiagnosticEngine& diags_;
    size_t reported_ = 0;
    std::vector<std::string> keywords_;  // the grammar's keywords, for hintKeyword
};

// Lexer errors cannot normally happen (ERROR_CHAR takes any character), but keep a listener
// so nothing is printed to the console and nothing is lost.
class LexerErrorListener : public antlr4::BaseErrorListener {
public:
    LexerErrorListener(uint32_t fileId, DiagnosticEngine& diags) : fileId_(fileId), diags_(diags) {}
    void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t line, size_t col,
                     const std::string& msg, std::exception_ptr) override {
        SourceLoc l{fileId_, static_cast<uint32_t>(line), static_cast<uint32_t>(col + 1)};
        diags_.report(DiagKind::SyntaxError, {l, l}, msg);
    }

private:
    uint32_t fileId_;
    DiagnosticEngine& diags_;
};

// The lexer, counting the tokens it hands out against the run's budget; past it, E013 and the
// parse stops (before the tokens and the tree grow further).
class BoundedLexer : public SluiceLexer {
public:
    BoundedLexer(antlr4::CharStream* input, const Locator& loc, DiagnosticEngine& diags,
                 TokenBudget& budget)
        : SluiceLexer(input), loc_(loc), diags_(diags), budget_(budget) {}

    std::unique_ptr<antlr4::Token> nextToken() override {
        std::unique_ptr<antlr4::Token> t = SluiceLexer::nextToken();
        if (t->getType() == antlr4::Token::EOF) return t;
        if (budget_.left == 0) {
            diags_.report(DiagKind::TooManyTokens, loc_.token(t.get()),
                          "the policy has more than " + std::to_string(kMaxTokens) +
                              " tokens; stopped parsing");
            throw StopParsing();
        }
        --budget_.left;
        return t;
    }

private:
    const Locator& loc_;
    DiagnosticEngine& diags_;
    TokenBudget& budget_;
};

// Parser errors all come through FriendlyErrorStrategy; drop ANTLR's console output.
class SilentListener : public antlr4::BaseErrorListener {};

// Builds the AST from the parse tree. Every accessor may return null after error recovery.
class TreeBuilder {
public:
    TreeBuilder(const Locator& loc, DiagnosticEngine& diags) : loc_(loc), diags_(diags) {}

    // E107 reports: errors that still let the semantic checks run.
    size_t reservedNames() const { return reservedNames_; }

    void file(P::PolicyFileContext* ctx, ast::File& out) {
        if (ctx == nullptr) return;
        if (auto* m = ctx->moduleDecl(); m != nullptr && m->qualifiedName() != nullptr) {
            out.module = qualified(m->qualifiedName());
            out.moduleRange = loc_.span(m);
        }
        for (auto* i : ctx->importDecl()) {
            ast::Import imp;
            imp.range = loc_.span(i);
            if (i->STRING() != nullptr) {
                imp.isPath = true;
                std::string s = loc_.text(i->STRING()->getSymbol());
                imp.text = unquote(s);
                imp.targetRange = loc_.token(i->STRING()->getSymbol());
            } else if (i->qualifiedName() != nullptr) {
                ast::Ident q = qualified(i->qualifiedName());
                imp.text = q.text;
                imp.targetRange = q.range;
            } else {
                continue;
            }
            out.imports.push_back(std::move(imp));
        }
        for (auto* d : ctx->decl()) decl(d, out.decls);
    }

private:
    static std::string unquote(const std::string& s) {
        std::string out;
        for (size_t i = 1; i + 1 < s.size(); ++i) {
            if (s[i] == '\\' && i + 2 < s.size()) ++i;
            out += s[i];
        }
        return out;
    }

    ast::Ident ident(P::IdentContext* ctx) {
        ast::Ident id;
        if (ctx == nullptr) return id;
        id.text = loc_.text(ctx->getStart());
        id.range = loc_.span(ctx);
        return id;
    }

    // A declared name; a reserved word is E107 and then used as the name, so that resolving
    // and type-checking still report everything else in the file.
    ast::Ident declName(P::DeclNameContext* ctx) {
        if (ctx == nullptr) return {};
        if (ctx->ident() != nullptr) return ident(ctx->ident());
        if (ctx->reservedWord() == nullptr || ctx->exception != nullptr) return {};  // recovered
        ast::Ident id;
        id.text = loc_.text(ctx->getStart());
        id.range = loc_.span(ctx);
        diags_.report(DiagKind::ReservedName, id.range,
                      "'" + id.text + "' is a reserved word and cannot name a declaration; "
                      "rename it (e.g. '" + id.text + "_')");
        ++reservedNames_;
        return id;
    }

    ast::Ident qualified(P::QualifiedNameContext* ctx) {
        ast::Ident id;
        id.range = loc_.span(ctx);
        for (auto* part : ctx->ident()) {
            if (!id.text.empty()) id.text += ".";
            id.text += loc_.text(part->getStart());
        }
        return id;
    }

    ast::Atom atom(P::AtomContext* ctx) {
        ast::Atom a;
        if (ctx == nullptr) return a;
        a.text = loc_.text(ctx->getStart());
        a.range = loc_.span(ctx);
        if (ctx->INT()) a.kind = ast::AtomKind::Int;
        else if (ctx->HEX()) a.kind = ast::AtomKind::Hex;
        else if (ctx->IPV4()) a.kind = ast::AtomKind::Ipv4;
        else if (ctx->HEXCOLON()) a.kind = ast::AtomKind::HexColon;
        else if (ctx->QUANTITY()) a.kind = ast::AtomKind::Quantity;
        else a.kind = ast::AtomKind::Name;
        return a;
    }

    ast::Value value(P::ValueContext* ctx) {
        ast::Value v;
        if (ctx == nullptr) return v;
        auto atoms = ctx->atom();
        if (!atoms.empty()) v.lo = atom(atoms[0]);
        if (atoms.size() > 1) v.hi = atom(atoms[1]);
        v.range = loc_.span(ctx);
        return v;
    }

    std::vector<ast::Value> values(P::ValueListContext* ctx) {
        std::vector<ast::Value> out;
        if (ctx == nullptr) return out;
        for (auto* v : ctx->value()) out.push_back(value(v));
        return out;
    }

    std::vector<ast::Condition> conditions(P::ConditionsContext* ctx) {
        std::vector<ast::Condition> out;
        if (ctx == nullptr) return out;
        for (auto* c : ctx->condition()) {
            ast::Condition cond;
            cond.field = ident(c->ident());
            cond.values = values(c->valueList());
            cond.range = loc_.span(c);
            out.push_back(std::move(cond));
        }
        return out;
    }

    ast::Atom intAtom(antlr4::tree::TerminalNode* node) {
        ast::Atom a;
        if (node == nullptr) return a;
        a.kind = ast::AtomKind::Int;
        a.text = loc_.text(node->getSymbol());
        a.range = loc_.token(node->getSymbol());
        return a;
    }

    static bool isAllow(P::VerdictContext* v) {
        return v != nullptr && v->getStart() != nullptr && v->getStart()->getText() == "allow";
    }

    static ast::Dir dir(P::DirectionContext* d) {
        if (d == nullptr || d->getStart() == nullptr) return ast::Dir::Both;
        return d->getStart()->getText() == "in" ? ast::Dir::In : ast::Dir::Out;
    }

    SourceRange endOf(antlr4::ParserRuleContext* ctx) {
        return ctx != nullptr && ctx->getStop() != nullptr ? loc_.token(ctx->getStop())
                                                           : SourceRange{};
    }

    void decl(P::DeclContext* ctx, std::vector<ast::Decl>& out) {
        if (ctx == nullptr) return;
        if (auto* c = ctx->constDecl()) {
            ast::Const k;
            k.name = declName(c->declName());
            k.values = values(c->valueList());
            k.range = loc_.span(c);
            out.emplace_back(std::move(k));
        } else if (auto* p = ctx->portDecl()) {
            ast::SettingsDecl s;
            s.kind = ast::BlockKind::Port;
            s.name = declName(p->declName());
            settings(p->settingsBlock(), s);
            s.range = loc_.span(p);
            s.endRange = endOf(p);
            out.emplace_back(std::move(s));
        } else if (auto* sd = ctx->settingsDecl()) {
            ast::SettingsDecl s;
            std::string kind = sd->kind != nullptr ? sd->kind->getText() : "";
            s.kind = kind == "ecmp"     ? ast::BlockKind::Ecmp
                     : kind == "credit" ? ast::BlockKind::Credit
                                        : ast::BlockKind::Meter;
            s.name = declName(sd->declName());
            settings(sd->settingsBlock(), s);
            s.range = loc_.span(sd);
            s.endRange = endOf(sd);
            out.emplace_back(std::move(s));
        } else if (auto* l = ctx->layerDecl()) {
            out.emplace_back(layer(l));
        } else if (auto* r = ctx->routesDecl()) {
            ast::Routes rt;
            rt.name = declName(r->declName());
            for (auto* e : r->routeEntry()) rt.entries.push_back(routeEntry(e));
            rt.range = loc_.span(r);
            rt.endRange = endOf(r);
            out.emplace_back(std::move(rt));
        } else if (auto* a = ctx->assertDecl()) {
            out.emplace_back(assertion(a));
        }
    }

    void settings(P::SettingsBlockContext* ctx, ast::SettingsDecl& out) {
        if (ctx == nullptr) return;
        for (auto* s : ctx->setting()) {
            ast::Setting st;
            st.name = ident(s->ident());
            for (auto* a : s->settingArg()) {
                ast::SettingArg arg;
                if (a->value() != nullptr) {
                    arg.value = value(a->value());
                } else {
                    arg.comma = true;
                }
                st.args.push_back(std::move(arg));
            }
            st.range = loc_.span(s);
            out.settings.push_back(std::move(st));
        }
    }

    ast::Layer layer(P::LayerDeclContext* ctx) {
        ast::Layer l;
        l.name = declName(ctx->declName());
        l.range = loc_.span(ctx);
        l.endRange = endOf(ctx);
        for (auto* item : ctx->layerItem()) {
            if (auto* d = dynamic_cast<P::LayerDefaultContext*>(item)) {
                ast::LayerDefault def;
                def.dir = dir(d->direction());
                def.allow = isAllow(d->verdict());
                def.range = loc_.span(d);
                l.items.emplace_back(def);
            } else if (auto* a = dynamic_cast<P::LayerAuditContext*>(item)) {
                l.items.emplace_back(ast::LayerAudit{loc_.span(a)});
            } else if (auto* d = dynamic_cast<P::LayerDirectionContext*>(item)) {
                ast::LayerDirection ld;
                ld.dir = dir(d->direction());
                if (ld.dir == ast::Dir::Both) ld.dir = ast::Dir::In;
                for (auto* g : d->groupDecl()) ld.groups.push_back(group(g));
                ld.range = loc_.span(d);
                ld.endRange = endOf(d);
                l.items.emplace_back(std::move(ld));
            }
        }
        return l;
    }

    ast::Group group(P::GroupDeclContext* ctx) {
        ast::Group g;
        g.name = declName(ctx->declName());
        if (ctx->ident() != nullptr) g.lpmField = ident(ctx->ident());
        g.priority = intAtom(ctx->INT());
        g.conditions = conditions(ctx->conditions());
        for (auto* r : ctx->ruleDecl()) g.rules.push_back(rule(r));
        g.range = loc_.span(ctx);
        g.endRange = endOf(ctx);
        return g;
    }

    ast::Rule rule(P::RuleDeclContext* ctx) {
        ast::Rule r;
        r.name = declName(ctx->declName());
        r.priority = intAtom(ctx->INT());
        r.conditions = conditions(ctx->conditions());
        if (auto* al = ctx->actionList()) {
            for (auto* a : al->actionItem()) r.actions.push_back(action(a));
        }
        for (auto* f : ctx->ruleFlag()) {
            ast::Rule::Flag flag;
            flag.range = loc_.span(f);
            if (dynamic_cast<P::FlagLogContext*>(f) != nullptr) flag.kind = ast::Rule::FlagKind::Log;
            if (auto* s = dynamic_cast<P::FlagStatefulContext*>(f)) {
                flag.kind = ast::Rule::FlagKind::Stateful;
                if (s->value() != nullptr) flag.idle = value(s->value());
            }
            r.flags.push_back(std::move(flag));
        }
        r.range = loc_.span(ctx);
        return r;
    }

    ast::ActionItem action(P::ActionItemContext* ctx) {
        ast::ActionItem a;
        a.range = loc_.span(ctx);
        if (auto* v = dynamic_cast<P::ActVerdictContext*>(ctx)) {
            a.kind = isAllow(v->verdict()) ? ast::ActionKind::Allow : ast::ActionKind::Deny;
        } else if (auto* s = dynamic_cast<P::ActSetContext*>(ctx)) {
            a.kind = ast::ActionKind::Set;
            a.name = ident(s->ident());
            a.value = value(s->value());
        } else if (auto* e = dynamic_cast<P::ActEncapContext*>(ctx)) {
            a.kind = ast::ActionKind::Encap;
            a.name = ident(e->ident());
            for (auto* arg : e->actionArg()) {
                a.args.push_back({ident(arg->ident()), value(arg->value())});
            }
        } else if (auto* d = dynamic_cast<P::ActDecapContext*>(ctx)) {
            a.kind = ast::ActionKind::Decap;
            a.name = ident(d->ident());
        } else if (auto* r = dynamic_cast<P::ActRouteContext*>(ctx)) {
            a.kind = ast::ActionKind::Route;
            a.name = ident(r->ident());
        } else if (auto* m = dynamic_cast<P::ActMeterContext*>(ctx)) {
            a.kind = ast::ActionKind::Meter;
            a.name = ident(m->ident());
        }
        return a;
    }

    ast::RouteEntry routeEntry(P::RouteEntryContext* ctx) {
        ast::RouteEntry e;
        e.prefix = value(ctx->value());
        e.range = loc_.span(ctx);
        auto* hop = ctx->nextHop();
        if (auto* h = dynamic_cast<P::HopPortContext*>(hop)) {
            e.hop = ast::HopKind::Port;
            e.target = ident(h->ident());
        } else if (auto* h = dynamic_cast<P::HopHostContext*>(hop)) {
            e.hop = ast::HopKind::Host;
            e.address = value(h->value());
        } else if (auto* h = dynamic_cast<P::HopGatewayContext*>(hop)) {
            e.hop = ast::HopKind::Gateway;
            e.address = value(h->value());
        } else if (auto* h = dynamic_cast<P::HopEcmpContext*>(hop)) {
            e.hop = ast::HopKind::Ecmp;
            e.target = ident(h->ident());
        } else {
            e.hop = ast::HopKind::Drop;
        }
        return e;
    }

    ast::Assert assertion(P::AssertDeclContext* ctx) {
        ast::Assert a;
        a.name = declName(ctx->declName());
        a.range = loc_.span(ctx);
        if (auto* k = ctx->assertKind()) {
            std::string text = k->getText();  // "isolated", "reachable", "reachablesome", ...
            if (text == "isolated") a.kind = ast::AssertKindAst::Isolated;
            else if (text == "reachablesome") a.kind = ast::AssertKindAst::ReachableSome;
            else if (text == "reachableevery") a.kind = ast::AssertKindAst::ReachableEvery;
            else a.kind = ast::AssertKindAst::Reachable;
        }
        auto lists = ctx->valueList();
        if (!lists.empty()) a.from = values(lists[0]);
        if (lists.size() > 1) a.to = values(lists[1]);
        if (ctx->conditions() != nullptr) {
            a.hasMatch = true;
            a.conditions = conditions(ctx->conditions());
        }
        return a;
    }

    const Locator& loc_;
    DiagnosticEngine& diags_;
    size_t reservedNames_ = 0;
};

void collectComments(antlr4::CommonTokenStream& tokens, const Locator& loc, ast::File& out) {
    const std::string& src = loc.source();
    for (antlr4::Token* t : tokens.getTokens()) {
        if (t->getType() != P::LINE_COMMENT && t->getType() != P::BLOCK_COMMENT) continue;
        ast::Comment c;
        c.text = loc.text(t);
        while (!c.text.empty() && (c.text.back() == '\r' || c.text.back() == ' ' ||
                                   c.text.back() == '\t')) {
            c.text.pop_back();
        }
        c.range = loc.token(t);
        size_t i = t->getStartIndex();
        c.ownLine = true;
        while (i > 0 && src[i - 1] != '\n') {
            if (src[i - 1] != ' ' && src[i - 1] != '\t' && src[i - 1] != '\r') {
                c.ownLine = false;
                break;
            }
            --i;
        }
        out.comments.push_back(std::move(c));
    }
}

}  // namespace

bool parseFile(uint32_t fileId, const std::string& text, DiagnosticEngine& diags, ast::File& out,
               TokenBudget& budget) {
    size_t errorsBefore = diags.errorCount();
    out.fileId = fileId;
    std::string ascii = text;
    for (char& c : ascii) {
        if (static_cast<unsigned char>(c) >= 0x80) c = 0x7f;
    }
    Locator loc(fileId, text);
    size_t reservedNames = 0;
    try {
        antlr4::ANTLRInputStream input(ascii);
        BoundedLexer lexer(&input, loc, diags, budget);
        LexerErrorListener lexerListener(fileId, diags);
        lexer.removeErrorListeners();
        lexer.addErrorListener(&lexerListener);
        antlr4::CommonTokenStream tokens(&lexer);
        SluiceParser parser(&tokens);
        SilentListener silent;
        parser.removeErrorListeners();
        parser.addErrorListener(&silent);
        parser.setErrorHandler(std::make_shared<FriendlyErrorStrategy>(loc, diags));
        P::PolicyFileContext* tree = parser.policyFile();
        tokens.fill();
        TreeBuilder builder(loc, diags);
        builder.file(tree, out);
        reservedNames = builder.reservedNames();
        collectComments(tokens, loc, out);
    } catch (const StopParsing&) {
        // E010 is reported; the partial tree is discarded with the failed parse.
    } catch (const std::exception& e) {
        // The runtime should not throw here; if it does, the input is still rejected cleanly.
        diags.report(DiagKind::SyntaxError, SourceRange{{fileId, 1, 1}, {fileId, 1, 1}},
                     std::string("cannot parse this file: ") + e.what());
    } catch (...) {
        diags.report(DiagKind::SyntaxError, SourceRange{{fileId, 1, 1}, {fileId, 1, 1}},
                     "cannot parse this file");
    }
    // A reserved word as a name is an error that keeps the tree whole: the caller still runs
    // the semantic checks (and the policy is rejected for the E107).
    return diags.errorCount() == errorsBefore + reservedNames;
}

}  // namespace sluice::lang
