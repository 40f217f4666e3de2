// libFuzzer target for the packet text form (lang/src/packet.cpp, `parsePacketText`, used by
// `sluice eval --packets`, `sluice ctl trace` and the tests): any text must give headers or an
// error, never a crash. Text that parses must survive the round trip: formatting the headers
// and parsing the result gives the same headers, and formatting is then stable.
#include <cstdint>
#include <string>

#include "fuzz_fail.h"
#include "sluice/lang/packet.h"

namespace {

namespace lang = sluice::lang;

[[noreturn]] void fail(const char* what, const std::string& text) {
    sluice::fuzz::fail("fuzz_packet_text", what, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto p = lang::parsePacketText(text);
    if (!p) {
        if (p.error().message.empty()) fail("rejected without a message", text);
        return 0;
    }
    std::string once = lang::formatPacketText(p->headers);
    auto again = lang::parsePacketText(once);
    if (!again) fail("formatted packet does not parse", text + "\n----\n" + once + "\n" + again.error().str());
    if (!(again->headers == p->headers)) fail("formatting changed the headers", text + "\n----\n" + once);
    if (lang::formatPacketText(again->headers) != once) fail("formatting is not stable", text);
    // The reply of a packet is a packet too.
    lang::Headers reply = lang::replyHeaders(p->headers);
    auto back = lang::parsePacketText(lang::formatPacketText(reply));
    if (!back) fail("the reply's text does not parse", text + "\n----\n" + lang::formatPacketText(reply));
    return 0;
}
