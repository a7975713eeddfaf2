/* SPDX-License-Identifier: MIT */
/* Realloc torture (heaprr record --torture realloc): tests/workloads/wl-checker keeps a pointer into
 * a buffer across a realloc that shrinks it, then writes through it. glibc shrinks in place, so
 * natively the write lands in the buffer: recorded with the freed-block checks but no torture, the
 * replay finds nothing. Under torture the block moves and the write lands in the old one, held in
 * the quarantine: one use-after-free, at the byte written, on the block the program had, freed by
 * the realloc.
 * The out-of-memory sweep (heaprr torture --oom --json) on tests/workloads/wl-oom and wl-oomxx:
 * the site whose failure path dereferences NULL named as crashed (function and line), the one that
 * leaks on its failure path as leaked (with the leaked block's site), a program that handles every
 * failure (C, and C++ catching bad_alloc) all handled, one that waits for ever as hung, and a
 * sweep by calls.
 * heaprr replay --fail on a trace recorded without failures: nth=N picks the call the recorder
 * picked for the same rule; func= finds the function from the module records; the frees of the
 * blocks never made are skipped without a finding; a failed realloc keeps the old block. stats and
 * summary count the failures injected in a recorded run. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <string.h>

static void without_torture(void)
{
    char out[16384];
    int status = -1;
    jv *root = e2e_checker_replay("--check-freed", "stale-realloc", "", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(root, "error_count"), 0);
    jv_free(root);
}

static void under_torture(const char *option, char *const env[])
{
    char out[16384];
    jv *root;
    const jv *f = e2e_checker_finding(&root, option, "stale-realloc", out, sizeof out, env, 1);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(e2e_json_str(f, "kind"), "use-after-free");
    CHECK_TEXT(e2e_json_str(f, "block"), e2e_printed_ptr(out, "stale-realloc"));
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "size"), 64);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "offset"), 8);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "bytes_damaged"), 1);
    CHECK_TEXT(e2e_json_str(f, "free_call"), "realloc");
    CHECK(e2e_stack_has(f, "free_stack", "resize_buffer"));
    CHECK(e2e_stack_has(f, "alloc_stack", "make_buffer"));
    CHECK(strstr(out, "survived") != NULL);
    jv_free(root);
}

/* heaprr torture --oom --json OPTIONS -- PROGRAM MODE: its report, and its exit status. */
static jv *sweep(const char *options, const char *program, const char *mode, int *status)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' torture --oom --json %s -- '%s' %s", e2e_heaprr(), options, e2e_workload(program),
             mode);
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    run_result r;
    if (e2e_run(&r, sh, NULL) != 0 || !r.exited) {
        fprintf(stderr, "%s: did not run\n", cmd);
        return NULL;
    }
    *status = r.code;
    char why[256];
    jv *root = jv_parse(r.out, strlen(r.out), why, sizeof why);
    if (!root)
        fprintf(stderr, "%s: %s\n%s", cmd, why, r.err);
    return root;
}

static uint64_t total(const jv *root, const char *outcome)
{
    return (uint64_t)e2e_json_num(jv_get(root, "totals"), outcome);
}

/* The only run with outcome, or NULL. */
static const jv *only_run(const jv *root, const char *outcome)
{
    const jv *found = NULL, *runs = jv_get(root, "runs");
    for (const jv *r = runs ? runs->child : NULL; r; r = r->next)
        if (strcmp(e2e_json_str(r, "outcome"), outcome) == 0) {
            if (found)
                return NULL;
            found = r;
        }
    return found;
}

static void sweep_crash(void)
{
    int status = -1;
    jv *root = sweep("", "wl-oom", "crash", &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 1);
    CHECK_EQ_U64(total(root, "crashed"), 1);
    CHECK_EQ_U64(total(root, "leaked") + total(root, "hung") + total(root, "not-reached"), 0);
    const jv *run = only_run(root, "crashed");
    CHECK_FATAL(run != NULL);
    CHECK_TEXT(e2e_json_str(run, "signal"), "SEGV");
    CHECK_TEXT(e2e_json_str(run, "kind"), "malloc");
    CHECK(strncmp(e2e_json_str(run, "failed_call"), "fill_item (wl-oom.c:", 20) == 0);
    CHECK(strncmp(e2e_json_str(run, "rule"), "site=wl-oom+0x", 14) == 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(run, "injected"), 1);
    jv_free(root);
}

static void sweep_leak(void)
{
    int status = -1;
    jv *root = sweep("--jobs 1", "wl-oom", "leak", &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 1);
    CHECK_EQ_U64(total(root, "leaked"), 1);
    CHECK_EQ_U64(total(root, "crashed") + total(root, "hung") + total(root, "not-reached"), 0);
    const jv *run = only_run(root, "leaked");
    CHECK_FATAL(run != NULL);
    CHECK(strncmp(e2e_json_str(run, "failed_call"), "make_pair (wl-oom.c:", 20) == 0);
    CHECK(strncmp(e2e_json_str(run, "leak_site"), "make_pair (wl-oom.c:", 20) == 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(run, "leaked_bytes"), 24);
    CHECK_EQ_U64((uint64_t)e2e_json_num(run, "leaked_blocks"), 1);
    CHECK_EQ_U64((uint64_t)e2e_json_num(run, "exit_status"), 0);
    jv_free(root);
}

/* Every run handled, and at least sites runs. */
static void sweep_handled(const char *options, const char *program, const char *mode, uint64_t sites)
{
    int status = -1;
    jv *root = sweep(options, program, mode, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    uint64_t handled = total(root, "handled");
    CHECK(handled >= sites);
    CHECK_EQ_U64(total(root, "crashed") + total(root, "leaked") + total(root, "hung") + total(root, "not-reached"), 0);
    jv_free(root);
}

/* C++: the site of throwing new is handled (bad_alloc caught), so is nothrow new's. */
static void sweep_cxx(void)
{
    int status = -1;
    jv *root = sweep("", "wl-oomxx", "", &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    int news = 0;
    const jv *runs = jv_get(root, "runs");
    for (const jv *r = runs ? runs->child : NULL; r; r = r->next)
        if (strcmp(e2e_json_str(r, "kind"), "new") == 0) {
            news++;
            CHECK_TEXT(e2e_json_str(r, "outcome"), "handled");
            CHECK_EQ_U64((uint64_t)e2e_json_num(r, "exit_status"), 0);
        }
    CHECK(news >= 2);
    CHECK_EQ_U64(total(root, "crashed") + total(root, "leaked") + total(root, "hung"), 0);
    jv_free(root);
}

static void sweep_hang(void)
{
    int status = -1;
    jv *root = sweep("--timeout 1", "wl-oom", "hang", &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 1);
    CHECK_EQ_U64(total(root, "hung"), 1);
    const jv *run = only_run(root, "hung");
    CHECK_FATAL(run != NULL);
    CHECK(strncmp(e2e_json_str(run, "site"), "make_item (wl-oom.c:", 20) == 0);
    CHECK(e2e_json_num(run, "seconds") < 10);
    jv_free(root);
}

/* Records wl-oom MODE (with rules when not NULL) into name; returns 0 when it ran. */
static int record_oom(const char *name, const char *mode, const char *rules, char *trace, size_t cap)
{
    e2e_path(trace, cap, name);
    char *argv[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--fail", (char *)rules, "--",
                    (char *)e2e_workload("wl-oom"), (char *)mode, NULL};
    if (!rules)
        memmove(&argv[5], &argv[7], 4 * sizeof argv[0]);
    run_result r;
    return e2e_run(&r, argv, NULL) == 0 && r.exited && r.code == 0 ? 0 : -1;
}

/* The sequence number of the trace's first event failed on purpose, 0 when none. */
static uint64_t first_injected(const char *trace)
{
    hr_reader *r;
    hr_record rec;
    uint64_t seq = 0;
    if (hr_reader_open(&r, trace, 0) == 0)
        while (!seq && hr_reader_next(r, &rec) == 1)
            if (rec.type == HR_REC_EVENT && (rec.u.event.xflags & HR_XF_INJECTED))
                seq = rec.seq;
    hr_reader_close(r);
    return seq;
}

static void replay_fail(void)
{
    char plain[4096], failed[4096];
    CHECK_FATAL(record_oom("oom.hrr", "leak", NULL, plain, sizeof plain) == 0);
    for (int n = 1; n <= 13; n += 4) { /* the same call fails in the replay as in the recorded run */
        char rule[32], opts[64];
        snprintf(rule, sizeof rule, "nth=%d", n);
        CHECK_FATAL(record_oom("oom-fail.hrr", "leak", rule, failed, sizeof failed) == 0);
        snprintf(opts, sizeof opts, "--fail %s", rule);
        int status = -1;
        jv *root = e2e_heaprr_json("replay", opts, plain, &status);
        CHECK_FATAL(root != NULL);
        CHECK_EQ_U64(e2e_json_u64(root, "injected.calls"), 1);
        const jv *sites = jv_get(root, "injected.sites");
        CHECK_FATAL(sites && sites->child);
        CHECK_EQ_U64((uint64_t)e2e_json_num(sites->child, "first_event"), first_injected(failed));
        jv_free(root);
    }
    int status = -1; /* func=: four calls of make_item fail, their frees are skipped, no finding */
    jv *root = e2e_heaprr_json("replay", "--fail func=make_item,count=4", plain, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64(e2e_json_u64(root, "error_count"), 0);
    CHECK_EQ_U64(e2e_json_u64(root, "injected.calls"), 4);
    CHECK_EQ_U64(e2e_json_u64(root, "injected.frees_skipped"), 4);
    const jv *sites = jv_get(root, "injected.sites");
    CHECK_FATAL(sites && sites->child && !sites->child->next);
    CHECK(e2e_stack_has(sites->child, "stack", "make_item"));
    jv_free(root);
    /* the recorded run's own injected failure, counted by replay, stats and summary */
    CHECK_FATAL(record_oom("oom-fail.hrr", "leak", "nth=3", failed, sizeof failed) == 0);
    root = e2e_heaprr_json("replay", "", failed, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(e2e_json_u64(root, "recorded_injected_calls"), 1);
    jv_free(root);
    root = e2e_heaprr_json("stats", "", failed, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(e2e_json_u64(root, "injected_calls"), 1);
    jv_free(root);
    root = e2e_heaprr_json("summary", "", failed, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(e2e_json_u64(root, "injected_calls"), 1);
    jv_free(root);
}

/* A realloc made to fail in the replay keeps the old block: the free of the pointer the program
 * went on with releases it, and the replay ends with the same live blocks. */
static void replay_fail_realloc(void)
{
    char trace[4096], out[16384];
    int status = -1;
    jv *root = e2e_checker_replay("", "stale-realloc", "--fail kind=realloc", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64(e2e_json_u64(root, "error_count"), 0);
    CHECK_EQ_U64(e2e_json_u64(root, "injected.calls"), 1);
    CHECK_EQ_U64(e2e_json_u64(root, "injected.frees_skipped"), 0);
    uint64_t live = e2e_json_u64(root, "final_live_blocks");
    jv_free(root);
    e2e_path(trace, sizeof trace, "checker.hrr");
    root = e2e_heaprr_json("replay", "", trace, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(e2e_json_u64(root, "final_live_blocks"), live);
    jv_free(root);
}

int main(void)
{
    without_torture();
    under_torture("--torture=realloc", NULL);
    char *env[] = {"HEAPRR_TORTURE=realloc", NULL}; /* the variable, without heaprr record's option */
    under_torture("", env);

    sweep_crash();
    sweep_leak();
    sweep_hang();
    sweep_handled("", "wl-oom", "handled", 2);
    sweep_handled("--calls 5", "wl-oom", "handled", 5);
    sweep_cxx();

    replay_fail();
    replay_fail_realloc();
    return check_done("e2e-torture");
}
