// What a controller change costs on the gateway side of on-demand forwarding, by VPC size:
// committing one `vm move` into the embedded file store (lock, read and check the file, apply,
// write, fsync, rename) and the gateway's reload after it (read and check the file, build the
// responder's hash table). Medians of 5 moves per size, all sizes in one run.
//   store_bench [DIR] [MAX_VMS]     (default: $TMPDIR, 1000000)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sluice/gateway/responder.h"

namespace {

using namespace sluice;
using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

controller::Address v4(uint32_t x) {
    controller::Address a;
    a.family = 4;
    a.bytes = {uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x)};
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path();
    size_t maxVms = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000000;
    std::printf(
        "| VMs | file MB | commit one move ms | gateway reload ms (read + check + table) |\n");
    std::printf("| --- | --- | --- | --- |\n");
    for (size_t n : {size_t(10), size_t(1000), size_t(100000), size_t(1000000)}) {
        if (n > maxVms) break;
        auto path = (dir / ("store_bench_" + std::to_string(::getpid()) + ".store")).string();
        auto store = controller::openFileStore(path);
        // Fill in commits of 100,000 writes.
        for (size_t done = 0; done < n;) {
            std::vector<controller::Write> ws;
            for (; done < n && ws.size() < 100000; ++done) {
                controller::Write w;
                w.vm = {100, v4(0x0a000000u + uint32_t(done))};
                w.vmValue = {v4(0xc0a80000u + uint32_t(done % 4096)),
                             controller::Mac{
                                 {2, 0, 0, uint8_t(done >> 16), uint8_t(done >> 8), uint8_t(done)}},
                             0};
                ws.push_back(w);
            }
            if (!store->commit(ws).ok()) {
                std::fprintf(stderr, "store_bench: fill failed\n");
                return 1;
            }
        }
        std::vector<double> commit, reload;
        for (int i = 0; i < 5; ++i) {
            controller::Write w;
            w.vm = {100, v4(0x0a000000u + uint32_t(i % n))};
            w.vmValue = {v4(0xc0a90000u + uint32_t(i)), controller::Mac{{2, 0, 0, 0, 0, 1}}, 0};
            auto t0 = Clock::now();
            auto r = store->commit({w});
            auto t1 = Clock::now();
            auto t = store->read();
            gateway::VmTable table(*t);
            auto t2 = Clock::now();
            if (!r.ok() || table.size() != n) {
                std::fprintf(stderr, "store_bench: move failed\n");
                return 1;
            }
            commit.push_back(ms(t0, t1));
            reload.push_back(ms(t1, t2));
        }
        double mb = double(fs::file_size(path)) / 1e6;
        std::printf("| %zu | %.2f | %.1f | %.1f |\n", n, mb, median(commit), median(reload));
        fs::remove(path);
        fs::remove(path + ".lock");
    }
    return 0;
}
