// libFuzzer target for the front end: any input must give a Policy or diagnostics, never a
// crash, hang or sanitizer report. For inputs that load, it also checks the printer's
// contract: fmt is idempotent and re-parsing its output gives the same model.
//
// Built with -fsanitize=fuzzer (SLUICE_FUZZ=ON, clang) this is a libFuzzer binary; otherwise it
// is a plain executable (corpus_main.cpp) that the ctest `fuzz_parser_corpus` runs over
// tests/fuzz/corpus/parser.
#include <sstream>
#include <string>

#include "fuzz_fail.h"
#include "sluice/lang/dump.h"
#include "sluice/lang/frontend.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    sluice::fuzz::fail("fuzz_parser", what, detail);
}

sluice::lang::FrontendOptions options() {
    sluice::lang::FrontendOptions o;
    o.stdlibDirs = {};  // imports from the stdlib would make runs depend on the checkout
    return o;
}

void runOne(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    sluice::lang::Frontend fe(options());
    auto policy = fe.loadString("fuzz.sl", text);
    std::ostringstream sink;
    fe.diags().printText(sink);
    (void)fe.diags().toJson();
    if (policy == nullptr) {
        if (!fe.diags().hasErrors()) fail("no policy and no error", text);
        return;
    }
    std::string dump = sluice::lang::dumpPolicy(*policy);
    std::string once;
    sluice::lang::Frontend fmt(options());
    if (!fmt.formatString("fuzz.sl", text, once)) fail("fmt rejected a loadable input", text);
    std::string twice;
    if (!fmt.formatString("fuzz.sl", once, twice)) fail("fmt output does not parse", once);
    if (once != twice) fail("fmt is not idempotent", text + "\n----\n" + once + "\n----\n" + twice);
    sluice::lang::Frontend again(options());
    auto reparsed = again.loadString("fuzz.sl", once);
    if (reparsed == nullptr) fail("fmt output does not load", text + "\n----\n" + once);
    if (sluice::lang::dumpPolicy(*reparsed) != dump) {
        fail("fmt changed the model", text + "\n----\n" + once);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    runOne(data, size);
    return 0;
}
