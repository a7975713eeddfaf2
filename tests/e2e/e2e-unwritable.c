/* SPDX-License-Identifier: MIT */
/* A trace that cannot be written: an unwritable path (one warning, the program runs normally)
 * and a file size limit hit mid-run (one warning, the program finishes, the trace so far reads). */
#define _GNU_SOURCE
#include "e2e.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void unwritable_path(void)
{
    run_result r;
    char *argv[] = {(char *)e2e_workload("wl-exec-target"), NULL};
    CHECK_FATAL(e2e_run_traced(&r, "/nonexistent-heaprr-dir/x.hrr", argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_EQ_U64(count_lines(r.err), 1);
    CHECK(strstr(r.err, "cannot create trace '/nonexistent-heaprr-dir/x.hrr'") != NULL);
}

/* Runs wl-stress with files limited to limit bytes (writes past it fail with EFBIG). */
static void run_limited(const char *trace, rlim_t limit, int *status, char *err, size_t cap)
{
    int pe[2];
    CHECK_FATAL(pipe(pe) == 0);
    pid_t pid = fork();
    CHECK_FATAL(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {limit, limit};
        dup2(pe[1], 2);
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
        setenv("LD_PRELOAD", e2e_lib(), 1);
        setenv("MALLOC_TRACE", trace, 1);
        setenv("HEAPRR_RING_KB", "64", 1);
        setenv("HEAPRR_CHUNK_KB", "64", 1);
        unsetenv("HEAPRR_TRACE_RAW");
        execl(e2e_workload("wl-stress"), "wl-stress", "60000", (char *)NULL);
        _exit(127);
    }
    close(pe[1]);
    ssize_t n = read(pe[0], err, cap - 1);
    err[n > 0 ? n : 0] = 0;
    close(pe[0]);
    waitpid(pid, status, 0);
}

static void file_too_big(void)
{
    char trace[4096], err[4096];
    int status;
    e2e_path(trace, sizeof trace, "limited.hrr");
    run_limited(trace, 1536 * 1024, &status, err, sizeof err); /* staging fits, the trace does not */
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ_U64(count_lines(err), 1);
    CHECK(strstr(err, "cannot write the trace") != NULL && strstr(err, "recording stopped") != NULL);
    trace_summary s;
    CHECK(e2e_summarize(trace, &s) == 0); /* readable: no error, just cut short */
    CHECK(s.truncated);
    CHECK(s.kinds[HR_MALLOC] > 1000);
}

/* The program closes our descriptors: the recorder reopens its files by name and records on; the
 * program's own file, which got a low descriptor, stays its own. */
static void closed_descriptors(void)
{
    char trace[4096], own[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "closed.hrr");
    e2e_path(own, sizeof own, "own-data.txt");
    char *argv[] = {(char *)e2e_workload("wl-closefds"), own, NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_EQ_U64(strlen(r.err), 0);
    trace_summary s;
    CHECK(e2e_summarize(trace, &s) == 0 && s.complete);
    CHECK(s.kinds[HR_MALLOC] >= 400000); /* the trace was reopened: nothing lost */
}

int main(void)
{
    unwritable_path();
    file_too_big();
    closed_descriptors();
    return check_done("e2e-unwritable");
}
