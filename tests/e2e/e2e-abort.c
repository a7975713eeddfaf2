/* SPDX-License-Identifier: MIT */
/* A program glibc aborts on (double free): heaprr record passes the status through (134) and
 * leaves a complete trace holding both frees; under plain LD_PRELOAD the process dies with
 * SIGABRT and heaprr recover completes the trace it left. */
#include "e2e.h"

#include <signal.h>
#include <unistd.h>

static void check_trace(const char *trace)
{
    trace_summary s;
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    CHECK(s.complete);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 32), 1);
    const thread_counts *t = &s.threads[0];
    CHECK(t->kinds[HR_FREE] >= 2);
}

int main(void)
{
    char trace[4096], trace2[4096], stage[4200];
    run_result r;
    e2e_path(trace, sizeof trace, "abort.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-o", trace, "--", (char *)e2e_workload("wl-doublefree"), NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 128 + SIGABRT);
    CHECK(strstr(r.err, "double free") != NULL);
    CHECK(strstr(r.err, "recovered") != NULL);
    check_trace(trace);

    e2e_path(trace2, sizeof trace2, "abort2.hrr");
    char *plain[] = {(char *)e2e_workload("wl-doublefree"), NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace2, plain, NULL) == 0);
    CHECK(r.signaled && r.sig == SIGABRT);
    snprintf(stage, sizeof stage, "%s.stage", trace2);
    CHECK(access(stage, F_OK) == 0);
    char *recover[] = {(char *)e2e_heaprr(), "recover", trace2, NULL};
    CHECK_FATAL(e2e_run(&r, recover, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "recovered") != NULL);
    CHECK(access(stage, F_OK) != 0);
    check_trace(trace2);
    /* A second recover is a no-op. */
    CHECK_FATAL(e2e_run(&r, recover, NULL) == 0);
    CHECK(r.exited && r.code == 0 && strstr(r.out, "nothing to recover"));
    return check_done("e2e-abort");
}
