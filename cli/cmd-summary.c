/* SPDX-License-Identifier: MIT */
/* heaprr summary: totals, the peak and when, top sites by calls, bytes and peak contribution,
 * temporary allocations, the allocation rate over time, per-thread figures. */
#include "cli.h"
#include "passes.h"
#include "tree-report.h"
#include "stacks.h"

#include <heaprr/profile.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define RATE_ROWS 20

static const char help[] =
    "usage: heaprr summary [--json] [--top N] FILE\n"
    "       heaprr summary [--json] [--top N] FILE FILE... | --tree FILE\n"
    "\n"
    "Summarizes a trace: calls, bytes allocated, the peak of live bytes and when it happened,\n"
    "what leaked, the top allocation sites by calls, by bytes and by contribution to the peak,\n"
    "temporary allocations (freed by the same thread before it allocated anything else), the\n"
    "allocation rate over time and figures per thread.\n"
    "\n"
    "Several traces (a process and its children, 'out*.hrr'), or --tree and the trace of the\n"
    "first process (its descendants' traces, found beside it by the parent each names): totals over\n"
    "all, one line per process (pid, parent, calls, bytes allocated, peak, leaked, command line),\n"
    "and the top sites by bytes allocated merged over the processes by symbolized stack.\n"
    "\n"
    "  --top N   sites listed in each ranking (default 10)\n"
    "  --tree    FILE and the traces of its descendants\n"
    "  --json    machine-readable output\n";

typedef struct ranking {
    const char *key, *title;
    hr_site_order order;
} ranking;

static const ranking rankings[] = {
    {"top_by_calls", "top sites by calls", HR_BY_CALLS},
    {"top_by_bytes", "top sites by bytes allocated", HR_BY_BYTES},
    {"top_by_peak", "top sites by contribution to the peak", HR_BY_PEAK},
};

/* Samples merged into at most rows buckets of equal length. */
static size_t rebucket(const hr_profile *p, hr_sample *out, size_t rows, uint64_t *width_ns)
{
    size_t per = (p->nsamples + rows - 1) / (rows ? rows : 1);
    if (!per)
        per = 1;
    size_t n = 0;
    for (size_t i = 0; i < p->nsamples; i += per, n++) {
        out[n] = (hr_sample){0, 0, 0, 0};
        for (size_t k = i; k < i + per && k < p->nsamples; k++) {
            out[n].allocs += p->samples[k].allocs;
            out[n].bytes += p->samples[k].bytes;
            if (p->samples[k].live_max > out[n].live_max)
                out[n].live_max = p->samples[k].live_max;
            out[n].live_end = p->samples[k].live_end;
        }
    }
    *width_ns = per * p->bucket_ns;
    return n;
}

static void json_site(json *j, hr_reader *r, const hr_site *s)
{
    json_object_begin(j, NULL);
    json_u64(j, "calls", s->calls);
    json_u64(j, "bytes", s->bytes);
    json_u64(j, "peak_bytes", s->peak_bytes);
    json_u64(j, "leaked_bytes", s->live_bytes);
    json_u64(j, "temporary", s->temporary);
    cli_json_stack(j, "stack", r, s->stack);
    json_object_end(j);
}

static void print_json(const char *path, hr_profile *p, size_t top, hr_reader *r)
{
    json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_cstr(&j, "file", path);
    json_u64(&j, "calls", p->calls);
    json_u64(&j, "allocs", p->allocs);
    json_u64(&j, "frees", p->frees);
    json_u64(&j, "failed_calls", p->failed);
    json_u64(&j, "injected_calls", p->injected);
    json_u64(&j, "bytes_allocated", p->bytes);
    json_object_begin(&j, "peak");
    json_u64(&j, "bytes", p->peak_bytes);
    json_u64(&j, "blocks", p->peak_blocks);
    json_u64(&j, "event", p->peak_seq);
    json_u64(&j, "time_ns", p->peak_time_ns);
    json_object_end(&j);
    json_object_begin(&j, "leaked");
    json_u64(&j, "bytes", p->leaked_bytes);
    json_u64(&j, "blocks", p->leaked_blocks);
    json_object_end(&j);
    json_u64(&j, "temporary", p->temporary);
    json_u64(&j, "duration_ns", p->duration_ns);
    json_bool(&j, "truncated", p->truncated);
    for (size_t k = 0; k < sizeof rankings / sizeof *rankings; k++) {
        hr_profile_sort(p, rankings[k].order);
        json_array_begin(&j, rankings[k].key);
        for (size_t i = 0; i < p->nsites && i < top; i++)
            json_site(&j, r, &p->sites[i]);
        json_array_end(&j);
    }
    hr_sample rows[200];
    uint64_t width;
    size_t n = rebucket(p, rows, 200, &width);
    json_u64(&j, "rate_bucket_ns", width);
    json_array_begin(&j, "rate");
    for (size_t i = 0; i < n; i++) {
        json_object_begin(&j, NULL);
        json_u64(&j, "time_ns", i * width);
        json_u64(&j, "allocs", rows[i].allocs);
        json_u64(&j, "bytes", rows[i].bytes);
        json_u64(&j, "live_bytes", rows[i].live_end);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_array_begin(&j, "threads");
    for (size_t i = 0; i < p->nthreads; i++) {
        const hr_thread_figures *t = &p->threads[i];
        json_object_begin(&j, NULL);
        json_u64(&j, "index", t->index);
        json_u64(&j, "tid", t->tid);
        json_cstr(&j, "name", t->name);
        json_u64(&j, "calls", t->calls);
        json_u64(&j, "allocs", t->allocs);
        json_u64(&j, "frees", t->frees);
        json_u64(&j, "bytes", t->bytes);
        json_u64(&j, "temporary", t->temporary);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    json_finish(&j);
}

static double pct(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void print_rate(const hr_profile *p)
{
    hr_sample rows[RATE_ROWS];
    uint64_t width, most = 1;
    size_t n = rebucket(p, rows, RATE_ROWS, &width);
    for (size_t i = 0; i < n; i++)
        most = rows[i].allocs > most ? rows[i].allocs : most;
    printf("\nallocation rate (buckets of %.3f s):\n  %10s %12s %14s %14s\n", (double)width / 1e9, "from s", "allocs/s",
           "bytes/s", "live bytes");
    for (size_t i = 0; i < n; i++) {
        double sec = (double)width / 1e9;
        int bar = (int)(rows[i].allocs * 30 / most);
        printf("  %10.3f %12.0f %14.0f %14" PRIu64 " %.*s\n", (double)(i * width) / 1e9, rows[i].allocs / sec,
               rows[i].bytes / sec, rows[i].live_end, bar, "##############################");
    }
}

static void print_text(const char *path, hr_profile *p, size_t top, hr_reader *r)
{
    const hr_header *h = hr_reader_header(r);
    printf("%s: pid %u, %.*s\n", path, h->pid, (int)h->exe.len, h->exe.ptr);
    printf("  calls          %12" PRIu64 " (%" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64 " failed", p->calls,
           p->allocs, p->frees, p->failed);
    if (p->injected)
        printf(", %" PRIu64 " of them on purpose", p->injected);
    printf(")\n");
    printf("  allocated      %12" PRIu64 " bytes\n", p->bytes);
    printf("  peak live      %12" PRIu64 " bytes in %" PRIu64 " blocks, at %.6f s (event #%" PRIu64 ")\n",
           p->peak_bytes, p->peak_blocks, (double)p->peak_time_ns / 1e9, p->peak_seq);
    printf("  leaked         %12" PRIu64 " bytes in %" PRIu64 " blocks\n", p->leaked_bytes, p->leaked_blocks);
    printf("  temporary      %12" PRIu64 " allocations (%.1f%% of all)\n", p->temporary, pct(p->temporary, p->allocs));
    printf("  duration       %12.6f s%s\n", (double)p->duration_ns / 1e9, p->truncated ? " (trace cut short)" : "");
    for (size_t k = 0; k < sizeof rankings / sizeof *rankings; k++) {
        hr_profile_sort(p, rankings[k].order);
        printf("\n%s:\n  %10s %14s %14s %9s  %s\n", rankings[k].title, "calls", "bytes", "at peak", "temporary",
               "site");
        for (size_t i = 0; i < p->nsites && i < top; i++) {
            const hr_site *s = &p->sites[i];
            char label[512];
            cli_site_label(r, s->stack, 3, label, sizeof label);
            printf("  %10" PRIu64 " %14" PRIu64 " %14" PRIu64 " %9" PRIu64 "  %s\n", s->calls, s->bytes, s->peak_bytes,
                   s->temporary, label);
        }
    }
    print_rate(p);
    printf("\nthreads:\n  %6s %8s %-16s %10s %10s %10s %14s %9s\n", "index", "tid", "name", "calls", "allocs", "frees",
           "bytes", "temporary");
    for (size_t i = 0; i < p->nthreads; i++) {
        const hr_thread_figures *t = &p->threads[i];
        printf("  %6u %8u %-16s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %14" PRIu64 " %9" PRIu64 "\n", t->index,
               t->tid, t->name[0] ? t->name : "-", t->calls, t->allocs, t->frees, t->bytes, t->temporary);
    }
}

int cmd_summary(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"top", required_argument, NULL, 't'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int as_json = 0, tree = 0, c;
    size_t top = 10;
    while ((c = cli_getopt("summary", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'j')
            as_json = 1;
        else if (c == 't')
            top = (size_t)cli_number("summary", "--top", optarg, 1, UINT32_MAX);
        else if (c == 'T')
            tree = 1;
    }
    if (tree || argc - optind > 1) {
        cli_trace_set t;
        cli_trace_set_collect("summary", argc, argv, tree, &t);
        cli_summary_many(&t, top, as_json);
        cli_trace_set_free(&t);
        return 0;
    }
    const char *path = cli_trace_operand("summary", argc, argv);
    hr_profile p;
    hr_reader *r = cli_profile_pass(path, "summary", &p);
    if (as_json)
        print_json(path, &p, top, r);
    else
        print_text(path, &p, top, r);
    cli_truncation_note(r, NULL);
    cli_profile_free(&p);
    cli_stacks_done();
    cli_pass_end(r);
    return 0;
}
