/* SPDX-License-Identifier: MIT */
/* heaprr plot: the live heap, the bin histogram, fragmentation (a replay on the band model) or
 * the allocation rate, drawn by gnuplot into a .png or .svg. */
#include "cli.h"
#include "heapopts.h"
#include "passes.h"
#include "progress.h"
#include "traces.h"

#include <heaprr/bins.h>
#include <heaprr/plots.h>
#include <heaprr/replay.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define FRAG_POINTS 2000

static const char help[] =
    "usage: heaprr plot --kind heap|bins|frag|rate -o OUT.png|OUT.svg [--tree] FILE...\n"
    "\n"
    "  heap   live heap over time (the most live bytes in each 10 ms, and at their end)\n"
    "  bins   allocations and most live blocks per size bin\n"
    "  frag   footprint, live bytes and fragmentation over time, replaying the trace on the band\n"
    "         model (the model options of 'heaprr replay' apply: --model, --band-config, ...)\n"
    "  rate   allocations and bytes allocated per second over time\n"
    "\n"
    "Several traces (a process and its children), or --tree FILE for a trace and its descendants':\n"
    "one time axis from the first start; heap draws the live heap of all of them (each one's most\n"
    "in each step, summed) and of the 8 with the highest peaks, rate the calls of all, bins the\n"
    "counts of all. frag replays one process's heap: one trace.\n"
    "\n" CLI_HEAP_HELP;

/* Replays r on the model, sampling every 1000 events, and keeps at most FRAG_POINTS points. */
static int frag_points(hr_reader *r, const hr_heap_config *cfg, hr_frag_point **out, size_t *n)
{
    char *csv = NULL;
    size_t len = 0;
    FILE *tl = open_memstream(&csv, &len);
    if (!tl)
        return HR_ERR_NOMEM;
    hr_replay_options o;
    memset(&o, 0, sizeof o);
    o.heap = *cfg;
    o.check = HR_CHECK_NONE;
    o.timeline = tl;
    o.timeline_every = 1000;
    hr_replay *rp;
    int rc = hr_replay_new(&rp, &o);
    if (rc == 0) {
        rc = hr_replay_run(rp, r);
        hr_replay_free(rp);
    }
    fclose(tl);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += csv[i] == '\n';
    size_t step = lines / FRAG_POINTS + 1, k = 0, row = 0;
    hr_frag_point *pts = rc == 0 ? malloc((lines / step + 2) * sizeof *pts) : NULL;
    if (rc == 0 && !pts)
        rc = HR_ERR_NOMEM;
    for (char *line = csv, *next; pts && line && *line; line = next, row++) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        unsigned long long ev, seq, t, fp, live, blocks;
        if (row % step || sscanf(line, "%llu,%llu,%llu,%llu,%llu,%llu", &ev, &seq, &t, &fp, &live, &blocks) != 6)
            continue;
        pts[k++] = (hr_frag_point){(double)t / 1e9, fp, live};
    }
    free(csv);
    *out = pts;
    *n = k;
    return rc;
}

static hr_reader *plot_profile(const char *path, const char *kind, const char *title, const char *out)
{
    hr_profile p;
    char why[512];
    hr_reader *r = cli_profile_pass(path, "plot", &p);
    int rc = strcmp(kind, "heap") == 0 ? hr_plot_heap(&p, title, out, why, sizeof why)
                                       : hr_plot_rate(&p, title, out, why, sizeof why);
    cli_profile_free(&p);
    if (rc < 0)
        cli_die(1, "%s", why);
    return r;
}

static hr_reader *plot_bins(const char *path, const char *title, const char *out)
{
    hr_bins b;
    hr_bins_default(&b);
    hr_reader *r = cli_bins_pass(path, &b);
    cli_plot_bins(&b, title, out);
    return r;
}

static hr_reader *plot_frag(const char *path, const hr_heap_config *cfg, const char *title, const char *out)
{
    hr_frag_point *pts = NULL;
    size_t n = 0;
    char why[512];
    hr_reader *r = cli_open_trace(path, 0);
    cli_progress bar;
    cli_progress_start(&bar, path, "plot");
    int rc = frag_points(r, cfg, &pts, &n);
    cli_progress_end(&bar);
    cli_pass_done(rc, r, path);
    rc = hr_plot_frag(pts, n, title, out, why, sizeof why);
    free(pts);
    if (rc < 0)
        cli_die(1, "%s", why);
    return r;
}

/* Draws one plot of the trace at path (exits with one line on an error); returns the reader its
 * pass read, for cli_pass_end. */
static hr_reader *plot_kind(const char *path, const char *kind, const hr_heap_config *cfg, const char *out)
{
    char title[1024];
    const char *what = strcmp(kind, "heap") == 0   ? "Live heap"
                       : strcmp(kind, "rate") == 0 ? "Allocation rate"
                       : strcmp(kind, "bins") == 0 ? "Requests per size bin"
                                                   : "Fragmentation on the band model";
    snprintf(title, sizeof title, "%s: %s", what, path);
    if (strcmp(kind, "bins") == 0)
        return plot_bins(path, title, out);
    if (strcmp(kind, "frag") == 0)
        return plot_frag(path, cfg, title, out);
    return plot_profile(path, kind, title, out);
}

/* The label of a trace's process in the key: "pid N exe". */
static void process_label(hr_reader *r, char *out, size_t cap)
{
    const hr_header *h = hr_reader_header(r);
    const char *exe = h && h->exe.len ? h->exe.ptr : "?";
    size_t len = h ? h->exe.len : 1;
    for (size_t i = len; i > 0; i--)
        if (exe[i - 1] == '/') {
            exe += i;
            len -= i;
            break;
        }
    snprintf(out, cap, "pid %u %.*s", h ? h->pid : 0, (int)len, exe);
}

/* heap or rate of several traces on one time axis. */
static void plot_many(const cli_trace_set *t, const char *kind, const char *out)
{
    hr_profile *p = calloc(t->n, sizeof *p);
    hr_plot_series *s = calloc(t->n, sizeof *s);
    char(*labels)[256] = calloc(t->n, sizeof *labels);
    uint64_t *start = calloc(t->n, sizeof *start), first = UINT64_MAX;
    if (!p || !s || !labels || !start)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < t->n; i++) {
        hr_reader *r = cli_profile_pass(t->paths[i], "plot", &p[i]);
        process_label(r, labels[i], sizeof labels[i]);
        start[i] = hr_reader_header(r) ? hr_reader_header(r)->start_realtime_ns : 0;
        first = start[i] < first ? start[i] : first;
        cli_truncation_note(r, NULL);
        cli_pass_end(r);
    }
    for (size_t i = 0; i < t->n; i++)
        s[i] = (hr_plot_series){&p[i], labels[i], start[i] - first};
    char title[4300], why[512], label[4200];
    snprintf(title, sizeof title, "%s: %s", strcmp(kind, "heap") == 0 ? "Live heap" : "Allocation rate",
             cli_trace_set_label(t, label, sizeof label));
    int rc = strcmp(kind, "heap") == 0 ? hr_plot_heap_many(s, t->n, title, out, why, sizeof why)
                                       : hr_plot_rate_many(s, t->n, title, out, why, sizeof why);
    if (rc < 0)
        cli_die(1, "%s", why);
    for (size_t i = 0; i < t->n; i++)
        cli_profile_free(&p[i]);
    free(p), free(s), free(labels), free(start);
}

/* bins of several traces: their counts summed. */
static void plot_bins_many(const cli_trace_set *t, const char *out)
{
    hr_bins b;
    hr_bins_default(&b);
    cli_pass_end(cli_bins_pass_all(t, &b));
    char title[4300], label[4200];
    snprintf(title, sizeof title, "Requests per size bin: %s", cli_trace_set_label(t, label, sizeof label));
    cli_plot_bins(&b, title, out);
}

int cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {CLI_HEAP_LONGOPTS,
                                         {"kind", required_argument, NULL, 'k'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *kind = NULL, *out = NULL;
    cli_heapopts ho = {0};
    int c, tree = 0;
    while ((c = cli_getopt("plot", argc, argv, "ho:", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'k')
            kind = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'T')
            tree = 1;
        else
            cli_heap_option(&ho, c, optarg);
    }
    if (!kind || (strcmp(kind, "heap") && strcmp(kind, "bins") && strcmp(kind, "frag") && strcmp(kind, "rate")))
        cli_usage("plot", "--kind expects heap, bins, frag or rate");
    if (!out)
        cli_usage("plot", "missing -o OUT.png or OUT.svg");
    size_t len = strlen(out);
    if (len < 5 || (strcmp(out + len - 4, ".png") && strcmp(out + len - 4, ".svg")))
        cli_usage("plot", "-o %s: the plot file must end in .png or .svg", out);
    hr_heap_config cfg;
    cli_heap_config("plot", &ho, &cfg);
    cli_trace_set t;
    cli_trace_set_collect("plot", argc, argv, tree, &t);
    if (t.n > 1 && strcmp(kind, "frag") == 0)
        cli_usage("plot", "--kind frag replays one process's heap: give one trace, not %zu", t.n);
    if (t.n > 1 && strcmp(kind, "bins") == 0) {
        plot_bins_many(&t, out);
    } else if (t.n > 1) {
        plot_many(&t, kind, out);
    } else {
        hr_reader *r = plot_kind(t.paths[0], kind, &cfg, out);
        cli_truncation_note(r, NULL);
        cli_pass_end(r);
    }
    cli_trace_set_free(&t);
    return 0;
}
