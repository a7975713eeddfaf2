/* SPDX-License-Identifier: MIT */
/* Threads the recorder once hung or lost calls on, and the environment rewrites it once turned into
 * a false invalid free: 5000 short threads (glibc frees a finished thread's memory under the lock
 * pthread_create needs, and the recorder used to start its writer there), more threads alive than
 * the staging file has rings (the overflow ring: exact totals and one warning), threads whose first
 * call is pthread_getattr_np (which reallocs under the thread's own lock, as every JVM thread does),
 * threads that end with pthread_exit, and a program calling setenv, putenv and unsetenv, then
 * system(). Each trace is complete, holds every call, has no unknown free, and replays without a
 * finding. */
#include "e2e.h"

#include <heaprr/analyze.h>

#define CALLS 10 /* per thread, sizes 4001..4010 (wl-threads.c) */

/* Records of a type in a trace. */
static uint64_t records_of(const char *path, unsigned type)
{
    hr_reader *r;
    hr_record rec;
    uint64_t n = 0;
    if (hr_reader_open(&r, path, 0) == 0)
        while (hr_reader_next(r, &rec) == 1)
            n += rec.type == type;
    hr_reader_close(r);
    return n;
}

static void check_trace(const char *trace, uint64_t threads, const char *what)
{
    trace_summary s;
    hr_reader *rd;
    hr_stats st;
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    if (!s.complete)
        fprintf(stderr, "%s: trace not complete: %s\n", what, s.message);
    CHECK(s.complete);
    for (unsigned i = 0; threads && i < CALLS; i++)
        CHECK_EQ_U64(e2e_count_size(trace, HR_MALLOC, 4001 + i), threads);
    CHECK_FATAL(hr_reader_open(&rd, trace, 0) == 0);
    CHECK_FATAL(hr_stats_compute(rd, &st) == 0);
    hr_reader_close(rd);
    CHECK_EQ_U64(st.unknown_frees, 0);
    run_result r;
    char *replay[] = {(char *)e2e_heaprr(), "replay", (char *)trace, NULL};
    CHECK_FATAL(e2e_run(&r, replay, NULL) == 0);
    if (!r.exited || r.code != 0)
        fprintf(stderr, "%s: replay status %d:\n%s%s\n", what, r.code, r.out, r.err);
    CHECK(r.exited && r.code == 0);
}

static void run_threads(const char *name, char *const args[], char *const env[], run_result *r)
{
    char trace[4096];
    char *argv[8] = {(char *)e2e_workload("wl-threads")};
    for (int i = 0; args[i] && i < 6; i++)
        argv[i + 1] = args[i];
    e2e_path(trace, sizeof trace, name);
    CHECK_FATAL(e2e_run_traced(r, trace, argv, env) == 0);
    if (!r->exited || r->code != 0)
        fprintf(stderr, "%s: status %d signal %d\n%s\n", name, r->code, r->sig, r->err);
    CHECK(r->exited && r->code == 0 && strstr(r->out, "wl-threads: done"));
}

static void test_churn(void)
{
    run_result r;
    char trace[4096];
    char *args[] = {"churn", "100", "50", NULL};
    run_threads("churn.hrr", args, NULL, &r);
    e2e_path(trace, sizeof trace, "churn.hrr");
    check_trace(trace, 5000, "churn");
    CHECK_EQ_U64(records_of(trace, HR_REC_THREAD_START), 5001);
    CHECK_EQ_U64(records_of(trace, HR_REC_THREAD_END), 5000);
}

static void test_overflow(void)
{
    run_result r;
    char trace[4096];
    char *args[] = {"alive", "20", NULL};
    char *env[] = {"HEAPRR_MAX_RINGS=8", NULL};
    run_threads("alive.hrr", args, env, &r);
    const char *warn = strstr(r.err, "heaprr: more than 7 threads alive at once");
    CHECK(warn != NULL);
    CHECK(warn && !strstr(warn + 1, "heaprr: more than 7 threads")); /* said once */
    e2e_path(trace, sizeof trace, "alive.hrr");
    check_trace(trace, 20, "overflow");
}

/* Runs `wl-threads MODE N` into MODE.hrr and checks the trace holds N threads' calls. */
static void run_mode(const char *mode, unsigned n, char *trace, size_t cap)
{
    run_result r;
    char count[16], name[64];
    snprintf(count, sizeof count, "%u", n);
    snprintf(name, sizeof name, "%s.hrr", mode);
    char *args[] = {(char *)mode, count, NULL};
    run_threads(name, args, NULL, &r);
    e2e_path(trace, cap, name);
    check_trace(trace, n, mode);
}

static void test_getattr(void)
{
    char trace[4096];
    run_mode("getattr", 16, trace, sizeof trace);
}

/* Threads that end with pthread_exit in a C program, which loads no C++ runtime: each says so. */
static void test_exit(void)
{
    char trace[4096];
    run_mode("exit", 12, trace, sizeof trace);
    CHECK_EQ_U64(records_of(trace, HR_REC_THREAD_END), 12);
}

static void test_env(void)
{
    run_result r;
    char trace[4096], names[8][256];
    e2e_path(trace, sizeof trace, "env.hrr");
    char *argv[] = {(char *)e2e_workload("wl-env"), "true", NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "wl-env: A=3 PUT=1 B=unset") != NULL);
    check_trace(trace, 0, "env");
    /* system()'s shell, started where no hook sees it, found its session in the environment: it
     * wrote a trace of its own instead of overwriting the program's */
    CHECK(e2e_list("env.", names, 8) >= 2);
    CHECK(e2e_count_size(trace, HR_MALLOC, 100) == 1);
}

int main(void)
{
    test_churn();
    test_overflow();
    test_getattr();
    test_exit();
    test_env();
    return check_done("e2e-threads");
}
