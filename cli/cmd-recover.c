/* SPDX-License-Identifier: MIT */
/* heaprr recover FILE: turns what a crashed or killed process left into a complete trace. */
#include "cli.h"

#include <heaprr/recover.h>

#include <getopt.h>
#include <inttypes.h>

static const char help[] =
    "usage: heaprr recover FILE...\n"
    "\n"
    "Completes traces of processes that crashed, aborted, called _exit or were killed: the\n"
    "events left in FILE.stage are appended in order (calls that never returned are marked), an\n"
    "incomplete last frame is cut off and a trailer is written. A complete trace is left as it is,\n"
    "and so is a trace whose process still records (its staging file is locked).\n"
    "heaprr record does this by itself when the program it ran did not exit normally.\n";

int cmd_recover(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    int c, status = 0;
    while ((c = cli_getopt("recover", argc, argv, "h", opts)) != -1)
        if (c == 'h')
            cli_help(help);
    if (optind >= argc)
        cli_usage("recover", "missing trace file");
    for (int i = optind; i < argc; i++) {
        hr_recover_report rep;
        char msg[4608];
        int empty = hr_recover_probe(argv[i], NULL) == HR_RECOVER_EMPTY;
        if (hr_recover(argv[i], &rep, msg, sizeof msg) < 0) {
            fprintf(stderr, "heaprr: %s\n", msg);
            status = EXIT_BAD_TRACE;
            continue;
        }
        if (empty)
            printf("%s: the process ended before it recorded anything; removed its empty staging file%s\n", argv[i],
                   rep.was_complete ? "" : ", completed the trace");
        else if (rep.was_complete)
            printf("%s: complete, nothing to recover\n", argv[i]);
        else
            printf("%s: recovered %" PRIu64 " records (%" PRIu64 " calls that never returned) after %" PRIu64
                   " intact ones%s\n",
                   argv[i], rep.recovered_records, rep.incomplete_calls, rep.kept_records,
                   rep.cut_bytes ? ", cut an incomplete frame" : "");
    }
    return status;
}
