/* SPDX-License-Identifier: MIT */
/* Failure injection (HEAPRR_FAIL) on programs written for it (tests/workloads/wl-oom.c,
 * wl-oomxx.cpp): the calls the rules pick fail as their contract says (NULL and ENOMEM; bad_alloc
 * caught; NULL from the nothrow new; the new_handler first), the program sees exactly those
 * failures, and the trace marks each as injected. A specification it cannot read is one line on
 * stderr, and the program runs as without it. A real shortage inside the real operator new, whose
 * new_handler frees memory before the operator tries again, is one event of the new (its second
 * try is its own, not the program's malloc), plainly and in guard mode. */
#include "e2e.h"

#include <stdio.h>
#include <string.h>

static char trace[4096];

/* Runs workload with HEAPRR_FAIL=spec under the recorder; *injected: the failed events the trace
 * marks injected, *failed: all failed events. */
static void run(run_result *r, const char *workload, const char *arg, const char *spec, uint64_t *injected,
                uint64_t *failed)
{
    char env[512];
    snprintf(env, sizeof env, "HEAPRR_FAIL=%s", spec);
    char *envp[] = {env, NULL};
    char *argv[] = {(char *)e2e_workload(workload), (char *)arg, NULL};
    CHECK_FATAL(e2e_run_traced(r, trace, argv, envp) == 0);
    *injected = *failed = 0;
    hr_reader *rd;
    hr_record rec;
    CHECK_FATAL(hr_reader_open(&rd, trace, 0) == 0);
    while (hr_reader_next(rd, &rec) == 1) {
        if (rec.type != HR_REC_EVENT || !(rec.u.event.xflags & HR_XF_FAILED))
            continue;
        (*failed)++;
        *injected += (rec.u.event.xflags & HR_XF_INJECTED) != 0;
    }
    hr_reader_close(rd);
}

static void expect_c(const char *spec, int handled)
{
    run_result r;
    uint64_t injected, failed;
    char want[64];
    run(&r, "wl-oom", "handled", spec, &injected, &failed);
    snprintf(want, sizeof want, "handled %d\n", handled);
    CHECK(r.exited && r.code == 0);
    CHECK(strcmp(r.out, want) == 0);
    CHECK_EQ_U64(injected, (uint64_t)handled);
    CHECK_EQ_U64(failed, (uint64_t)handled);
    if (strcmp(r.out, want) != 0)
        fprintf(stderr, "HEAPRR_FAIL=%s: printed '%s', expected '%s'\n", spec, r.out, want);
}

/* wl-oomxx real-oom under heaprr record (option: "" or "--guard"). */
static void real_oom(const char *option)
{
    run_result r;
    char *argv[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, (char *)option, "--",
                    (char *)e2e_workload("wl-oomxx"), "real-oom", NULL};
    if (!*option)
        memmove(&argv[5], &argv[6], 4 * sizeof argv[0]);
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0 && strcmp(r.out, "real-oom handler 1 block OK\n") == 0);
    if (strcmp(r.out, "real-oom handler 1 block OK\n") != 0)
        fprintf(stderr, "real-oom %s: status %d, printed '%s', %s\n", option, r.code, r.out, r.err);
    const uint64_t big = 48ull << 20;
    CHECK_EQ_U64(e2e_count_size(trace, HR_NEW_ARRAY, big), 1);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, big) + e2e_count_size(trace, HR_NEW, big), 0);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 64ull << 20), 1); /* the reserve, freed by the handler */
    trace_summary sum;
    CHECK_FATAL(e2e_summarize(trace, &sum) == 0);
    CHECK_EQ_U64(sum.kinds[HR_DELETE_ARRAY], 1);
    char *replay[] = {(char *)e2e_heaprr(), "replay", trace, NULL}; /* the new[] and delete[] pair up */
    CHECK_FATAL(e2e_run(&r, replay, NULL) == 0);
    CHECK(r.exited && r.code == 0 && strstr(r.out, "\n0 errors found") != NULL);
}

int main(void)
{
    e2e_path(trace, sizeof trace, "inject.hrr");
    real_oom("");
    real_oom("--guard");
    /* The rules, one at a time and combined, on the ten calls of make_item. */
    expect_c("func=make_item,kind=malloc,size>41", 0); /* make_item asks 32 to 41 bytes */
    expect_c("func=make_item,kind=malloc,size>=41", 1);
    expect_c("func=make_item,nth=3;func=make_item,nth=5", 2); /* the process allocates nothing before */
    expect_c("func=make_item,count=4", 4);
    expect_c("func=make_item,after=0,every=1,size>=40", 2); /* 40 and 41 bytes */
    expect_c("func=make_item,random=1", 10);
    expect_c("func=make_item,random=0", 0);

    /* random= draws the same calls on every run. */
    run_result a, b;
    uint64_t ia, ib, f;
    run(&a, "wl-oom", "handled", "func=make_item,random=0.5,seed=3", &ia, &f);
    run(&b, "wl-oom", "handled", "func=make_item,random=0.5,seed=3", &ib, &f);
    CHECK(a.exited && a.code == 0 && strcmp(a.out, b.out) == 0 && ia == ib);
    CHECK(ia > 0 && ia < 10);

    /* C++: a throwing new's bad_alloc is caught, the nothrow one returns NULL. */
    run_result r;
    uint64_t injected, failed;
    run(&r, "wl-oomxx", "plain", "kind=new,func=_ZL9make_nodev", &injected, &failed);
    CHECK(r.exited && r.code == 0);
    CHECK(strcmp(r.out, "caught 5 nothrow 0 handler 0\n") == 0);
    CHECK_EQ_U64(injected, 5);
    run(&r, "wl-oomxx", "plain", "kind=new,func=_ZL17make_node_nothrowv,count=3", &injected, &failed);
    CHECK(strcmp(r.out, "caught 0 nothrow 3 handler 0\n") == 0);
    CHECK_EQ_U64(injected, 3);
    /* With a new_handler, it runs first and the allocation is tried again (and succeeds); the
     * handler then takes itself away, and the next injected failure throws. */
    run(&r, "wl-oomxx", "handler", "kind=new,func=_ZL9make_nodev,count=2", &injected, &failed);
    CHECK(strcmp(r.out, "caught 1 nothrow 0 handler 1\n") == 0);
    if (strcmp(r.out, "caught 1 nothrow 0 handler 1\n") != 0)
        fprintf(stderr, "handler run printed '%s'\n", r.out);

    /* A specification it cannot read: one line, and no failure. */
    run(&r, "wl-oom", "handled", "nth=3,bogus=1", &injected, &failed);
    CHECK(r.exited && r.code == 0 && strcmp(r.out, "handled 0\n") == 0);
    CHECK(strstr(r.err, "HEAPRR_FAIL=nth=3,bogus=1: 'bogus=1' is not a condition") != NULL);
    CHECK_EQ_U64(injected, 0);
    /* heaprr record --fail reads the rules first: one line and status 2, the program not run. */
    char *bad[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--fail", "every=0", "--",
                   (char *)e2e_workload("wl-oom"), NULL};
    CHECK_FATAL(e2e_run(&r, bad, NULL) == 0);
    CHECK(r.exited && r.code == 2 && r.out[0] == 0);
    CHECK(strstr(r.err, "heaprr record: --fail every=0: 'every=0' is not a condition") != NULL);
    char *good[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--fail", "func=make_item,count=3", "--",
                    (char *)e2e_workload("wl-oom"), NULL};
    CHECK_FATAL(e2e_run(&r, good, NULL) == 0);
    CHECK(r.exited && r.code == 0 && strcmp(r.out, "handled 3\n") == 0);
    return check_done("e2e-inject");
}
