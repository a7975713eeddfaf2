/* SPDX-License-Identifier: MIT */
/* heaprr export --to mtrace FILE -o OUT: heaprr traces for other tools. */
#include "cli.h"
#include "export.h"

#include <heaprr/ctf.h>
#include <heaprr/mtrace.h>

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: heaprr export --to mtrace|ctf|pprof|massif|speedscope [--at-peak] FILE -o OUT\n"
    "       heaprr export --to pprof|speedscope [--at-peak] [--tree] FILE... -o OUT\n"
    "\n"
    "  --to mtrace   glibc's mtrace text, which its mtrace(1) script reads ('mtrace OUT' lists\n"
    "                what was never freed). Every allocation kind becomes '+', frees and deletes\n"
    "                '-', reallocs '<' and '>'; free(NULL) is left out, as glibc does.\n"
    "  --to ctf      a CTF trace in the new folder OUT (it must not exist), for Trace Compass or\n"
    "                babeltrace2: one heaprr:<kind> event per call with its pointer, sizes,\n"
    "                thread and stack (what babeltrace2 -o ctf does with the heaprr plugin)\n"
    "  --to pprof    pprof's gzipped profile.proto (go tool pprof, Grafana Pyroscope, Parca): a\n"
    "                sample per allocation stack with alloc_objects, alloc_space, inuse_objects\n"
    "                and inuse_space; inuse is what was live at the end, or at the peak with\n"
    "                --at-peak\n"
    "  --to massif   valgrind massif's output file, for ms_print and massif-visualizer: the live\n"
    "                heap in about 50 snapshots over the run (time: bytes allocated and freed so\n"
    "                far), every tenth and the peak with the tree of allocation stacks\n"
    "  --to speedscope  speedscope's JSON (https://www.speedscope.app, or the speedscope npm\n"
    "                command): four profiles of the allocation stacks, weighted by bytes\n"
    "                allocated, allocations, bytes live at the peak and bytes leaked\n"
    "  -o OUT        the file or folder to write ('-': standard output, for mtrace, massif and\n"
    "                speedscope)\n"
    "\n"
    "pprof and speedscope take several traces (a process and its children), or --tree FILE for a\n"
    "trace and its descendants': one profile of all of them (pprof: each sample labelled with its\n"
    "pid; speedscope: the same function in several processes is one frame).\n";

/* A format written by one function: into OUT ('-': standard output), removed if it fails. The set's
 * traces were opened when it was collected: an unreadable one has had its line, and no file is made. */
static int export_to_file(int (*fn)(const cli_trace_set *, FILE *), const cli_trace_set *t, const char *out)
{
    int to_stdout = strcmp(out, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(out, "w");
    if (!f)
        cli_die(1, "cannot create %s: %s", out, strerror(errno));
    fn(t, f);
    if (ferror(f) || (to_stdout ? fflush(f) : fclose(f)) != 0) {
        if (!to_stdout)
            unlink(out);
        cli_die(1, "cannot write %s: %s", out, strerror(errno));
    }
    return 0;
}

static int at_peak; /* --at-peak */

static int to_pprof(const cli_trace_set *t, FILE *out)
{
    return cli_export_pprof(t, out, at_peak);
}

static int to_massif(const cli_trace_set *t, FILE *out)
{
    return cli_export_massif(t->paths[0], out);
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"to", required_argument, NULL, 't'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"at-peak", no_argument, NULL, 'P'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *to = NULL, *out = NULL;
    int c, tree = 0;
    while ((c = cli_getopt("export", argc, argv, "ho:", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 't')
            to = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'P')
            at_peak = 1;
        else if (c == 'T')
            tree = 1;
    }
    if (!to)
        cli_usage("export", "missing --to FORMAT (mtrace, ctf, pprof, massif or speedscope)");
    int (*to_file)(const cli_trace_set *, FILE *) = strcmp(to, "massif") == 0   ? to_massif
                                           : strcmp(to, "speedscope") == 0 ? cli_export_speedscope
                                           : strcmp(to, "pprof") == 0      ? to_pprof
                                                                          : NULL;
    if (strcmp(to, "mtrace") != 0 && strcmp(to, "ctf") != 0 && !to_file)
        cli_usage("export", "--to: unknown format '%s' (expected mtrace, ctf, pprof, massif or speedscope)", to);
    if (at_peak && to_file != to_pprof)
        cli_usage("export", "--at-peak is for --to pprof");
    if (!out || !*out)
        cli_usage("export", "missing -o OUT");
    cli_trace_set t;
    cli_trace_set_collect("export", argc, argv, tree, &t);
    if (t.n > 1 && to_file != to_pprof && to_file != cli_export_speedscope)
        cli_usage("export", "--to %s writes one process: give one trace, not %zu", to, t.n);
    if (to_file) {
        export_to_file(to_file, &t, out);
        cli_trace_set_free(&t);
        return 0;
    }
    const char *path = t.paths[0];
    hr_reader *r = cli_open_trace(path, 0);
    if (strcmp(to, "ctf") == 0) {
        hr_reader_close(r);
        char why[512];
        if (hr_ctf_export(path, out, why, sizeof why) < 0)
            cli_die(1, "%s", why);
        cli_trace_set_free(&t);
        return 0;
    }
    int to_stdout = strcmp(out, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(out, "w");
    if (!f)
        cli_die(1, "cannot create %s: %s", out, strerror(errno));
    hr_mtrace_counts n;
    int rc = hr_mtrace_export(r, f, &n);
    if (rc == HR_ERR_IO || (!to_stdout && fclose(f) != 0)) {
        if (!to_stdout)
            unlink(out);
        cli_die(1, "cannot write %s: %s", out, strerror(errno));
    }
    if (rc < 0) {
        if (!to_stdout)
            unlink(out);
        cli_trace_error(r);
    }
    cli_truncation_note(r, NULL);
    hr_reader_close(r);
    cli_trace_set_free(&t);
    return 0;
}
