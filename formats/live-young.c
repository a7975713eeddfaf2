/* SPDX-License-Identifier: MIT */
/* The live set's young blocks (include/heaprr/live.h, live-internal.h): those allocated in the
 * current chunk, by their allocation ordinal in it. The pointer model of a chunk (formats/SPEC.md
 * 5.5) already tells which of them a free names, so most blocks, which die in the chunk they were
 * born in, never reach the table of blocks by address: an array written in order and read where it
 * was written shortly before. At the end of the chunk the survivors move to the table. */
#include "live-internal.h"

#define FIRST_CAP 4096u

int hr_heap_young_reserve(hr_heap *h, uint64_t ord)
{
    if (ord < h->young_cap)
        return 0;
    HR_RETURN_IF(ord >= HR_CHUNK_RECORDS_MAX, HR_ERR_LIMIT);
    size_t cap = h->young_cap ? h->young_cap : FIRST_CAP;
    while (cap <= ord)
        cap *= 2;
    hr_block *blocks = hr_heap_get(h, cap * sizeof *blocks);
    uint8_t *state = hr_heap_get(h, cap);
    if (!blocks || !state) {
        hr_heap_put(h, blocks, cap * sizeof *blocks);
        hr_heap_put(h, state, cap);
        return HR_ERR_NOMEM;
    }
    if (h->young_used) {
        memcpy(blocks, h->young, h->young_used * sizeof *blocks);
        memcpy(state, h->young_state, h->young_used);
    }
    hr_heap_young_free(h);
    h->young = blocks;
    h->young_state = state;
    h->young_cap = cap;
    return 0;
}

void hr_heap_young_free(hr_heap *h)
{
    hr_heap_put(h, h->young, h->young_cap * sizeof *h->young);
    hr_heap_put(h, h->young_state, h->young_cap);
    h->young = NULL;
    h->young_state = NULL;
    h->young_cap = 0;
}

void hr_heap_young_each(const hr_heap *h, void (*fn)(void *ctx, const hr_block *b), void *ctx)
{
    for (size_t o = 0; o < h->young_used; o++)
        if (h->young_state[o] == HR_YOUNG_LIVE)
            fn(ctx, &h->young[o]);
}

void hr_heap_prefetch_refs(const hr_heap *h, const hr_record *rec, const hr_heap_refs *refs)
{
    if (refs->freed >= 0 && (uint64_t)refs->freed < h->young_cap) {
        __builtin_prefetch(&h->young[refs->freed]);
        __builtin_prefetch(&h->young_state[refs->freed]);
        return;
    }
    const hr_event *ev = &rec->u.event;
    uint64_t named = hr_kind_is_realloc(ev->kind) ? ev->old_ptr : hr_kind_is_free(ev->kind) ? ev->ptr : 0;
    if (named) /* a block of an earlier chunk: in the table */
        hr_heap_prefetch(h, named);
}

#define AHEAD 8 /* table lookups prefetched ahead */

/* Whether the table holds, at the address of young block o, an older block: one live all along
 * since before o's allocation, a conflict the event did not see (a free of that address in the
 * chunk would have named the young block). */
static int older_in_table(const hr_heap *h, size_t o)
{
    const hr_heap_slot *e = hr_heap_table_find(h, h->young[o].ptr);
    return e->ptr && hr_heap_table_block(h, e).seq < h->young[o].seq;
}

/* One pass over the chunk's blocks, the table's slots loaded AHEAD blocks before: the conflicts
 * missed, and the survivors moved to the table. */
int hr_heap_chunk_end(hr_heap *h)
{
    int inexact = h->inexact;
    for (size_t o = 0; o < h->young_used; o++) {
        if (o + AHEAD < h->young_used && h->young_state[o + AHEAD] != HR_YOUNG_NONE)
            hr_heap_prefetch(h, h->young[o + AHEAD].ptr);
        unsigned st = h->young_state[o];
        if (st != HR_YOUNG_LIVE && st != HR_YOUNG_DEAD)
            continue;
        inexact |= older_in_table(h, o);
        if (st == HR_YOUNG_DEAD)
            continue;
        int rc = hr_heap_table_insert(h, &h->young[o]);
        if (rc < 0)
            return rc; /* the blocks not moved yet stay young */
        h->young_state[o] = HR_YOUNG_MOVED;
        inexact |= rc;
    }
    memset(h->young_state, 0, h->young_used);
    h->young_used = 0;
    h->inexact = 0;
    return inexact;
}
