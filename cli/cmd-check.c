/* SPDX-License-Identifier: MIT */
/* heaprr check FILE... [limits]: a gate for CI, as pytest-memray's limit_memory and limit_leaks.
 * The traces (one per process) are held against the limits: leaked bytes and calls summed over
 * all, the peak of the largest process, and with --no-errors no finding in any trace's replay.
 * One line per limit broken and exit 1; JUnit XML for CI systems with --junit. */
#include "cli.h"
#include "traces.h"
#include "heapopts.h"

#include <heaprr/analyze.h>
#include <heaprr/replay.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char help[] =
    "usage: heaprr check FILE... [--max-leaked BYTES] [--max-peak BYTES] [--max-calls N] [--no-errors]\n"
    "                    [--junit OUT.xml] [--tree]\n"
    "\n"
    "Holds traces against limits, for CI: exit 0 when all hold, 1 with one line per limit broken\n"
    "(1 also for an unreadable trace, 2 for bad usage). Several traces (a process and its\n"
    "children: 'heaprr check out*.hrr', or --tree FILE for a trace and its descendants') are\n"
    "checked together.\n"
    "\n"
    "  --max-leaked BYTES  blocks never freed, all traces together, at most BYTES\n"
    "  --max-peak BYTES    the peak live heap of each process at most BYTES\n"
    "  --max-calls N       allocation calls (every kind, frees included), all together, at most N\n"
    "  --no-errors         no heap error: every trace is replayed on the band model with the\n"
    "                      checker (what 'heaprr replay' reports) and none may have a finding\n"
    "  --junit OUT.xml     also a JUnit report: one test case per limit (and per trace for\n"
    "                      --no-errors), failed ones with the line above\n"
    "BYTES takes a suffix: K, M, G (1024, 1024^2, 1024^3; KiB, MiB, GiB alike).\n";

enum { OPT_LEAKED = 1200, OPT_PEAK, OPT_CALLS, OPT_NO_ERRORS, OPT_JUNIT, OPT_TREE };

typedef struct check_opts {
    uint64_t max_leaked, max_peak, max_calls;
    int leaked, peak, calls, no_errors, tree;
    const char *junit;
} check_opts;

/* BYTES: a number with an optional K, M or G (binary) suffix. */
static uint64_t parse_bytes(const char *opt, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    uint64_t scale = 1;
    if (end != v && *end) {
        const char *s = end;
        int shift = strncasecmp(s, "k", 1) == 0 ? 10 : strncasecmp(s, "m", 1) == 0 ? 20 : strncasecmp(s, "g", 1) == 0 ? 30 : -1;
        if (shift > 0 && (!s[1] || strcasecmp(s + 1, "ib") == 0 || strcasecmp(s + 1, "b") == 0)) {
            scale = 1ull << shift;
            end += strlen(end);
        }
    }
    if (end == v || *end || errno || v[0] == '-' || n > UINT64_MAX / scale)
        cli_usage("check", "%s expects a size in bytes (a number, K, M or G after it), not '%s'", opt, v);
    return (uint64_t)n * scale;
}

static void parse(int argc, char **argv, check_opts *o)
{
    static const struct option opts[] = {{"max-leaked", required_argument, NULL, OPT_LEAKED},
                                         {"max-peak", required_argument, NULL, OPT_PEAK},
                                         {"max-calls", required_argument, NULL, OPT_CALLS},
                                         {"no-errors", no_argument, NULL, OPT_NO_ERRORS},
                                         {"junit", required_argument, NULL, OPT_JUNIT},
                                         {"tree", no_argument, NULL, OPT_TREE},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int c;
    memset(o, 0, sizeof *o);
    while ((c = cli_getopt("check", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == OPT_LEAKED)
            o->max_leaked = parse_bytes("--max-leaked", optarg), o->leaked = 1;
        else if (c == OPT_PEAK)
            o->max_peak = parse_bytes("--max-peak", optarg), o->peak = 1;
        else if (c == OPT_CALLS)
            o->max_calls = cli_number("check", "--max-calls", optarg, 0, UINT64_MAX), o->calls = 1;
        else if (c == OPT_NO_ERRORS)
            o->no_errors = 1;
        else if (c == OPT_JUNIT)
            o->junit = optarg;
        else if (c == OPT_TREE)
            o->tree = 1;
    }
    if (optind >= argc)
        cli_usage("check", "missing trace file");
    if (!o->leaked && !o->peak && !o->calls && !o->no_errors)
        cli_usage("check", "no limit to check (--max-leaked, --max-peak, --max-calls, --no-errors)");
    if (o->junit && !*o->junit)
        cli_usage("check", "--junit needs a file name");
}

/* ---- what the traces hold ---- */

typedef struct trace_figures {
    const char *path;
    hr_stats st;
    uint64_t findings; /* --no-errors: the replay's */
    uint64_t by_kind[HR_FIND_COUNT];
} trace_figures;

static void read_stats(trace_figures *t)
{
    hr_reader *r = cli_open_trace(t->path, 0);
    cli_pass_done(hr_stats_compute(r, &t->st), r, t->path);
    cli_truncation_note(r, "checked what it holds");
    hr_reader_close(r);
}

static void replay(trace_figures *t)
{
    hr_reader *r = cli_open_trace(t->path, 0);
    hr_replay_options o = {.check = HR_CHECK_BASIC};
    const cli_heapopts defaults = {0}; /* the model's configuration from the environment, as replay's */
    cli_heap_config("check", &defaults, &o.heap);
    hr_replay *rp;
    if (hr_replay_new(&rp, &o) < 0)
        cli_die(1, "%s", hr_replay_setup_error());
    int rc = hr_replay_run(rp, r);
    if (rc == HR_ERR_NOMEM)
        cli_die(1, "out of memory replaying %s", t->path);
    if (rc < 0)
        cli_trace_error(r);
    hr_replay_result res;
    hr_replay_result_get(rp, &res);
    t->findings = res.findings_total;
    memcpy(t->by_kind, res.findings, sizeof t->by_kind);
    hr_replay_free(rp);
    hr_reader_close(r);
}

/* ---- verdicts ---- */

typedef struct verdict {
    char name[512];  /* the test case: "max-leaked", "no-errors FILE" */
    char seen[128];  /* what was measured, against the limit */
    char line[1024]; /* what broke it ("" when it holds) */
} verdict;

typedef struct verdicts {
    verdict *v;
    size_t n, failed;
} verdicts;

static verdict *add(verdicts *vs, const char *name)
{
    verdict *v = realloc(vs->v, (vs->n + 1) * sizeof *v);
    if (!v)
        cli_die(1, "out of memory");
    vs->v = v;
    v = &vs->v[vs->n++];
    snprintf(v->name, sizeof v->name, "%s", name);
    v->seen[0] = v->line[0] = 0;
    return v;
}

static void broken(verdicts *vs, verdict *v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void broken(verdicts *vs, verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->line, sizeof v->line, fmt, ap);
    va_end(ap);
    vs->failed++;
}

static void check_totals(const check_opts *o, const trace_figures *t, size_t n, verdicts *vs)
{
    uint64_t leaked = 0, blocks = 0, calls = 0;
    size_t peak_at = 0, leak_at = 0;
    for (size_t i = 0; i < n; i++) {
        leaked += t[i].st.leaked_bytes;
        blocks += t[i].st.leaked_blocks;
        calls += t[i].st.calls;
        if (t[i].st.peak_live_bytes > t[peak_at].st.peak_live_bytes)
            peak_at = i;
        if (t[i].st.leaked_bytes > t[leak_at].st.leaked_bytes)
            leak_at = i;
    }
    const char *all = n > 1 ? " in all traces" : "";
    if (o->leaked) {
        verdict *v = add(vs, "max-leaked");
        snprintf(v->seen, sizeof v->seen, "leaked %" PRIu64 " <= %" PRIu64, leaked, o->max_leaked);
        if (leaked > o->max_leaked)
            broken(vs, v, "leaked %" PRIu64 " bytes in %" PRIu64 " blocks%s, over --max-leaked %" PRIu64
                   " ('heaprr leaks %s' lists the most)", leaked, blocks, all, o->max_leaked, t[leak_at].path);
    }
    if (o->peak) {
        verdict *v = add(vs, "max-peak");
        const hr_stats *s = &t[peak_at].st;
        snprintf(v->seen, sizeof v->seen, "peak %" PRIu64 " <= %" PRIu64, s->peak_live_bytes, o->max_peak);
        if (s->peak_live_bytes > o->max_peak)
            broken(vs, v, "peak live heap %" PRIu64 " bytes in %s, over --max-peak %" PRIu64
                   " ('heaprr summary %s' shows what was live)", s->peak_live_bytes, t[peak_at].path, o->max_peak,
                   t[peak_at].path);
    }
    if (o->calls) {
        verdict *v = add(vs, "max-calls");
        snprintf(v->seen, sizeof v->seen, "calls %" PRIu64 " <= %" PRIu64, calls, o->max_calls);
        if (calls > o->max_calls)
            broken(vs, v, "%" PRIu64 " allocation calls%s, over --max-calls %" PRIu64, calls, all, o->max_calls);
    }
}

static void check_errors(const trace_figures *t, size_t n, verdicts *vs)
{
    for (size_t i = 0; i < n; i++) {
        char name[512];
        snprintf(name, sizeof name, "no-errors %s", t[i].path);
        verdict *v = add(vs, name);
        snprintf(v->seen, sizeof v->seen, "%s", i ? "" : "no heap errors");
        if (!t[i].findings)
            continue;
        char kinds[512] = "";
        size_t k = 0;
        for (int f = 0; f < HR_FIND_COUNT && k < sizeof kinds; f++)
            if (t[i].by_kind[f])
                k += (size_t)snprintf(kinds + k, sizeof kinds - k, "%s%s %" PRIu64, k ? ", " : "",
                                      hr_finding_name((hr_finding_kind)f), t[i].by_kind[f]);
        broken(vs, v, "%" PRIu64 " heap error%s in %s (%s; 'heaprr replay %s' shows them)", t[i].findings,
               t[i].findings == 1 ? "" : "s", t[i].path, kinds, t[i].path);
    }
}

/* ---- JUnit ---- */

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else if ((unsigned char)*s < 0x20 && *s != '\t')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void write_junit(const char *path, const verdicts *vs)
{
    FILE *f = fopen(path, "w");
    if (!f)
        cli_die(1, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"heaprr check\" tests=\"%zu\" failures=\"%zu\">\n", vs->n, vs->failed);
    fprintf(f, "  <testsuite name=\"heaprr check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n", vs->n, vs->failed);
    for (size_t i = 0; i < vs->n; i++) {
        fprintf(f, "    <testcase classname=\"heaprr.check\" name=\"");
        xml_text(f, vs->v[i].name);
        if (!vs->v[i].line[0]) {
            fprintf(f, "\"/>\n");
            continue;
        }
        fprintf(f, "\">\n      <failure message=\"");
        xml_text(f, vs->v[i].line);
        fprintf(f, "\"/>\n    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    if (fclose(f) != 0)
        cli_die(1, "cannot write %s: %s", path, strerror(errno));
}

int cmd_check(int argc, char **argv)
{
    check_opts o;
    parse(argc, argv, &o);
    cli_trace_set set;
    cli_trace_set_collect("check", argc, argv, o.tree, &set);
    size_t n = set.n;
    trace_figures *t = calloc(n, sizeof *t);
    if (!t)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < n; i++) {
        t[i].path = set.paths[i];
        read_stats(&t[i]);
        if (o.no_errors)
            replay(&t[i]);
    }
    verdicts vs = {0};
    check_totals(&o, t, n, &vs);
    if (o.no_errors)
        check_errors(t, n, &vs);
    for (size_t i = 0; i < vs.n; i++)
        if (vs.v[i].line[0])
            printf("heaprr check: %s\n", vs.v[i].line);
    if (!vs.failed) {
        printf("heaprr check: ok, %zu trace%s:", n, n == 1 ? "" : "s");
        for (size_t i = 0, k = 0; i < vs.n; i++)
            if (vs.v[i].seen[0])
                printf("%s %s", k++ ? "," : "", vs.v[i].seen);
        printf("\n");
    }
    if (o.junit)
        write_junit(o.junit, &vs);
    int status = vs.failed ? 1 : 0;
    free(vs.v);
    free(t);
    cli_trace_set_free(&set);
    return status;
}
