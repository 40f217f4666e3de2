// How a fuzz target reports a broken contract: the target, what broke and the input, then
// abort() so that libFuzzer saves the input as a crash and the corpus runner fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace sluice::fuzz {

[[noreturn]] inline void fail(const char* target, const char* what, const std::string& detail) {
    std::fprintf(stderr, "%s: %s\n%s\n", target, what, detail.c_str());
    std::abort();
}

}  // namespace sluice::fuzz
