// libFuzzer target for the artifact descriptor reader (compiler/artifact, artifact::parse, read
// by `sluice run` beside an AOT object): any bytes give a descriptor or an error with a
// message, never a crash or an unbounded allocation. Inputs that start like a descriptor are
// also tried with their length and checksum fixed up, so mutations reach the payload reader.
// A descriptor that parses passes check() and survives a second round trip.
#include <cstdint>
#include <string>

#include "fuzz_fail.h"
#include "sluice/artifact/descriptor_file.h"

namespace {

namespace artifact = sluice::artifact;

void one(const std::string& bytes) {
    auto d = artifact::parse(bytes, "fuzz.desc");
    if (!d) {
        if (d.error().message.empty()) sluice::fuzz::fail("fuzz_descriptor", "no message", bytes);
        return;
    }
    if (!artifact::check(*d).ok()) sluice::fuzz::fail("fuzz_descriptor", "accepted, inconsistent", bytes);
    auto again = artifact::parse(artifact::serialize(*d), "again.desc");
    if (!again || !(*again == *d)) sluice::fuzz::fail("fuzz_descriptor", "round trip changed it", bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string bytes(reinterpret_cast<const char*>(data), size);
    one(bytes);
    if (bytes.size() >= 28 && bytes.compare(0, 8, "SLUICEDS") == 0) {
        uint64_t payload = bytes.size() - 28;
        for (int i = 0; i < 8; ++i) bytes[16 + i] = static_cast<char>(payload >> (8 * i));
        const size_t end = bytes.size() - 4;
        uint32_t c = artifact::crc32c(std::string_view(bytes).substr(0, end));
        for (int i = 0; i < 4; ++i) bytes[end + i] = static_cast<char>(c >> (8 * i));
        one(bytes);
    }
    return 0;
}
