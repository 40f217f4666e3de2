/* A plain C program linked with an AOT object from `sluice compile --emit obj --prefix aot`.
 * Usage: aot_main METAS RESULTS — reads an array of sl_meta, writes, for every entry of the
 * policy descriptor (port x direction) in order, the burst results of all packets. */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    FILE *in = fopen(argv[1], "rb");
    if (!in) return 2;
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    size_t n = (size_t)size / sizeof(sl_meta);
    sl_meta *metas = malloc(n * sizeof *metas + 1);
    const sl_meta **ptrs = malloc(n * sizeof *ptrs + 1);
    sl_result *res = malloc(n * sizeof *res + 1);
    if (fread(metas, sizeof *metas, n, in) != n) return 2;
    fclose(in);
    for (size_t i = 0; i < n; ++i) ptrs[i] = &metas[i];
    FILE *out = fopen(argv[2], "wb");
    if (!out || aot_policy.abi_version != SL_ABI_VERSION) return 2;
    for (uint32_t e = 0; e < aot_policy.n_entries; ++e) {
        aot_policy.entries[e].burst(ptrs, res, (uint32_t)n);
        /* the per-packet entry must agree with the burst entry */
        for (size_t i = 0; i < n; ++i) {
            sl_result one;
            aot_policy.entries[e].one(&metas[i], &one);
            if (one.verdict != res[i].verdict || one.n_steps != res[i].n_steps) return 4;
        }
        fwrite(res, sizeof *res, n, out);
    }
    fclose(out);
    return 0;
}
