/* SPDX-License-Identifier: MIT */
/* mallopt (tests/workloads/wl-mallopt.c): recorded, the QNX commands answered by the recorder and
 * applied by the replay to its model at that point (an arena cache limit of 0 caches nothing; a
 * chain check finds nothing on a sound heap), the C library's own passed to it and applied by a
 * replay on the C library's malloc. */
#include "e2e.h"
#include "jsonread.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records wl-mallopt MODE into trace; out: its stdout. */
static void record(const char *mode, const char *trace, char *out, size_t cap)
{
    run_result r;
    char *argv[] = {(char *)e2e_heaprr(), "record", "-q", "-o", (char *)trace, "--",
                    (char *)e2e_workload("wl-mallopt"), (char *)mode, NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    snprintf(out, cap, "%s", r.out);
}

/* heaprr replay --json OPTIONS TRACE, parsed. */
static jv *replay(const char *options, const char *trace)
{
    char json_path[4096], cmd[16384];
    e2e_path(json_path, sizeof json_path, "replay.json");
    snprintf(cmd, sizeof cmd, "'%s' replay --json %s '%s' > '%s'", e2e_heaprr(), options, trace, json_path);
    run_result r;
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    if (e2e_run(&r, sh, NULL) != 0 || !r.exited || r.code != 0)
        return NULL;
    FILE *f = fopen(json_path, "r");
    if (!f)
        return NULL;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    char why[256];
    return jv_parse(text, n, why, sizeof why);
}

static uint64_t num(const jv *root, const char *path)
{
    const jv *v = jv_get(root, path);
    return v && v->type == JV_NUMBER ? (uint64_t)v->number : UINT64_MAX;
}

int main(void)
{
    char plain[4096], off[4096], glibc[4096], checks[4096], out[16384];
    e2e_path(plain, sizeof plain, "plain.hrr");
    e2e_path(off, sizeof off, "off.hrr");
    e2e_path(glibc, sizeof glibc, "glibc.hrr");
    e2e_path(checks, sizeof checks, "checks.hrr");

    record("plain", plain, out, sizeof out);
    record("cache-off", off, out, sizeof out);
    CHECK(strstr(out, "mallopt(MALLOC_ARENA_CACHE_MAXBLK, 0) = 1") != NULL); /* answered by the recorder */
    jv *p = replay("", plain), *o = replay("", off);
    CHECK_FATAL(p && o);
    CHECK_EQ_U64(num(p, "mallopt.calls"), 0);
    CHECK_EQ_U64(num(o, "mallopt.calls"), 1);
    CHECK_EQ_U64(num(o, "mallopt.applied"), 1);
    CHECK(num(p, "arena_cache.hits") > 0);
    CHECK_EQ_U64(num(o, "arena_cache.hits"), 0); /* nothing cached: every arena goes back */
    CHECK(num(o, "arena_cache.os_unmaps") > num(p, "arena_cache.os_unmaps"));
    jv_free(p);
    jv_free(o);

    /* The C library's own command: passed to it, and applied only on a replay by the C library. */
    record("glibc", glibc, out, sizeof out);
    CHECK(strstr(out, "mallopt(M_MMAP_THRESHOLD, 65536) = 1") != NULL);
    jv *band = replay("", glibc), *sys = replay("--allocator system", glibc);
    CHECK_FATAL(band && sys);
    CHECK_EQ_U64(num(band, "mallopt.calls"), 1);
    CHECK_EQ_U64(num(band, "mallopt.applied"), 0);
    /* The replay's malloc is this test's (glibc's, or a sanitizer's, which takes no mallopt). */
    CHECK_EQ_U64(num(sys, "mallopt.applied"), mallopt(M_MMAP_THRESHOLD, 65536) == 1);
    jv_free(band);
    jv_free(sys);

    /* Bounds checking turned on half way (the live blocks' slack filled then) and a chain check: a
     * sound heap stays without finding. */
    record("checks", checks, out, sizeof out);
    CHECK(strstr(out, "mallopt(MALLOC_VERIFY, 0) = 1") != NULL);
    jv *c = replay("", checks);
    CHECK_FATAL(c != NULL);
    CHECK_EQ_U64(num(c, "mallopt.applied"), 2);
    CHECK_EQ_U64(num(c, "error_count"), 0);
    const jv *check = jv_get(c, "check");
    CHECK(check && check->type == JV_STRING && strcmp(check->string, "bounds") == 0);
    jv_free(c);
    return check_done("e2e-mallopt");
}
