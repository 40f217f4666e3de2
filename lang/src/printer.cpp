// The canonical printer. Layout: 4-space indent, one declaration item (setting, rule, route,
// default) per line, single spaces, `, ` between list items, one blank line between top-level
// declarations (consecutive one-line `const`s and `assert`s stay together), no blank lines
// inside blocks. Names, literals and declaration order stay as written.
//
// Comments: a comment on a line of its own is printed on its own line before the item that
// follows it, at that item's indentation (or before the closing brace / end of file). A comment
// that follows a one-line item (rule, setting, route, default, const, import, assert) on the
// same line stays at the end of that line. Any other comment (after a `{`, or inside an item)
// moves to its own line before the next item. So fmt(fmt(x)) == fmt(x).
#include "printer.h"

namespace sluice::lang {

namespace {

bool before(SourceLoc a, SourceLoc b) {
    return a.line != b.line ? a.line < b.line : a.col < b.col;
}

std::string value(const ast::Value& v) {
    std::string s = v.lo.text;
    if (v.hi) s += ".." + v.hi->text;
    return s;
}

std::string values(const std::vector<ast::Value>& vs) {
    std::string s;
    for (size_t i = 0; i < vs.size(); ++i) s += (i ? ", " : "") + value(vs[i]);
    return s;
}

std::string conditions(const std::vector<ast::Condition>& cs) {
    std::string s;
    for (size_t i = 0; i < cs.size(); ++i) {
        s += (i ? " " : "") + cs[i].field.text + " " + values(cs[i].values);
    }
    return s;
}

std::string action(const ast::ActionItem& a) {
    switch (a.kind) {
        case ast::ActionKind::Allow: return "allow";
        case ast::ActionKind::Deny: return "deny";
        case ast::ActionKind::Set: return "set " + a.name.text + " " + (a.value ? value(*a.value) : "");
        case ast::ActionKind::Encap: {
            std::string s = "encap " + a.name.text;
            for (const ast::ActionArg& arg : a.args) s += " " + arg.key.text + " " + value(arg.value);
            return s;
        }
        case ast::ActionKind::Decap: return "decap " + a.name.text;
        case ast::ActionKind::Route: return "route " + a.name.text;
        case ast::ActionKind::Meter: return "meter " + a.name.text;
    }
    return "";
}

std::string rule(const ast::Rule& r) {
    std::string s = "rule " + r.name.text + " priority " + r.priority.text;
    if (!r.conditions.empty()) s += " match " + conditions(r.conditions);
    s += " action ";
    for (size_t i = 0; i < r.actions.size(); ++i) s += (i ? ", " : "") + action(r.actions[i]);
    for (const ast::Rule::Flag& f : r.flags) {
        switch (f.kind) {
            case ast::Rule::FlagKind::Terminating: s += " terminating"; break;
            case ast::Rule::FlagKind::Log: s += " log"; break;
            case ast::Rule::FlagKind::Stateful:
                s += " stateful";
                if (f.idle) s += " idle " + value(*f.idle);
                break;
        }
    }
    return s + ";";
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        // The lexer reads backslash + any character as that character.
        if (c == '"' || c == '\\' || c == '\n' || c == '\r') out += '\\';
        out += c;
    }
    return out + "\"";
}

const char* dirName(ast::Dir d) { return d == ast::Dir::In ? "in" : "out"; }

class Printer {
public:
    explicit Printer(const ast::File& f) : f_(f) {}

    std::string run() {
        if (f_.module) {
            commentsBefore(f_.moduleRange.begin, 0);
            leaf(0, "module " + f_.module->text + ";", f_.moduleRange);
        }
        if (!f_.imports.empty() && f_.module) blank();
        for (const ast::Import& i : f_.imports) {
            commentsBefore(i.range.begin, 0);
            leaf(0, "import " + (i.isPath ? quote(i.text) : i.text) + ";", i.range);
        }
        const ast::Decl* prev = nullptr;
        for (const ast::Decl& d : f_.decls) {
            bool together = prev != nullptr && prev->index() == d.index() &&
                            (std::holds_alternative<ast::Const>(d) ||
                             std::holds_alternative<ast::Assert>(d));
            trailingBefore(ast::declRange(d).begin);
            if ((prev != nullptr && !together) ||
                (prev == nullptr && (f_.module || !f_.imports.empty()))) {
                blank();
            }
            commentsBefore(ast::declRange(d).begin, 0);
            std::visit([&](const auto& x) { print(x); }, d);
            prev = &d;
        }
        commentsBefore(SourceLoc{0, UINT32_MAX, UINT32_MAX}, 0);
        return out_;
    }

private:
    void blank() {
        if (!out_.empty() && out_.size() >= 2 && out_.substr(out_.size() - 2) != "\n\n") out_ += '\n';
        lastLeafLine_ = 0;
    }

    void line(int indent, const std::string& text) {
        out_.append(static_cast<size_t>(indent) * 4, ' ');
        out_ += text;
        out_ += '\n';
        lastLeafLine_ = 0;
    }

    // A one-line item: a comment on its last source line may stay at its end.
    void leaf(int indent, const std::string& text, SourceRange r) {
        line(indent, text);
        lastLeafLine_ = r.end.line;
        lastLeafEnd_ = r.end;
    }

    void commentsBefore(SourceLoc loc, int indent) {
        while (next_ < f_.comments.size() && before(f_.comments[next_].range.begin, loc)) {
            const ast::Comment& c = f_.comments[next_++];
            if (!c.ownLine && lastLeafLine_ != 0 && c.range.begin.line == lastLeafLine_ &&
                before(lastLeafEnd_, c.range.begin) && !out_.empty()) {
                out_.pop_back();
                out_ += "  " + c.text + "\n";
                lastLeafLine_ = c.range.end.line == c.range.begin.line ? lastLeafLine_ : 0;
                continue;
            }
            line(indent, c.text);
        }
    }

    // Comments that end the last one-line item's line, up to `next` (so they are not pushed
    // past a blank line).
    void trailingBefore(SourceLoc next) {
        while (next_ < f_.comments.size() && lastLeafLine_ != 0) {
            const ast::Comment& c = f_.comments[next_];
            if (c.ownLine || c.range.begin.line != lastLeafLine_ || !before(c.range.begin, next) ||
                !before(lastLeafEnd_, c.range.begin)) {
                return;
            }
            ++next_;
            out_.pop_back();
            out_ += "  " + c.text + "\n";
            if (c.range.end.line != c.range.begin.line) lastLeafLine_ = 0;
        }
    }

    void close(int indent, SourceRange end) {
        commentsBefore(end.valid() ? end.begin : SourceLoc{0, UINT32_MAX, UINT32_MAX},
                       indent + 1);
        line(indent, "}");
    }

    void print(const ast::Const& c) {
        leaf(0, "const " + c.name.text + " = " + values(c.values) + ";", c.range);
    }

    void print(const ast::SettingsDecl& d) {
        const char* kind = d.kind == ast::BlockKind::Port     ? "port"
                           : d.kind == ast::BlockKind::Ecmp   ? "ecmp"
                           : d.kind == ast::BlockKind::Credit ? "credit"
                                                              : "meter";
        line(0, std::string(kind) + " " + d.name.text + " {");
        for (const ast::Setting& s : d.settings) {
            commentsBefore(s.range.begin, 1);
            std::string text = s.name.text;
            for (const ast::SettingArg& a : s.args) text += a.comma ? "," : " " + value(a.value);
            leaf(1, text + ";", s.range);
        }
        close(0, d.endRange);
    }

    void print(const ast::Layer& l) {
        line(0, "layer " + l.name.text + " {");
        for (const ast::LayerItem& item : l.items) {
            if (auto* d = std::get_if<ast::LayerDefault>(&item)) {
                commentsBefore(d->range.begin, 1);
                std::string text = "default ";
                if (d->dir != ast::Dir::Both) text += std::string(dirName(d->dir)) + " ";
                leaf(1, text + (d->allow ? "allow;" : "deny;"), d->range);
                continue;
            }
            if (auto* a = std::get_if<ast::LayerAudit>(&item)) {
                commentsBefore(a->range.begin, 1);
                leaf(1, "audit;", a->range);
                continue;
            }
            const auto& ld = std::get<ast::LayerDirection>(item);
            commentsBefore(ld.range.begin, 1);
            line(1, std::string(dirName(ld.dir)) + " {");
            for (const ast::Group& g : ld.groups) {
                commentsBefore(g.range.begin, 2);
                std::string head = "group " + g.name.text + " priority " + g.priority.text;
                if (g.lpmField) head += " lpm " + g.lpmField->text;
                if (!g.conditions.empty()) head += " match " + conditions(g.conditions);
                line(2, head + " {");
                for (const ast::Rule& r : g.rules) {
                    commentsBefore(r.range.begin, 3);
                    leaf(3, rule(r), r.range);
                }
                close(2, g.endRange);
            }
            close(1, ld.endRange);
        }
        close(0, l.endRange);
    }

    void print(const ast::Routes& r) {
        line(0, "routes " + r.name.text + " {");
        for (const ast::RouteEntry& e : r.entries) {
            commentsBefore(e.range.begin, 1);
            std::string hop;
            switch (e.hop) {
                case ast::HopKind::Port: hop = "port " + e.target.text; break;
                case ast::HopKind::Ecmp: hop = "ecmp " + e.target.text; break;
                case ast::HopKind::Host: hop = "host " + (e.address ? value(*e.address) : ""); break;
                case ast::HopKind::Gateway:
                    hop = "gateway " + (e.address ? value(*e.address) : "");
                    break;
                case ast::HopKind::Drop: hop = "drop"; break;
            }
            leaf(1, value(e.prefix) + " -> " + hop + ";", e.range);
        }
        close(0, r.endRange);
    }

    void print(const ast::Assert& a) {
        const char* kind = a.kind == ast::AssertKindAst::Isolated          ? "isolated"
                           : a.kind == ast::AssertKindAst::Reachable       ? "reachable"
                           : a.kind == ast::AssertKindAst::ReachableSome   ? "reachable some"
                                                                           : "reachable every";
        std::string s = "assert " + a.name.text + " " + kind + " " + values(a.from) + " -> " +
                        values(a.to);
        if (a.hasMatch) s += " match " + conditions(a.conditions);
        leaf(0, s + ";", a.range);
    }

    const ast::File& f_;
    std::string out_;
    size_t next_ = 0;
    uint32_t lastLeafLine_ = 0;
    SourceLoc lastLeafEnd_;
};

}  // namespace

std::string printFile(const ast::File& file) { return Printer(file).run(); }

}  // namespace sluice::lang
