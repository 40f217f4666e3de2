// The serialised artifact descriptor, written next to an AOT object (`sluice compile --emit obj
// -o X.o` writes X.o.desc) and read by `sluice run` with an object instead of a policy.
// Format (docs/operations.md "Running an AOT object"), all integers little endian:
//   header   "SLUICEDS" u32 version u32 reserved u64 payload_bytes
//   payload  u64 policy_hash, u32 object_crc, then the ports, layers, rules and ECMP groups, each a u32 count
//            followed by its entries; strings are u32 length + bytes; addresses u8 family +
//            16 bytes (low half first)
//   trailer  u32 CRC-32C of header and payload
// The reader is bounded: every count and length is checked against the limits of
// descriptor.h and the bytes left before anything is allocated; a truncated, foreign,
// other-version, corrupt or inconsistent file is a clear error, never a crash.
#pragma once

#include <string>
#include <string_view>

#include "sluice/artifact/descriptor.h"
#include "sluice/support/expected.h"

namespace sluice::artifact {

inline constexpr uint32_t kDescriptorVersion = 1;
inline constexpr size_t kMaxDescriptorBytes = size_t{256} << 20;

std::string serialize(const Descriptor& d);
// `name` names the input in error messages (a path).
Expected<Descriptor> parse(std::string_view bytes, const std::string& name);

// Writes to PATH.tmp-PID and renames it over PATH.
Status writeFile(const std::string& path, const Descriptor& d);
Expected<Descriptor> readFile(const std::string& path);
// CRC-32C (Castagnoli) of `bytes`: the file's trailer, and Descriptor::objectCrc.
uint32_t crc32c(std::string_view bytes);

// The descriptor file that goes with an object file: OBJECT.desc.
std::string descriptorPathFor(const std::string& objectPath);

}  // namespace sluice::artifact
