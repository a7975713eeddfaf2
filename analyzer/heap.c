/* SPDX-License-Identifier: MIT */
/* The heap the events describe: a map from address to live block, updated by each event with the
 * rules of formats/SPEC.md section 7 (a realloc releases its old block only if that block was
 * allocated before the realloc's first sequence number; an allocation that returns a live address
 * releases the stale block). Open addressing with backward-shift deletion, no tombstones. */
#include <heaprr/analyze.h>
#include <heaprr/bigmem.h>
#include <heaprr/keyed.h>

#include <stdlib.h>
#include <string.h>

struct hr_heap {
    hr_block *slots;
    size_t mask, count;
    uint64_t live_bytes;
};

hr_heap *hr_heap_new(void)
{
    hr_heap *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->mask = 1023;
    h->slots = hr_big_calloc(h->mask + 1, sizeof *h->slots);
    if (!h->slots) {
        free(h);
        return NULL;
    }
    return h;
}

void hr_heap_free(hr_heap *h)
{
    if (h)
        hr_big_free(h->slots);
    free(h);
}

static hr_block *find(const hr_heap *h, uint64_t ptr)
{
    hr_block *b = hr_keyed_probe(h->slots, h->mask, sizeof *b, ptr);
    return b->ptr ? b : NULL;
}

static int grow(hr_heap *h)
{
    hr_block *slots = hr_keyed_grow(h->slots, &h->mask, sizeof *slots, 0);
    if (!slots)
        return HR_ERR_NOMEM;
    h->slots = slots;
    return 0;
}

/* The slot of ptr, or the empty slot where it would go (room made first). NULL without memory.
 * The table grows at 80% load: it is the largest memory of an analysis, zeroing it is much of the
 * cost of growing, and the probe that claims a slot is usually one cache line anyway. */
static hr_block *claim(hr_heap *h, uint64_t ptr)
{
    if ((h->count + 1) * 5 > (h->mask + 1) * 4 && grow(h) < 0)
        return NULL;
    return hr_keyed_probe(h->slots, h->mask, sizeof *h->slots, ptr);
}

static void fill(hr_heap *h, hr_block *slot, const hr_block *b)
{
    *slot = *b;
    h->count++;
    h->live_bytes += b->size;
}

static int insert(hr_heap *h, const hr_block *b)
{
    hr_block *slot = claim(h, b->ptr);
    if (!slot)
        return HR_ERR_NOMEM;
    fill(h, slot, b);
    return 0;
}

void hr_heap_prefetch(const hr_heap *h, uint64_t ptr)
{
    __builtin_prefetch(&h->slots[hr_keyed_home(ptr, h->mask)]);
}

/* Removes the block at slot b, shifting later entries of its probe run back. */
static void erase(hr_heap *h, hr_block *b)
{
    h->live_bytes -= b->size;
    h->count--;
    hr_keyed_erase(h->slots, h->mask, sizeof *b, b);
}

uint64_t hr_event_bytes(const hr_event *ev)
{
    uint64_t n = hr_kind_has_count(ev->kind) ? ev->count : 1, total;
    return __builtin_mul_overflow(n, ev->size, &total) ? UINT64_MAX : total;
}

static void release(hr_heap *h, hr_block *b, hr_heap_change *c)
{
    c->released = 1;
    c->freed = *b;
    erase(h, b);
}

static int allocate(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    const hr_event *ev = &rec->u.event;
    hr_block *slot = claim(h, ev->ptr);
    if (!slot)
        return HR_ERR_NOMEM;
    if (slot->ptr) { /* a live address returned again: the stale block goes */
        c->conflict = 1;
        release(h, slot, c);
        if (!(slot = claim(h, ev->ptr)))
            return HR_ERR_NOMEM;
    }
    hr_block b = {ev->ptr, hr_event_bytes(ev), rec->seq, ev->stack};
    c->allocated = 1;
    c->alloc = b;
    fill(h, slot, &b);
    return 0;
}

static int apply_free(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    uint64_t p = rec->u.event.ptr;
    if (!p)
        return 0;
    hr_block *b = find(h, p);
    if (b)
        release(h, b, c);
    else
        c->unknown_free = 1;
    return 0;
}

static int apply_realloc(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    const hr_event *ev = &rec->u.event;
    if (!ev->old_ptr)
        return ev->ptr ? allocate(h, rec, c) : 0;
    hr_block *b = find(h, ev->old_ptr);
    int ours = b && (!(ev->xflags & HR_XF_FREE_SEQ) || b->seq < ev->free_seq);
    c->unknown_free = !b;
    if (ev->ptr == ev->old_ptr && ours) { /* resized in place: the old block goes, a new one comes */
        hr_block nb = *b;
        c->released = 1;
        c->freed = *b;
        erase(h, b);
        nb.size = hr_event_bytes(ev);
        nb.seq = rec->seq;
        nb.stack = ev->stack;
        c->allocated = 1;
        c->alloc = nb;
        return insert(h, &nb);
    }
    if (ours)
        release(h, b, c);
    return ev->ptr ? allocate(h, rec, c) : 0;
}

int hr_heap_apply(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    memset(c, 0, sizeof *c);
    if (rec->type != HR_REC_EVENT)
        return 0;
    const hr_event *ev = &rec->u.event;
    if (ev->xflags & (HR_XF_FAILED | HR_XF_INCOMPLETE))
        return 0;
    if (hr_kind_is_free(ev->kind))
        return apply_free(h, rec, c);
    if (hr_kind_is_realloc(ev->kind))
        return apply_realloc(h, rec, c);
    return ev->ptr ? allocate(h, rec, c) : 0;
}

uint64_t hr_heap_live_bytes(const hr_heap *h)
{
    return h->live_bytes;
}

uint64_t hr_heap_live_blocks(const hr_heap *h)
{
    return h->count;
}

void hr_heap_each(const hr_heap *h, void (*fn)(void *ctx, const hr_block *b), void *ctx)
{
    for (size_t i = 0; i <= h->mask; i++)
        if (h->slots[i].ptr)
            fn(ctx, &h->slots[i]);
}
