// The syntax tree of one .sl file, as written (names unresolved, literals as text). Built from
// the ANTLR parse tree by parse.cpp; consumed by the resolver (resolve.cpp) and the canonical
// printer (printer.cpp). Every node carries the SourceRange of its text. Private to lang/src.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sluice/lang/source.h"

namespace sluice::lang::ast {

struct Ident {
    std::string text;
    SourceRange range;
};

enum class AtomKind { Int, Hex, Ipv4, HexColon, Quantity, Name };

struct Atom {
    AtomKind kind = AtomKind::Int;
    std::string text;
    SourceRange range;
};

// `lo` or `lo..hi`.
struct Value {
    Atom lo;
    std::optional<Atom> hi;
    SourceRange range;
};

struct Condition {
    Ident field;
    std::vector<Value> values;
    SourceRange range;
};

enum class ActionKind { Allow, Deny, Set, Encap, Decap, Route, Meter };

struct ActionArg {
    Ident key;
    Value value;
};

struct ActionItem {
    ActionKind kind = ActionKind::Allow;
    Ident name;  // Set: field; Encap/Decap: encapsulation; Route: table; Meter: meter
    std::optional<Value> value;   // Set
    std::vector<ActionArg> args;  // Encap
    SourceRange range;
};

struct Rule {
    Ident name;
    Atom priority;  // an Int atom
    std::vector<Condition> conditions;
    std::vector<ActionItem> actions;
    // Flags in written order (the printer keeps it).
    enum class FlagKind { Terminating, Stateful, Log };
    struct Flag {
        FlagKind kind = FlagKind::Terminating;
        std::optional<Value> idle;
        SourceRange range;
    };
    std::vector<Flag> flags;
    SourceRange range;
};

struct Group {
    Ident name;
    Atom priority;
    std::optional<Ident> lpmField;
    std::vector<Condition> conditions;
    std::vector<Rule> rules;
    SourceRange range;
    SourceRange endRange;  // the closing brace
};

enum class Dir { Both, In, Out };

struct LayerDefault {
    Dir dir = Dir::Both;
    bool allow = false;
    SourceRange range;
};

struct LayerDirection {
    Dir dir = Dir::In;
    std::vector<Group> groups;
    SourceRange range;
    SourceRange endRange;
};

// `audit;`: the layer's denies are recorded as would-denies and let through.
struct LayerAudit {
    SourceRange range;
};

using LayerItem = std::variant<LayerDefault, LayerDirection, LayerAudit>;

struct Layer {
    Ident name;
    std::vector<LayerItem> items;
    SourceRange range;
    SourceRange endRange;
};

// `NAME ARG ARG, ARG;` inside a settings block; a comma is kept as an argument so the printer
// and the checkers see the list structure.
struct SettingArg {
    bool comma = false;
    Value value;  // when !comma; keywords such as `host` become Name atoms
};

struct Setting {
    Ident name;
    std::vector<SettingArg> args;
    SourceRange range;
};

enum class BlockKind { Port, Ecmp, Credit, Meter };

struct SettingsDecl {
    BlockKind kind = BlockKind::Port;
    Ident name;
    std::vector<Setting> settings;
    SourceRange range;
    SourceRange endRange;
};

enum class HopKind { Port, Host, Gateway, Ecmp, Drop };

struct RouteEntry {
    Value prefix;
    HopKind hop = HopKind::Drop;
    Ident target;                // Port, Ecmp
    std::optional<Value> address;  // Host, Gateway
    SourceRange range;
};

struct Routes {
    Ident name;
    std::vector<RouteEntry> entries;
    SourceRange range;
    SourceRange endRange;
};

enum class AssertKindAst { Isolated, Reachable, ReachableSome, ReachableEvery };

struct Assert {
    Ident name;
    AssertKindAst kind = AssertKindAst::Isolated;
    std::vector<Value> from;
    std::vector<Value> to;
    std::vector<Condition> conditions;
    bool hasMatch = false;
    SourceRange range;
};

struct Const {
    Ident name;
    std::vector<Value> values;
    SourceRange range;
};

using Decl = std::variant<Const, SettingsDecl, Layer, Routes, Assert>;

struct Import {
    bool isPath = false;  // `import "x.sl";` vs `import std.x;`
    std::string text;     // the dotted name, or the unquoted path
    SourceRange range;
    SourceRange targetRange;
};

// A comment token; `ownLine` when only whitespace precedes it on its line.
struct Comment {
    std::string text;
    SourceRange range;
    bool ownLine = false;
};

struct File {
    uint32_t fileId = 0;
    std::optional<Ident> module;  // dotted name as one string
    SourceRange moduleRange;
    std::vector<Import> imports;
    std::vector<Decl> decls;
    std::vector<Comment> comments;  // in source order
};

inline SourceRange declRange(const Decl& d) {
    return std::visit([](const auto& x) { return x.range; }, d);
}

}  // namespace sluice::lang::ast
