/* SPDX-License-Identifier: MIT */
/* heaprr leaks: blocks never freed, grouped by allocation stack, largest first. */
#include "cli.h"
#include "passes.h"
#include "tree-report.h"
#include "stacks.h"

#include <heaprr/analyze.h>
#include <heaprr/leaks.h>
#include <heaprr/symbolize.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: heaprr leaks [--json] [--suppressions FILE] [--top N] [--at MARK | --since MARK [--until MARK]] FILE\n"
    "       heaprr leaks [--json] [--top N] FILE FILE... | --tree FILE\n"
    "\n"
    "Lists the blocks still allocated when the trace ends, grouped by the stack that allocated\n"
    "them, largest first, with symbolized stacks. A block resized by realloc counts once, at its\n"
    "final size, under the stack of the call that last produced it. For a trace cut short (the\n"
    "process died) these are the blocks live when it died.\n"
    "\n"
    "  --suppressions FILE  drop leaks whose stack has a function (or module) matching a pattern:\n"
    "                       one per line, 'leak:PATTERN' or 'PATTERN', '*' a wildcard, '#' comments\n"
    "                       (LeakSanitizer's format)\n"
    "  --top N              list the N largest groups only (totals count them all)\n"
    "  --at MARK            the blocks live at a mark instead (heaprr_mark or heaprr_leak_check in\n"
    "                       the program; MARK is its text, the first mark with it, or TEXT#N the Nth)\n"
    "  --since MARK         only blocks allocated after that mark (live at the end, or at --until)\n"
    "  --until MARK         the blocks live at that mark (the same as --at)\n"
    "  --tree               FILE and the traces of its descendants (found beside it): with several\n"
    "                       traces, the leaks of all, merged over the processes by symbolized stack\n"
    "  --json               machine-readable output\n";

static hr_suppressions *load_suppressions(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        cli_die(1, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *more = cap < (64u << 20) ? realloc(buf, cap) : NULL;
            if (!more)
                cli_die(1, "%s: too large for a suppression file", path);
            buf = more;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    char why[256];
    hr_suppressions *s = hr_supp_parse(buf ? buf : "", len, why, sizeof why);
    free(buf);
    if (!s)
        cli_die(1, "%s: %s", path, why);
    return s;
}

static void print_json(const char *path, const hr_leaks *l, size_t top, hr_reader *r, int truncated,
                       const hr_leak_window *w)
{
    json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_cstr(&j, "file", path);
    if (w->since || w->until) { /* absent for the leaks at the end, as before */
        if (w->until)
            json_cstr(&j, "at_mark", w->until);
        else
            json_null(&j, "at_mark");
        if (w->since)
            json_cstr(&j, "since_mark", w->since);
        else
            json_null(&j, "since_mark");
    }
    json_array_begin(&j, "leaks");
    for (size_t i = 0, shown = 0; i < l->n && shown < top; i++) {
        const hr_leak *g = &l->groups[i];
        if (g->suppressed)
            continue;
        shown++;
        json_object_begin(&j, NULL);
        json_u64(&j, "bytes", g->bytes);
        json_u64(&j, "blocks", g->blocks);
        cli_json_stack(&j, "stack", r, g->stack);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_u64(&j, "total_bytes", l->total_bytes);
    json_u64(&j, "total_blocks", l->total_blocks);
    json_u64(&j, "suppressed_bytes", l->suppressed_bytes);
    json_u64(&j, "suppressed_blocks", l->suppressed_blocks);
    json_bool(&j, "truncated", truncated);
    json_object_end(&j);
    json_finish(&j);
}

/* What the blocks listed are: leaked at the end, or live at a mark. */
static void print_what(const hr_leak_window *w)
{
    if (!w->since && !w->until) {
        printf("leaked");
        return;
    }
    printf("live at ");
    if (w->until)
        printf("mark '%s'", w->until);
    else
        printf("the end");
    if (w->since)
        printf(", allocated after mark '%s',", w->since);
}

static void print_text(const char *path, const hr_leaks *l, size_t top, hr_reader *r, const hr_leak_window *w)
{
    size_t sites = 0;
    for (size_t i = 0; i < l->n; i++)
        sites += !l->groups[i].suppressed;
    printf("%s: %" PRIu64 " bytes ", path, l->total_bytes);
    print_what(w);
    printf(" in %" PRIu64 " blocks from %zu allocation stacks", l->total_blocks, sites);
    if (l->suppressed_blocks)
        printf(" (%" PRIu64 " bytes in %" PRIu64 " blocks suppressed)", l->suppressed_bytes, l->suppressed_blocks);
    printf("\n");
    size_t shown = 0;
    for (size_t i = 0; i < l->n && shown < top; i++) {
        const hr_leak *g = &l->groups[i];
        if (g->suppressed)
            continue;
        shown++;
        printf("\n%" PRIu64 " bytes in %" PRIu64 " block%s (%.1f%%) allocated from:\n", g->bytes, g->blocks,
               g->blocks == 1 ? "" : "s", l->total_bytes ? 100.0 * (double)g->bytes / (double)l->total_bytes : 0.0);
        cli_print_stack(r, "  ", g->stack);
    }
    if (shown < sites)
        printf("\n... and %zu smaller groups (--top)\n", sites - shown);
}

static void set_mark(const char **slot, const char *name)
{
    if (*slot)
        cli_usage("leaks", "--at and --until name the same mark: give one, once");
    if (!*name)
        cli_usage("leaks", "a mark name cannot be empty");
    *slot = name;
}

/* The leaks between two marks: always from the events (an index holds the end only). */
static hr_reader *window_pass(const char *path, const hr_leak_window *w, hr_leaks *l)
{
    hr_reader *r = cli_open_trace(path, 0);
    int rc = hr_leaks_window(r, w, l);
    if (rc == HR_ERR_ARG)
        cli_die(1, "%s: %s", path, hr_leaks_window_error());
    cli_pass_done(rc, r, path);
    return r;
}

int cmd_leaks(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"at", required_argument, NULL, 'a'},
                                         {"since", required_argument, NULL, 'S'},
                                         {"until", required_argument, NULL, 'a'},
                                         {"suppressions", required_argument, NULL, 's'},
                                         {"top", required_argument, NULL, 't'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int as_json = 0, tree = 0, c;
    const char *supp = NULL;
    hr_leak_window w = {NULL, NULL};
    size_t top = SIZE_MAX;
    while ((c = cli_getopt("leaks", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'j')
            as_json = 1;
        else if (c == 's')
            supp = optarg;
        else if (c == 't')
            top = (size_t)cli_number("leaks", "--top", optarg, 1, UINT32_MAX);
        else if (c == 'a' || c == 'S')
            set_mark(c == 'a' ? &w.until : &w.since, optarg);
        else if (c == 'T')
            tree = 1;
    }
    if (tree || argc - optind > 1) {
        if (supp || w.since || w.until)
            cli_usage("leaks", "--suppressions, --at, --since and --until take one trace");
        cli_trace_set t;
        cli_trace_set_collect("leaks", argc, argv, tree, &t);
        cli_leaks_many(&t, top, as_json);
        cli_trace_set_free(&t);
        return 0;
    }
    const char *path = cli_trace_operand("leaks", argc, argv);
    hr_suppressions *s = supp ? load_suppressions(supp) : NULL;
    hr_leaks l;
    hr_reader *r = w.since || w.until ? window_pass(path, &w, &l) : cli_leaks_pass(path, &l);
    if (s)
        hr_leaks_suppress(&l, s, r, cli_symbolizer(r));
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    if (as_json)
        print_json(path, &l, top, r, st.truncated, &w);
    else
        print_text(path, &l, top, r, &w);
    cli_truncation_note(r, "the leaks are the blocks live when it ended");
    if (w.since || w.until)
        hr_leaks_free(&l);
    else
        cli_leaks_free(&l);
    hr_supp_free(s);
    cli_stacks_done();
    cli_pass_end(r);
    return 0;
}
