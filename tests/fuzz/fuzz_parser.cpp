// libFuzzer target for the front end: any input must give a Policy or diagnostics, never a
// crash, hang or sanitizer report. For inputs that load, it also checks the printer's
// contract: fmt is idempotent and re-parsing its output gives the same model.
//
// Built with -fsanitize=fuzzer (SLUICE_FUZZ=ON, clang) this is a libFuzzer binary; otherwise it
// is a plain executable whose main() runs every file of the directories (or files) it is given,
// as the ctest `fuzz_parser_corpus` does over tests/fuzz/corpus.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "sluice/lang/dump.h"
#include "sluice/lang/frontend.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_parser: %s\n%s\n", what, detail.c_str());
    std::abort();
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

#ifndef SLUICE_LIBFUZZER
int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    size_t count = 0;
    auto runFile = [&](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        std::string data = s.str();
        runOne(reinterpret_cast<const uint8_t*>(data.data()), data.size());
        ++count;
    };
    for (int i = 1; i < argc; ++i) {
        fs::path arg = argv[i];
        if (fs::is_directory(arg)) {
            for (const auto& e : fs::recursive_directory_iterator(arg)) {
                if (e.is_regular_file()) runFile(e.path());
            }
        } else {
            runFile(arg);
        }
    }
    if (count == 0) {
        std::cerr << "usage: fuzz_parser CORPUS_DIR|FILE...  (no inputs found)\n";
        return 2;
    }
    std::cout << "fuzz_parser: " << count << " inputs, no crash\n";
    return 0;
}
#endif
