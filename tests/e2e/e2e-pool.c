/* SPDX-License-Identifier: MIT */
/* Spare staging files (HEAPRR_POOL=1): children forked one after another take over the staging file
 * the previous one left instead of creating and deleting one each. Each child's trace is whole and
 * holds its own calls only; a child killed while using a taken-over file is recovered exactly; and
 * heaprr record leaves no spare behind. */
#include "e2e.h"

#include <unistd.h>

#define CHILDREN 12
#define CALLS 5 /* per child, sizes 3001..3005 (wl-children.c) */

static int is_child_trace(const char *name)
{
    return strncmp(name, "pool.", 5) == 0 && strcmp(name, "pool.hrr") != 0 && strstr(name, ".stage") == NULL;
}

int main(void)
{
    char trace[4096], names[64][256], path[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "pool.hrr");
    char *argv[] = {(char *)e2e_workload("wl-children"), "12", "kill", NULL};
    char *env[] = {"HEAPRR_POOL=1", "HEAPRR_STATS=1", NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, env) == 0);
    CHECK(r.exited && r.code == 0 && strstr(r.out, "wl-children: done"));
    /* every child but the first found the spare its predecessor left (the root and the first
     * child create theirs; the killed child reports nothing) */
    size_t taken = 0;
    for (const char *p = r.err; (p = strstr(p, "staging file taken over")) != NULL; p++)
        taken++;
    CHECK_EQ_U64(taken, CHILDREN - 2);

    /* the children ended cleanly but for the last: spares are left (no heaprr record to remove them) */
    CHECK(e2e_list(".heaprr-spare-", names, 64) >= 1);
    size_t n = e2e_list("pool.", names, 64), children = 0, stages = 0;
    for (size_t i = 0; i < n; i++) {
        stages += strstr(names[i], ".stage") != NULL;
        if (!is_child_trace(names[i]))
            continue;
        children++;
        e2e_path(path, sizeof path, names[i]);
        char stage[4200];
        snprintf(stage, sizeof stage, "%s.stage", path);
        if (access(stage, F_OK) == 0) { /* the killed child: its staging file, perhaps a spare's */
            char *rec[] = {(char *)e2e_heaprr(), "recover", path, NULL};
            CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
            CHECK(r.exited && r.code == 0);
        }
        trace_summary s;
        CHECK_FATAL(e2e_summarize(path, &s) == 0);
        CHECK(s.complete);
        for (unsigned k = 0; k < CALLS; k++)
            CHECK_EQ_U64(e2e_count_size(path, HR_MALLOC, 3001 + k), 1);
    }
    CHECK_EQ_U64(children, CHILDREN);
    CHECK_EQ_U64(stages, 1); /* only the killed child's, before its recovery */

    /* heaprr record removes the spares its processes left */
    char dir[4096];
    e2e_path(dir, sizeof dir, "rec.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", dir, "--", (char *)e2e_workload("wl-children"), "6",
                   NULL};
    for (size_t i = 0; i < n; i++)
        if (strncmp(names[i], ".heaprr-spare-", 14) == 0) {
            e2e_path(path, sizeof path, names[i]);
            unlink(path);
        }
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK_EQ_U64(e2e_list(".heaprr-spare-", names, 64), 0);
    CHECK_EQ_U64(e2e_list("rec.", names, 64), 7);
    return check_done("e2e-pool");
}
