/* SPDX-License-Identifier: MIT */
/* fork and exec: each process image writes its own trace, none overwrites another, and a child's
 * trace names its parent's trace and the fork point, so its free of an inherited block is
 * explained. */
#include "e2e.h"

#include <unistd.h>

static uint64_t find_ptr(const char *path, unsigned kind, uint64_t size)
{
    hr_reader *r;
    hr_record rec;
    uint64_t ptr = 0;
    if (hr_reader_open(&r, path, 0) == 0)
        while (hr_reader_next(r, &rec) == 1)
            if (rec.type == HR_REC_EVENT && rec.u.event.kind == kind && rec.u.event.size == size)
                ptr = rec.u.event.ptr;
    hr_reader_close(r);
    return ptr;
}

static int has_free_of(const char *path, uint64_t ptr)
{
    hr_reader *r;
    hr_record rec;
    int found = 0;
    if (hr_reader_open(&r, path, 0) == 0)
        while (hr_reader_next(r, &rec) == 1)
            found |= rec.type == HR_REC_EVENT && rec.u.event.kind == HR_FREE && rec.u.event.ptr == ptr;
    hr_reader_close(r);
    return found;
}

/* Another preloaded library's fork handlers allocate, one of them in the child before the
 * recorder's: every trace stays whole, and the parent records its handler's calls. */
static void check_atfork(void)
{
    char trace[4096], preload[8400], mt[4200];
    e2e_path(trace, sizeof trace, "atfork.hrr");
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s %s", e2e_lib(), e2e_workload("libwl-atfork.so"));
    snprintf(mt, sizeof mt, "MALLOC_TRACE=%s", trace);
    char *env[] = {preload, mt, "HEAPRR_TRACE_RAW=", NULL};
    char *argv[] = {(char *)e2e_workload("wl-fork"), NULL}; /* the child exits at once */
    run_result r;
    CHECK_FATAL(e2e_run(&r, argv, env) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(!strstr(r.err, "heaprr: ")); /* no "recording stopped" */
    trace_summary s;
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    CHECK(s.complete && !s.truncated);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 32), 1); /* the prepare handler's */
}

int main(void)
{
    char trace[4096], names[8][256], child[4096], image[4096];
    run_result r;
    trace_summary root, ch, ex;
    e2e_path(trace, sizeof trace, "fork.hrr");
    char *argv[] = {(char *)e2e_workload("wl-fork"), (char *)e2e_workload("wl-exec-target"), NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_EQ_U64(strlen(r.err), 0);
    /* fork.hrr, fork.PID.hrr (the child), fork.PID-2.hrr (the image it exec'd). */
    size_t n = e2e_list("fork.", names, 8);
    CHECK_EQ_U64(n, 3);
    CHECK_FATAL(n == 3 && strcmp(names[2], "fork.hrr") == 0);
    e2e_path(child, sizeof child, names[1]);
    e2e_path(image, sizeof image, names[0]);
    CHECK(strstr(names[0], "-2.hrr") != NULL);

    CHECK_FATAL(e2e_summarize(trace, &root) == 0 && e2e_summarize(child, &ch) == 0 &&
                e2e_summarize(image, &ex) == 0);
    CHECK(root.complete && ch.complete && ex.complete);
    CHECK_EQ_U64(root.process.origin, HR_ORIGIN_ROOT);
    CHECK_EQ_U64(ch.process.origin, HR_ORIGIN_FORK);
    CHECK(strcmp(ch.parent_trace, trace) == 0);
    CHECK(ch.process.fork_seq > 0);
    CHECK_EQ_U64(ex.process.origin, HR_ORIGIN_EXEC);
    CHECK(strcmp(ex.parent_trace, child) == 0);

    /* The child freed A, which the parent allocated before the fork. */
    uint64_t a = find_ptr(trace, HR_MALLOC, 48);
    CHECK(a != 0 && has_free_of(child, a));
    CHECK(!has_free_of(trace, a));
    CHECK_EQ_U64(e2e_count_size(child, HR_MALLOC, 4949), 1);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 4949), 0);
    CHECK_EQ_U64(e2e_count_size(image, HR_MALLOC, 777), 7);
    CHECK_EQ_U64(ex.kinds[HR_FREE] >= 7, 1);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 777), 0);

    /* The exec'd image's trace has the same pid in its name as the child's: nothing overwritten. */
    check_atfork();
    return check_done("e2e-fork-exec");
}
