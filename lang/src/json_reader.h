// A small JSON reader that remembers where every value starts, so that importers of JSON
// exports (security groups) can report `FILE:LINE:COL` for the value they cannot map. The
// input is hostile: nesting depth and value count are bounded, strings are checked as JSON
// requires (escapes, no control characters), numbers keep their text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::lang::json {

struct Value {
    enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool boolean = false;
    std::string text;  // String: the decoded string; Number: the number as written
    std::vector<Value> items;                           // Array
    // Object members in input order: keys[i] names values[i] (two vectors: a pair of an
    // incomplete type is not allowed inside the type itself).
    std::vector<std::string> keys;
    std::vector<Value> values;
    uint32_t line = 0, col = 0;                          // where the value starts (1-based)

    bool isNull() const { return kind == Kind::Null; }
    bool isString() const { return kind == Kind::String; }
    bool isNumber() const { return kind == Kind::Number; }
    bool isArray() const { return kind == Kind::Array; }
    bool isObject() const { return kind == Kind::Object; }
    // The member named `key` (the last one when repeated), or null.
    const Value* get(std::string_view key) const;
    // A Number that is an integer in [lo, hi].
    std::optional<int64_t> integer(int64_t lo, int64_t hi) const;
};

const char* kindName(Value::Kind kind);

struct Error {
    uint32_t line = 1, col = 1;
    std::string message;
};

inline constexpr size_t kMaxDepth = 64;
inline constexpr size_t kMaxValues = 4u << 20;

// Parses one JSON document (RFC 8259); whitespace may surround it, nothing else may follow.
std::optional<Value> parse(std::string_view text, Error& error);

}  // namespace sluice::lang::json
