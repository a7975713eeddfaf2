/* SPDX-License-Identifier: MIT */
/* LTTng-UST end to end, user space only, with a real lttng-sessiond (started and stopped by heaprr
 * record --lttng, or by this test): a multi-threaded program recorded with --lttng and imported
 * gives the per-kind counts of its libheaprr.so trace; a trace of LTTng-UST's stock libc wrapper
 * imports, with the program's calls in it. */
#include "e2e.h"

#include <signal.h>
#include <unistd.h>

static int sh(const char *cmd)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    run_result r;
    if (e2e_run(&r, argv, NULL) != 0)
        return -1;
    if (!r.exited || r.code != 0)
        fprintf(stderr, "command failed: %s\n%s", cmd, r.err);
    return r.exited ? r.code : -1;
}

int main(void)
{
    char dir[4096], imported[4096], plain[4096], cmd[16384];
    run_result r;
    if (access("/usr/bin/lttng", X_OK) != 0 || access("/usr/bin/lttng-sessiond", X_OK) != 0) {
        fprintf(stderr, "e2e-lttng: lttng-tools is not installed\n");
        return 1;
    }
    /* the same program, with libheaprr.so and with --lttng */
    e2e_path(plain, sizeof plain, "kinds.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", plain, "--", (char *)e2e_workload("wl-kinds"), NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK_FATAL(r.exited && r.code == 0);
    e2e_path(dir, sizeof dir, "kinds-lttng");
    char *lt[] = {(char *)e2e_heaprr(), "record", "--lttng", "-o", dir, "--", (char *)e2e_workload("wl-kinds"), NULL};
    CHECK_FATAL(e2e_run(&r, lt, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.err, "LTTng trace in") != NULL);
    e2e_path(imported, sizeof imported, "kinds-lttng.hrr");
    char *imp[] = {(char *)e2e_heaprr(), "import", "--from", "ctf", dir, "-o", imported, NULL};
    CHECK_FATAL(e2e_run(&r, imp, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    trace_summary a, b;
    CHECK_FATAL(e2e_summarize(plain, &a) == 0);
    CHECK_FATAL(e2e_summarize(imported, &b) == 0);
    for (unsigned k = 1; k < HR_KIND_COUNT; k++)
        CHECK_EQ_U64(b.kinds[k], a.kinds[k]);
    CHECK_EQ_U64(b.failed, a.failed);
    /* modules came from the statedump: the stacks symbolize */
    char *leaks[] = {(char *)e2e_heaprr(), "leaks", "--json", imported, NULL};
    CHECK_FATAL(e2e_run(&r, leaks, NULL) == 0);
    CHECK(strstr(r.out, "\"function\": \"main\"") != NULL);

    /* LTTng-UST's stock libc wrapper, in a session of our own */
    char wdir[4096], wtrace[4096];
    e2e_path(wdir, sizeof wdir, "wrapper");
    e2e_path(wtrace, sizeof wtrace, "wrapper.hrr");
    snprintf(cmd, sizeof cmd,
             "started=0; lttng list >/dev/null 2>&1 || { lttng-sessiond --daemonize --no-kernel && started=1; };"
             " for i in 1 2 3 4 5 6 7 8 9 10; do lttng list >/dev/null 2>&1 && break; sleep 0.2; done;"
             " s=heaprr-e2e-$$; lttng create $s --output=%s >/dev/null &&"
             " lttng enable-event -u -s $s 'lttng_ust_libc:*' >/dev/null &&"
             " lttng enable-event -u -s $s 'lttng_ust_statedump:*' >/dev/null &&"
             " lttng add-context -u -s $s -t vtid -t ip >/dev/null && lttng start $s >/dev/null &&"
             " LTTNG_UST_REGISTER_TIMEOUT=10000 LD_PRELOAD=liblttng-ust-libc-wrapper.so.1 %s; rc=$?;"
             " lttng stop $s >/dev/null; lttng destroy $s >/dev/null;"
             " [ $started = 1 ] && pkill -x lttng-sessiond;"
             " exit $rc",
             wdir, e2e_workload("wl-sizes"));
    CHECK_FATAL(sh(cmd) == 0);
    char *imp2[] = {(char *)e2e_heaprr(), "import", "--from", "ctf", wdir, "-o", wtrace, NULL};
    CHECK_FATAL(e2e_run(&r, imp2, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    /* the program's 4 blocks of 5000 and 3 callocs of 10 x 10 are there */
    CHECK_EQ_U64(e2e_count_size(wtrace, HR_MALLOC, 5000), 4);
    CHECK_EQ_U64(e2e_count_size(wtrace, HR_CALLOC, 10), 3);
    CHECK(e2e_count_size(wtrace, HR_REALLOC, 600) == 1);
    char *lk[] = {(char *)e2e_heaprr(), "leaks", "--json", wtrace, NULL};
    CHECK_FATAL(e2e_run(&r, lk, NULL) == 0);
    /* the 4 x 5000 and the 100 left leaked come from one line of the program */
    CHECK(strstr(r.out, "\"bytes\": 20100,") != NULL);
    CHECK(strstr(r.out, "\"function\": \"main\"") != NULL); /* the ip context and the statedump */
    return check_done("e2e-lttng");
}
