/* SPDX-License-Identifier: MIT */
/* Allocations before main, in an atexit handler and in a static destructor are recorded. */
#include "e2e.h"

int main(void)
{
    char trace[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "life.hrr");
    char *argv[] = {(char *)e2e_workload("wl-lifetime"), NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    trace_summary s;
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    CHECK(s.complete);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 1111), 1);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 2222), 1);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 3333), 1);

    hr_reader *rd;
    hr_record rec;
    uint64_t early = 0, freed_early = 0, seq_1111 = 0, seq_3333 = 0;
    CHECK_FATAL(hr_reader_open(&rd, trace, 0) == 0);
    while (hr_reader_next(rd, &rec) == 1) {
        if (rec.type != HR_REC_EVENT)
            continue;
        if (rec.u.event.kind == HR_MALLOC && rec.u.event.size == 1111) {
            early = rec.u.event.ptr;
            seq_1111 = rec.seq;
        }
        if (rec.u.event.kind == HR_MALLOC && rec.u.event.size == 3333)
            seq_3333 = rec.seq;
        if (rec.u.event.kind == HR_FREE && early && rec.u.event.ptr == early)
            freed_early = 1;
    }
    hr_reader_close(rd);
    CHECK(freed_early);
    CHECK(seq_1111 < seq_3333);
    return check_done("e2e-lifetime");
}
