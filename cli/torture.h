/* SPDX-License-Identifier: MIT */
/* heaprr torture --oom: systematic out-of-memory testing of a program. A baseline run records the
 * program's allocation sites (torture-sites.c); then one run per site (or per call) fails exactly
 * that allocation (torture-runs.c); each run is judged from its exit and its trace against the
 * baseline (torture-judge.c); cmd-torture.c drives it and reports. */
#ifndef HEAPRR_CLI_TORTURE_H
#define HEAPRR_CLI_TORTURE_H

#include "cli.h"

#include <stddef.h>
#include <stdint.h>

/* ---- torture-sites.c: the baseline's allocation sites ---- */

typedef struct tt_site {
    char *rule;      /* the HEAPRR_FAIL rule that fails the site's first call */
    char *label;     /* "function (file:line) <- caller" */
    char *where;     /* innermost frame as module+offset */
    char *key;       /* its innermost frames as module+offset (tt_stack_key) */
    uint64_t calls;  /* calls the baseline made there */
    uint64_t first;  /* the first one's sequence number */
    unsigned kind;   /* the first one's entry point */
} tt_site;

typedef struct tt_sites {
    tt_site *v;
    size_t n;
    uint64_t calls; /* allocation calls that can fail, in the baseline's root trace */
} tt_sites;

/* Reads the baseline trace: the distinct sites, by their innermost depth frames (module+offset;
 * frames in no module end a site), in the order of their first call. Exits 1 with one line on
 * a trace it cannot read. */
void tt_sites_read(const char *trace, unsigned depth, tt_sites *out);
/* The first calls of the baseline, one "site" each (--calls N): rule nth=i. */
void tt_sites_calls(const char *trace, uint64_t n, tt_sites *out);
void tt_sites_free(tt_sites *s);
/* Keeps the first n sites only. */
void tt_sites_keep(tt_sites *s, size_t n);
/* A site in words: "function (file:line) <- caller", then " ... function (file:line)" of the
 * program's own code when that is further out. */
void tt_site_label(hr_reader *r, uint64_t stack, char *out, size_t cap);
/* The innermost depth frames of stack as "MOD+0xOFF/MOD+0xOFF/..." (as site= reads them), up to the
 * first frame in no module. Returns the frames named. */
unsigned tt_stack_key(const hr_reader *r, uint64_t stack, unsigned depth, char *out, size_t cap);

/* ---- torture-runs.c: the program under heaprr record, several at once ---- */

typedef struct tt_run {
    const char *rule;  /* HEAPRR_FAIL, NULL for the baseline */
    char trace[4096];  /* the root process's trace */
    char out[4096], err[4096]; /* its stdout and stderr */
    int exited, status, signal, hung;
    double seconds;
} tt_run;

typedef struct tt_runner {
    const char *self;   /* this heaprr, to run "heaprr record" */
    const char *dir;    /* where traces and outputs go */
    char *const *argv;  /* the program */
    double timeout;     /* seconds before a run is called hung */
    unsigned jobs;
} tt_runner;

/* Runs runs[0..n) with at most jobs at a time, calling done(i, arg) as each ends (in the order
 * they end). Run i writes DIR/run-i.hrr, .out, .err. Returns 0, or -1 when interrupted (SIGINT,
 * SIGTERM: the runs under way are stopped). */
int tt_run_all(const tt_runner *rr, tt_run *runs, size_t n, size_t first_id, void (*done)(size_t i, void *arg),
               void *arg);

/* ---- torture-judge.c: what the program did ---- */

enum tt_outcome { TT_HANDLED, TT_CRASHED, TT_LEAKED, TT_HUNG, TT_NOT_REACHED, TT_OUTCOMES };

typedef struct tt_leakset tt_leakset;

typedef struct tt_verdict {
    enum tt_outcome outcome;
    uint64_t injected;          /* failures injected, in all the run's processes */
    uint64_t in_children;       /* of them, in its child processes */
    char failed_at[1024];       /* the first injected call's site, symbolized ("" when none) */
    uint64_t leak_bytes, leak_blocks; /* left at exit that the baseline freed */
    char leak_at[1024];         /* the largest such group's allocation site */
    int same_output;            /* stdout as the baseline's */
    char last_err[256];         /* the last line of its stderr */
} tt_verdict;

/* The baseline's leaks, by stack (module+offset frames). NULL with the trace unreadable. */
tt_leakset *tt_leakset_read(const char *trace);
void tt_leakset_free(tt_leakset *s);
/* Judges run, made to fail at site, against the baseline's run and leaks. */
void tt_judge(const tt_run *run, const tt_site *site, const tt_run *base, const tt_leakset *base_leaks,
              tt_verdict *v);
const char *tt_outcome_name(enum tt_outcome o);
/* The last line of the file at path that is not empty, cut to cap ("" when none). */
void tt_last_line(const char *path, char *out, size_t cap);

/* ---- cmd-torture.c and torture-report.c: the sweep ---- */

typedef struct torture_opts {
    int oom, json;
    uint64_t calls, limit, jobs, depth;
    double timeout;
    const char *keep;
} torture_opts;

typedef struct sweep {
    const torture_opts *o;
    char *const *argv; /* the program */
    tt_runner rr;
    tt_run base, *runs;
    tt_sites sites;
    tt_verdict *verdicts;
    tt_leakset *base_leaks;
    size_t ended;
    double seconds; /* the runs after the baseline, from first start to last end */
} sweep;

void tt_report_text(const sweep *s);
void tt_report_json(const sweep *s);

#endif
