/* SPDX-License-Identifier: MIT */
/* heaprr check, the CI gate: limits that hold exit 0 with one "ok" line naming what was measured;
 * each limit broken is one line and exit 1; leaks and calls are summed over a process and its
 * child (tests/workloads/wl-fork: 48 bytes left by the parent, 4949 by the child, 5 calls); the
 * peak is the largest process's; --no-errors replays each trace (wl-checker double-free); the
 * JUnit report has one test case per limit and per trace, the failed ones with their line; bad
 * usage exits 2, an unreadable trace 1. */
#include "e2e.h"

#include <stdio.h>
#include <string.h>

static char parent[4096], child[4096], junit[4096];

/* heaprr check ARGS (up to 8); returns the result. */
static run_result *check(char *a1, char *a2, char *a3, char *a4, char *a5, char *a6, char *a7, char *a8)
{
    static run_result r;
    char *argv[] = {(char *)e2e_heaprr(), "check", a1, a2, a3, a4, a5, a6, a7, a8, NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0 && r.exited);
    return &r;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void record_fork(void)
{
    char trace[4096], names[4][256];
    e2e_path(trace, sizeof trace, "fork.hrr");
    run_result r;
    char *argv[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-fork"), NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0 && r.exited && r.code == 0);
    CHECK_FATAL(e2e_list("fork.", names, 4) == 2);
    e2e_path(child, sizeof child, names[0]); /* fork.PID.hrr sorts before fork.hrr */
    e2e_path(parent, sizeof parent, names[1]);
}

static void limits(void)
{
    run_result *r = check(parent, child, "--max-leaked", "4997", "--max-calls", "5", "--max-peak", "5K");
    CHECK_EQ_U64(r->code, 0);
    CHECK(strstr(r->out, "heaprr check: ok, 2 traces: leaked 4997 <= 4997, peak 4949 <= 5120, calls 5 <= 5") != NULL);
    if (r->code)
        fprintf(stderr, "check within limits: %s%s", r->out, r->err);
    r = check(parent, child, "--max-leaked", "4996", "--max-calls", "4", "--max-peak", "4948");
    CHECK_EQ_U64(r->code, 1);
    CHECK_EQ_U64(count(r->out, "\n"), 3);
    CHECK(strstr(r->out, "leaked 4997 bytes in 2 blocks in all traces, over --max-leaked 4996") != NULL);
    CHECK(strstr(r->out, "5 allocation calls in all traces, over --max-calls 4") != NULL);
    CHECK(strstr(r->out, "peak live heap 4949 bytes in ") != NULL && strstr(r->out, child) != NULL);
    r = check(parent, "--max-leaked=1k", NULL, NULL, NULL, NULL, NULL, NULL); /* the parent alone: 48 */
    CHECK_EQ_U64(r->code, 0);
}

static void errors(void)
{
    char trace[4096];
    e2e_path(trace, sizeof trace, "df.hrr");
    run_result r;
    char *argv[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-checker"),
                    "double-free", NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0); /* glibc aborts on the double free: the trace is whole */
    e2e_path(junit, sizeof junit, "junit.xml");
    run_result *c = check(trace, parent, "--no-errors", "--max-leaked", "1M", "--junit", junit, NULL);
    CHECK_EQ_U64(c->code, 1);
    CHECK_EQ_U64(count(c->out, "\n"), 1);
    CHECK(strstr(c->out, "1 heap error in ") && strstr(c->out, "(double-free 1; 'heaprr replay "));
    FILE *f = fopen(junit, "r");
    CHECK_FATAL(f != NULL);
    static char xml[16384];
    xml[fread(xml, 1, sizeof xml - 1, f)] = 0;
    fclose(f);
    CHECK(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 50) == 0);
    CHECK(strstr(xml, "tests=\"3\" failures=\"1\"") != NULL);
    CHECK_EQ_U64(count(xml, "<testcase "), 3);
    CHECK_EQ_U64(count(xml, "<failure message=\"1 heap error in "), 1);
    CHECK(strstr(xml, "name=\"max-leaked\"/>") != NULL);
    CHECK(strstr(xml, "&apos;") == NULL && strstr(xml, "</testsuites>\n") != NULL);
}

static void bad_input(void)
{
    run_result *r = check(parent, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CHECK(r->code == 2 && strstr(r->err, "no limit to check"));
    r = check(parent, "--max-peak", "12X", NULL, NULL, NULL, NULL, NULL);
    CHECK(r->code == 2 && strstr(r->err, "--max-peak expects a size in bytes"));
    r = check("--max-calls", "3", NULL, NULL, NULL, NULL, NULL, NULL);
    CHECK(r->code == 2 && strstr(r->err, "missing trace file"));
    r = check("/nonexistent/t.hrr", "--max-calls", "3", NULL, NULL, NULL, NULL, NULL);
    CHECK(r->code == 1 && strstr(r->err, "/nonexistent/t.hrr"));
}

int main(void)
{
    record_fork();
    limits();
    errors();
    bad_input();
    return check_done("e2e-check");
}
