/* SPDX-License-Identifier: MIT */
/* The symbol-table index (analyzer/symtab.c) must name every address as dwfl_module_addrinfo does:
 * compared on real modules (this program, the C and C++ libraries, a big program without debug
 * information when one is installed), at every symbol's first and last byte and around them, and
 * at addresses spread over each module. */
#include "../check.h"

#include "symtab.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t mismatches, compared;

static void compare_at(Dwfl_Module *mod, hr_symtab *t, uint64_t q, const char *path)
{
    GElf_Off off;
    GElf_Sym sym;
    const char *want = dwfl_module_addrinfo(mod, q, &off, &sym, NULL, NULL, NULL);
    const char *got = hr_symtab_name(t, q);
    compared++;
    if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0)) {
        if (mismatches++ < 10)
            fprintf(stderr, "%s: at %#llx libdwfl says %s, the index %s\n", path, (unsigned long long)q,
                    want ? want : "(none)", got ? got : "(none)");
    }
}

/* Compares at the edges of every stride-th symbol and at `spread` addresses over the module. */
static void compare_module(const char *path, unsigned stride, unsigned spread)
{
    if (access(path, R_OK) != 0)
        return;
    Dwfl *dwfl = dwfl_begin(&callbacks);
    CHECK_FATAL(dwfl != NULL);
    dwfl_report_begin(dwfl);
    Dwfl_Module *mod = dwfl_report_elf(dwfl, path, path, -1, 0x10000000, false);
    dwfl_report_end(dwfl, NULL, NULL);
    CHECK_FATAL(mod != NULL);
    hr_symtab *t = hr_symtab_new(mod);
    CHECK_FATAL(t != NULL);
    int n = dwfl_module_getsymtab(mod);
    for (int i = 1; i < n; i += (int)stride) {
        GElf_Sym s;
        GElf_Addr v;
        if (!dwfl_module_getsym_info(mod, i, &s, &v, NULL, NULL, NULL) || s.st_shndx == SHN_UNDEF)
            continue;
        for (int d = -1; d <= 1; d++) {
            compare_at(mod, t, v + (uint64_t)d, path);
            compare_at(mod, t, v + s.st_size + (uint64_t)d, path);
        }
    }
    Dwarf_Addr lo, hi;
    dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
    for (unsigned k = 0; k < spread && hi > lo; k++)
        compare_at(mod, t, lo + next() % (hi - lo), path);
    hr_symtab_free(t);
    dwfl_end(dwfl);
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = 0;
    /* libdwfl's answer, the reference, takes time in proportion to the table: big ones are sampled */
    compare_module(argv[0][0] == '/' ? argv[0] : self, 1, 2000);
    compare_module("/lib/x86_64-linux-gnu/libc.so.6", 3, 1000);
    compare_module("/lib/x86_64-linux-gnu/libstdc++.so.6", 7, 500);
    compare_module("/lib/x86_64-linux-gnu/libdw.so.1", 5, 500);
    compare_module("/usr/bin/bash", 3, 500);
    compare_module("/usr/bin/node", 1999, 100);
    /* identical code folded: hundreds of names at one address, the first in table order wins */
    compare_module("/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so", 211, 100);
    fprintf(stderr, "test-symtab: %llu addresses compared, %llu differ\n", (unsigned long long)compared,
            (unsigned long long)mismatches);
    CHECK(compared > 5000);
    CHECK_EQ_U64(mismatches, 0);
    return check_done("test-symtab");
}
