/* SPDX-License-Identifier: MIT */
/* Every C entry point from 4 threads: the trace holds exactly the calls the workers made. */
#include "e2e.h"

#define ROUNDS 250

int main(void)
{
    char trace[4096];
    run_result r;
    trace_summary s;
    e2e_path(trace, sizeof trace, "kinds.hrr");
    char *argv[] = {(char *)e2e_workload("wl-kinds"), NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_EQ_U64(strlen(r.err), 0);
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    CHECK(s.complete);
    static const struct {
        unsigned kind, per_round;
    } expect[] = {{HR_MALLOC, 3},    {HR_CALLOC, 1},         {HR_REALLOC, 1},       {HR_REALLOCARRAY, 1},
                  {HR_FREE, 10},     {HR_MEMALIGN, 1},       {HR_POSIX_MEMALIGN, 2}, {HR_ALIGNED_ALLOC, 1},
                  {HR_VALLOC, 1},    {HR_PVALLOC, 1},        {HR_NEW, 0},           {HR_NEW_ARRAY, 0},
                  {HR_DELETE, 0},    {HR_DELETE_ARRAY, 0}};
    for (int w = 0; w < 4; w++) {
        char name[16];
        snprintf(name, sizeof name, "worker-%d", w);
        const thread_counts *t = e2e_thread(&s, name);
        CHECK_FATAL(t != NULL);
        for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
            CHECK_EQ_U64(t->kinds[expect[i].kind], (uint64_t)expect[i].per_round * ROUNDS);
        CHECK_EQ_U64(t->failed, 2 * ROUNDS);
    }
    CHECK_EQ_U64(s.incomplete, 0);
    return check_done("e2e-kinds");
}
