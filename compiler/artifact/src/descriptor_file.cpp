// The serialised artifact descriptor (descriptor_file.h): a byte writer, and a reader that
// checks every count and length against the bytes left and the limits before it allocates.
#include "sluice/artifact/descriptor_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sluice/support/input_file.h"

namespace sluice::artifact {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'D', 'S'};
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;
constexpr size_t kTrailerBytes = 4;

}  // namespace

// CRC-32C (Castagnoli), reflected, as the state file's rte_hash_crc (no DPDK here).
uint32_t crc32c(std::string_view data) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t c = 0xffffffffu;
    for (unsigned char b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

namespace {

class Writer {
public:
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
    }
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
    }
    void str(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        out_ += s;
    }
    void ip(const lang::IpAddr& a) {
        u8(static_cast<uint8_t>(a.family));
        u64(static_cast<uint64_t>(a.value));
        u64(static_cast<uint64_t>(a.value >> 64));
    }
    std::string& bytes() { return out_; }

private:
    std::string out_;
};

// Reads from a bounded span; the first failure sticks (later reads return zeros) and is
// reported once by the caller, with what was being read.
class Reader {
public:
    explicit Reader(std::string_view b) : b_(b) {}
    bool failed() const { return failed_; }
    const std::string& what() const { return what_; }
    size_t left() const { return b_.size() - pos_; }
    void fail(std::string what) {
        if (!failed_) what_ = std::move(what);
        failed_ = true;
    }
    uint8_t u8() {
        if (failed_ || left() < 1) return fail("truncated"), 0;
        return static_cast<uint8_t>(b_[pos_++]);
    }
    uint32_t u32() {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
        return v;
    }
    uint64_t u64() {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(u8()) << (8 * i);
        return v;
    }
    // A count of entries each at least `minBytes` long, at most `max`.
    uint32_t count(size_t max, size_t minBytes, const char* what) {
        uint32_t n = u32();
        if (failed_) return 0;
        if (n > max || static_cast<uint64_t>(n) * minBytes > left())
            return fail(std::string("impossible count of ") + what + " (" + std::to_string(n) + ")"), 0;
        return n;
    }
    std::string str(const char* what) {
        uint32_t n = u32();
        if (failed_) return {};
        if (n > kMaxNameBytes || n > left())
            return fail(std::string("impossible length of a ") + what + " name"), std::string();
        std::string s(b_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    lang::IpAddr ip() {
        uint8_t f = u8();
        uint64_t lo = u64(), hi = u64();
        if (f != 0 && f != 4 && f != 6) fail("bad address family " + std::to_string(f));
        lang::IpAddr a;
        a.family = static_cast<lang::Family>(f);
        a.value = (static_cast<lang::u128>(hi) << 64) | lo;
        if (a.family == lang::Family::V4 && a.value > 0xffffffffu) fail("IPv4 address above 32 bits");
        return a;
    }

private:
    std::string_view b_;
    size_t pos_ = 0;
    bool failed_ = false;
    std::string what_;
};

void putPayload(Writer& w, const Descriptor& d) {
    w.u64(d.policyHash);
    w.u32(d.objectCrc);
    w.u32(static_cast<uint32_t>(d.ports.size()));
    for (const PortDesc& p : d.ports) {
        w.str(p.name);
        w.u64(p.mac);
        w.u32(p.vni);
        w.u32(static_cast<uint32_t>(p.ips.size()));
        for (const auto& a : p.ips) w.ip(a);
        w.u32(static_cast<uint32_t>(p.layers.size()));
        for (uint32_t l : p.layers) w.u32(l);
    }
    w.u32(static_cast<uint32_t>(d.layers.size()));
    for (const auto& l : d.layers) w.str(l);
    w.u32(static_cast<uint32_t>(d.rules.size()));
    for (const RuleDesc& r : d.rules) {
        w.u32(r.layer);
        w.u8(static_cast<uint8_t>(r.direction));
        w.str(r.group);
        w.str(r.rule);
        w.u32(r.priority);
        w.u64(r.idleTimeoutMs);
        w.u8(static_cast<uint8_t>((r.allow ? 1 : 0) | (r.terminating ? 2 : 0) | (r.stateful ? 4 : 0)));
    }
    w.u32(static_cast<uint32_t>(d.ecmpGroups.size()));
    for (const EcmpGroup& g : d.ecmpGroups) {
        w.str(g.name);
        w.u32(static_cast<uint32_t>(g.members.size()));
        for (const EcmpMember& m : g.members) {
            w.ip(m.address);
            w.u32(m.weight);
        }
    }
}

// Smallest encodings, for the counts' plausibility checks.
constexpr size_t kMinPort = 4 + 8 + 4 + 4 + 4, kMinString = 4, kMinRule = 4 + 1 + 4 + 4 + 4 + 8 + 1;
constexpr size_t kMinGroup = 4 + 4, kIpBytes = 17, kMinMember = kIpBytes + 4;

void getPayload(Reader& r, Descriptor& d) {
    d.policyHash = r.u64();
    d.objectCrc = r.u32();
    uint32_t n = r.count(kMaxPorts, kMinPort, "ports");
    d.ports.resize(n);
    for (PortDesc& p : d.ports) {
        p.name = r.str("port");
        p.mac = r.u64();
        p.vni = r.u32();
        p.ips.resize(r.count(kMaxListEntries, kIpBytes, "addresses"));
        for (auto& a : p.ips) a = r.ip();
        p.layers.resize(r.count(kMaxListEntries, 4, "layers of a port"));
        for (uint32_t& l : p.layers) l = r.u32();
        if (r.failed()) return;
    }
    d.layers.resize(r.count(kMaxLayers, kMinString, "layers"));
    for (auto& l : d.layers) l = r.str("layer");
    d.rules.resize(r.count(kMaxRules, kMinRule, "rules"));
    for (RuleDesc& x : d.rules) {
        x.layer = r.u32();
        uint8_t dir = r.u8();
        if (dir > 1) r.fail("bad rule direction " + std::to_string(dir));
        x.direction = static_cast<lang::Direction>(dir);
        x.group = r.str("group");
        x.rule = r.str("rule");
        x.priority = r.u32();
        x.idleTimeoutMs = r.u64();
        uint8_t flags = r.u8();
        if (flags > 7) r.fail("unknown rule flags");
        x.allow = flags & 1;
        x.terminating = flags & 2;
        x.stateful = flags & 4;
        if (r.failed()) return;
    }
    d.ecmpGroups.resize(r.count(kMaxEcmpGroups, kMinGroup, "ECMP groups"));
    for (EcmpGroup& g : d.ecmpGroups) {
        g.name = r.str("ECMP group");
        g.members.resize(r.count(kMaxListEntries, kMinMember, "ECMP members"));
        for (EcmpMember& m : g.members) {
            m.address = r.ip();
            m.weight = r.u32();
        }
        if (r.failed()) return;
    }
}

}  // namespace

std::string serialize(const Descriptor& d) {
    Writer payload;
    putPayload(payload, d);
    Writer w;
    w.bytes().append(kMagic, sizeof kMagic);
    w.u32(kDescriptorVersion);
    w.u32(0);
    w.u64(payload.bytes().size());
    w.bytes() += payload.bytes();
    w.u32(crc32c(w.bytes()));
    return std::move(w.bytes());
}

Expected<Descriptor> parse(std::string_view bytes, const std::string& name) {
    auto bad = [&](const std::string& why) {
        return makeError("artifact descriptor " + why + "; recompile the policy (sluice compile "
                         "--emit obj)", name);
    };
    if (bytes.size() < kHeaderBytes + kTrailerBytes)
        return bad("is truncated (" + std::to_string(bytes.size()) + " bytes)");
    if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        return bad("is not a Sluice artifact descriptor (bad magic)");
    if (bytes.size() > kMaxDescriptorBytes) return bad("is larger than 256 MB");
    Reader h(bytes.substr(sizeof kMagic, kHeaderBytes - sizeof kMagic));
    const uint32_t version = h.u32();
    (void)h.u32();
    const uint64_t payload = h.u64();
    if (version != kDescriptorVersion)
        return bad("has version " + std::to_string(version) + ", this build reads version " +
                   std::to_string(kDescriptorVersion));
    if (payload != bytes.size() - kHeaderBytes - kTrailerBytes)
        return bad("is truncated or has trailing bytes (payload " + std::to_string(payload) +
                   " bytes, file " + std::to_string(bytes.size()) + ")");
    const size_t end = bytes.size() - kTrailerBytes;
    Reader t(bytes.substr(end));
    if (t.u32() != crc32c(bytes.substr(0, end))) return bad("fails its checksum (corrupt)");
    Descriptor d;
    Reader r(bytes.substr(kHeaderBytes, payload));
    getPayload(r, d);
    if (r.failed()) return bad("is malformed: " + r.what());
    if (r.left() != 0) return bad("is malformed: " + std::to_string(r.left()) + " bytes left over");
    if (Status s = check(d); !s) return bad("is inconsistent: " + s.error().message);
    return d;
}

Status writeFile(const std::string& path, const Descriptor& d) {
    const std::string bytes = serialize(d);
    const std::string tmp = path + ".tmp-" + std::to_string(getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return makeError(std::string("cannot create: ") + std::strerror(errno), tmp);
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return makeError(std::string("write failed: ") + std::strerror(e), tmp);
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return makeError(std::string("cannot write: ") + std::strerror(e), path);
    }
    return {};
}

Expected<Descriptor> readFile(const std::string& path) {
    InputLimits limits{kMaxDescriptorBytes, kMaxDescriptorBytes, false};
    InputFile f = readInputFile(path, limits);
    if (!f.ok()) return makeError(describeInputProblem(path, f));
    return parse(f.text, path);
}

std::string descriptorPathFor(const std::string& objectPath) { return objectPath + ".desc"; }

}  // namespace sluice::artifact
