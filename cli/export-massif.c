/* SPDX-License-Identifier: MIT */
/* heaprr export --to massif: valgrind massif's output file, read by ms_print and
 * massif-visualizer. The bytes live per allocation stack are followed through the trace
 * (live-sites.h) and written as about 50 snapshots evenly spread over the calls, every tenth one
 * detailed, plus the peak, detailed and marked as such. Time is in bytes allocated and freed so far
 * (massif's --time-unit=B). A detailed snapshot's tree is massif's: the allocation points under the
 * root, each with its callers under it, largest first; parts under 1% of the snapshot are summed up
 * on one line, as massif does. Massif's "extra heap" (allocator overhead) and stacks are 0: the
 * trace has neither. */
#include "export.h"

#include "live-sites.h"
#include "passes.h"
#include "stacks.h"

#include <heaprr/symbolize.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SNAPSHOTS 50
#define DETAILED_EVERY 10
#define THRESHOLD 0.01 /* of the snapshot's bytes: massif's default */
#define MAX_DEPTH 256

/* ---- the tree of a detailed snapshot: nodes by (parent, return address) ---- */

typedef struct node {
    uint64_t ip, bytes;
    size_t parent, first, next; /* indexes + 1; 0: none */
} node;

typedef struct tree {
    node *v;
    size_t n, cap;
    size_t *slot, mask; /* node index + 1 by (parent, ip) */
} tree;

static size_t slot_of(uint64_t parent, uint64_t ip, size_t mask)
{
    uint64_t h = (ip ^ (parent * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static void tree_grow(tree *t)
{
    size_t cap = t->mask ? (t->mask + 1) * 2 : 4096;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        cli_die(1, "out of memory");
    for (size_t i = 1; i < t->n; i++) { /* node 0 is the root: in no slot */
        size_t h = slot_of(t->v[i].parent, t->v[i].ip, cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->mask = cap - 1;
}

/* The child of parent (an index) for ip, made when missing. */
static size_t child(tree *t, size_t parent, uint64_t ip)
{
    if ((t->n + 1) * 2 > (t->slot ? t->mask + 1 : 0))
        tree_grow(t);
    size_t h = slot_of(parent + 1, ip, t->mask);
    for (; t->slot[h]; h = (h + 1) & t->mask) {
        const node *c = &t->v[t->slot[h] - 1];
        if (c->parent == parent + 1 && c->ip == ip)
            return t->slot[h] - 1;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->v = cli_realloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n] = (node){ip, 0, parent + 1, 0, t->v[parent].first};
    t->v[parent].first = t->n + 1;
    t->slot[h] = ++t->n;
    return t->n - 1;
}

/* A site's live bytes added under the root, along its stack. */
static void add_site(tree *t, hr_reader *r, const cli_site_live *e)
{
    uint64_t ips[MAX_DEPTH];
    size_t n = e->stack ? hr_reader_stack(r, e->stack, ips, MAX_DEPTH) : 0, at = 0;
    t->v[0].bytes += e->bytes;
    for (size_t i = 0; i < n; i++) {
        at = child(t, at, ips[i]);
        t->v[at].bytes += e->bytes;
    }
}

/* ---- writing ---- */

typedef struct writer {
    FILE *f;
    hr_symbolizer *sym;
    uint64_t total; /* the snapshot's bytes */
} writer;

static void label(writer *w, uint64_t ip, char *out, size_t cap)
{
    hr_symframe f[64];
    size_t n = w->sym ? hr_sym_resolve(w->sym, ip, f, 64) : 0;
    const hr_symframe *s = n ? &f[0] : NULL;
    if (s && s->function && s->file)
        snprintf(out, cap, "0x%" PRIx64 ": %s (%s:%u)", ip, s->function, s->file, s->line);
    else if (s && s->function)
        snprintf(out, cap, "0x%" PRIx64 ": %s (in %s)", ip, s->function, s->module ? s->module : "?");
    else if (s && s->module)
        snprintf(out, cap, "0x%" PRIx64 ": ??? (in %s)", ip, s->module);
    else
        snprintf(out, cap, "0x%" PRIx64 ": ???", ip);
    for (char *c = out; *c; c++) /* ms_print drops what follows a '#' as a comment */
        if (*c == '#' || *c == '\n')
            *c = '?';
}

static int by_bytes(const void *a, const void *b)
{
    const node *x = *(node *const *)a, *y = *(node *const *)b;
    return x->bytes > y->bytes ? -1 : x->bytes < y->bytes ? 1 : x->ip < y->ip ? -1 : x->ip > y->ip;
}

/* Node i's line, then its significant children's, then one line for the others. */
static void write_node(writer *w, tree *t, size_t i, int depth)
{
    size_t n = 0, sig = 0;
    for (size_t c = t->v[i].first; c; c = t->v[c - 1].next)
        n++;
    node **kids = cli_realloc(NULL, n * sizeof *kids);
    n = 0;
    for (size_t c = t->v[i].first; c; c = t->v[c - 1].next)
        kids[n++] = &t->v[c - 1];
    qsort(kids, n, sizeof *kids, by_bytes);
    uint64_t rest = 0, min = (uint64_t)((double)w->total * THRESHOLD);
    while (sig < n && kids[sig]->bytes >= min && kids[sig]->bytes)
        sig++;
    for (size_t k = sig; k < n; k++)
        rest += kids[k]->bytes;
    char text[4096];
    if (depth == 0)
        snprintf(text, sizeof text, "(heap allocation functions) malloc/new/new[], --alloc-fns, etc.");
    else
        label(w, t->v[i].ip, text, sizeof text);
    fprintf(w->f, "%*sn%zu: %" PRIu64 " %s\n", depth, "", sig + (sig < n), t->v[i].bytes, text);
    for (size_t k = 0; k < sig; k++)
        write_node(w, t, (size_t)(kids[k] - t->v), depth + 1);
    if (sig < n)
        fprintf(w->f, "%*sn0: %" PRIu64 " in %zu place%s, below massif's threshold (1.00%%)\n", depth + 1, "", rest,
                n - sig, n - sig == 1 ? "" : "s");
    free(kids);
}

/* One snapshot, taken during the replay and written after it. */
typedef struct snap {
    size_t num;
    uint64_t time, bytes;
    const char *kind;     /* "empty", "detailed" or "peak" */
    cli_site_live *sites; /* detailed and peak: the sites live then */
    size_t nsites;
} snap;

static void write_snapshot(writer *w, tree *t, hr_reader *r, const snap *sn)
{
    fprintf(w->f, "#-----------\nsnapshot=%zu\n#-----------\ntime=%" PRIu64 "\nmem_heap_B=%" PRIu64
            "\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n", sn->num, sn->time, sn->bytes, sn->kind);
    if (strcmp(sn->kind, "empty") == 0)
        return;
    t->n = 1;
    t->v[0] = (node){0, 0, 0, 0, 0};
    if (t->slot)
        memset(t->slot, 0, (t->mask + 1) * sizeof *t->slot);
    for (size_t i = 0; i < sn->nsites; i++)
        add_site(t, r, &sn->sites[i]);
    w->total = t->v[0].bytes;
    write_node(w, t, 0, 0);
}

static void header(FILE *f, const char *path, hr_reader *r)
{
    const hr_header *hd = hr_reader_header(r);
    fprintf(f, "desc: heaprr export --to massif %s\ncmd:", path);
    for (size_t i = 0; hd && i < hd->cmdline.len; i++) /* NUL-separated arguments */
        fputc(hd->cmdline.ptr[i] ? (hd->cmdline.ptr[i] == '\n' ? ' ' : hd->cmdline.ptr[i]) : ' ', f);
    fprintf(f, "\ntime_unit: B\n");
}

/* The snapshots of the replay: one every step events, detailed every DETAILED_EVERY, the peak one
 * after the event peak_seq, and one at the end when no step fell there. */
typedef struct snaps {
    uint64_t step, events, time, peak_seq, peak_bytes;
    snap *v;
    size_t n, cap;
} snaps;

static void copy_site(void *ctx, const cli_site_live *e)
{
    snap *sn = ctx;
    sn->sites[sn->nsites++] = *e;
}

static void take(snaps *ss, const hr_heap *h, const cli_live_sites *s, const char *kind)
{
    if (ss->n == ss->cap) {
        ss->cap = ss->cap ? 2 * ss->cap : 64;
        ss->v = cli_realloc(ss->v, ss->cap * sizeof *ss->v);
    }
    snap *sn = &ss->v[ss->n];
    *sn = (snap){ss->n, ss->time, hr_heap_live_bytes(h), kind, NULL, 0};
    ss->n++;
    if (strcmp(kind, "empty") == 0)
        return;
    sn->sites = cli_realloc(NULL, (s->used + 1) * sizeof *sn->sites);
    cli_live_sites_each(s, copy_site, sn);
}

static void on_event(void *ctx, const hr_record *rec, const hr_heap_change *c, const hr_heap *h,
                     const cli_live_sites *s)
{
    snaps *ss = ctx;
    if (!rec) {
        if (ss->events % ss->step)
            take(ss, h, s, "detailed");
        return;
    }
    ss->time += (c->allocated ? c->alloc.size : 0) + (c->released ? c->freed.size : 0);
    ss->events++;
    if (rec->seq == ss->peak_seq && ss->peak_bytes && hr_heap_live_bytes(h) == ss->peak_bytes)
        take(ss, h, s, "peak");
    else if (ss->events % ss->step == 0)
        take(ss, h, s, ss->n % DETAILED_EVERY == 0 ? "detailed" : "empty");
}

static void snapshots(writer *w, const char *path, hr_reader *r, uint64_t calls, uint64_t peak_seq,
                      uint64_t peak_bytes)
{
    snaps ss = {calls / SNAPSHOTS ? calls / SNAPSHOTS : 1, 0, 0, peak_seq, peak_bytes, NULL, 0, 0};
    ss.v = cli_realloc(NULL, sizeof *ss.v);
    ss.v[ss.n++] = (snap){0, 0, 0, "empty", NULL, 0};
    ss.cap = 1;
    cli_pass_done(cli_live_follow(r, on_event, &ss), r, path);
    tree t = {cli_realloc(NULL, 1024 * sizeof(node)), 0, 1024, NULL, 0};
    for (size_t i = 0; i < ss.n; i++) {
        write_snapshot(w, &t, r, &ss.v[i]);
        free(ss.v[i].sites);
    }
    free(ss.v);
    free(t.v);
    free(t.slot);
}

int cli_export_massif(const char *path, FILE *out)
{
    hr_profile p;
    hr_reader *r = cli_profile_pass(path, "export", &p); /* the peak, and the number of calls */
    uint64_t calls = p.calls, peak_seq = p.peak_seq, peak_bytes = p.peak_bytes;
    cli_profile_free(&p);
    cli_pass_end(r);
    r = cli_open_trace(path, 0);
    writer w = {out, cli_symbolizer(r), 0};
    header(out, path, r);
    snapshots(&w, path, r, calls, peak_seq, peak_bytes);
    cli_truncation_note(r, NULL);
    cli_stacks_done();
    hr_reader_close(r);
    return 0;
}
