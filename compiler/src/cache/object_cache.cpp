// Cache file format (little endian, 48-byte header, then the object):
//   "SLOC" u32 version | u64 key | u64 irHash | u64 flags (bit 0: validated) |
//   u64 object size | u64 checksum of the object
#include "cache/object_cache.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "ir/keys.h"

namespace sluice::compiler::cache {

namespace {

constexpr char kMagic[4] = {'S', 'L', 'O', 'C'};
constexpr uint32_t kVersion = 2;
constexpr size_t kHeader = 48;
constexpr uint64_t kMaxObject = uint64_t{1} << 31;  // a larger "object" is not ours

uint64_t checksum(const std::string& s) {
    uint64_t h = 0xc0ffee;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = ir::hashMix(h, w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    return ir::hashMix(ir::hashMix(h, tail), s.size());
}

void put64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
uint64_t get64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

}  // namespace

std::string entryPath(const std::string& dir, uint64_t key) {
    std::ostringstream os;
    os << dir << "/sluice-" << std::hex << key << ".o";
    return os.str();
}

std::optional<Entry> read(const std::string& dir, uint64_t key) {
    std::ifstream in(entryPath(dir, key), std::ios::binary);
    if (!in) return std::nullopt;
    char h[kHeader];
    if (!in.read(h, kHeader)) return std::nullopt;
    uint32_t version;
    std::memcpy(&version, h + 4, 4);
    if (std::memcmp(h, kMagic, 4) != 0 || version != kVersion || get64(h + 8) != key) return std::nullopt;
    uint64_t size = get64(h + 32);
    if (size == 0 || size > kMaxObject) return std::nullopt;
    Entry e;
    e.irHash = get64(h + 16);
    e.validated = (get64(h + 24) & 1) != 0;
    e.object.resize(size);
    if (!in.read(e.object.data(), static_cast<std::streamsize>(size))) return std::nullopt;
    if (in.peek() != std::char_traits<char>::eof()) return std::nullopt;  // trailing bytes
    if (checksum(e.object) != get64(h + 40)) return std::nullopt;
    if (e.object.compare(0, 4, "\x7f" "ELF") != 0) return std::nullopt;
    return e;
}

bool write(const std::string& dir, uint64_t key, const Entry& e) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string header(kMagic, 4);
    header.append(reinterpret_cast<const char*>(&kVersion), 4);
    put64(header, key);
    put64(header, e.irHash);
    put64(header, e.validated ? 1 : 0);
    put64(header, e.object.size());
    put64(header, checksum(e.object));
    std::string path = entryPath(dir, key);
    std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        out.write(e.object.data(), static_cast<std::streamsize>(e.object.size()));
        out.close();
        if (!out) {
            std::filesystem::remove(tmp, ec);
            return false;
        }
    }
    std::filesystem::rename(tmp, path, ec);  // atomic publish
    if (ec) std::filesystem::remove(tmp, ec);
    return !ec;
}

}  // namespace sluice::compiler::cache
