/* SPDX-License-Identifier: MIT */
/* mallopt (tests/workloads/wl-mallopt.c): recorded, the QNX commands answered by the recorder and
 * applied by the replay to its model at that point (an arena cache limit of 0 caches nothing; a
 * chain check finds nothing on a sound heap), the C library's own passed to it and applied by a
 * replay on the C library's malloc. */
#include "e2e-json.h"
#include "e2e.h"

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

/* heaprr replay --json OPTIONS TRACE, parsed; NULL unless it exited 0. */
static jv *replay(const char *options, const char *trace)
{
    int status;
    jv *root = e2e_heaprr_json("replay", options, trace, &status);
    if (root && status != 0) {
        jv_free(root);
        return NULL;
    }
    return root;
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
    CHECK_EQ_U64(e2e_json_u64(p, "mallopt.calls"), 0);
    CHECK_EQ_U64(e2e_json_u64(o, "mallopt.calls"), 1);
    CHECK_EQ_U64(e2e_json_u64(o, "mallopt.applied"), 1);
    CHECK(e2e_json_u64(p, "arena_cache.hits") > 0);
    CHECK_EQ_U64(e2e_json_u64(o, "arena_cache.hits"), 0); /* nothing cached: every arena goes back */
    CHECK(e2e_json_u64(o, "arena_cache.os_unmaps") > e2e_json_u64(p, "arena_cache.os_unmaps"));
    jv_free(p);
    jv_free(o);

    /* The C library's own command: passed to it, and applied only on a replay by the C library. */
    record("glibc", glibc, out, sizeof out);
    CHECK(strstr(out, "mallopt(M_MMAP_THRESHOLD, 65536) = 1") != NULL);
    jv *band = replay("", glibc), *sys = replay("--allocator system", glibc);
    CHECK_FATAL(band && sys);
    CHECK_EQ_U64(e2e_json_u64(band, "mallopt.calls"), 1);
    CHECK_EQ_U64(e2e_json_u64(band, "mallopt.applied"), 0);
    /* The replay's malloc is this test's (glibc's, or a sanitizer's, which takes no mallopt). */
    CHECK_EQ_U64(e2e_json_u64(sys, "mallopt.applied"), mallopt(M_MMAP_THRESHOLD, 65536) == 1);
    jv_free(band);
    jv_free(sys);

    /* Bounds checking turned on half way (the live blocks' slack filled then) and a chain check: a
     * sound heap stays without finding. */
    record("checks", checks, out, sizeof out);
    CHECK(strstr(out, "mallopt(MALLOC_VERIFY, 0) = 1") != NULL);
    jv *c = replay("", checks);
    CHECK_FATAL(c != NULL);
    CHECK_EQ_U64(e2e_json_u64(c, "mallopt.applied"), 2);
    CHECK_EQ_U64(e2e_json_u64(c, "error_count"), 0);
    const jv *check = jv_get(c, "check");
    CHECK(check && check->type == JV_STRING && strcmp(check->string, "bounds") == 0);
    jv_free(c);
    return check_done("e2e-mallopt");
}
