/* SPDX-License-Identifier: MIT */
/* Leaks grouped by allocation stack (include/heaprr/leaks.h). */
#include "suppress.h"

#include <heaprr/analyze.h>
#include <heaprr/bigmem.h>
#include <heaprr/keyed.h>
#include <heaprr/leaks.h>

#include <stdlib.h>
#include <string.h>

typedef struct group_map {
    hr_leak *slots; /* stack + 1 as the key: 0 marks an empty slot */
    size_t mask, used;
} group_map;

static int grow(group_map *g)
{
    hr_leak *slots = hr_keyed_grow(g->slots, &g->mask, sizeof *slots, 1024);
    if (!slots)
        return HR_ERR_NOMEM;
    g->slots = slots;
    return 0;
}

typedef struct collect {
    group_map map;
    int failed;
} collect;

static void add_block(void *ctx, const hr_block *b)
{
    collect *c = ctx;
    group_map *g = &c->map;
    if (c->failed || ((g->used + 1) * 2 > (g->slots ? g->mask + 1 : 0) && grow(g) < 0)) {
        c->failed = 1;
        return;
    }
    hr_leak *l = hr_keyed_probe(g->slots, g->mask, sizeof *l, b->stack + 1);
    if (!l->stack) {
        *l = (hr_leak){b->stack + 1, 0, 0, b->seq, 0};
        g->used++;
    }
    l->bytes += b->size;
    l->blocks++;
    if (b->seq < l->first_seq)
        l->first_seq = b->seq;
}

static int by_size(const void *a, const void *b)
{
    const hr_leak *x = a, *y = b;
    if (x->suppressed != y->suppressed)
        return x->suppressed - y->suppressed;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

static void totals(hr_leaks *l)
{
    l->total_bytes = l->total_blocks = l->suppressed_bytes = l->suppressed_blocks = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->groups[i].suppressed) {
            l->suppressed_bytes += l->groups[i].bytes;
            l->suppressed_blocks += l->groups[i].blocks;
        } else {
            l->total_bytes += l->groups[i].bytes;
            l->total_blocks += l->groups[i].blocks;
        }
    }
}

int hr_leaks_compute(hr_reader *r, hr_leaks *out)
{
    memset(out, 0, sizeof *out);
    hr_heap *h = hr_heap_new();
    if (!h)
        return HR_ERR_NOMEM;
    int rc = hr_heap_run(r, h, NULL, NULL);
    collect c = {{NULL, 0, 0}, 0};
    if (rc == 0)
        hr_heap_each(h, add_block, &c);
    hr_heap_free(h);
    if (rc == 0 && c.failed)
        rc = HR_ERR_NOMEM;
    if (rc == 0 && !(out->groups = malloc((c.map.used ? c.map.used : 1) * sizeof *out->groups)))
        rc = HR_ERR_NOMEM;
    for (size_t i = 0; rc == 0 && c.map.slots && i <= c.map.mask; i++) {
        if (!c.map.slots[i].stack)
            continue;
        out->groups[out->n] = c.map.slots[i];
        out->groups[out->n++].stack--;
    }
    hr_big_free(c.map.slots);
    if (rc < 0) {
        hr_leaks_free(out);
        return rc;
    }
    qsort(out->groups, out->n, sizeof *out->groups, by_size);
    totals(out);
    return 0;
}

void hr_leaks_free(hr_leaks *l)
{
    free(l->groups);
    memset(l, 0, sizeof *l);
}

void hr_leaks_suppress(hr_leaks *l, const hr_suppressions *s, hr_reader *r, hr_symbolizer *sym)
{
    for (size_t i = 0; i < l->n; i++)
        l->groups[i].suppressed = hr_supp_match(s, r, sym, l->groups[i].stack);
    qsort(l->groups, l->n, sizeof *l->groups, by_size);
    totals(l);
}
