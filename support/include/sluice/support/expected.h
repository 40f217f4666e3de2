// Expected<T>: a value or an Error, for control-path code that must not throw across
// LLVM, Z3 or DPDK boundaries. Deliberately small; std::expected is C++23.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sluice {

// A control-path error: what went wrong and, where known, where ("file:line:col" or a name).
struct Error {
    std::string message;
    std::string where;  // may be empty

    std::string str() const { return where.empty() ? message : where + ": " + message; }
};

template <typename T>
class [[nodiscard]] Expected {
public:
    Expected(T value) : state_(std::move(value)) {}
    Expected(Error error) : state_(std::move(error)) {}

    explicit operator bool() const { return state_.index() == 0; }
    bool ok() const { return state_.index() == 0; }

    T& value() & { assert(ok()); return std::get<0>(state_); }
    const T& value() const& { assert(ok()); return std::get<0>(state_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

// Expected<void> equivalent.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), failed_(true) {}
    static Status success() { return {}; }
    explicit operator bool() const { return !failed_; }
    bool ok() const { return !failed_; }
    const Error& error() const { assert(failed_); return error_; }

private:
    Error error_;
    bool failed_ = false;
};

inline Error makeError(std::string message, std::string where = {}) {
    return Error{std::move(message), std::move(where)};
}

}  // namespace sluice
