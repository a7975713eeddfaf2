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
    return check_done("e2e-cxx");
}
