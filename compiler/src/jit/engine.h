// The process-wide ORC JIT. Each linked object is one generation: its own JITDylib (so
// generations share symbol names) under one ResourceTracker; destroying the Generation removes
// its code. No LLVM type appears in this header.
#pragma once

#include <memory>
#include <string>

#include "sluice/abi/sl_abi.h"
#include "sluice/support/expected.h"

namespace sluice::compiler::jit {

class Generation {
public:
    struct State;  // LLVM side (engine.cpp)
    explicit Generation(std::unique_ptr<State> s);
    ~Generation();
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;
    const sl_policy_desc* descriptor() const { return desc_; }

private:
    std::unique_ptr<State> state_;
    const sl_policy_desc* desc_ = nullptr;
};

// Links an ELF object exporting `sl_policy` into a fresh generation.
Expected<std::unique_ptr<Generation>> link(const std::string& object);

}  // namespace sluice::compiler::jit
