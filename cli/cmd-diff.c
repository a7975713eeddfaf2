/* SPDX-License-Identifier: MIT */
/* heaprr diff OLD NEW: per allocation site, the change in calls, bytes, peak and leaks between two
 * traces (two versions of a program, two inputs). Sites are matched by their symbolized stacks,
 * so they match across runs whatever the addresses. */
#include "cli.h"
#include "stacks.h"
#include "traces.h"

#include <heaprr/profile.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: heaprr diff [--json] [--top N] [--tree] OLD NEW\n"
    "\n"
    "Compares two traces per allocation site (matched by the function names of their stacks):\n"
    "calls, bytes allocated, bytes live at the peak and bytes leaked, old, new and the change,\n"
    "largest changes in bytes first.\n"
    "\n"
    "  --top N   sites listed (default 20)\n"
    "  --tree    OLD and NEW are the traces of two process trees' roots: each side is the root and\n"
    "            its descendants, their sites summed (the peak: the largest process's)\n"
    "  --json    machine-readable output\n";

typedef struct figures {
    uint64_t calls, bytes, peak, leaked;
} figures;

typedef struct dsite {
    char *key; /* frame names, innermost first, ';'-separated */
    figures f[2];
} dsite;

typedef struct dset {
    dsite *s;
    size_t n, cap;
    uint32_t *index; /* open addressing by key hash: site + 1, 0 empty */
    size_t mask;
} dset;

static uint64_t hash_of(const char *k)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 0x100000001b3ull;
    return h;
}

static int reindex(dset *d)
{
    size_t n = d->index ? (d->mask + 1) * 2 : 1024;
    uint32_t *idx = calloc(n, sizeof *idx);
    if (!idx)
        return -1;
    for (size_t i = 0; i < d->n; i++) {
        size_t k = hash_of(d->s[i].key) & (n - 1);
        while (idx[k])
            k = (k + 1) & (n - 1);
        idx[k] = (uint32_t)i + 1;
    }
    free(d->index);
    d->index = idx;
    d->mask = n - 1;
    return 0;
}

static int add(dset *d, const char *key, int side, const hr_site *s)
{
    if ((d->n + 1) * 2 > (d->index ? d->mask + 1 : 0) && reindex(d) < 0)
        return -1;
    size_t k = hash_of(key) & d->mask;
    for (; d->index[k]; k = (k + 1) & d->mask) {
        dsite *x = &d->s[d->index[k] - 1];
        if (strcmp(x->key, key) == 0) { /* another stack that symbolizes the same */
            figures *f = &x->f[side];
            f->calls += s->calls;
            f->bytes += s->bytes;
            f->peak += s->peak_bytes;
            f->leaked += s->live_bytes;
            return 0;
        }
    }
    d->index[k] = (uint32_t)d->n + 1;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        dsite *n = realloc(d->s, cap * sizeof *n);
        if (!n)
            return -1;
        d->s = n;
        d->cap = cap;
    }
    dsite *x = &d->s[d->n];
    memset(x, 0, sizeof *x);
    if (!(x->key = strdup(key)))
        return -1;
    x->f[side] = (figures){s->calls, s->bytes, s->peak_bytes, s->live_bytes};
    d->n++;
    return 0;
}

/* Profiles path and adds its sites to d as side 0 (old) or 1 (new). */
static void load(const char *path, int side, dset *d, figures *total, int tree)
{
    if (tree) { /* the root and its descendants, one after another */
        cli_trace_set t = {0};
        figures sum = {0, 0, 0, 0}, one;
        cli_trace_set_add(&t, path, 1);
        for (size_t i = 0; i < t.n; i++) {
            load(t.paths[i], side, d, &one, 0);
            sum = (figures){sum.calls + one.calls, sum.bytes + one.bytes, one.peak > sum.peak ? one.peak : sum.peak,
                            sum.leaked + one.leaked};
        }
        cli_trace_set_free(&t);
        *total = sum;
        return;
    }
    hr_reader *r = cli_open_trace(path, 0);
    hr_profile p;
    int rc = hr_profile_compute(r, 0, &p);
    cli_pass_done(rc, r, path);
    cli_truncation_note(r, NULL);
    static char key[1 << 16];
    for (size_t i = 0; i < p.nsites; i++) {
        cli_stack_join(r, p.sites[i].stack, 0, "(no stack)", key, sizeof key);
        if (add(d, key, side, &p.sites[i]) < 0)
            cli_die(1, "out of memory");
    }
    *total = (figures){p.allocs, p.bytes, p.peak_bytes, p.leaked_bytes};
    hr_profile_free(&p);
    cli_stacks_done();
    hr_reader_close(r);
}

static int64_t delta(uint64_t a, uint64_t b)
{
    return (int64_t)(b - a);
}

static uint64_t magnitude(const dsite *s)
{
    int64_t d = delta(s->f[0].bytes, s->f[1].bytes), l = delta(s->f[0].leaked, s->f[1].leaked);
    return (uint64_t)(d < 0 ? -d : d) + (uint64_t)(l < 0 ? -l : l);
}

static int by_change(const void *a, const void *b)
{
    uint64_t x = magnitude(a), y = magnitude(b);
    if (x != y)
        return x > y ? -1 : 1;
    return strcmp(((const dsite *)a)->key, ((const dsite *)b)->key);
}

static void json_figures(json *j, const char *key, uint64_t a, uint64_t b)
{
    json_object_begin(j, key);
    json_u64(j, "old", a);
    json_u64(j, "new", b);
    json_i64(j, "change", delta(a, b));
    json_object_end(j);
}

static void print_json(const char *old, const char *new, const figures t[2], const dset *d, size_t top)
{
    json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_cstr(&j, "old", old);
    json_cstr(&j, "new", new);
    json_object_begin(&j, "totals");
    json_figures(&j, "calls", t[0].calls, t[1].calls);
    json_figures(&j, "bytes", t[0].bytes, t[1].bytes);
    json_figures(&j, "peak", t[0].peak, t[1].peak);
    json_figures(&j, "leaked", t[0].leaked, t[1].leaked);
    json_object_end(&j);
    json_array_begin(&j, "sites");
    for (size_t i = 0; i < d->n && i < top; i++) {
        const dsite *s = &d->s[i];
        json_object_begin(&j, NULL);
        json_figures(&j, "calls", s->f[0].calls, s->f[1].calls);
        json_figures(&j, "bytes", s->f[0].bytes, s->f[1].bytes);
        json_figures(&j, "peak", s->f[0].peak, s->f[1].peak);
        json_figures(&j, "leaked", s->f[0].leaked, s->f[1].leaked);
        json_array_begin(&j, "stack");
        for (char *k = s->key, *end; k; k = end ? end + 1 : NULL) {
            end = strchr(k, ';');
            json_str(&j, NULL, k, end ? (size_t)(end - k) : strlen(k));
        }
        json_array_end(&j);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    json_finish(&j);
}

static void print_text(const char *old, const char *new, const figures t[2], const dset *d, size_t top)
{
    printf("old %s\nnew %s\n\n%-16s %14s %14s %15s\n", old, new, "", "old", "new", "change");
    const char *names[] = {"calls", "bytes allocated", "peak live", "leaked"};
    uint64_t v[2][4] = {{t[0].calls, t[0].bytes, t[0].peak, t[0].leaked}, {t[1].calls, t[1].bytes, t[1].peak, t[1].leaked}};
    for (int k = 0; k < 4; k++)
        printf("%-16s %14" PRIu64 " %14" PRIu64 " %+15" PRId64 "\n", names[k], v[0][k], v[1][k], delta(v[0][k], v[1][k]));
    printf("\nsites, largest change in bytes allocated and leaked first:\n  %10s %14s %14s %14s  %s\n", "calls", "bytes",
           "peak", "leaked", "site");
    for (size_t i = 0; i < d->n && i < top; i++) {
        const dsite *s = &d->s[i];
        if (!magnitude(s) && s->f[0].calls == s->f[1].calls)
            break;
        char site[272];
        size_t o = 0;
        int frames = 1;
        for (const char *c = s->key; *c && o + 5 < sizeof site; c++) {
            if (*c == ';' && ++frames > 6) { /* the innermost frames tell the site */
                memcpy(site + o, " <- ...", 7);
                o += 7;
                break;
            }
            if (*c == ';') {
                memcpy(site + o, " <- ", 4);
                o += 4;
            } else {
                site[o++] = *c;
            }
        }
        site[o] = 0;
        printf("  %+10" PRId64 " %+14" PRId64 " %+14" PRId64 " %+14" PRId64 "  %s%s\n",
               delta(s->f[0].calls, s->f[1].calls), delta(s->f[0].bytes, s->f[1].bytes),
               delta(s->f[0].peak, s->f[1].peak), delta(s->f[0].leaked, s->f[1].leaked), site,
               !s->f[0].calls ? "  (new)" : !s->f[1].calls ? "  (gone)" : "");
    }
}

int cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"top", required_argument, NULL, 't'},
                                         {"tree", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int as_json = 0, tree = 0, c;
    size_t top = 20;
    while ((c = cli_getopt("diff", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'j')
            as_json = 1;
        else if (c == 't')
            top = (size_t)cli_number("diff", "--top", optarg, 1, UINT32_MAX);
        else if (c == 'T')
            tree = 1;
    }
    if (optind != argc - 2)
        cli_usage("diff", "expects two traces: OLD NEW");
    dset d = {NULL, 0, 0, NULL, 0};
    figures t[2];
    load(argv[optind], 0, &d, &t[0], tree);
    load(argv[optind + 1], 1, &d, &t[1], tree);
    if (d.n > 1) /* none: d.s is NULL */
        qsort(d.s, d.n, sizeof *d.s, by_change);
    if (as_json)
        print_json(argv[optind], argv[optind + 1], t, &d, top);
    else
        print_text(argv[optind], argv[optind + 1], t, &d, top);
    for (size_t i = 0; i < d.n; i++)
        free(d.s[i].key);
    free(d.s);
    free(d.index);
    return 0;
}
