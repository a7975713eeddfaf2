/* SPDX-License-Identifier: MIT */
/* heaprr report: every text report and plot of a trace into one folder. */
#include "cli.h"
#include "passes.h"
#include "report-html.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char help[] =
    "usage: heaprr report -o DIR FILE\n"
    "       heaprr report --html [--tree] [--no-replay] FILE... -o REPORT.html\n"
    "\n"
    "Writes into DIR (created if needed): index.html (the page --html writes), summary.txt/.json,\n"
    "leaks.txt/.json, bins.txt/.json, replay.txt/.json (the band model and its checker),\n"
    "flame.folded (bytes allocated) and flame-leaked.folded, and the plots heap, bins, frag and\n"
    "rate as .svg and .png.\n"
    "\n"
    "--html: one self-contained page, opened from disk in any current browser (no network): the\n"
    "summary; a flame graph of the allocation stacks (weights: bytes allocated, allocations,\n"
    "bytes leaked, live at the peak; click a frame to zoom, a search box highlights functions);\n"
    "the live heap over time with the peak marked (click it for the sites live then); the\n"
    "leaks with their stacks; the size bins; the replay's heap errors with their stacks.\n"
    "Several traces (a process and its children), or --tree FILE for a trace and its\n"
    "descendants': the processes, and the figures of all of them on one timeline.\n"
    "--no-replay: without the heap errors, whose replay on the band model is most of the time\n"
    "and memory the page costs on a big trace.\n";

/* The page of the traces into path. */
static void write_html(const cli_trace_set *t, const char *path, int replay)
{
    FILE *f = fopen(path, "w");
    if (!f)
        cli_die(1, "cannot create %s: %s", path, strerror(errno));
    cli_report_html(t, f, replay);
    if (ferror(f) | (fclose(f) != 0)) {
        unlink(path);
        cli_die(1, "cannot write %s: %s", path, strerror(errno));
    }
}

typedef struct part {
    const char *file;
    int (*run)(int argc, char **argv);
    const char *args[6];
} part;

/* Runs one command with its output in dir/file, in a child (a failing part cannot end the rest;
 * the passes shared before are the child's copy);
 * only the first part says that the trace was cut short. Returns its exit status, or -1. */
static int run_part(const char *dir, const part *p, const char *trace, int first)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, p->file);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
            _exit(1);
        char *argv[10];
        int argc = 0;
        argv[argc++] = (char *)p->file;
        for (int i = 0; p->args[i]; i++)
            argv[argc++] = strcmp(p->args[i], "@") == 0 ? path : (char *)p->args[i];
        argv[argc++] = (char *)trace;
        argv[argc] = NULL;
        optind = 0; /* a fresh getopt */
        if (!first)
            cli_truncation_notes_off();
        int rc = p->run(argc, argv);
        fflush(stdout);
        _exit(rc);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"html", no_argument, NULL, 'H'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"no-replay", no_argument, NULL, 'R'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *dir = NULL;
    int c, html = 0, tree = 0, replay = 1;
    while ((c = cli_getopt("report", argc, argv, "ho:", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'o')
            dir = optarg;
        else if (c == 'H')
            html = 1;
        else if (c == 'T')
            tree = 1;
        else if (c == 'R')
            replay = 0;
    }
    if (!dir || !*dir)
        cli_usage("report", html ? "missing -o REPORT.html" : "missing -o DIR");
    if (html) { /* a bad trace: one line, before any file is made */
        cli_trace_set t;
        cli_trace_set_collect("report", argc, argv, tree, &t);
        write_html(&t, dir, replay);
        printf("%s\n", dir);
        cli_trace_set_free(&t);
        return 0;
    }
    if (tree || !replay)
        cli_usage("report", "%s is for --html", tree ? "--tree" : "--no-replay");
    const char *trace = cli_trace_operand("report", argc, argv);
    hr_reader_close(cli_open_trace(trace, 0)); /* a bad trace: one line, before any file is made */
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        cli_die(1, "cannot create %s: %s", dir, strerror(errno));
    static const part parts[] = {
        {"summary.txt", cmd_summary, {NULL}},
        {"summary.json", cmd_summary, {"--json", NULL}},
        {"leaks.txt", cmd_leaks, {NULL}},
        {"leaks.json", cmd_leaks, {"--json", NULL}},
        {"bins.txt", cmd_bins, {NULL}},
        {"bins.json", cmd_bins, {"--json", NULL}},
        {"replay.txt", cmd_replay, {NULL}},
        {"replay.json", cmd_replay, {"--json", NULL}},
        {"flame.folded", cmd_flame, {NULL}},
        {"flame-leaked.folded", cmd_flame, {"--weight", "leaked", NULL}},
        {"heap.svg", cmd_plot, {"--kind", "heap", "-o", "@", NULL}},
        {"heap.png", cmd_plot, {"--kind", "heap", "-o", "@", NULL}},
        {"bins.svg", cmd_plot, {"--kind", "bins", "-o", "@", NULL}},
        {"bins.png", cmd_plot, {"--kind", "bins", "-o", "@", NULL}},
        {"frag.svg", cmd_plot, {"--kind", "frag", "-o", "@", NULL}},
        {"frag.png", cmd_plot, {"--kind", "frag", "-o", "@", NULL}},
        {"rate.svg", cmd_plot, {"--kind", "rate", "-o", "@", NULL}},
        {"rate.png", cmd_plot, {"--kind", "rate", "-o", "@", NULL}},
    };
    cli_passes_share(trace); /* the parts print from one profile, one leaks and one bins pass */
    int failed = 0;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        int rc = run_part(dir, &parts[i], trace, i == 0);
        int ok = rc == 0 || (parts[i].run == cmd_replay && rc == 3); /* 3: the checker found errors */
        printf("%s/%s%s\n", dir, parts[i].file, ok ? "" : "  (failed)");
        failed += !ok;
    }
    char index[4096];
    snprintf(index, sizeof index, "%s/index.html", dir);
    cli_trace_set one = {0};
    cli_trace_set_add(&one, trace, 0);
    write_html(&one, index, 1);
    cli_trace_set_free(&one);
    printf("%s\n", index);
    if (failed)
        cli_die(1, "%d part%s of the report failed", failed, failed == 1 ? "" : "s");
    return 0;
}
