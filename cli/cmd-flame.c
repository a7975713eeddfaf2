/* SPDX-License-Identifier: MIT */
/* heaprr flame: collapsed stacks ("outer;...;inner weight"), the input of flamegraph.pl and
 * speedscope. */
#include "cli.h"
#include "traces.h"
#include "passes.h"
#include "stacks.h"

#include <heaprr/profile.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: heaprr flame [--weight bytes|calls|leaked|peak] [--tree] FILE... > out.folded\n"
    "\n"
    "Prints one line per allocation stack, frames from the outermost to the allocating call\n"
    "separated by ';', then its weight: the input format of flamegraph.pl and speedscope\n"
    "(flamegraph.pl out.folded > out.svg).\n"
    "\n"
    "  --weight W   bytes allocated (default), calls, leaked bytes, or bytes live at the peak\n";

static uint64_t weight_of(const hr_site *s, char w)
{
    switch (w) {
    case 'c': return s->calls;
    case 'l': return s->live_bytes;
    case 'p': return s->peak_bytes;
    default: return s->bytes;
    }
}

typedef struct line {
    char *stack; /* "outer;...;inner" */
    uint64_t weight;
} line;

typedef struct folded {
    line *lines;
    size_t n, cap;
} folded;

static int add_line(folded *f, hr_reader *r, uint64_t stack, uint64_t w)
{
    static char out[1 << 16];
    cli_stack_join(r, stack, 1, "[no stack]", out, sizeof out);
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        line *l = realloc(f->lines, cap * sizeof *l);
        if (!l)
            return -1;
        f->lines = l;
        f->cap = cap;
    }
    if (!(f->lines[f->n].stack = strdup(out)))
        return -1;
    f->lines[f->n++].weight = w;
    return 0;
}

static int by_stack(const void *a, const void *b)
{
    return strcmp(((const line *)a)->stack, ((const line *)b)->stack);
}

/* Stacks that symbolize the same (different return addresses in one line of code) are merged. */
static void print_merged(folded *f)
{
    if (f->n > 1) /* none: lines is NULL */
        qsort(f->lines, f->n, sizeof *f->lines, by_stack);
    for (size_t i = 0; i < f->n;) {
        uint64_t w = 0;
        size_t k = i;
        for (; k < f->n && strcmp(f->lines[k].stack, f->lines[i].stack) == 0; k++)
            w += f->lines[k].weight;
        printf("%s %" PRIu64 "\n", f->lines[i].stack, w);
        for (size_t j = i; j < k; j++)
            free(f->lines[j].stack);
        i = k;
    }
    free(f->lines);
}

/* The sites of the trace at path, weighted, into f. */
static void add_trace(folded *f, const char *path, char weight)
{
    hr_profile p;
    hr_reader *r = cli_profile_pass(path, "flame", &p);
    hr_profile_sort(&p, weight == 'c'   ? HR_BY_CALLS
                        : weight == 'l' ? HR_BY_LEAKED
                        : weight == 'p' ? HR_BY_PEAK
                                        : HR_BY_BYTES);
    for (size_t i = 0; i < p.nsites; i++) {
        uint64_t w = weight_of(&p.sites[i], weight);
        if (w && add_line(f, r, p.sites[i].stack, w) < 0)
            cli_die(1, "out of memory");
    }
    cli_truncation_note(r, NULL);
    cli_profile_free(&p);
    cli_stacks_done();
    cli_pass_end(r);
}

int cmd_flame(int argc, char **argv)
{
    static const struct option opts[] = {{"weight", required_argument, NULL, 'w'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    char weight = 'b';
    int c, tree = 0;
    while ((c = cli_getopt("flame", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'w') {
            if (strcmp(optarg, "bytes") && strcmp(optarg, "calls") && strcmp(optarg, "leaked") &&
                strcmp(optarg, "peak"))
                cli_usage("flame", "--weight expects bytes, calls, leaked or peak, not '%s'", optarg);
            weight = optarg[0];
        } else if (c == 'T')
            tree = 1;
    }
    cli_trace_set set;
    cli_trace_set_collect("flame", argc, argv, tree, &set);
    folded f = {NULL, 0, 0};
    for (size_t t = 0; t < set.n; t++) /* several traces: their stacks merged (same names, one line) */
        add_trace(&f, set.paths[t], weight);
    print_merged(&f);
    cli_trace_set_free(&set);
    return ferror(stdout) ? 1 : 0;
}
