/* SPDX-License-Identifier: MIT */
/* Leak checks at chosen points (tests/workloads/wl-leakcheck.c): heaprr leaks --at, --since and
 * --until list the blocks live at a mark, and those allocated between two marks, with their
 * stacks; a mark that is not there is one clear error. MALLOC_DUMP_LEAKS=1 prints the leaks'
 * totals at exit, the same as heaprr leaks finds. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char trace[4096];

/* heaprr leaks --json ARGS on the trace; the parsed report, or NULL (status in *status). */
static jv *leaks_json(const char *args, int *status)
{
    jv *root = e2e_heaprr_json("leaks", args, trace, status);
    if (root && *status != 0) {
        jv_free(root);
        return NULL;
    }
    return root;
}

/* Whether the stack of leak group g names function. */
static int names(const jv *g, const char *function)
{
    const jv *s = jv_get(g, "stack");
    for (const jv *fr = s ? s->child : NULL; fr; fr = fr->next) {
        const jv *fn = jv_get(fr, "function");
        if (fn && fn->type == JV_STRING && strcmp(fn->string, function) == 0)
            return 1;
    }
    return 0;
}

/* The bytes and blocks of the groups whose stack names function (each loop of main calling
 * handle_request is a stack of its own); UINT64_MAX: no such group. */
static void group_of(const jv *root, const char *function, uint64_t *bytes, uint64_t *blocks)
{
    *bytes = *blocks = UINT64_MAX;
    const jv *leaks = jv_get(root, "leaks");
    for (const jv *g = leaks ? leaks->child : NULL; g; g = g->next) {
        if (!names(g, function))
            continue;
        if (*bytes == UINT64_MAX)
            *bytes = *blocks = 0;
        *bytes += e2e_json_u64(g, "bytes");
        *blocks += e2e_json_u64(g, "blocks");
    }
}

/* total: the report's total bytes (UINT64_MAX: not checked, at the end stdout's buffer is live too) */
static void expect(const char *args, uint64_t total, uint64_t cache_bytes, uint64_t requests)
{
    int status = -1;
    jv *root = leaks_json(args, &status);
    CHECK(root != NULL);
    if (!root) {
        fprintf(stderr, "heaprr leaks %s: status %d\n", args, status);
        return;
    }
    if (total != UINT64_MAX)
        CHECK_EQ_U64(e2e_json_u64(root, "total_bytes"), total);
    uint64_t bytes, blocks;
    group_of(root, "init_cache", &bytes, &blocks);
    CHECK_EQ_U64(bytes, cache_bytes ? cache_bytes : UINT64_MAX);
    group_of(root, "remember_request", &bytes, &blocks);
    CHECK_EQ_U64(bytes, requests ? 64 * requests : UINT64_MAX);
    CHECK_EQ_U64(blocks, requests ? requests : UINT64_MAX);
    jv_free(root);
}

int main(void)
{
    run_result r;
    e2e_path(trace, sizeof trace, "leakcheck.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-leakcheck"),
                   NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 0 && strstr(r.out, "served 20 requests"));

    expect("", UINT64_MAX, 0, 20);                                /* at the end: the cache was freed */
    expect("--at warm", 1000, 1000, 0);                           /* only the cache is live then */
    expect("--at after-10", 1000 + 10 * 64, 1000, 10);
    expect("--until after-20", 1000 + 20 * 64, 1000, 20);
    expect("--since warm --until after-10", 10 * 64, 0, 10);      /* the growing leak, not the cache */
    expect("--since after-10 --until after-20", 10 * 64, 0, 10);
    expect("--since after-10", UINT64_MAX, 0, 10);                /* to the end */
    expect("--at 'after-10#1'", 1000 + 10 * 64, 1000, 10);

    /* MALLOC_DUMP_LEAKS=1: one line at exit with the totals heaprr leaks finds. */
    char *dump_env[] = {"MALLOC_DUMP_LEAKS=1", NULL};
    CHECK_FATAL(e2e_run(&r, rec, dump_env) == 0);
    CHECK(r.exited && r.code == 0);
    int status = -1;
    jv *end = leaks_json("", &status);
    CHECK_FATAL(end != NULL);
    char want[256];
    snprintf(want, sizeof want, "heaprr: leaks: %" PRIu64 " bytes in %" PRIu64 " blocks from ",
             e2e_json_u64(end, "total_bytes"), e2e_json_u64(end, "total_blocks"));
    CHECK(strstr(r.err, want) != NULL);
    if (!strstr(r.err, want))
        fprintf(stderr, "wanted '%s' in: %s\n", want, r.err);
    jv_free(end);
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(strstr(r.err, "leaks:") == NULL); /* not without it */

    /* Marks that are not there, or in the wrong order: one line, non-zero. */
    const char *bad[] = {"--at nosuch", "--at warm#2", "--since after-20 --until warm", "--since nosuch",
                         "--at warm --until warm", "--at ''"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "'%s' leaks %s '%s'", e2e_heaprr(), bad[i], trace);
        char *sh[] = {"/bin/sh", "-c", cmd, NULL};
        CHECK_FATAL(e2e_run(&r, sh, NULL) == 0);
        CHECK(r.exited && r.code != 0);
        CHECK(strchr(r.err, '\n') == strrchr(r.err, '\n')); /* one line */
        CHECK(strstr(r.err, "heaprr") != NULL);
    }
    return check_done("e2e-leakcheck");
}
