/* SPDX-License-Identifier: MIT */
/* The HTML report's flame graph data (report-flame.h): the allocation sites' stacks merged into one
 * tree from the outermost frame in, each node with four weights (bytes allocated, allocations,
 * bytes leaked, bytes live at the peak). Frames are function names (inlined ones included), in a
 * table the nodes index. Nodes too small to draw under every weight (under 1/5000 of the total)
 * are left out, so that big traces give a small page. */
#include "report-flame.h"

#include "stacks.h"

#include <heaprr/symbolize.h>

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512
#define KEEP_FRACTION 5000 /* a node is kept when some weight is at least 1/KEEP_FRACTION of its total */

typedef struct fnode {
    int32_t frame; /* index into the names; -1: the root */
    uint64_t w[4];
    size_t first, next; /* indexes + 1 */
} fnode;

struct cli_flame {
    fnode *v;
    size_t n, cap;
    int32_t *renum; /* name index -> index in the page's table (-1: no kept node has it) */
    size_t nused;
    char **names;
    size_t nnames, capnames;
    size_t *name_slot, name_mask; /* name index + 1 by name */
};
typedef struct cli_flame ftree;

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static void names_grow(ftree *t)
{
    size_t cap = t->name_slot ? (t->name_mask + 1) * 2 : 1024;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < t->nnames; i++) {
        size_t h = hash_name(t->names[i]) & (cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = i + 1;
    }
    free(t->name_slot);
    t->name_slot = slot;
    t->name_mask = cap - 1;
}

static int32_t name_index(ftree *t, const char *name)
{
    if ((t->nnames + 1) * 2 > (t->name_slot ? t->name_mask + 1 : 0))
        names_grow(t);
    size_t h = hash_name(name) & t->name_mask;
    for (; t->name_slot[h]; h = (h + 1) & t->name_mask)
        if (strcmp(t->names[t->name_slot[h] - 1], name) == 0)
            return (int32_t)(t->name_slot[h] - 1);
    if (t->nnames == t->capnames) {
        t->capnames = t->capnames ? t->capnames * 2 : 256;
        t->names = cli_realloc(t->names, t->capnames * sizeof *t->names);
    }
    t->names[t->nnames] = strcpy(cli_realloc(NULL, strlen(name) + 1), name);
    t->name_slot[h] = ++t->nnames;
    return (int32_t)(t->nnames - 1);
}

/* The child of node p named frame (made when missing). Children are few per node: a list. */
static size_t child(ftree *t, size_t p, int32_t frame)
{
    for (size_t c = t->v[p].first; c; c = t->v[c - 1].next)
        if (t->v[c - 1].frame == frame)
            return c - 1;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->v = cli_realloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n] = (fnode){frame, {0, 0, 0, 0}, 0, t->v[p].first};
    t->v[p].first = ++t->n;
    return t->n - 1;
}

static void add_site(ftree *t, hr_reader *r, const hr_site *s)
{
    const hr_symframe *f;
    size_t n = cli_stack_frames(r, s->stack, &f), at = 0;
    const uint64_t w[4] = {s->bytes, s->calls, s->live_bytes, s->peak_bytes};
    for (int k = 0; k < 4; k++)
        t->v[0].w[k] += w[k];
    if (n > MAX_DEPTH)
        n = MAX_DEPTH;
    int32_t *ids = cli_realloc(NULL, (n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        char name[1024];
        cli_frame_name(&f[i], name, sizeof name);
        ids[i] = name_index(t, name);
    }
    if (!n) { /* no stack recorded */
        ids[0] = name_index(t, "(no stack)");
        n = 1;
    }
    for (size_t i = n; i-- > 0;) { /* the outermost first */
        at = child(t, at, ids[i]);
        for (int k = 0; k < 4; k++)
            t->v[at].w[k] += w[k];
    }
    free(ids);
}

static int kept(const ftree *t, const fnode *n)
{
    for (int k = 0; k < 4; k++)
        if (n->w[k] && n->w[k] * KEEP_FRACTION >= t->v[0].w[k])
            return 1;
    return 0;
}

/* Largest first (by bytes allocated): the page draws children left to right in this order. */
static int by_weight(const void *a, const void *b)
{
    const fnode *x = *(fnode *const *)a, *y = *(fnode *const *)b;
    return x->w[0] > y->w[0] ? -1 : x->w[0] < y->w[0] ? 1 : (x->w[1] > y->w[1]) - (x->w[1] < y->w[1]);
}

static void write_node(json *j, ftree *t, size_t i, int depth, const char *key)
{
    const fnode *n = &t->v[i];
    json_array_begin(j, key);
    json_i64(j, NULL, n->frame < 0 ? -1 : t->renum[n->frame]);
    json_array_begin(j, NULL);
    for (int k = 0; k < 4; k++)
        json_u64(j, NULL, n->w[k]);
    json_array_end(j);
    json_array_begin(j, NULL);
    size_t count = 0;
    for (size_t c = n->first; c; c = t->v[c - 1].next)
        count += kept(t, &t->v[c - 1]);
    fnode **kids = cli_realloc(NULL, (count ? count : 1) * sizeof *kids);
    count = 0;
    for (size_t c = n->first; c; c = t->v[c - 1].next)
        if (kept(t, &t->v[c - 1]))
            kids[count++] = &t->v[c - 1];
    qsort(kids, count, sizeof *kids, by_weight);
    for (size_t k = 0; k < count && depth < MAX_DEPTH; k++)
        write_node(j, t, (size_t)(kids[k] - t->v), depth + 1, NULL);
    free(kids);
    json_array_end(j);
    json_array_end(j);
}

/* The names the kept nodes use, numbered in the order met. */
static void number_names(ftree *t, size_t i, int depth)
{
    const fnode *n = &t->v[i];
    if (n->frame >= 0 && t->renum[n->frame] < 0)
        t->renum[n->frame] = (int32_t)t->nused++;
    for (size_t c = n->first; c && depth < MAX_DEPTH; c = t->v[c - 1].next)
        if (kept(t, &t->v[c - 1]))
            number_names(t, c - 1, depth + 1);
}

cli_flame *cli_flame_new(void)
{
    ftree *t = calloc(1, sizeof *t);
    if (!t)
        cli_die(1, "out of memory");
    t->cap = 1024;
    t->v = cli_realloc(NULL, t->cap * sizeof *t->v);
    t->v[0] = (fnode){-1, {0, 0, 0, 0}, 0, 0};
    t->n = 1;
    return t;
}

void cli_flame_add(cli_flame *t, hr_reader *r, const hr_profile *p)
{
    for (size_t i = 0; i < p->nsites; i++)
        add_site(t, r, &p->sites[i]);
}

void cli_flame_write(json *j, cli_flame *t)
{
    t->renum = cli_realloc(NULL, (t->nnames ? t->nnames : 1) * sizeof *t->renum);
    memset(t->renum, 0xff, (t->nnames ? t->nnames : 1) * sizeof *t->renum);
    t->nused = 0;
    number_names(t, 0, 0);
    const char **order = cli_realloc(NULL, (t->nused ? t->nused : 1) * sizeof *order);
    for (size_t i = 0; i < t->nnames; i++)
        if (t->renum[i] >= 0)
            order[t->renum[i]] = t->names[i];
    json_array_begin(j, "frames");
    for (size_t i = 0; i < t->nused; i++)
        json_cstr(j, NULL, order[i]);
    json_array_end(j);
    write_node(j, t, 0, 0, "tree");
    free(order);
    free(t->renum);
    t->renum = NULL;
}

void cli_flame_free(cli_flame *t)
{
    free(t->v);
    for (size_t i = 0; i < t->nnames; i++)
        free(t->names[i]);
    free(t->names);
    free(t->name_slot);
    free(t);
}
