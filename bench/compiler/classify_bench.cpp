// classify_bench [--sets acl1_1k,...] [--runs N] [--tv] [--interp-packets N]
// For each ClassBench set: build the same first-match rule list as a Sluice policy (one port,
// one layer, one group; what `sluice import classbench` produces) and as an rte_acl context;
// replay the set's trace through the JIT-compiled pipeline (bursts of 32), the reference
// interpreter and rte_acl_classify (bursts of 32, default algorithm: AVX512 here), check they
// pick the same rule, and print lookups/s per core (median of runs), ratios, build times and
// memory. One process, one core, same rules, same trace.
#include <rte_acl.h>
#include <rte_eal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/compiler/compiler.h"
#include "sluice/compiler/meta.h"
#include "sluice/compiler/validate.h"
#include "sluice/interp/interpreter.h"

using namespace sluice;
using Clock = std::chrono::steady_clock;

namespace {

struct CbRule {
    uint32_t src, srcLen, dst, dstLen;
    uint16_t spLo, spHi, dpLo, dpHi;
    uint8_t proto, protoMask;
};
struct CbPacket {
    uint32_t src, dst;
    uint16_t sp, dp;
    uint8_t proto;
};

uint32_t parseIp(const std::string& s) {
    unsigned a, b, c, d;
    std::sscanf(s.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
    return a << 24 | b << 16 | c << 8 | d;
}

std::vector<CbRule> loadRules(const std::string& path) {
    std::vector<CbRule> rules;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] != '@') continue;
        std::istringstream ls(line.substr(1));
        std::string src, dst, colon, proto, flags;
        unsigned splo, sphi, dplo, dphi;
        ls >> src >> dst >> splo >> colon >> sphi >> dplo >> colon >> dphi >> proto;
        CbRule r{};
        auto slash = src.find('/');
        r.src = parseIp(src.substr(0, slash));
        r.srcLen = static_cast<uint32_t>(std::stoul(src.substr(slash + 1)));
        slash = dst.find('/');
        r.dst = parseIp(dst.substr(0, slash));
        r.dstLen = static_cast<uint32_t>(std::stoul(dst.substr(slash + 1)));
        auto mask = [](uint32_t len) { return len == 0 ? 0u : ~0u << (32 - len); };
        r.src &= mask(r.srcLen);
        r.dst &= mask(r.dstLen);
        r.spLo = static_cast<uint16_t>(splo); r.spHi = static_cast<uint16_t>(sphi);
        r.dpLo = static_cast<uint16_t>(dplo); r.dpHi = static_cast<uint16_t>(dphi);
        slash = proto.find('/');
        r.proto = static_cast<uint8_t>(std::stoul(proto.substr(0, slash), nullptr, 16));
        r.protoMask = static_cast<uint8_t>(std::stoul(proto.substr(slash + 1), nullptr, 16));
        rules.push_back(r);
    }
    return rules;
}

std::vector<CbPacket> loadTrace(const std::string& path) {
    std::vector<CbPacket> ps;
    std::ifstream in(path);
    unsigned long long s, d, sp, dp, pr, fl, rule;
    while (in >> s >> d >> sp >> dp >> pr >> fl >> rule) {
        ps.push_back({static_cast<uint32_t>(s), static_cast<uint32_t>(d), static_cast<uint16_t>(sp),
                      static_cast<uint16_t>(dp), static_cast<uint8_t>(pr)});
    }
    return ps;
}

std::shared_ptr<lang::Policy> toPolicy(const std::vector<CbRule>& rules) {
    auto p = std::make_shared<lang::Policy>();
    lang::Layer l;
    l.name = "acl";
    lang::Group g;
    g.name = "classbench";
    for (size_t i = 0; i < rules.size(); ++i) {
        const CbRule& c = rules[i];
        lang::Rule r;
        r.name = "r" + std::to_string(i);
        r.priority = static_cast<uint32_t>(i);
        auto pfx = [](uint32_t a, uint32_t len) {
            uint32_t host = len == 0 ? ~0u : (len == 32 ? 0u : (~0u >> len));
            return lang::MatchValue{a, a | host, lang::Family::V4, static_cast<int>(len), {}};
        };
        if (c.srcLen) r.conditions.push_back({lang::Field::SrcIp, {pfx(c.src, c.srcLen)}, {}});
        if (c.dstLen) r.conditions.push_back({lang::Field::DstIp, {pfx(c.dst, c.dstLen)}, {}});
        if (!(c.spLo == 0 && c.spHi == 65535)) r.conditions.push_back({lang::Field::SrcPort, {{c.spLo, c.spHi, lang::Family::None, -1, {}}}, {}});
        if (!(c.dpLo == 0 && c.dpHi == 65535)) r.conditions.push_back({lang::Field::DstPort, {{c.dpLo, c.dpHi, lang::Family::None, -1, {}}}, {}});
        if (c.protoMask == 0xff) r.conditions.push_back({lang::Field::Proto, {{c.proto, c.proto, lang::Family::None, -1, {}}}, {}});
        r.action.verdict = lang::Verdict::Allow;
        g.rules.push_back(r);
    }
    l.groups[1].push_back(g);
    p->layers.push_back(l);
    lang::Port port;
    port.name = "p0";
    port.layers = {0};
    p->ports.push_back(port);
    return p;
}

// rte_acl IPv4 5-tuple layout (as in DPDK's examples): proto | src | dst | sport dport.
struct AclKey {
    uint8_t proto;
    uint8_t pad[3];
    uint32_t src, dst;
    uint16_t sp, dp;
};
RTE_ACL_RULE_DEF(AclRule, 5);

rte_acl_field_def kDefs[5] = {
    {RTE_ACL_FIELD_TYPE_BITMASK, sizeof(uint8_t), 0, 0, offsetof(AclKey, proto)},
    {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), 1, 1, offsetof(AclKey, src)},
    {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), 2, 2, offsetof(AclKey, dst)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), 3, 3, offsetof(AclKey, sp)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), 4, 3, offsetof(AclKey, dp)},
};

long rssKb() {
    std::ifstream in("/proc/self/status");
    std::string k;
    long v;
    while (in >> k) {
        if (k == "VmRSS:") { in >> v; return v; }
    }
    return 0;
}

template <typename F>
double medianNs(int runs, size_t n, F&& pass) {
    pass();  // warm-up
    std::vector<double> v;
    for (int r = 0; r < runs; ++r) {
        auto t0 = Clock::now();
        pass();
        v.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n));
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> sets = {"acl1_1k", "fw1_1k", "ipc1_1k", "acl1_10k", "fw1_10k", "ipc1_10k"};
    int runs = 5;
    bool tv = false;
    size_t interpPackets = 3000;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--sets" && i + 1 < argc) {
            sets.clear();
            std::stringstream ss(argv[++i]);
            for (std::string s; std::getline(ss, s, ',');) sets.push_back(s);
        } else if (a == "--runs" && i + 1 < argc) {
            runs = std::stoi(argv[++i]);
        } else if (a == "--tv") {
            tv = true;
        } else if (a == "--interp-packets" && i + 1 < argc) {
            interpPackets = std::stoul(argv[++i]);
        }
    }
    const char* eal[] = {"classify_bench", "-l", "0", "--no-huge", "-m", "512", "--no-pci",
                         "--no-shconf", "--iova-mode=va", "--log-level=error"};
    if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
        std::cerr << "EAL init failed\n";
        return 1;
    }
    std::string dir = SLUICE_BENCH_DATA;
    std::printf("%-9s %6s %7s | %9s %9s %9s | %7s %7s | %9s %9s %9s | %8s %8s | %s\n", "set", "rules",
                "packets", "jit Mlps", "acl Mlps", "int klps", "jit/acl", "jit/int", "jit ms",
                "acl ms", "tv ms", "jit KB", "acl KB", "agree");
    for (const std::string& set : sets) {
        std::string rulesPath = dir + "/" + set, tracePath = dir + "/" + set + "_trace";
        if (!std::ifstream(rulesPath)) {
            std::printf("%-9s absent: %s not found (../shared/bench-data missing?)\n", set.c_str(), rulesPath.c_str());
            continue;
        }
        std::vector<CbRule> rules = loadRules(rulesPath);
        std::vector<CbPacket> trace = loadTrace(tracePath);
        if (trace.empty()) {
            std::printf("%-9s %6zu   trace absent (%s): compile times only\n", set.c_str(), rules.size(), tracePath.c_str());
        }
        auto policy = toPolicy(rules);
        // JIT.
        long rss0 = rssKb();
        auto t0 = Clock::now();
        auto compiled = compiler::compile(*policy, {});
        double jitMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!compiled) { std::cerr << compiled.error().str() << "\n"; return 1; }
        size_t jitBytes = (*compiled)->codeBytes();
        for (const auto& t : (*compiled)->tables()) jitBytes += t.memoryBytes;
        (void)rss0;
        double tvMs = -1;
        if (tv) {
            auto r = compiler::validateTranslation(*policy, {});
            if (r && r->ok()) tvMs = r->ms;
        }
        // rte_acl.
        rte_acl_param prm{};
        prm.name = "bench";
        prm.socket_id = SOCKET_ID_ANY;
        prm.rule_size = RTE_ACL_RULE_SZ(5);
        prm.max_rule_num = static_cast<uint32_t>(rules.size());
        long rssA = rssKb();
        auto a0 = Clock::now();
        rte_acl_ctx* ctx = rte_acl_create(&prm);
        std::vector<AclRule> ar(rules.size());
        for (size_t i = 0; i < rules.size(); ++i) {
            const CbRule& c = rules[i];
            AclRule& r = ar[i];
            std::memset(&r, 0, sizeof r);
            r.data.category_mask = 1;
            r.data.priority = static_cast<int32_t>(rules.size() - i);
            r.data.userdata = static_cast<uint32_t>(i + 1);
            r.field[0].value.u8 = c.proto;
            r.field[0].mask_range.u8 = c.protoMask;
            r.field[1].value.u32 = c.src;
            r.field[1].mask_range.u32 = c.srcLen;
            r.field[2].value.u32 = c.dst;
            r.field[2].mask_range.u32 = c.dstLen;
            r.field[3].value.u16 = c.spLo;
            r.field[3].mask_range.u16 = c.spHi;
            r.field[4].value.u16 = c.dpLo;
            r.field[4].mask_range.u16 = c.dpHi;
        }
        if (rte_acl_add_rules(ctx, reinterpret_cast<rte_acl_rule*>(ar.data()), static_cast<uint32_t>(ar.size())) != 0) {
            std::cerr << "rte_acl_add_rules failed\n";
            return 1;
        }
        rte_acl_config cfg{};
        cfg.num_categories = 1;
        cfg.num_fields = 5;
        std::memcpy(cfg.defs, kDefs, sizeof kDefs);
        if (rte_acl_build(ctx, &cfg) != 0) { std::cerr << "rte_acl_build failed\n"; return 1; }
        double aclMs = std::chrono::duration<double, std::milli>(Clock::now() - a0).count();
        long aclKb = std::max(0L, rssKb() - rssA);  // RSS growth; 0 when freed pages were reused
        if (trace.empty()) {
            std::printf("%-9s %6zu %7s | %9s %9s %9s | %7s %7s | %9.1f %9.1f %9.0f | %8zu %8ld | -\n", set.c_str(), rules.size(), "-", "-", "-", "-", "-", "-", jitMs, aclMs, tvMs, jitBytes / 1024, aclKb);
            rte_acl_free(ctx);
            continue;
        }
        // Inputs.
        std::vector<sl_meta> metas(trace.size());
        std::vector<const sl_meta*> mp(trace.size());
        std::vector<AclKey> keys(trace.size());
        std::vector<const uint8_t*> kp(trace.size());
        std::vector<lang::Headers> hs(trace.size());
        for (size_t i = 0; i < trace.size(); ++i) {
            lang::Headers h;
            h.srcIp = lang::IpAddr::v4(trace[i].src);
            h.dstIp = lang::IpAddr::v4(trace[i].dst);
            h.srcPort = trace[i].sp;
            h.dstPort = trace[i].dp;
            h.proto = trace[i].proto;
            hs[i] = h;
            metas[i] = compiler::toMeta(h);
            mp[i] = &metas[i];
            AclKey& k = keys[i];
            std::memset(&k, 0, sizeof k);
            k.proto = trace[i].proto;
            k.src = rte_cpu_to_be_32(trace[i].src);
            k.dst = rte_cpu_to_be_32(trace[i].dst);
            k.sp = rte_cpu_to_be_16(trace[i].sp);
            k.dp = rte_cpu_to_be_16(trace[i].dp);
            kp[i] = reinterpret_cast<const uint8_t*>(&k);
        }
        size_t n = trace.size();
        auto burst = (*compiled)->lookupBurst(0, lang::Direction::Out);
        std::vector<sl_result> jitRes(n);
        std::vector<uint32_t> aclRes(n);
        double jitNs = medianNs(runs, n, [&] {
            for (size_t i = 0; i < n; i += 32) burst(mp.data() + i, jitRes.data() + i, static_cast<uint32_t>(std::min<size_t>(32, n - i)));
        });
        double aclNs = medianNs(runs, n, [&] {
            for (size_t i = 0; i < n; i += 32) rte_acl_classify(ctx, kp.data() + i, aclRes.data() + i, static_cast<uint32_t>(std::min<size_t>(32, n - i)), 1);
        });
        interp::Interpreter interp(policy);
        size_t ni = std::min(n, interpPackets);
        std::vector<int64_t> intRes(ni);
        double intNs = medianNs(std::min(runs, 3), ni, [&] {
            for (size_t i = 0; i < ni; ++i) {
                auto r = interp.evaluate(0, lang::Direction::Out, hs[i]);
                intRes[i] = r.layers.empty() || !r.layers[0].rule ? -1 : static_cast<int64_t>(*r.layers[0].rule);
            }
        });
        size_t agree = 0;
        for (size_t i = 0; i < n; ++i) {
            int64_t j = jitRes[i].step_rule[0] == SL_NO_RULE ? -1 : static_cast<int64_t>(jitRes[i].step_rule[0]);
            int64_t a = static_cast<int64_t>(aclRes[i]) - 1;
            bool ok = j == a && (i >= ni || intRes[i] == j);
            agree += ok;
        }
        std::printf("%-9s %6zu %7zu | %9.2f %9.2f %9.1f | %7.2f %7.0f | %9.1f %9.1f %9.0f | %8zu %8ld | %zu/%zu\n",
                    set.c_str(), rules.size(), n, 1e3 / jitNs, 1e3 / aclNs, 1e6 / intNs, aclNs / jitNs,
                    intNs / jitNs, jitMs, aclMs, tvMs, jitBytes / 1024, aclKb, agree, n);
        std::fflush(stdout);
        rte_acl_free(ctx);
    }
    rte_eal_cleanup();
    return 0;
}
