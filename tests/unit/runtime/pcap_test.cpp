// The runtime on pcap devices: frames read from a pcap file on vm1's device come out, switched
// and rewritten, in the pcap file written by vm2's device.
#include <filesystem>
#include <fstream>

#include "harness.h"

namespace sluice::rt::test {
namespace {

void writePcap(const std::string& path, const std::vector<Bytes>& frames) {
    std::ofstream f(path, std::ios::binary);
    const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    f.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
    uint32_t t = 1;
    for (const auto& fr : frames) {
        const uint32_t rec[4] = {t++, 0, static_cast<uint32_t>(fr.size()), static_cast<uint32_t>(fr.size())};
        f.write(reinterpret_cast<const char*>(rec), sizeof rec);
        f.write(reinterpret_cast<const char*>(fr.data()), static_cast<std::streamsize>(fr.size()));
    }
}

std::vector<Bytes> readPcap(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<Bytes> out;
    uint32_t hdr[6];
    if (!f.read(reinterpret_cast<char*>(hdr), sizeof hdr)) return out;
    uint32_t rec[4];
    while (f.read(reinterpret_cast<char*>(rec), sizeof rec)) {
        Bytes b(rec[2]);
        if (!f.read(reinterpret_cast<char*>(b.data()), rec[2])) break;
        out.push_back(std::move(b));
    }
    return out;
}

TEST(RuntimePcap, SwitchesFromOnePcapIntoAnother) {
    auto dir = std::filesystem::temp_directory_path() / ("sluice-pcap-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const uint64_t gw = 0x0200000000feULL;
    std::string in = (dir / "vm1-in.pcap").string();
    writePcap(in, {ipv4(gw, kMacVm1, ip4("10.10.0.1"), ip4("10.10.0.2"), 1, 3, 0),
                   ipv4(gw, kMacVm1, ip4("10.10.0.1"), ip4("10.10.0.2"), 6, 5555, 8080, 0x02),
                   ipv4(gw, kMacVm1, ip4("10.10.0.1"), ip4("10.10.0.2"), 6, 5556, 9090, 0x02),
                   ipv4(gw, kMacVm1, ip4("10.10.0.1"), ip4("10.10.0.100"), 6, 5557, 80, 0x02)});
    std::string out1 = (dir / "vm1-out.pcap").string(), out2 = (dir / "vm2-out.pcap").string();
    auto cfg = ringConfig();
    cfg["ports"] = {{"vm1", "pcap:" + in + ":" + out1}, {"vm2", "pcap::" + out2}};
    {
        Harness h(cfg);
        ASSERT_TRUE(h.rt);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto s = h.stats();
        EXPECT_EQ(s["ports"][0]["rx_packets"], 4);
        EXPECT_EQ(s["ports"][1]["tx_packets"], 3);
        EXPECT_EQ(s["drops"]["policy_deny"], 1);
        EXPECT_TRUE(h.rt->stop());
        h.rt.reset();  // closes the devices: the pcap writer is flushed
    }
    auto frames = readPcap(out2);
    ASSERT_EQ(frames.size(), 3u);
    for (const auto& f : frames) EXPECT_EQ(mac(f, 0), kMacVm2);
    EXPECT_EQ(get16(frames[2], 36), 8080);  // the VIP, DNATed
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice::rt::test
