// IR -> LLVM. The only place (with jit.cpp and emit.cpp) where LLVM types appear.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "sluice/compiler/compiler.h"

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
}  // namespace llvm

namespace sluice::codegen {

// Builds the LLVM module of `m`: per table a classifier function, per layer a layer function,
// per (port, direction) `PREFIX_p<port>_<dir>` and `..._burst`, and the descriptor
// `PREFIX_policy`. Tables' data are constant globals; checks use the constants as immediates.
std::unique_ptr<llvm::Module> generate(const ir::Module& m, const std::string& prefix,
                                       llvm::LLVMContext& ctx);

// Host target machine (native CPU features), or an error.
Expected<std::unique_ptr<llvm::TargetMachine>> hostTargetMachine(unsigned optLevel);
// "triple cpu features" of the host: what the generated code is specialised for (cache key).
std::string hostTargetDescription();
// New-pass-manager optimisation at `optLevel`.
void optimize(llvm::Module& mod, llvm::TargetMachine& tm, unsigned optLevel);
// Object file or assembly text of the module.
Expected<std::string> emitMachineCode(llvm::Module& mod, llvm::TargetMachine& tm, bool assembly);
std::string printIr(const llvm::Module& mod);

}  // namespace sluice::codegen
