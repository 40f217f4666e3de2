// The object cache: one file per cache key (compiler::cacheKey), holding a header that records
// the hash of the IR the object was generated from and whether that IR passed validation, a
// checksum, and the ELF object. Anything unreadable, truncated, of another format version or
// failing its checksum is treated as absent (the caller rebuilds and overwrites it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sluice::compiler::cache {

struct Entry {
    uint64_t irHash = 0;
    bool validated = false;
    std::string object;
};

std::string entryPath(const std::string& dir, uint64_t key);
// The entry for `key`, or nullopt when absent or corrupt.
std::optional<Entry> read(const std::string& dir, uint64_t key);
// Writes atomically (temporary file + rename). A failure only loses the cache: false.
bool write(const std::string& dir, uint64_t key, const Entry& e);

}  // namespace sluice::compiler::cache
