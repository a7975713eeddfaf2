/* SPDX-License-Identifier: MIT */
/* The live set's young blocks (include/heaprr/live.h, live-internal.h): those among the last
 * HR_YOUNG_WINDOW allocations of the current chunk, in a window indexed by allocation ordinal. The
 * pointer model of a chunk (formats/SPEC.md 5.5) already tells which of them a free names, so most
 * blocks, which die soon after they are born, never reach the table of blocks by address. A block
 * still live when its slot is wanted by a newer ordinal, or when the chunk ends, moves to the
 * table. */
#include "live-internal.h"

#define MASK (HR_YOUNG_WINDOW - 1)
#define AHEAD 8 /* table slots prefetched this many retirements ahead */

hr_young *hr_heap_young_at(const hr_heap *h, int64_t ord)
{
    if (ord < 0 || !h->young)
        return NULL;
    hr_young *y = &h->young[ord & MASK];
    return y->ord == (uint64_t)ord && y->state != HR_YOUNG_EMPTY ? y : NULL;
}

/* Whether y holds a block the live set saw allocated (live, or released while young). */
static int holds_block(const hr_young *y)
{
    return y->state == HR_YOUNG_LIVE || y->state == HR_YOUNG_DEAD;
}

/* Loads the table slot y's retirement will look at. */
static void prefetch_retire(const hr_heap *h, const hr_young *y)
{
    if (holds_block(y))
        hr_heap_prefetch(h, y->b.ptr);
}

/* Whether the table holds, at y's address, an older block: one live since before y's allocation, a
 * conflict the event did not see (a free of that address would have named y). */
static int older_in_table(const hr_heap *h, const hr_young *y)
{
    const hr_heap_slot *e = hr_heap_table_find(h, y->b.ptr);
    return e->ptr && hr_heap_table_block(h, e).seq < y->b.seq;
}

/* Leaves y empty: a missed conflict noted, a live block moved to the table. */
static int retire(hr_heap *h, hr_young *y)
{
    if (holds_block(y))
        h->inexact |= older_in_table(h, y);
    if (y->state == HR_YOUNG_LIVE) {
        int rc = hr_heap_table_insert(h, &y->b);
        HR_FORWARD(rc);
        h->inexact |= rc;
    }
    y->state = HR_YOUNG_EMPTY;
    return 0;
}

int hr_heap_young_claim(hr_heap *h, int64_t ord, hr_young **slot)
{
    HR_RETURN_IF(ord < 0 || ord >= HR_CHUNK_RECORDS_MAX, HR_ERR_LIMIT);
    if (!h->young && !(h->young = hr_heap_get(h, HR_YOUNG_WINDOW * sizeof *h->young)))
        return HR_ERR_NOMEM;
    prefetch_retire(h, &h->young[(ord + AHEAD) & MASK]); /* retired AHEAD claims from now */
    hr_young *y = &h->young[ord & MASK];
    HR_FORWARD(retire(h, y));
    y->ord = (uint32_t)ord;
    *slot = y;
    return 0;
}

void hr_heap_young_free(hr_heap *h)
{
    hr_heap_put(h, h->young, HR_YOUNG_WINDOW * sizeof *h->young);
    h->young = NULL;
}

void hr_heap_young_each(const hr_heap *h, void (*fn)(void *ctx, const hr_block *b), void *ctx)
{
    for (size_t i = 0; h->young && i < HR_YOUNG_WINDOW; i++)
        if (h->young[i].state == HR_YOUNG_LIVE)
            fn(ctx, &h->young[i].b);
}

void hr_heap_prefetch_refs(const hr_heap *h, const hr_record *rec, const hr_heap_refs *refs)
{
    if (refs->freed >= 0 && h->young) {
        __builtin_prefetch(&h->young[refs->freed & MASK]);
        return;
    }
    const hr_event *ev = &rec->u.event;
    uint64_t named = hr_kind_is_realloc(ev->kind) ? ev->old_ptr : hr_kind_is_free(ev->kind) ? ev->ptr : 0;
    if (named) /* a block of an earlier chunk: in the table */
        hr_heap_prefetch(h, named);
}

/* Every slot retired, the table's slots loaded AHEAD slots before. */
int hr_heap_chunk_end(hr_heap *h)
{
    for (size_t i = 0; h->young && i < HR_YOUNG_WINDOW; i++) {
        if (i + AHEAD < HR_YOUNG_WINDOW)
            prefetch_retire(h, &h->young[i + AHEAD]);
        HR_FORWARD(retire(h, &h->young[i])); /* the blocks not moved yet stay young */
    }
    int inexact = h->inexact;
    h->inexact = 0;
    return inexact;
}
