/* SPDX-License-Identifier: MIT */
/* What an event does to the live set (formats/SPEC.md section 7), with or without the chunk's
 * pointer model's word on which young block it names (include/heaprr/live.h). A block is young
 * (live-young.c) or in the table (live.c); the live counts cover both. */
#include "live-internal.h"

uint64_t hr_event_bytes(const hr_event *ev)
{
    uint64_t n = hr_kind_has_count(ev->kind) ? ev->count : 1, total;
    return __builtin_mul_overflow(n, ev->size, &total) ? UINT64_MAX : total;
}

/* Where a live block is: young, in the table, or nowhere (neither). */
typedef struct place {
    hr_young *young;
    hr_heap_slot *slot;
} place;

/* The young block of ordinal ord if it is live at ptr, else NULL. */
static hr_young *young_live(const hr_heap *h, int64_t ord, uint64_t ptr)
{
    hr_young *y = hr_heap_young_at(h, ord);
    return y && y->state == HR_YOUNG_LIVE && y->b.ptr == ptr ? y : NULL;
}

/* The live block at ptr; ord: the young ordinal the model named for it (-1: none). */
static place locate(const hr_heap *h, uint64_t ptr, int64_t ord)
{
    hr_young *y = young_live(h, ord, ptr);
    if (y)
        return (place){y, NULL};
    hr_heap_slot *e = hr_heap_table_find(h, ptr);
    return (place){NULL, e->ptr ? e : NULL};
}

/* The live block a free names (refs: the model's word, or NULL). A block of the table whose
 * address the chunk allocated again after it was born was live through that allocation: a
 * conflict the event then did not see (hr_heap_chunk_end). */
static place locate_freed(hr_heap *h, uint64_t ptr, const hr_heap_refs *refs)
{
    place w = locate(h, ptr, refs ? refs->freed : -1);
    const hr_young *y = w.slot && refs ? hr_heap_young_at(h, refs->earlier) : NULL;
    /* (a block out of the window was checked when its slot was retired) */
    if (y && (y->state == HR_YOUNG_IGNORED || y->b.seq > hr_heap_table_block(h, w.slot).seq))
        h->inexact = 1;
    return w;
}

static int found(place w)
{
    return w.young || w.slot;
}

static hr_block block_at(const hr_heap *h, place w)
{
    return w.young ? w.young->b : hr_heap_table_block(h, w.slot);
}

static void release(hr_heap *h, place w, hr_heap_change *c)
{
    c->released = 1;
    c->freed = block_at(h, w);
    h->live_bytes -= c->freed.size;
    h->count--;
    if (w.young)
        w.young->state = HR_YOUNG_DEAD;
    else
        hr_heap_table_remove(h, w.slot);
}

static void count_in(hr_heap *h, const hr_block *b, hr_heap_change *c)
{
    c->allocated = 1;
    c->alloc = *b;
    h->live_bytes += b->size;
    h->count++;
}

/* A young block the model no longer names (it took an event the live set ignores as released):
 * later events find it by address, in the table. */
static int move_to_table(hr_heap *h, hr_young *y)
{
    int rc = hr_heap_table_insert(h, &y->b);
    HR_FORWARD(rc);
    h->inexact |= rc; /* its address was in the table already */
    y->state = HR_YOUNG_MOVED;
    return 0;
}

static int add_young(hr_heap *h, const hr_block *b, const hr_heap_refs *refs, hr_heap_change *c)
{
    hr_young *stale = young_live(h, refs->replaced, b->ptr), *y;
    if (stale) { /* a live address returned again: the stale block goes (its slot may be the one claimed) */
        c->conflict = 1;
        release(h, (place){stale, NULL}, c);
    }
    HR_FORWARD(hr_heap_young_claim(h, refs->alloc, &y));
    *y = (hr_young){*b, (uint32_t)refs->alloc, HR_YOUNG_LIVE};
    count_in(h, b, c);
    return 0;
}

static int add_to_table(hr_heap *h, const hr_block *b, hr_heap_change *c)
{
    int rc = hr_heap_table_insert(h, b);
    HR_FORWARD(rc);
    if (rc) { /* a live address returned again: the stale block goes */
        c->conflict = 1;
        release(h, locate(h, b->ptr, -1), c);
        rc = hr_heap_table_insert(h, b); /* cannot fail: a slot was just freed, the pair exists */
        HR_FORWARD(rc);
    }
    count_in(h, b, c);
    return 0;
}

static int add(hr_heap *h, const hr_block *b, const hr_heap_refs *refs, hr_heap_change *c)
{
    if (refs && refs->alloc >= 0)
        return add_young(h, b, refs, c);
    return add_to_table(h, b, c);
}

static hr_block new_block(const hr_record *rec)
{
    const hr_event *ev = &rec->u.event;
    return (hr_block){ev->ptr, hr_event_bytes(ev), rec->seq, ev->stack};
}

static int apply_free(hr_heap *h, const hr_record *rec, const hr_heap_refs *refs, hr_heap_change *c)
{
    uint64_t p = rec->u.event.ptr;
    if (!p)
        return 0;
    place w = locate_freed(h, p, refs);
    if (found(w))
        release(h, w, c);
    else
        c->unknown_free = 1;
    return 0;
}

/* A realloc that kept its address: the old block goes and a new one, of the new size and stack,
 * takes its place. */
static int resize_in_place(hr_heap *h, const hr_record *rec, place w, const hr_heap_refs *refs,
                           hr_heap_change *c)
{
    hr_block nb = new_block(rec);
    int young = refs && refs->alloc >= 0;
    if (w.slot && !young) { /* the slot keeps its address */
        HR_FORWARD(hr_heap_table_replace(h, w.slot, &nb, &c->freed));
        c->released = 1;
        h->live_bytes -= c->freed.size;
        h->count--;
        count_in(h, &nb, c);
        return 0;
    }
    release(h, w, c);
    return add(h, &nb, refs, c); /* the address was just freed: no conflict */
}

static int apply_realloc(hr_heap *h, const hr_record *rec, const hr_heap_refs *refs, hr_heap_change *c)
{
    const hr_event *ev = &rec->u.event;
    hr_block nb = new_block(rec);
    if (!ev->old_ptr)
        return ev->ptr ? add(h, &nb, refs, c) : 0;
    place w = locate_freed(h, ev->old_ptr, refs);
    int ours = found(w) && (!(ev->xflags & HR_XF_FREE_SEQ) || block_at(h, w).seq < ev->free_seq);
    c->unknown_free = !found(w);
    if (found(w) && !ours && w.young)
        HR_FORWARD(move_to_table(h, w.young)); /* the model took it as released */
    if (ev->ptr == ev->old_ptr && ours)
        return resize_in_place(h, rec, w, refs, c);
    if (ours)
        release(h, w, c);
    return ev->ptr ? add(h, &nb, refs, c) : 0;
}

/* An event the live set ignores (failed, incomplete): the model may still have given its pointer
 * an ordinal, and released the young blocks it named; those move to the table. */
static int model_only(hr_heap *h, const hr_record *rec, const hr_heap_refs *refs)
{
    const hr_event *ev = &rec->u.event;
    hr_young *y = young_live(h, refs->freed, hr_kind_is_realloc(ev->kind) ? ev->old_ptr : ev->ptr);
    if (y)
        HR_FORWARD(move_to_table(h, y));
    if ((y = young_live(h, refs->replaced, ev->ptr)))
        HR_FORWARD(move_to_table(h, y));
    if (refs->alloc < 0)
        return 0;
    HR_FORWARD(hr_heap_young_claim(h, refs->alloc, &y));
    y->state = HR_YOUNG_IGNORED;
    return 0;
}

int hr_heap_apply_refs(hr_heap *h, const hr_record *rec, const hr_heap_refs *refs, hr_heap_change *c)
{
    memset(c, 0, sizeof *c);
    if (rec->type != HR_REC_EVENT)
        return 0;
    if (rec->seq > h->seq_now)
        h->seq_now = rec->seq;
    const hr_event *ev = &rec->u.event;
    if (ev->xflags & (HR_XF_FAILED | HR_XF_INCOMPLETE))
        return refs ? model_only(h, rec, refs) : 0;
    if (hr_kind_is_free(ev->kind))
        return apply_free(h, rec, refs, c);
    if (hr_kind_is_realloc(ev->kind))
        return apply_realloc(h, rec, refs, c);
    if (!ev->ptr)
        return 0;
    hr_block nb = new_block(rec);
    return add(h, &nb, refs, c);
}

int hr_heap_apply(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    hr_heap_change ignored;
    return hr_heap_apply_refs(h, rec, NULL, c ? c : &ignored);
}
