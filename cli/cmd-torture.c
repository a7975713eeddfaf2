/* SPDX-License-Identifier: MIT */
/* heaprr torture --oom -- PROGRAM ARGS: systematic out-of-memory testing (torture.h). One baseline
 * run, then one run per allocation site (or per call) that fails exactly that allocation; a report
 * of what the program did each time, in text or JSON, and exit 1 when any run crashed, leaked or
 * hung. */
#define _GNU_SOURCE
#include "cli.h"
#include "torture.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "usage: heaprr torture --oom [--calls N] [--depth N] [--limit N] [--jobs N] [--timeout SECONDS]\n"
    "                     [--keep DIR] [--json] -- PROGRAM [ARGS...]\n"
    "\n"
    "Out-of-memory testing. Runs PROGRAM once under heaprr record, finds the distinct allocation\n"
    "sites it used (the innermost frames of each call's stack), then runs it once per site with\n"
    "the first allocation there made to fail as out of memory would (NULL and ENOMEM,\n"
    "std::bad_alloc). Each run is reported as:\n"
    "  handled      it went on, or stopped with an error of its own (exit status, last message)\n"
    "  crashed      a signal killed it: the failed call is named (function and line)\n"
    "  leaked       it ended as the baseline did but left blocks the baseline freed\n"
    "  hung         it did not end within the timeout\n"
    "  not-reached  no allocation failed (the run took another path)\n"
    "Exits 1 when a run crashed, leaked or hung, 0 when none did. PROGRAM reads /dev/null.\n"
    "\n"
    "  --oom            fail allocations (the only torture so far; required)\n"
    "  --calls N        one run per call instead: each of the first N allocation calls fails in turn\n"
    "  --depth N        frames that make a site, 1 to 16 (default 16; 1: the calling line only)\n"
    "  --limit N        only the first N sites (in the order the baseline reached them)\n"
    "  -j, --jobs N     runs at a time (default 2)\n"
    "  --timeout S      seconds before a run is called hung (default: 10 times the baseline's,\n"
    "                   at least 10)\n"
    "  --keep DIR       keep every run's trace, stdout and stderr in DIR (run-0 is the baseline)\n"
    "  --json           the report as JSON\n";

static void parse(int argc, char **argv, torture_opts *o)
{
    static const struct option opts[] = {
        {"oom", no_argument, NULL, 'O'},         {"calls", required_argument, NULL, 'c'},
        {"depth", required_argument, NULL, 'd'}, {"limit", required_argument, NULL, 'l'},
        {"jobs", required_argument, NULL, 'j'},  {"timeout", required_argument, NULL, 't'},
        {"keep", required_argument, NULL, 'k'},  {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},        {0}};
    int c;
    while ((c = cli_getopt("torture", argc, argv, "+hj:", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'O')
            o->oom = 1;
        else if (c == 'c')
            o->calls = cli_number("torture", "--calls", optarg, 1, 1000000);
        else if (c == 'd')
            o->depth = cli_number("torture", "--depth", optarg, 1, 16);
        else if (c == 'l')
            o->limit = cli_number("torture", "--limit", optarg, 1, UINT32_MAX);
        else if (c == 'j')
            o->jobs = cli_number("torture", "--jobs", optarg, 1, 64);
        else if (c == 't')
            o->timeout = (double)cli_number("torture", "--timeout", optarg, 1, 86400);
        else if (c == 'k')
            o->keep = optarg;
        else if (c == 'J')
            o->json = 1;
    }
    if (!o->oom)
        cli_usage("torture", "missing --oom (the torture to apply)");
    if (optind >= argc)
        cli_usage("torture", "missing program to run (heaprr torture --oom -- PROGRAM ARGS)");
}

/* ---- the work folder ---- */

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static char temp_dir[PATH_MAX]; /* the folder made for the runs, removed at exit */

static void remove_temp_dir(void)
{
    if (temp_dir[0])
        nftw(temp_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *work_dir(const torture_opts *o, char *buf, size_t cap)
{
    if (o->keep) {
        if (mkdir(o->keep, 0755) < 0 && errno != EEXIST)
            cli_die(1, "cannot create %s: %s", o->keep, strerror(errno));
        if (!realpath(o->keep, buf))
            cli_die(1, "%s: %s", o->keep, strerror(errno));
        return buf;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, cap, "%s/heaprr-torture.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(buf))
        cli_die(1, "cannot create a folder for the runs (%s): %s", buf, strerror(errno));
    snprintf(temp_dir, sizeof temp_dir, "%s", buf);
    atexit(remove_temp_dir); /* also when a later step exits with an error */
    return buf;
}

static const char *self_path(void)
{
    static char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        cli_die(1, "cannot find heaprr itself (/proc/self/exe)");
    self[n] = 0;
    return self;
}

/* ---- running ---- */

static void nothing(size_t i, void *arg)
{
    (void)i, (void)arg;
}

/* The progress bar, on a terminal: runs done of all. */
static void bar(const sweep *s)
{
    if (!isatty(STDERR_FILENO))
        return;
    size_t n = s->sites.n, fill = n ? s->ended * 30 / n : 30;
    fprintf(stderr, "\rtorture [%.*s%*s] %zu/%zu runs", (int)fill, "##############################", (int)(30 - fill),
            "", s->ended, n);
    if (s->ended == n)
        fprintf(stderr, "\r%*s\r", 60, "");
    fflush(stderr);
}

static void judged(size_t i, void *arg)
{
    sweep *s = arg;
    tt_judge(&s->runs[i], &s->sites.v[i], &s->base, s->base_leaks, &s->verdicts[i]);
    s->ended++;
    bar(s);
}

static void run_baseline(sweep *s)
{
    tt_runner rr = s->rr;
    rr.timeout = s->o->timeout ? s->o->timeout : 3600;
    rr.jobs = 1;
    if (tt_run_all(&rr, &s->base, 1, 0, nothing, NULL) < 0)
        cli_die(130, "interrupted");
    if (s->base.hung)
        cli_die(1, "the program did not end within %.0f s with no failure injected: nothing to compare with",
                rr.timeout);
    if (s->base.signal || !s->base.exited)
        cli_die(1, "the program was killed by signal %d with no failure injected: nothing to compare with",
                s->base.signal);
    if (access(s->base.trace, R_OK) != 0) {
        char said[256];
        tt_last_line(s->base.err, said, sizeof said);
        cli_die(1, "the baseline run left no trace%s%s", said[0] ? ": " : " (was the program recorded?)", said);
    }
    s->base_leaks = tt_leakset_read(s->base.trace);
    if (!s->base_leaks)
        cli_die(1, "cannot read the baseline's trace %s", s->base.trace);
    s->rr.timeout = s->o->timeout ? s->o->timeout : s->base.seconds * 10 > 10 ? s->base.seconds * 10 : 10;
}

static void run_sites(sweep *s)
{
    if (s->o->calls)
        tt_sites_calls(s->base.trace, s->o->calls, &s->sites);
    else
        tt_sites_read(s->base.trace, s->o->depth ? (unsigned)s->o->depth : 16, &s->sites);
    if (s->o->limit)
        tt_sites_keep(&s->sites, s->o->limit);
    s->runs = calloc(s->sites.n ? s->sites.n : 1, sizeof *s->runs);
    s->verdicts = calloc(s->sites.n ? s->sites.n : 1, sizeof *s->verdicts);
    if (!s->runs || !s->verdicts)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < s->sites.n; i++)
        s->runs[i].rule = s->sites.v[i].rule;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (tt_run_all(&s->rr, s->runs, s->sites.n, 1, judged, s) < 0)
        cli_die(130, "interrupted");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

int cmd_torture(int argc, char **argv)
{
    torture_opts o = {0};
    parse(argc, argv, &o);
    char dir[PATH_MAX];
    sweep s = {.o = &o, .argv = argv + optind};
    s.rr = (tt_runner){self_path(), work_dir(&o, dir, sizeof dir), argv + optind, 0, o.jobs ? (unsigned)o.jobs : 2};
    run_baseline(&s);
    run_sites(&s);
    int bad = 0;
    for (size_t i = 0; i < s.sites.n; i++)
        bad |= s.verdicts[i].outcome == TT_CRASHED || s.verdicts[i].outcome == TT_LEAKED ||
               s.verdicts[i].outcome == TT_HUNG;
    if (o.json)
        tt_report_json(&s);
    else
        tt_report_text(&s);
    tt_leakset_free(s.base_leaks);
    tt_sites_free(&s.sites);
    free(s.runs);
    free(s.verdicts);
    return bad ? 1 : 0;
}
