/* SPDX-License-Identifier: MIT */
/* heaprr bins: allocations, frees, live and peak live blocks and bytes requested per size bin. */
#include "cli.h"
#include "traces.h"
#include "passes.h"

#include <heaprr/analyze.h>
#include <heaprr/bins.h>
#include <heaprr/plot.h>

#include <getopt.h>
#include <inttypes.h>

static const char help[] =
    "usage: heaprr bins [--bins 2,4,8,...] [--json] [--plot out.png|out.svg] [--tree] FILE...\n"
    "\n"
    "Statistics per size bin, as the QNX allocator keeps them: a bin counts the requests of at\n"
    "most its bound and more than the previous bound (default bounds 2, 4, 8, ..., 4096 and\n"
    "ULONG_MAX). For each: allocations, frees, blocks live at the end, the most live at once, and\n"
    "the bytes requested. A realloc frees in its old size's bin and allocates in its new one's.\n"
    "\n"
    "  --bins LIST          the bounds, increasing (ULONG_MAX is added)\n"
    "  --plot FILE          a histogram of allocations and peak live blocks per bin (gnuplot)\n"
    "  --json               machine-readable output\n";

static void label(const hr_bin *b, const hr_bin *prev, char *out, size_t cap)
{
    if (b->le == UINT64_MAX)
        snprintf(out, cap, "> %" PRIu64, prev ? prev->le : 0);
    else
        snprintf(out, cap, "<= %" PRIu64, b->le);
}

void cli_plot_bins(const hr_bins *b, const char *title, const char *out)
{
    char why[512];
    hr_plot *p = hr_plot_begin(out, why, sizeof why);
    if (!p)
        cli_die(EXIT_USAGE, "%s", why);
    FILE *d = hr_plot_data(p), *c = hr_plot_commands(p);
    for (uint32_t i = 0; i < b->n; i++) {
        char l[48];
        label(&b->bins[i], i ? &b->bins[i - 1] : NULL, l, sizeof l);
        fprintf(d, "\"%s\" %" PRIu64 " %" PRIu64 "\n", l, b->bins[i].allocs, b->bins[i].peak_live);
    }
    hr_plot_title(c, title);
    fputs(
        "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
        "set xlabel 'request size (bytes)'\nset ylabel 'blocks'\nset xtics rotate by -45\nset key top right\n"
        "set yrange [0:*]\n"
        "plot $data using 2:xtic(1) title 'allocations', '' using 3 title 'most live at once'\n",
        c);
    if (hr_plot_end(p, why, sizeof why) < 0)
        cli_die(1, "%s", why);
}

int cmd_bins(int argc, char **argv)
{
    static const struct option opts[] = {{"bins", required_argument, NULL, 'b'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"plot", required_argument, NULL, 'p'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    hr_bins b;
    hr_bins_default(&b);
    int as_json = 0, tree = 0, c;
    const char *plot = NULL;
    char why[256];
    while ((c = cli_getopt("bins", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'j')
            as_json = 1;
        else if (c == 'p')
            plot = optarg;
        else if (c == 'b' && hr_bins_parse(&b, optarg, why, sizeof why) < 0)
            cli_usage("bins", "%s", why);
        else if (c == 'T')
            tree = 1;
    }
    cli_trace_set set;
    cli_trace_set_collect("bins", argc, argv, tree, &set);
    char label_all[4200]; /* a process tree, or several traces: the counts of all, summed */
    const char *path = cli_trace_set_label(&set, label_all, sizeof label_all);
    hr_reader *r = cli_bins_pass_all(&set, &b);
    if (as_json) {
        json j;
        json_init(&j, stdout);
        json_object_begin(&j, NULL);
        json_cstr(&j, "file", path);
        json_array_begin(&j, "bins");
        for (uint32_t i = 0; i < b.n; i++) {
            json_object_begin(&j, NULL);
            json_u64(&j, "le", b.bins[i].le);
            json_u64(&j, "allocs", b.bins[i].allocs);
            json_u64(&j, "frees", b.bins[i].frees);
            json_u64(&j, "live", b.bins[i].live);
            json_u64(&j, "peak_live", b.bins[i].peak_live);
            json_u64(&j, "bytes", b.bins[i].bytes);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("%s: requests per size bin\n  %14s %12s %12s %10s %10s %16s\n", path, "size", "allocs", "frees", "live",
               "peak live", "bytes requested");
        for (uint32_t i = 0; i < b.n; i++) {
            char l[48];
            label(&b.bins[i], i ? &b.bins[i - 1] : NULL, l, sizeof l);
            printf("  %14s %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %16" PRIu64 "\n", l,
                   b.bins[i].allocs, b.bins[i].frees, b.bins[i].live, b.bins[i].peak_live, b.bins[i].bytes);
        }
    }
    if (plot) {
        char title[512];
        snprintf(title, sizeof title, "Requests per size bin: %.480s", path);
        cli_plot_bins(&b, title, plot);
    }
    cli_truncation_note(r, NULL);
    cli_pass_end(r);
    cli_trace_set_free(&set);
    return 0;
}
