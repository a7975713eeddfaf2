/* SPDX-License-Identifier: MIT */
/* heaprr: one binary, one subcommand per file. */
#include "cli.h"

#include <heaprr/analyze.h>

#include <stdlib.h>
#include <string.h>

static const cli_command commands[] = {
    {"record", cmd_record, "run a program and record its heap activity (or through LTTng-UST)"},
    {"recover", cmd_recover, "complete the trace of a process that crashed or was killed"},
    {"stats", cmd_stats, "counts per call kind, threads, peak and leaked bytes"},
    {"dump", cmd_dump, "print every record of a trace, one per line"},
    {"leaks", cmd_leaks, "blocks never freed, grouped by allocation stack, largest first"},
    {"summary", cmd_summary, "peak, top sites, temporary allocations, rate over time, threads"},
    {"bins", cmd_bins, "allocations, frees, live and peak per size bin"},
    {"flame", cmd_flame, "collapsed stacks for flame graphs (flamegraph.pl, speedscope)"},
    {"plot", cmd_plot, "live heap, bins, fragmentation or allocation rate as a PNG or SVG"},
    {"report", cmd_report, "every report and plot of a trace into one folder"},
    {"diff", cmd_diff, "per allocation site, what changed between two traces"},
    {"torture", cmd_torture, "out-of-memory testing: one run per allocation site, failing it"},
    {"replay", cmd_replay, "replay a trace on the band/arena allocator model and check the heap"},
    {"config", cmd_config, "print the allocator model's configuration after normalization"},
    {"check", cmd_check, "hold traces against limits (leaked, peak, calls, errors) for CI; JUnit XML"},
    {"compare", cmd_compare, "compare two replay reports; exit 1 on a regression (for CI)"},
    {"import", cmd_import, "glibc mtrace text or CTF (LTTng-UST) as a heaprr trace"},
    {"export", cmd_export, "a heaprr trace as glibc mtrace text or CTF"},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
    fprintf(f, "usage: heaprr COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'heaprr COMMAND --help' describes a command.\n"
               "Recording without heaprr: LD_PRELOAD=libheaprr.so MALLOC_TRACE=out.hrr PROGRAM\n");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        cli_usage(NULL, "missing command");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("heaprr %s (trace format %d.%d)\n", HEAPRR_VERSION, HR_FORMAT_MAJOR, HR_FORMAT_MINOR);
        return 0;
    }
    const char *no_index = getenv("HEAPRR_NO_INDEX"); /* read every event, as for a trace without an index */
    hr_use_stored_index(!(no_index && *no_index && strcmp(no_index, "0") != 0));
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    cli_usage(NULL, "unknown command '%s'", name);
}
