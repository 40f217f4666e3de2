// Session state across restarts (VFP's rebootless update): `sluice run --state FILE` restores
// sessions at start and re-simulates each against the current policy; SIGTERM and `ctl save`
// write them. Format (little endian, this machine's layout; version 1):
//   header  "SLUICEST" u32 version u32 key_size u32 record_size u32 reserved u64 count
//           u64 saved_unix_ms
//   count records (StateRecord)
//   trailer u32 CRC32C of header and records, "END."
// Written to FILE.tmp-PID (O_EXCL, 0600), fsync'd and renamed over FILE. A file that is
// truncated, foreign, of another version or fails its checksum is refused as a whole (a clear
// message, counted in `ctl stats` state.files_rejected) and the table starts empty.
#include <fcntl.h>
#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "datapath.h"

namespace sluice::rt {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'S', 'T'};
constexpr char kEnd[4] = {'E', 'N', 'D', '.'};
constexpr uint32_t kStateVersion = 1;
constexpr size_t kMaxStateBytes = size_t{1} << 31;  // 2 GB: far above any table

struct StateHeader {
    char magic[8];
    uint32_t version;
    uint32_t keySize;
    uint32_t recordSize;
    uint32_t reserved;
    uint64_t count;
    uint64_t savedUnixMs;
};
static_assert(sizeof(StateHeader) == 40);

struct StateRecord {
    FlowKey key;  // the forward key (origin)
    uint64_t packets, bytes;
    uint64_t revPackets, revBytes;  // the reverse entry of a pair
    uint64_t idleMs;                // since the last packet of either direction
    uint64_t ageMs;                 // since the entry was created
    uint8_t pair;                   // 1: forward of a pair
    uint8_t tcpTracked, tcpState, finBits, dscp;
    uint8_t pad[3];
};
static_assert(sizeof(StateRecord) == 160);  // FlowKey is 16-byte aligned

uint32_t crc(const void* data, size_t n, uint32_t init) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {  // rte_hash_crc takes a 32-bit length
        uint32_t chunk = static_cast<uint32_t>(std::min<size_t>(n, 1u << 30));
        init = rte_hash_crc(p, chunk, init);
        p += chunk;
        n -= chunk;
    }
    return init;
}

uint64_t unixMs() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

Status writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return makeError(std::string("write: ") + std::strerror(errno));
        p += w;
        n -= static_cast<size_t>(w);
    }
    return {};
}

}  // namespace

Status Datapath::saveState(const std::string& path, size_t* written) {
    std::vector<char> buf(sizeof(StateHeader));
    uint64_t count = 0;
    {
        std::lock_guard<std::mutex> lock(controlMu_);  // aging waits: no slot is reused meanwhile
        const uint64_t now = rte_rdtsc();
        const uint64_t msTicks = std::max<uint64_t>(1, tscHz_ / 1000);
        buf.reserve(sizeof(StateHeader) + size_t{table_->usedTotal()} * sizeof(StateRecord) + 8);
        for (uint32_t i = 0; i < table_->capacity(); ++i) {
            const Session& s = table_->at(i);
            if (s.inUse.load(std::memory_order_acquire) == 0) continue;
            if (s.role == SessionRole::Reverse) continue;  // saved with its forward entry
            if (s.flags & kTpDrop) continue;                // re-simulation re-creates drops
            const SessionCold& c = table_->cold(i);
            StateRecord r{};
            r.key = c.origin;
            r.packets = s.packets;
            r.bytes = s.bytes;
            uint64_t last = s.lastSeen;
            if (s.role == SessionRole::Forward && s.pair != kNoSlot) {
                const Session& p = table_->at(s.pair);
                if (p.inUse.load(std::memory_order_acquire) != 0 && p.pair == i) {
                    r.pair = 1;
                    r.revPackets = p.packets;
                    r.revBytes = p.bytes;
                    last = std::max(last, p.lastSeen);
                }
            }
            r.idleMs = now > last ? (now - last) / msTicks : 0;
            r.ageMs = now > c.created ? (now - c.created) / msTicks : 0;
            r.tcpTracked = s.tcpTracked;
            r.tcpState = s.tcpState.load(std::memory_order_relaxed);
            r.finBits = s.finBits.load(std::memory_order_relaxed);
            r.dscp = c.dscp;
            const char* rp = reinterpret_cast<const char*>(&r);
            buf.insert(buf.end(), rp, rp + sizeof r);
            ++count;
        }
    }
    StateHeader h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.version = kStateVersion;
    h.keySize = sizeof(FlowKey);
    h.recordSize = sizeof(StateRecord);
    h.count = count;
    h.savedUnixMs = unixMs();
    std::memcpy(buf.data(), &h, sizeof h);
    uint32_t sum = crc(buf.data(), buf.size(), 0xffffffffu);
    buf.insert(buf.end(), reinterpret_cast<const char*>(&sum), reinterpret_cast<const char*>(&sum) + 4);
    buf.insert(buf.end(), kEnd, kEnd + 4);

    std::string tmp = path + ".tmp-" + std::to_string(getpid());
    unlink(tmp.c_str());  // ours, from an earlier failed save of this process
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return makeError("cannot create " + tmp + ": " + std::strerror(errno));
    Status st = writeAll(fd, buf.data(), buf.size());
    if (st && fsync(fd) != 0) st = makeError(std::string("fsync: ") + std::strerror(errno));
    close(fd);
    if (st && rename(tmp.c_str(), path.c_str()) != 0)
        st = makeError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    if (!st) {
        unlink(tmp.c_str());
        return makeError("state file " + path + ": " + st.error().message);
    }
    if (written != nullptr) *written = count;
    return {};
}

std::string Datapath::restoreState(const std::string& path) {
    auto refuse = [&](const std::string& why) {
        ++stateRejected_;
        stateNote_ = "state file " + path + ": " + why + "; starting with an empty session table";
        return stateNote_;
    };
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            stateNote_ = "state file " + path + " does not exist yet; starting empty";
            return stateNote_;
        }
        return refuse(std::string("cannot open: ") + std::strerror(errno));
    }
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return refuse("not a regular file");
    }
    if (static_cast<uint64_t>(st.st_size) > kMaxStateBytes) {
        close(fd);
        return refuse("too large (" + std::to_string(st.st_size) + " bytes)");
    }
    // Not zero-filled first (read() writes every byte that is used): 16 MB for 100K sessions.
    const size_t size = static_cast<size_t>(st.st_size);
    std::unique_ptr<char[]> bytes(new char[size + 1]);
    char* const data = bytes.get();
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, data + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<size_t>(r);
    }
    close(fd);
    if (got != size) return refuse("short read");
    if (size < sizeof(StateHeader) + 8) return refuse("truncated (no complete header)");
    StateHeader h;
    std::memcpy(&h, data, sizeof h);
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return refuse("not a Sluice state file");
    if (h.version != kStateVersion)
        return refuse("version " + std::to_string(h.version) + ", this daemon reads version " +
                      std::to_string(kStateVersion));
    if (h.keySize != sizeof(FlowKey) || h.recordSize != sizeof(StateRecord))
        return refuse("written by a build with another record layout");
    const size_t body = size - sizeof(StateHeader) - 8;
    if (h.count > body / sizeof(StateRecord) || body != h.count * sizeof(StateRecord))
        return refuse("truncated or padded (" + std::to_string(h.count) + " records announced, " +
                      std::to_string(body) + " bytes of records)");
    if (std::memcmp(data + size - 4, kEnd, 4) != 0) return refuse("truncated (no end mark)");
    uint32_t want;
    std::memcpy(&want, data + size - 8, 4);
    if (crc(data, size - 8, 0xffffffffu) != want) return refuse("checksum mismatch");

    const uint64_t now = rte_rdtsc();
    const char* records = data + sizeof(StateHeader);
    const uint64_t msTicks = std::max<uint64_t>(1, tscHz_ / 1000);
    auto back = [&](uint64_t ms) {
        uint64_t t = ms > UINT64_MAX / msTicks ? UINT64_MAX : ms * msTicks;
        return now > t ? now - t : 0;
    };
    uint64_t restored = 0, skipped = 0;
    for (uint64_t i = 0; i < h.count; ++i) {
        StateRecord r;
        std::memcpy(&r, records + i * sizeof(StateRecord), sizeof r);
        const uint16_t in = r.key.ingress;
        const bool bound = in < ports_.size() && ports_[in].dev != kNoPort;
        const bool sane = (in == kUplinkIngress || bound) &&
                          r.tcpState <= static_cast<uint8_t>(TcpState::Closed) &&
                          r.pair <= 1 && r.tcpTracked <= 1 && r.finBits <= 3 &&
                          r.dscp < 64 && (r.key.family == 4 || r.key.family == 6);
        if (!sane) {
            ++skipped;
            continue;
        }
        Decision d;
        decide(kControlContext, r.key, r.tcpTracked ? 0x02 : 0, r.dscp, d);
        if (d.drop != DropReason::None) {  // the current policy denies it: not restored
            ++skipped;
            continue;
        }
        DropReason refused = DropReason::None;
        uint32_t slot = install(0, r.key, d, now, refused);
        if (slot == kNoSlot) {
            ++skipped;
            continue;
        }
        Session& s = table_->at(slot);
        s.packets = r.packets;
        s.bytes = r.bytes;
        s.lastSeen = back(r.idleMs);
        table_->cold(slot).created = back(r.ageMs);
        if (s.tcpTracked && r.tcpTracked) {
            s.tcpState.store(r.tcpState, std::memory_order_relaxed);
            s.finBits.store(r.finBits, std::memory_order_relaxed);
        }
        if (s.pair != kNoSlot) {
            Session& p = table_->at(s.pair);
            p.packets = r.pair ? r.revPackets : 0;
            p.bytes = r.pair ? r.revBytes : 0;
            p.lastSeen = s.lastSeen;
            table_->cold(s.pair).created = table_->cold(slot).created;
        }
        ++restored;
    }
    stateRestored_ += restored;
    stateSkipped_ += skipped;
    stateNote_ = "state file " + path + ": restored " + std::to_string(restored) + " of " +
                 std::to_string(h.count) + " sessions (" + std::to_string(skipped) +
                 " skipped: denied now, invalid or no room)";
    return stateNote_;
}


}  // namespace sluice::rt
