/* SPDX-License-Identifier: MIT */
/* Large blocks: address-ordered first fit over a free list, with splitting and coalescing, in
 * arenas of MALLOC_ARENA_SIZE bytes. A block is a header of block_header bytes and its data,
 * rounded to the alignment. A request larger than an arena gets a mapping of a multiple of the
 * arena size and the rest goes on the free list. When an arena is wholly free again it goes back
 * to the arena cache. Records (index 0 is "none") describe every block, free or not, with its
 * neighbours in its arena. */
#include "bandheap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

static int grow_pool(void **pool, uint32_t *cap, size_t elem)
{
    uint32_t n = *cap ? *cap * 2 : 64;
    void *p = realloc(*pool, (size_t)n * elem);
    if (!p)
        return HR_ERR_NOMEM;
    *pool = p;
    *cap = n;
    return 0;
}

static int lb_new(hr_bandheap *h, uint32_t *out)
{
    if (h->free_lb) {
        *out = h->free_lb;
        h->free_lb = h->lb[*out].next;
        return 0;
    }
    if (h->nlb == h->cap_lb && grow_pool((void **)&h->lb, &h->cap_lb, sizeof *h->lb) < 0)
        return HR_ERR_NOMEM;
    *out = h->nlb++;
    return 0;
}

static void lb_release(hr_bandheap *h, uint32_t i)
{
    h->lb[i].next = h->free_lb;
    h->lb[i].size = 0;
    h->free_lb = i;
}

static uint64_t user_of(const hr_bandheap *h, const hr_lblock *b)
{
    return b->addr + h->hsize;
}

static void stamp(hr_bandheap *h, const hr_lblock *b)
{
    if (h->check == HR_CHECK_NONE)
        return;
    hr_stamp_header(hr_simos_host(&h->os, b->addr), h->hsize, user_of(h, b), !b->free, b->size, b->free ? 0 : b->req);
}

int hr_large_init(hr_bandheap *h)
{
    const hr_layout *l = &h->cfg.layout;
    h->hsize = (uint32_t)round_up(l->block_header, l->align);
    h->minb = (uint32_t)round_up(h->hsize + l->align, l->align);
    h->nlb = h->nla = 1; /* record 0 means none */
    if (grow_pool((void **)&h->lb, &h->cap_lb, sizeof *h->lb) < 0 ||
        grow_pool((void **)&h->la, &h->cap_la, sizeof *h->la) < 0)
        return HR_ERR_NOMEM;
    memset(&h->lb[0], 0, sizeof h->lb[0]);
    return hr_af_init(&h->freelist);
}

void hr_large_destroy(hr_bandheap *h)
{
    free(h->lb);
    free(h->la);
    hr_af_destroy(&h->freelist);
}

/* Maps an arena able to hold a block of need bytes; its single free block goes on the list. */
static int arena_new(hr_bandheap *h, uint64_t need)
{
    uint64_t ah = h->cfg.layout.arena_header, size = h->cfg.arena_size;
    if (need + ah > size)
        size = round_up(need + ah, h->cfg.arena_size);
    uint32_t ai, bi = 0;
    if (h->free_la) {
        ai = h->free_la;
        h->free_la = h->la[ai].first;
    } else {
        if (h->nla == h->cap_la && grow_pool((void **)&h->la, &h->cap_la, sizeof *h->la) < 0)
            return HR_ERR_NOMEM;
        ai = h->nla++;
    }
    uint64_t addr;
    int rc = hr_cache_take(&h->cache, size, &addr);
    if (rc == 0 && (rc = lb_new(h, &bi)) < 0)
        hr_cache_give(&h->cache, addr, size);
    if (rc < 0) {
        h->la[ai].first = h->free_la;
        h->free_la = ai;
        return rc;
    }
    h->la[ai] = (hr_larena){addr, size, bi};
    h->lb[bi] = (hr_lblock){addr + ah, size - ah, 0, 0, 0, 0, ai, 1};
    stamp(h, &h->lb[bi]);
    if ((rc = hr_af_arena_add(&h->freelist, ai, addr)) < 0)
        return rc;
    return hr_af_insert(&h->freelist, ai, h->lb[bi].addr, h->lb[bi].size, bi);
}

static void arena_release(hr_bandheap *h, uint32_t bi)
{
    uint32_t ai = h->lb[bi].arena;
    hr_af_arena_remove(&h->freelist, ai);
    lb_release(h, bi);
    hr_cache_give(&h->cache, h->la[ai].addr, h->la[ai].size);
    h->la[ai].size = 0;
    h->la[ai].first = h->free_la;
    h->free_la = ai;
}

/* Splits record bi after n bytes into bi and record ri (the rest, free). */
static void split_into(hr_bandheap *h, uint32_t bi, uint64_t n, uint32_t ri)
{
    hr_lblock *b = &h->lb[bi], *r = &h->lb[ri];
    *r = (hr_lblock){b->addr + n, b->size - n, 0, 0, bi, b->next, b->arena, 1};
    if (b->next)
        h->lb[b->next].prev = ri;
    b->next = ri;
    b->size = n;
}

/* Splits record bi after n bytes; the new record (the rest) is returned in *rest. */
static int split(hr_bandheap *h, uint32_t bi, uint64_t n, uint32_t *rest)
{
    if (lb_new(h, rest) < 0)
        return HR_ERR_NOMEM;
    split_into(h, bi, n, *rest);
    return 0;
}

/* Takes need bytes from the front of free block bi (in the free list); returns the block used. */
static int take_front(hr_bandheap *h, uint32_t bi, uint64_t need)
{
    hr_lblock *b = &h->lb[bi];
    uint32_t ai = b->arena;
    if (b->size - need < h->minb) { /* the whole block: a remainder could not be a block */
        hr_af_remove(&h->freelist, ai, b->addr);
        b->free = 0;
        return 0;
    }
    uint32_t ri;
    uint64_t old = b->addr;
    if (split(h, bi, need, &ri) < 0)
        return HR_ERR_NOMEM;
    hr_af_set(&h->freelist, ai, old, h->lb[ri].addr, h->lb[ri].size, ri);
    h->lb[bi].free = 0;
    stamp(h, &h->lb[ri]);
    return 0;
}

/* For an alignment above the default: frees a front part of free block *bi so that the block
 * that remains has its user address aligned. */
static int align_front(hr_bandheap *h, uint32_t *bi, uint64_t align)
{
    hr_lblock *b = &h->lb[*bi];
    uint64_t user = round_up(b->addr + h->hsize, align), gap = user - h->hsize - b->addr;
    if (gap && gap < h->minb)
        gap = round_up(b->addr + h->hsize + h->minb, align) - h->hsize - b->addr;
    if (!gap)
        return 0;
    uint32_t ri;
    uint64_t old = b->addr, old_size = b->size;
    if (split(h, *bi, gap, &ri) < 0)
        return HR_ERR_NOMEM;
    uint32_t ai = h->lb[*bi].arena;
    hr_af_set(&h->freelist, ai, old, old, gap, *bi); /* the front stays free, listed */
    int rc = hr_af_insert(&h->freelist, ai, h->lb[ri].addr, old_size - gap, ri);
    stamp(h, &h->lb[*bi]);
    *bi = ri;
    return rc;
}

/* The first free block of at least look bytes, a new arena made for it when none fits. */
static int first_fit(hr_bandheap *h, uint64_t look, hr_afree *f)
{
    uint32_t ai;
    if (hr_af_first(&h->freelist, look, &ai, f) == 0)
        return 0;
    int rc = arena_new(h, look);
    if (rc < 0)
        return rc;
    return hr_af_first(&h->freelist, look, &ai, f) < 0 ? HR_ERR_LIMIT : 0;
}

/* Default alignment: the first free block that fits gives its front; the rest stays free. */
static int take_default(hr_bandheap *h, uint64_t need, uint32_t *out)
{
    hr_afree f;
    int rc = first_fit(h, need, &f);
    if (rc < 0 || (rc = take_front(h, f.rec, need)) < 0)
        return rc;
    *out = f.rec;
    return 0;
}

static int take_aligned(hr_bandheap *h, uint64_t need, uint64_t align, uint32_t *out)
{
    hr_afree f;
    int rc = first_fit(h, need + align + h->minb, &f);
    if (rc < 0)
        return rc;
    uint32_t bi = f.rec;
    rc = align_front(h, &bi, align);
    if (rc < 0 || (rc = take_front(h, bi, need)) < 0)
        return rc;
    *out = bi;
    return 0;
}

int hr_large_alloc(hr_bandheap *h, uint64_t size, uint64_t align, uint64_t owner, hr_mblock *out)
{
    uint64_t a = h->cfg.layout.align;
    if (size > (1ull << 62))
        return HR_ERR_LIMIT;
    uint64_t need = round_up(h->hsize + size, a);
    if (need < h->minb)
        need = h->minb;
    uint32_t bi;
    int rc = align > a ? take_aligned(h, need, align, &bi) : take_default(h, need, &bi);
    if (rc < 0)
        return rc;
    hr_lblock *b = &h->lb[bi];
    b->req = size;
    b->owner = owner;
    stamp(h, b);
    if (h->check >= HR_CHECK_BOUNDS)
        hr_stamp_fill(hr_simos_host(&h->os, user_of(h, b) + size), b->size - h->hsize - size, user_of(h, b) + size);
    out->addr = user_of(h, b);
    out->ref = bi;
    out->band = HR_BH_LARGE;
    h->large_allocs++;
    if (++h->large_in_use > h->peak_large_in_use)
        h->peak_large_in_use = h->large_in_use;
    return 0;
}

/* Joins free record n into its free predecessor p (both listed; n leaves the list). */
static void absorb_next(hr_bandheap *h, uint32_t p, uint32_t n)
{
    hr_lblock *pb = &h->lb[p], *nb = &h->lb[n];
    pb->size += nb->size;
    pb->next = nb->next;
    if (nb->next)
        h->lb[nb->next].prev = p;
    lb_release(h, n);
}

void hr_large_free(hr_bandheap *h, uint32_t bi)
{
    hr_lblock *b = &h->lb[bi];
    uint32_t p = b->prev, n = b->next;
    int pfree = p && h->lb[p].free, nfree = n && h->lb[n].free;
    b->free = 1;
    b->owner = 0;
    h->large_in_use--;
    uint32_t ai = b->arena;
    if (pfree && nfree) { /* p grows over b and n; n's range leaves the list */
        hr_af_remove(&h->freelist, ai, h->lb[n].addr);
        hr_af_set(&h->freelist, ai, h->lb[p].addr, h->lb[p].addr, h->lb[p].size + b->size + h->lb[n].size, p);
        absorb_next(h, bi, n);
        absorb_next(h, p, bi);
        bi = p;
    } else if (pfree) {
        hr_af_set(&h->freelist, ai, h->lb[p].addr, h->lb[p].addr, h->lb[p].size + b->size, p);
        absorb_next(h, p, bi);
        bi = p;
    } else if (nfree) { /* b takes over n's place in the list */
        hr_af_set(&h->freelist, ai, h->lb[n].addr, b->addr, b->size + h->lb[n].size, bi);
        absorb_next(h, bi, n);
    } else {
        hr_af_insert(&h->freelist, ai, b->addr, b->size, bi);
    }
    b = &h->lb[bi];
    if (!b->prev && !b->next)
        arena_release(h, bi);
    else
        stamp(h, b);
}

int hr_large_resize(hr_bandheap *h, uint32_t bi, uint64_t size)
{
    hr_lblock *b = &h->lb[bi];
    uint64_t need = round_up(h->hsize + size, h->cfg.layout.align);
    if (need < h->minb)
        need = h->minb;
    uint32_t n = b->next;
    if (need > b->size) { /* grow into a free neighbour */
        if (!n || !h->lb[n].free || b->size + h->lb[n].size < need)
            return -1;
        uint64_t want = need - b->size;
        hr_lblock *nb = &h->lb[n];
        if (nb->size - want < h->minb) {
            hr_af_remove(&h->freelist, nb->arena, nb->addr);
            absorb_next(h, bi, n);
        } else {
            hr_af_set(&h->freelist, nb->arena, nb->addr, nb->addr + want, nb->size - want, n);
            nb->addr += want;
            nb->size -= want;
            b->size = need;
            stamp(h, nb);
        }
    } else if (b->size - need >= h->minb) { /* shrink: the tail becomes free */
        uint32_t ri;
        if (split(h, bi, need, &ri) < 0)
            return -1;
        h->large_in_use++; /* hr_large_free counts a block going */
        hr_large_free(h, ri);
    }
    b = &h->lb[bi];
    b->req = size;
    stamp(h, b);
    if (h->check >= HR_CHECK_BOUNDS)
        hr_stamp_fill(hr_simos_host(&h->os, user_of(h, b) + size), b->size - h->hsize - size, user_of(h, b) + size);
    return 0;
}

void hr_large_check(hr_bandheap *h, uint32_t bi, int with_slack)
{
    const hr_lblock *b = &h->lb[bi];
    hr_bh_verify(h, user_of(h, b), h->hsize, !b->free, b->size, b->free ? 0 : b->req, b->size - h->hsize,
                 b->free ? 0 : b->owner, with_slack && !b->free);
}

void hr_large_check_all(hr_bandheap *h)
{
    int slack = h->check >= HR_CHECK_BOUNDS;
    for (uint32_t ai = 1; ai < h->nla; ai++) {
        const hr_larena *a = &h->la[ai];
        if (!a->size)
            continue;
        for (uint32_t bi = a->first; bi; bi = h->lb[bi].next)
            hr_large_check(h, bi, slack);
    }
}
