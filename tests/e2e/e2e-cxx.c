/* SPDX-License-Identifier: MIT */
/* C++ operators: each recorded once, as its operator, never as the malloc/free underneath; a new
 * that throws is a failed new; the exception object it allocates is the program's malloc. */
#include "e2e.h"

#define ROUNDS 100

int main(void)
{
    char trace[4096];
    run_result r;
    trace_summary s;
    e2e_path(trace, sizeof trace, "cxx.hrr");
    char *argv[] = {(char *)e2e_workload("wl-cxx"), NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    const thread_counts *t = e2e_thread(&s, "worker");
    CHECK_FATAL(t != NULL);
    CHECK_EQ_U64(t->kinds[HR_NEW], 4 * ROUNDS);
    CHECK_EQ_U64(t->kinds[HR_NEW_ARRAY], 3 * ROUNDS);
    CHECK_EQ_U64(t->kinds[HR_DELETE], 4 * ROUNDS);
    CHECK_EQ_U64(t->kinds[HR_DELETE_ARRAY], 2 * ROUNDS);
    CHECK_EQ_U64(t->failed, ROUNDS);
    /* Only the exception objects: one malloc and one free per throw. */
    CHECK_EQ_U64(t->kinds[HR_MALLOC], ROUNDS);
    CHECK_EQ_U64(t->kinds[HR_FREE], ROUNDS);
    CHECK_EQ_U64(t->kinds[HR_ALIGNED_ALLOC] + t->kinds[HR_POSIX_MEMALIGN] + t->kinds[HR_MEMALIGN], 0);
    CHECK_EQ_U64(e2e_count_size(trace, HR_NEW, 128), 2 * ROUNDS); /* aligned Wide */

    /* A program that replaces operator new and delete (on malloc, or on a pool that never frees):
     * its operators' malloc and free are what is recorded, in every mode, and nothing is an error. */
    static const char *const modes[] = {"", "MALLOC_CKBOUNDS=1", "MALLOC_ACTION=1", "MALLOC_CKFREED=1"};
    for (int pool = 0; pool < 2; pool++) {
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
            char *wl[] = {(char *)e2e_workload("wl-newrepl"), pool ? "pool" : "malloc", NULL};
            char *env[] = {(char *)modes[i], NULL};
            CHECK_FATAL(e2e_run_traced(&r, trace, wl, *modes[i] ? env : NULL) == 0);
            CHECK(r.exited && r.code == 0 && strstr(r.out, "done"));
            CHECK(!strstr(r.err, "heaprr: "));
            CHECK_FATAL(e2e_summarize(trace, &s) == 0);
            CHECK_EQ_U64(s.kinds[HR_NEW] + s.kinds[HR_NEW_ARRAY] + s.kinds[HR_DELETE] + s.kinds[HR_DELETE_ARRAY], 0);
            CHECK(pool || s.kinds[HR_MALLOC] >= 200);
            char *replay[] = {(char *)e2e_heaprr(), "replay", trace, NULL};
            CHECK_FATAL(e2e_run(&r, replay, NULL) == 0);
            CHECK(r.exited && r.code == 0);
        }
    }
    return check_done("e2e-cxx");
}
