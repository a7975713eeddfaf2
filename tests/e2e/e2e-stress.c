/* SPDX-License-Identifier: MIT */
/* 8 threads handing blocks to each other: exact totals, and the global order never shows an
 * address allocated twice or freed without an allocation (a free orders before the reuse). */
#include "e2e.h"

#include <heaprr/analyze.h>

#define OPS 40000

int main(void)
{
    char trace[4096];
    run_result r;
    trace_summary s;
    e2e_path(trace, sizeof trace, "stress.hrr");
    char *argv[] = {(char *)e2e_workload("wl-stress"), "40000", NULL};
    /* small rings: the writer works during the run */
    char *env[] = {"HEAPRR_RING_KB=128", "HEAPRR_STATS=1", NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, env) == 0);
    CHECK(r.exited && r.code == 0);
    unsigned long long drained = 0, drains = 0;
    const char *costs = strstr(r.err, "recorder costs: ");
    CHECK(costs && sscanf(costs, "recorder costs: %llu records drained by the writer thread in %llu drains",
                          &drained, &drains) == 2);
    CHECK(drained > 0 && drained <= 16ull * OPS + 1000 && drains > 0); /* + thread and module records */
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    CHECK(s.complete);
    CHECK_EQ_U64(e2e_sum(&s, "worker-", HR_MALLOC), 8 * OPS);
    CHECK_EQ_U64(e2e_sum(&s, "worker-", HR_FREE), 8 * OPS);

    hr_reader *rd;
    hr_stats st;
    CHECK_FATAL(hr_reader_open(&rd, trace, 0) == 0);
    CHECK_FATAL(hr_stats_compute(rd, &st) == 0);
    hr_reader_close(rd);
    CHECK_EQ_U64(st.unknown_frees, 0);
    CHECK_EQ_U64(st.conflicts, 0);
    return check_done("e2e-stress");
}
