/* SPDX-License-Identifier: MIT */
/* The fast unwinder against libunwind: with HEAPRR_UNWIND_CHECK=1 the recorder computes every
 * backtrace both ways; on C, C++ (exceptions, aligned new), threads and dlopen'd code they must be
 * identical, and the fast path must do the work (almost no fallbacks). */
#include "e2e.h"

#include <stdlib.h>

static void run(const char *name, char *arg)
{
    char trace[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "unwind.hrr");
    char *argv[] = {(char *)e2e_workload(name), arg, NULL};
    char *env[] = {"HEAPRR_UNWIND_CHECK=1", NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, env) == 0);
    CHECK(r.exited && r.code == 0);
    const char *line = strstr(r.err, "unwind check: ");
    unsigned long long compared = 0, differ = 1, fell = 0;
    CHECK(line && sscanf(line, "unwind check: %llu backtraces compared with libunwind, %llu differ, %llu fell back",
                         &compared, &differ, &fell) == 3);
    if (differ || fell * 20 > compared)
        fprintf(stderr, "%s: %s", name, r.err);
    CHECK(compared > 0);
    CHECK_EQ_U64(differ, 0);
    CHECK(fell * 20 <= compared); /* at most 5% of backtraces need libunwind */
}

int main(void)
{
    run("wl-kinds", NULL);
    run("wl-cxx", NULL);
    run("wl-stress", "20000");
    run("wl-lifetime", NULL);
    run("wl-dlopen", (char *)e2e_workload("libwl-plugin.so"));
    run("wl-fork", (char *)e2e_workload("wl-exec-target"));
    return check_done("e2e-unwind");
}
