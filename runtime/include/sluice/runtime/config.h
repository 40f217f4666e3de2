// `sluice run` configuration: the policy, the map from its vNIC ports to DPDK devices, the
// uplink with its underlay address, the static VM-to-host table (the pre-programmed model of
// Andromeda 3.3; the ALM issue replaces it with learning), workers and session limits.
// Format: JSON, documented in docs/operations.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/packet.h"
#include "sluice/runtime/flow_log.h"
#include "sluice/support/expected.h"

namespace sluice::rt {

// A DPDK device: "af_packet:IFACE", "af_xdp:IFACE", "tap:NAME", "pcap:RX.pcap:TX.pcap" (either may be empty),
// "ring:NAME" (in-process rings, for tests and benchmarks), "null", or "pci:BDF" (a real NIC).
struct DeviceSpec {
    enum class Kind { AfPacket, AfXdp, Tap, Pcap, Ring, Null, Pci } kind = Kind::Null;
    std::string name;    // interface, tap name, ring name or PCI address
    std::string rxPcap;  // pcap only
    std::string txPcap;
    std::string text;    // as written
};
Expected<DeviceSpec> parseDeviceSpec(const std::string& text);

struct PortBinding {
    std::string port;  // policy port name
    DeviceSpec device;
};

// Another host of the overlay, with its underlay MAC on the uplink segment (broadcast when
// not given: correct on a point-to-point link, wasteful elsewhere).
struct HostEntry {
    lang::IpAddr address;
    uint64_t mac = 0xffffffffffffULL;
};

// Static VM-to-host table entry: VM address `ip` in virtual network `vni` lives on `host`.
struct VmEntry {
    uint32_t vni = 0;
    lang::IpAddr ip;
    lang::IpAddr host;
};

struct SessionLimits {
    uint32_t maxPerPort = 16384;  // session entries (each direction counts) per port
    uint64_t tcpSynMs = 30000;  // half-open
    uint64_t tcpEstablishedMs = 300000;
    uint64_t tcpFinMs = 30000;
    uint64_t tcpTimeWaitMs = 10000;
    uint64_t tcpClosedMs = 2000;  // after RST
    uint64_t udpMs = 60000;       // UDP, ICMP and other protocols; cached drops too
    uint64_t scanIntervalMs = 100;
};

struct RunConfig {
    std::string path;        // of the config file ("" when built in memory)
    std::string policyPath;  // resolved relative to the config file
    // Instead of a policy: an AOT object (`sluice compile --emit obj`) and its descriptor
    // OBJECT.desc, run without the source (resolved as policyPath). One of the two is set.
    std::string artifactPath;
    std::string slowPath = "auto";  // "compiled", "interpreter", "auto" (compiled if built)
    unsigned workers = 1;
    unsigned burst = 32;
    std::string hugepages = "auto";  // "auto", "on", "off"
    std::vector<std::string> extraEal;
    std::string controlSocket = "/run/sluice/sluice.sock";
    uint64_t gatewayMac = 0x0200000000feULL;  // answered in ARP replies to the VMs
    std::vector<PortBinding> ports;
    std::optional<DeviceSpec> uplink;
    lang::IpAddr underlay;             // this host's underlay address (VXLAN outer source)
    uint64_t uplinkMac = 0;            // 0: the device's own MAC
    uint64_t nextHopMac = 0xffffffffffffULL;  // for plain (not tunnelled) uplink traffic
    std::vector<HostEntry> hosts;
    std::vector<VmEntry> vms;
    SessionLimits sessions;
    std::string filePrefix;  // EAL --file-prefix; default "sluice-<pid>"
    // Object cache of compiled pipelines, keyed by the policy's hash, so that a restart with an
    // unchanged policy loads native code instead of compiling; "" = off.
    std::string compileCache;
    // `flow_log` (docs/operations.md "Flow logs"); absent: no flow logs.
    std::optional<FlowLogConfig> flowLog;
};

// Parses a JSON config. `baseDir` resolves a relative policy path (the config's directory).
Expected<RunConfig> parseRunConfig(const std::string& jsonText, const std::string& baseDir);
Expected<RunConfig> loadRunConfig(const std::string& path);
// "30s", "100ms", "5m", or a number of milliseconds.
std::optional<uint64_t> parseDurationMs(const std::string& text);

}  // namespace sluice::rt
