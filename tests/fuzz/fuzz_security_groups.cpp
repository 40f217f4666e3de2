// libFuzzer target for `sluice import security-groups` (lang/src/security_groups_import.cpp and
// its JSON reader): any bytes give a policy or diagnostics, never a crash or a hang. An input
// holding "\n----\n" is split there: security groups before, interfaces after. A policy the
// import returns must load (the CLI checks the same and calls a failure our bug), and an
// import that fails must say why with an error.
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz_fail.h"
#include "sluice/lang/diag.h"
#include "sluice/lang/frontend.h"
#include "sluice/lang/security_groups.h"

namespace {

namespace lang = sluice::lang;

[[noreturn]] void fail(const char* what, const std::string& text) {
    sluice::fuzz::fail("fuzz_security_groups", what, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    std::string groupsText = text, interfacesText;
    bool withInterfaces = false;
    if (size_t cut = text.find("\n----\n"); cut != std::string::npos) {
        groupsText = text.substr(0, cut);
        interfacesText = text.substr(cut + 6);
        withInterfaces = true;
    }
    auto sources = std::make_shared<lang::SourceManager>();
    lang::SecurityGroupInput groups{"groups.json", groupsText, sources->add("groups.json", groupsText)};
    std::optional<lang::SecurityGroupInput> interfaces;
    if (withInterfaces)
        interfaces = lang::SecurityGroupInput{"interfaces.json", interfacesText,
                                              sources->add("interfaces.json", interfacesText)};
    lang::DiagnosticEngine diags(sources);
    lang::SecurityGroupImportOptions options;
    options.lossy = size % 2 == 1;  // both modes, chosen by the input
    auto policy = lang::importSecurityGroups(groups, interfaces, options, diags);
    if (!policy) {
        if (diags.errorCount() == 0) fail("refused without an error", text);
        return 0;
    }
    lang::FrontendOptions fo;
    fo.stdlibDirs = {};
    lang::Frontend frontend(fo);
    if (!frontend.loadString("<imported policy>", *policy))
        fail("the imported policy does not load", text + "\n----policy----\n" + *policy);
    return 0;
}
