/* SPDX-License-Identifier: MIT */
/* heaprr record: runs a program under libheaprr.so, passes its exit status through, completes
 * the traces of processes that did not exit normally, lists every trace the run wrote and says
 * which processes wrote none. Options and wiring; the pieces are in record-*.c. */
#define _GNU_SOURCE
#include "cli.h"
#include "record.h"

#include <heaprr/failspec.h>
#include <heaprr/stage.h>

#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "usage: heaprr record [-o FILE] [--depth N] [--free-stacks] [--guard] [--check-freed] [--check-access]\n"
    "                     [--fail RULES] [--torture realloc] -- PROGRAM [ARGS...]\n"
    "       heaprr record --lttng [-o DIR] [--depth N] -- PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with libheaprr.so preloaded and MALLOC_TRACE set, so every allocation call\n"
    "of it and of its children is recorded with a backtrace. Exits with PROGRAM's status\n"
    "(128 + N when a signal N killed it), then lists the traces written: FILE for PROGRAM,\n"
    "FILE with '.PID' before the extension for each forked child or exec'd program.\n"
    "\n"
    "A program the recorder cannot enter (statically linked, set-user-ID, set-group-ID, with file\n"
    "capabilities, or built for another machine) is named with the reason and run unrecorded.\n"
    "SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to heaprr are passed on to PROGRAM, and heaprr\n"
    "waits for it. After the run, traces left incomplete are completed (not those a process\n"
    "still writes), and each process that should have written a trace but did not is named.\n"
    "\n"
    "  -o, --output FILE  trace file (default: heaprr.PROGRAM.%p.hrr; %p is the pid)\n"
    "  --depth N          frames per backtrace, 1 to 256 (default 64)\n"
    "  --free-stacks      full backtraces for frees too (default: the caller only)\n"
    "  --guard            guard mode (MALLOC_CKBOUNDS=1): a guard zone (MALLOC_GUARD_SIZE, default 32\n"
    "                     bytes) before and after every block,\n"
    "                     checked at free and realloc; damage goes into the trace, and\n"
    "                     'heaprr replay' puts it back into its own heap to report it; implies\n"
    "                     --check-freed\n"
    "  --check-freed      use-after-free checks (MALLOC_CKFREED=1): freed blocks are filled with a\n"
    "                     pattern and held back from reuse (HEAPRR_QUARANTINE_MB, default 32), checked\n"
    "                     when they leave and at exit; writes into them go into the trace\n"
    "  --check-access     access checks (MALLOC_CKACCESS=1, with libheaprr-access.so preloaded too):\n"
    "                     every memcpy, memmove, memset, strcpy, strncpy, strcat, strncat, memccpy\n"
    "                     and their kin is checked, before it runs, against the blocks the program\n"
    "                     holds; one that would reach past a block's end, or (with --check-freed)\n"
    "                     into a freed block, goes into the trace with its stack\n"
    "  --fail RULES       failure injection (HEAPRR_FAIL=RULES): the allocation calls the rules pick\n"
    "                     fail as out of memory would (NULL and ENOMEM, std::bad_alloc); rules are\n"
    "                     conditions joined by ',' (all hold), rules joined by ';' (any): nth=N,\n"
    "                     every=K, after=N, random=P, seed=S, size>N, size>=N, kind=NAME,\n"
    "                     func=NAME, at=MODULE+0xOFFSET, count=M\n"
    "  --torture realloc  realloc torture (HEAPRR_TORTURE=realloc): every realloc that succeeds moves\n"
    "                     the block, and the old one is held back filled as --check-freed does, so\n"
    "                     a pointer kept into a resized buffer writes into a freed block, found\n"
    "                     when it leaves the quarantine or at exit\n"
    "  -q, --quiet        do not list the traces\n"
    "  --lttng            record through LTTng-UST instead: a one-off user-space session (starting\n"
    "                     lttng-sessiond when none runs, and stopping it after) writes a CTF\n"
    "                     trace into DIR (default heaprr.PROGRAM.lttng); read it with babeltrace2\n"
    "                     or Trace Compass, or 'heaprr import --from ctf DIR -o OUT.hrr'\n"
    "\n"
    "The library is found next to heaprr (build tree or installation), or at $HEAPRR_LIB.\n";

typedef struct rec_opts {
    const char *output;
    uint64_t depth;
    int free_stacks, quiet, guard, check_freed, check_access, lttng;
    const char *fail, *torture;
} rec_opts;

static int exists(const char *p)
{
    return access(p, R_OK) == 0;
}

/* A library: $var when set (it must exist), else the first of rel, relative to dir (NULL: where
 * this program is), that exists. The path is into path, PATH_MAX bytes. */
static const char *find_beside(const char *var, const char *name, const char *dir, const char *const *rel,
                               size_t nrel, char *path)
{
    const char *env = getenv(var);
    if (env && *env) {
        if (!exists(env))
            cli_die(EXIT_USAGE, "%s=%s: no such file", var, env);
        return realpath(env, path) ? path : env;
    }
    char self[PATH_MAX];
    if (!dir) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            cli_die(EXIT_USAGE, "cannot find %s: set %s", name, var);
        self[n] = 0;
        dir = dirname(self);
    }
    for (size_t i = 0; i < nrel; i++)
        if (snprintf(path, PATH_MAX, "%s/%s", dir, rel[i]) < PATH_MAX && exists(path))
            return path;
    cli_die(EXIT_USAGE, "cannot find %s next to %s: set %s", name, dir, var);
}

/* libheaprr.so: next to heaprr (build tree or installation), or $HEAPRR_LIB. */
static const char *find_library(void)
{
    static char path[PATH_MAX];
    static const char *const rel[] = {"../recorder/libheaprr.so", "../lib/heaprr/libheaprr.so", "../lib/libheaprr.so",
                                      "libheaprr.so"};
    return find_beside("HEAPRR_LIB", "libheaprr.so", NULL, rel, sizeof rel / sizeof *rel, path);
}

/* --fail RULES, read here first: rules the recorder could not read are said before the run. */
static const char *fail_rules(const char *text)
{
    hr_failspec spec;
    char why[256];
    if (hr_failspec_parse(text, &spec, why, sizeof why) < 0)
        cli_usage("record", "--fail %s: %s", text, why);
    return text;
}

static void parse(int argc, char **argv, rec_opts *o)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"depth", required_argument, NULL, 'd'},
        {"free-stacks", no_argument, NULL, 'f'},  {"quiet", no_argument, NULL, 'q'},
        {"guard", no_argument, NULL, 'g'},        {"lttng", no_argument, NULL, 'L'},
        {"check-freed", no_argument, NULL, 'F'},  {"check-access", no_argument, NULL, 'A'},
        {"fail", required_argument, NULL, 'X'},   {"torture", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},         {0}};
    int c;
    while ((c = cli_getopt("record", argc, argv, "+o:qh", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'o')
            o->output = optarg;
        else if (c == 'd')
            o->depth = cli_number("record", "--depth", optarg, 1, 256);
        else if (c == 'f')
            o->free_stacks = 1;
        else if (c == 'q')
            o->quiet = 1;
        else if (c == 'g')
            o->guard = 1;
        else if (c == 'F')
            o->check_freed = 1;
        else if (c == 'A')
            o->check_access = 1;
        else if (c == 'X')
            o->fail = fail_rules(optarg);
        else if (c == 'T' && strcmp(optarg, "realloc") != 0)
            cli_usage("record", "--torture %s: the torture is 'realloc'", optarg);
        else if (c == 'T')
            o->torture = optarg;
        else if (c == 'L')
            o->lttng = 1;
    }
    if (optind >= argc)
        cli_usage("record", "missing program to run (heaprr record -- PROGRAM ARGS)");
}

/* The trace template, absolute (children may change directory). */
static void trace_template(const rec_opts *o, const char *prog, char *out, size_t cap)
{
    char name[PATH_MAX], cwd[PATH_MAX];
    if (o->output) {
        if (!*o->output)
            cli_usage("record", "-o needs a file name");
        snprintf(name, sizeof name, "%s", o->output);
    } else {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s", prog);
        snprintf(name, sizeof name, "heaprr.%s.%%p.hrr", basename(tmp));
    }
    if (name[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s/%s", cwd, name);
}

/* libheaprr-access.so, next to libheaprr.so (build tree: in access/), or $HEAPRR_ACCESS_LIB. */
static const char *find_access_library(const char *lib)
{
    static char path[PATH_MAX];
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", lib);
    static const char *const rel[] = {"access/libheaprr-access.so", "libheaprr-access.so"};
    return find_beside("HEAPRR_ACCESS_LIB", "libheaprr-access.so", dirname(dir), rel, sizeof rel / sizeof *rel, path);
}

static void child_env(const rec_opts *o, const char *lib, const char *tmpl)
{
    char buf[PATH_MAX * 3];
    const char *pre = getenv("LD_PRELOAD");
    snprintf(buf, sizeof buf, "%s%s%s%s%s", lib, o->check_access ? " " : "",
             o->check_access ? find_access_library(lib) : "", pre && *pre ? " " : "", pre ? pre : "");
    setenv("LD_PRELOAD", buf, 1);
    setenv("MALLOC_TRACE", tmpl, 1);
    if (o->depth) {
        snprintf(buf, sizeof buf, "%" PRIu64, o->depth);
        setenv("MALLOC_TRACEBTDEPTH", buf, 1);
    }
    if (o->free_stacks)
        setenv("MALLOC_TRACE_FREE_STACKS", "1", 1);
    if (o->guard)
        setenv("MALLOC_CKBOUNDS", "1", 1);
    if (o->check_freed)
        setenv("MALLOC_CKFREED", "1", 1);
    if (o->check_access)
        setenv("MALLOC_CKACCESS", "1", 1);
    if (o->fail)
        setenv("HEAPRR_FAIL", o->fail, 1);
    if (o->torture)
        setenv("HEAPRR_TORTURE", o->torture, 1);
    setenv("HEAPRR_POOL", "1", 1); /* staging files reused across processes: removed after the run */
    unsetenv("HEAPRR_TRACE_RAW");
    unsetenv("HEAPRR_TRACE_TEMPLATE");
    unsetenv("HEAPRR_PARENT");
}

/* libheaprr-lttng.so: next to heaprr (build tree or installation), or $HEAPRR_LTTNG_LIB. */
static const char *find_lttng_library(void)
{
    static char path[PATH_MAX];
    static const char *const rel[] = {"../recorder/lttng/libheaprr-lttng.so", "../lib/heaprr/libheaprr-lttng.so",
                                      "../lib/libheaprr-lttng.so"};
    return find_beside("HEAPRR_LTTNG_LIB", "libheaprr-lttng.so", NULL, rel, sizeof rel / sizeof *rel, path);
}

static int record_lttng(const rec_opts *o, char **prog)
{
    if (o->guard || o->free_stacks || o->check_freed || o->check_access || o->fail || o->torture)
        cli_usage("record", "--lttng records free stacks always and has no guard mode, freed-block or access checks, "
                            "failure injection or torture");
    char dir[PATH_MAX];
    if (o->output)
        snprintf(dir, sizeof dir, "%s", o->output);
    else {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s", prog[0]);
        snprintf(dir, sizeof dir, "heaprr.%s.lttng", basename(tmp));
    }
    return cli_record_lttng(dir, find_lttng_library(), prog, (unsigned)o->depth, o->quiet);
}

/* The spare staging files the run's processes left for each other beside the traces
 * (recorder/session.c, HEAPRR_POOL): none is anyone's once the program is done. */
static void remove_spares(const char *tmpl)
{
    char path[PATH_MAX * 2 + 64];
    for (unsigned k = 0; k < HR_STAGE_SPARES; k++) {
        hr_stage_spare_path(tmpl, k, path, sizeof path);
        unlink(path);
    }
}

int cmd_record(int argc, char **argv)
{
    rec_opts o = {0};
    char tmpl[PATH_MAX * 2];
    parse(argc, argv, &o);
    char **prog = argv + optind;
    if (o.lttng)
        return record_lttng(&o, prog);
    const char *lib = find_library();
    trace_template(&o, prog[0], tmpl, sizeof tmpl);
    cli_root root = {0, prog[0], cli_image_warning(prog[0])};
    time_t start = time(NULL);
    child_env(&o, lib, tmpl);
    cli_child child;
    cli_run(prog, &child);
    if (!child.exec_errno)
        root.pid = child.pid;
    remove_spares(tmpl);
    cli_traces traces;
    cli_find_traces(tmpl, start, &traces);
    cli_complete_traces(&traces, o.quiet);
    cli_expect_traces(&traces, &root);
    cli_traces_free(&traces);
    return cli_exit_status(child.status);
}
