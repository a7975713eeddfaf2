/* SPDX-License-Identifier: MIT */
/* SIGKILL: every allocation that returned before the kill is in the trace after heaprr recover,
 * with its whole backtrace. */
#define _GNU_SOURCE
#include "e2e.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLS 20000

static void run_and_kill(const char *trace, const char *ring_kb)
{
    int p[2];
    CHECK_FATAL(pipe(p) == 0);
    pid_t pid = fork();
    CHECK_FATAL(pid >= 0);
    if (pid == 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", CALLS);
        dup2(p[1], 1);
        setenv("LD_PRELOAD", e2e_lib(), 1);
        setenv("MALLOC_TRACE", trace, 1);
        setenv("HEAPRR_RING_KB", ring_kb, 1);
        unsetenv("HEAPRR_TRACE_RAW");
        execl(e2e_workload("wl-killed"), "wl-killed", n, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[16] = {0};
    CHECK(read(p[0], buf, sizeof buf - 1) > 0 && strncmp(buf, "ready", 5) == 0);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(p[0]);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void check(const char *name, const char *ring_kb)
{
    char trace[4096];
    run_result r;
    trace_summary s;
    e2e_path(trace, sizeof trace, name);
    run_and_kill(trace, ring_kb);
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    CHECK(s.truncated);
    CHECK(e2e_count_size(trace, HR_MALLOC, 48) < CALLS); /* most are still staged */
    char *recover[] = {(char *)e2e_heaprr(), "recover", trace, NULL};
    CHECK_FATAL(e2e_run(&r, recover, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    CHECK(s.complete);
    CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 48), CALLS);
    /* backtraces whose outer frames were shared with the record before are whole again */
    CHECK_EQ_U64(e2e_depth_mismatches(trace, HR_MALLOC, 48, 5), 0);
}

/* A forked child killed by its parent: heaprr record completes the child's trace by itself. */
static void forked_child(void)
{
    char trace[4096], names[4][256], child[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "fk.hrr");
    char *argv[] = {(char *)e2e_heaprr(), "record", "-o", trace, "--", (char *)e2e_workload("wl-forkkill"), "30000", NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.err, "recovered") != NULL);
    CHECK_FATAL(e2e_list("fk.", names, 4) == 2);
    e2e_path(child, sizeof child, names[0]); /* fk.PID.hrr sorts before fk.hrr */
    trace_summary s;
    CHECK_FATAL(e2e_summarize(child, &s) == 0);
    CHECK(s.complete);
    CHECK_EQ_U64(s.process.origin, HR_ORIGIN_FORK);
    CHECK_EQ_U64(e2e_count_size(child, HR_MALLOC, 48), 30000);
}

int main(void)
{
    check("killed.hrr", "1024"); /* everything still in the staging file */
    check("killed-small.hrr", "64"); /* small rings: most events went through the writer first */
    forked_child();
    return check_done("e2e-sigkill");
}
