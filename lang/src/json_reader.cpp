#include "json_reader.h"

#include <cstdlib>

namespace sluice::lang::json {

const Value* Value::get(std::string_view key) const {
    const Value* found = nullptr;
    for (size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == key) found = &values[i];
    return found;
}

std::optional<int64_t> Value::integer(int64_t lo, int64_t hi) const {
    if (kind != Kind::Number || text.empty()) return std::nullopt;
    size_t i = text[0] == '-' ? 1 : 0;
    if (i == text.size() || text.size() > 19) return std::nullopt;
    for (size_t k = i; k < text.size(); ++k)
        if (text[k] < '0' || text[k] > '9') return std::nullopt;  // fractions, exponents
    int64_t v = std::strtoll(text.c_str(), nullptr, 10);
    if (v < lo || v > hi) return std::nullopt;
    return v;
}

const char* kindName(Value::Kind kind) {
    switch (kind) {
        case Value::Kind::Null: return "null";
        case Value::Kind::Bool: return "a boolean";
        case Value::Kind::Number: return "a number";
        case Value::Kind::String: return "a string";
        case Value::Kind::Array: return "an array";
        default: return "an object";
    }
}

namespace {

class Parser {
public:
    Parser(std::string_view text, Error& error) : s_(text), error_(error) {}

    std::optional<Value> document() {
        skipSpace();
        Value v;
        if (!value(v, 0)) return std::nullopt;
        skipSpace();
        if (pos_ != s_.size()) return fail("unexpected text after the JSON document");
        return v;
    }

private:
    std::nullopt_t fail(std::string message) {
        if (error_.message.empty()) {
            error_.line = line_;
            error_.col = col_;
            error_.message = std::move(message);
        }
        return std::nullopt;
    }
    bool failed(std::string message) {
        fail(std::move(message));
        return false;
    }

    void advance() {
        if (s_[pos_] == '\n') {
            ++line_;
            col_ = 1;
        } else if ((static_cast<unsigned char>(s_[pos_]) & 0xC0) != 0x80) {
            ++col_;  // columns count characters, not UTF-8 continuation bytes
        }
        ++pos_;
    }
    void skipSpace() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            advance();
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return false;
        for (size_t i = 0; i < word.size(); ++i) advance();
        return true;
    }

    bool value(Value& v, size_t depth) {
        if (depth > kMaxDepth) return failed("JSON nested deeper than " + std::to_string(kMaxDepth));
        if (++values_ > kMaxValues) return failed("more than " + std::to_string(kMaxValues) + " JSON values");
        if (pos_ == s_.size()) return failed("unexpected end of the JSON text");
        v.line = line_;
        v.col = col_;
        char c = s_[pos_];
        if (c == '{') return object(v, depth);
        if (c == '[') return array(v, depth);
        if (c == '"') {
            v.kind = Value::Kind::String;
            return string(v.text);
        }
        if (c == '-' || (c >= '0' && c <= '9')) return number(v);
        if (literal("true")) {
            v.kind = Value::Kind::Bool;
            v.boolean = true;
            return true;
        }
        if (literal("false")) {
            v.kind = Value::Kind::Bool;
            return true;
        }
        if (literal("null")) return true;
        return failed("expected a JSON value");
    }

    bool object(Value& v, size_t depth) {
        v.kind = Value::Kind::Object;
        advance();  // {
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == '}') {
            advance();
            return true;
        }
        for (;;) {
            skipSpace();
            if (pos_ == s_.size() || s_[pos_] != '"') return failed("expected a member name");
            std::string key;
            if (!string(key)) return false;
            skipSpace();
            if (pos_ == s_.size() || s_[pos_] != ':') return failed("expected ':'");
            advance();
            skipSpace();
            Value member;
            if (!value(member, depth + 1)) return false;
            v.keys.push_back(std::move(key));
            v.values.push_back(std::move(member));
            skipSpace();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                advance();
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == '}') {
                advance();
                return true;
            }
            return failed("expected ',' or '}'");
        }
    }

    bool array(Value& v, size_t depth) {
        v.kind = Value::Kind::Array;
        advance();  // [
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == ']') {
            advance();
            return true;
        }
        for (;;) {
            skipSpace();
            Value item;
            if (!value(item, depth + 1)) return false;
            v.items.push_back(std::move(item));
            skipSpace();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                advance();
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == ']') {
                advance();
                return true;
            }
            return failed("expected ',' or ']'");
        }
    }

    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    bool hex4(uint32_t& out) {
        out = 0;
        for (int i = 0; i < 4; ++i) {
            if (pos_ == s_.size() || hex(s_[pos_]) < 0) return failed("bad \\u escape");
            out = out * 16 + static_cast<uint32_t>(hex(s_[pos_]));
            advance();
        }
        return true;
    }
    static void utf8(uint32_t cp, std::string& out) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    bool string(std::string& out) {
        advance();  // opening quote
        for (;;) {
            if (pos_ == s_.size()) return failed("unterminated string");
            char c = s_[pos_];
            if (c == '"') {
                advance();
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) return failed("control character in a string");
            if (c != '\\') {
                out += c;
                advance();
                continue;
            }
            advance();
            if (pos_ == s_.size()) return failed("unterminated string");
            char e = s_[pos_];
            advance();
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
                        uint32_t low = 0;
                        if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF)
                            return failed("unpaired surrogate in a \\u escape");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp < 0xE000) {
                        return failed("unpaired surrogate in a \\u escape");
                    }
                    utf8(cp, out);
                    break;
                }
                default: return failed(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    bool number(Value& v) {
        v.kind = Value::Kind::Number;
        size_t start = pos_;
        auto digits = [&] {
            size_t n = 0;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
                advance();
                ++n;
            }
            return n;
        };
        if (s_[pos_] == '-') advance();
        if (pos_ < s_.size() && s_[pos_] == '0') {
            advance();
        } else if (digits() == 0) {
            return failed("bad number");
        }
        if (pos_ < s_.size() && s_[pos_] == '.') {
            advance();
            if (digits() == 0) return failed("bad number");
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            advance();
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) advance();
            if (digits() == 0) return failed("bad number");
        }
        v.text = std::string(s_.substr(start, pos_ - start));
        return true;
    }

    std::string_view s_;
    Error& error_;
    size_t pos_ = 0;
    uint32_t line_ = 1, col_ = 1;
    size_t values_ = 0;
};

}  // namespace

std::optional<Value> parse(std::string_view text, Error& error) {
    error = Error{};
    return Parser(text, error).document();
}

}  // namespace sluice::lang::json
