/* SPDX-License-Identifier: MIT */
/* heaprr stats FILE [--json]: counts per call kind and a summary. The JSON keys are a contract
 * for scripts and CI (README.md). */
#include "cli.h"
#include "traces.h"

#include <heaprr/analyze.h>

#include <getopt.h>
#include <inttypes.h>

static const char help[] =
    "usage: heaprr stats [--json] [--tree] FILE...\n"
    "\n"
    "Counts the calls of each kind and summarizes the trace: threads, failed calls, peak live\n"
    "bytes, bytes and blocks still live at the end (leaked), duration, and whether the trace is\n"
    "truncated (the process died without finishing it: see 'heaprr recover').\n"
    "\n"
    "Several traces (or --tree FILE: a trace and its descendants'): the report of each in turn\n"
    "(with --json, {\"traces\": [...]}, one object each).\n"
    "\n"
    "  --tree   FILE and the traces of its descendants\n"
    "  --json   machine-readable output\n";

static void write_json(json *j, const hr_stats *s, const char *path, const hr_header *h)
{
    json_object_begin(j, NULL);
    json_cstr(j, "file", path);
    json_u64(j, "pid", h->pid);
    json_object_begin(j, "events");
    for (unsigned k = 1; k < HR_KIND_COUNT; k++)
        json_u64(j, hr_kind_name(k), s->events[k]);
    json_object_end(j);
    json_u64(j, "calls", s->calls);
    json_u64(j, "threads", s->threads);
    json_u64(j, "failed_calls", s->failed_calls);
    json_u64(j, "injected_calls", s->injected_calls);
    json_u64(j, "incomplete_calls", s->incomplete_calls);
    json_u64(j, "null_frees", s->null_frees);
    json_u64(j, "unknown_frees", s->unknown_frees);
    json_u64(j, "peak_live_bytes", s->peak_live_bytes);
    json_u64(j, "peak_live_blocks", s->peak_live_blocks);
    json_u64(j, "peak_seq", s->peak_seq);
    json_u64(j, "total_bytes", s->total_bytes);
    json_u64(j, "leaked_bytes", s->leaked_bytes);
    json_u64(j, "leaked_blocks", s->leaked_blocks);
    json_bool(j, "truncated", s->truncated);
    json_u64(j, "duration_ns", s->duration_ns);
    json_u64(j, "records", s->records);
    json_u64(j, "stack_nodes", s->stack_nodes);
    json_u64(j, "modules", s->modules);
    json_u64(j, "marks", s->marks);
    json_object_end(j);
}

static void print_text(const hr_stats *s, const char *path, const hr_header *h)
{
    printf("%s: pid %u, %.*s\n", path, h->pid, (int)h->exe.len, h->exe.ptr);
    printf("  %-15s %12" PRIu64 "\n", "calls", s->calls);
    for (unsigned k = 1; k < HR_KIND_COUNT; k++)
        if (s->events[k])
            printf("    %-13s %12" PRIu64 "\n", hr_kind_name(k), s->events[k]);
    printf("  %-15s %12" PRIu64 "\n", "threads", s->threads);
    printf("  %-15s %12" PRIu64, "failed calls", s->failed_calls);
    if (s->injected_calls)
        printf(" (%" PRIu64 " failed on purpose: HEAPRR_FAIL)", s->injected_calls);
    printf("\n");
    if (s->incomplete_calls)
        printf("  %-15s %12" PRIu64 " (the process died inside them)\n", "never returned", s->incomplete_calls);
    if (s->unknown_frees)
        printf("  %-15s %12" PRIu64 " (pointers this trace never allocated)\n", "unknown frees", s->unknown_frees);
    printf("  %-15s %12" PRIu64 " bytes in %" PRIu64 " blocks, at %.6f s (#%" PRIu64 ")\n", "peak live",
           s->peak_live_bytes, s->peak_live_blocks, (double)s->peak_time_ns / 1e9, s->peak_seq);
    printf("  %-15s %12" PRIu64 " bytes in %" PRIu64 " blocks\n", "leaked", s->leaked_bytes, s->leaked_blocks);
    printf("  %-15s %12" PRIu64 " bytes\n", "allocated", s->total_bytes);
    printf("  %-15s %12.6f s\n", "duration", (double)s->duration_ns / 1e9);
    printf("  %-15s %12s\n", "trace", s->complete ? "complete" : "truncated (see 'heaprr recover')");
}

int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int as_json = 0, tree = 0, c;
    while ((c = cli_getopt("stats", argc, argv, "h", opts)) != -1)
        if (c == 'h')
            cli_help(help);
        else if (c == 'j')
            as_json = 1;
        else if (c == 'T')
            tree = 1;
    cli_trace_set set;
    cli_trace_set_collect("stats", argc, argv, tree, &set);
    int many = set.n > 1;
    json j;
    json_init(&j, stdout);
    if (as_json && many) {
        json_object_begin(&j, NULL);
        json_array_begin(&j, "traces");
    }
    for (size_t i = 0; i < set.n; i++) {
        hr_reader *r = cli_open_trace(set.paths[i], 0);
        hr_stats s;
        if (hr_stats_compute(r, &s) < 0)
            cli_trace_error(r);
        if (as_json)
            write_json(&j, &s, set.paths[i], hr_reader_header(r));
        else
            print_text(&s, set.paths[i], hr_reader_header(r));
        if (!as_json)
            cli_truncation_note(r, NULL);
        if (!as_json && many && i + 1 < set.n)
            printf("\n");
        hr_reader_close(r);
    }
    if (as_json && many) {
        json_array_end(&j);
        json_object_end(&j);
    }
    if (as_json)
        json_finish(&j);
    cli_trace_set_free(&set);
    return 0;
}
