/* SPDX-License-Identifier: MIT */
/* Guard mode: heaprr record --guard leaves the program working and its counts exact, records the
 * damage to guard zones, and heaprr replay reports each as one overrun naming the culprit block,
 * and puts the bytes back into the model's heap: one lands in the fill after the request, the
 * other, past a band block, on the next block's header, and the finding says so. */
#include "e2e.h"

static uint64_t guard_records(const char *path)
{
    hr_reader *r;
    uint64_t n = 0;
    if (hr_reader_open(&r, path, 0) < 0)
        return UINT64_MAX;
    hr_record rec;
    while (hr_reader_next(r, &rec) > 0)
        n += rec.type == HR_REC_GUARD;
    hr_reader_close(r);
    return n;
}

int main(void)
{
    char trace[4096], kinds[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "overrun.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "--guard", "-o", trace, "--",
                   (char *)e2e_workload("wl-overrun"), NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "ABCDEFGHIJKL") != NULL);
    CHECK_EQ_U64(guard_records(trace), 2);

    char *dump[] = {(char *)e2e_heaprr(), "dump", trace, NULL};
    CHECK_FATAL(e2e_run(&r, dump, NULL) == 0);
    CHECK(strstr(r.out, "size=10 damaged: +10=0x4b +11=0x4c +12=0x00") != NULL);

    char *replay[] = {(char *)e2e_heaprr(), "replay", trace, NULL};
    CHECK_FATAL(e2e_run(&r, replay, NULL) == 0);
    CHECK(r.exited && r.code == 3);
    CHECK(strstr(r.out, "check bounds") != NULL);
    CHECK(strstr(r.out, "overrun: free(") != NULL);
    CHECK(strstr(r.out, "3 bytes written past the end of the 10-byte block") != NULL);
    CHECK(strstr(r.out, "from offset 10 (its guard zone); on the model they hit the fill after the request") != NULL);
    CHECK(strstr(r.out, "copy_name") != NULL); /* the allocation's stack, symbolized */
    CHECK(strstr(r.out, "4 bytes written past the end of the 16-byte block") != NULL);
    CHECK(strstr(r.out, "; on the model they hit the header of block 0x") != NULL);
    CHECK(strstr(r.out, "corrupt-header: free(") == NULL); /* one finding per overrun */
    CHECK(strstr(r.out, "2 errors found") != NULL);

    /* Without guard mode nothing is recorded, and the replay finds nothing. */
    e2e_path(trace, sizeof trace, "plain.hrr");
    char *plain[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-overrun"),
                     NULL};
    CHECK_FATAL(e2e_run(&r, plain, NULL) == 0);
    CHECK_EQ_U64(guard_records(trace), 0);
    CHECK_FATAL(e2e_run(&r, (char *[]){(char *)e2e_heaprr(), "replay", trace, NULL}, NULL) == 0);
    CHECK(r.exited && r.code == 0);

    /* Guard mode keeps every count exact on the 4-thread kinds workload. */
    e2e_path(kinds, sizeof kinds, "kinds.hrr");
    char *wl[] = {(char *)e2e_workload("wl-kinds"), NULL};
    char *env[] = {"MALLOC_CKBOUNDS=1", NULL};
    CHECK_FATAL(e2e_run_traced(&r, kinds, wl, env) == 0);
    CHECK(r.exited && r.code == 0);
    trace_summary s;
    CHECK_FATAL(e2e_summarize(kinds, &s) == 0);
    CHECK(s.complete);
    CHECK(s.process.guard_bytes == 32);
    CHECK_EQ_U64(guard_records(kinds), 0);
    CHECK_FATAL(e2e_run(&r, (char *[]){(char *)e2e_heaprr(), "replay", kinds, NULL}, NULL) == 0);
    CHECK(r.exited && r.code == 0);

    /* MALLOC_GUARD_SIZE sets both zones: with 64 bytes the 4-thread workload runs as well, the
     * trace says so, and its replay finds nothing. */
    char *env64[] = {"MALLOC_CKBOUNDS=1", "MALLOC_GUARD_SIZE=64", NULL};
    CHECK_FATAL(e2e_run_traced(&r, kinds, wl, env64) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_FATAL(e2e_summarize(kinds, &s) == 0);
    CHECK(s.process.guard_bytes == 64);
    CHECK_FATAL(e2e_run(&r, (char *[]){(char *)e2e_heaprr(), "replay", kinds, NULL}, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    return check_done("e2e-guard");
}
