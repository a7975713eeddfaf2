/* SPDX-License-Identifier: MIT */
/* The band/arena model's front (bandheap.h): routes requests to a band or to the large-block
 * allocator and runs the checker's per-operation work around them. */
#include "bandheap.h"

#include <stdlib.h>
#include <string.h>

int hr_bh_init(hr_bandheap *h, const hr_heap_config *cfg, hr_check_level check, uint64_t sim_limit)
{
    memset(h, 0, sizeof *h);
    h->cfg = *cfg;
    h->check = check;
    int rc = hr_simos_init(&h->os, sim_limit ? sim_limit : 64ull << 30);
    if (rc < 0)
        return rc;
    hr_cache_init(&h->cache, &h->os, cfg->cache_maxblk, cfg->cache_maxsz, cfg->memory_hold);
    if ((rc = hr_cache_preallocate(&h->cache, cfg->preallocate, cfg->arena_size)) < 0 ||
        (rc = hr_large_init(h)) < 0 || (rc = hr_bands_init(h)) < 0) {
        hr_bh_destroy(h);
        return rc;
    }
    return 0;
}

void hr_bh_destroy(hr_bandheap *h)
{
    hr_bands_destroy(h);
    hr_large_destroy(h);
    hr_cache_destroy(&h->cache);
    hr_simos_destroy(&h->os);
    memset(h, 0, sizeof *h);
}

static int band_for(const hr_bandheap *h, uint64_t size, uint64_t align)
{
    if (align > h->cfg.layout.align || size > h->maxband || !h->cfg.nbands)
        return -1;
    return h->band_of[(size + 7) / 8];
}

static void check_after(hr_bandheap *h, const hr_mblock *b)
{
    if (h->check >= HR_CHECK_BASIC)
        hr_bh_check_neighbours(h, b);
    if (h->check >= HR_CHECK_CHAIN)
        hr_bh_check_all(h);
}

int hr_bh_alloc(hr_bandheap *h, uint64_t size, uint64_t align, uint64_t owner, hr_mblock *out)
{
    int band = band_for(h, size, align);
    int rc = band >= 0 ? hr_band_alloc(h, (uint32_t)band, size, owner, out)
                       : hr_large_alloc(h, size, align, owner, out);
    if (rc == 0)
        check_after(h, out);
    return rc;
}

static void check_before(hr_bandheap *h, const hr_mblock *b)
{
    if (h->check >= HR_CHECK_BASIC) {
        hr_bh_check_block(h, b, h->check >= HR_CHECK_BOUNDS);
        hr_bh_check_neighbours(h, b);
    }
}

void hr_bh_free(hr_bandheap *h, const hr_mblock *b)
{
    check_before(h, b);
    if (b->band == HR_BH_LARGE)
        hr_large_free(h, b->ref);
    else
        hr_band_free(h, b);
    if (h->check >= HR_CHECK_CHAIN)
        hr_bh_check_all(h);
}

static int band_resize(hr_bandheap *h, const hr_mblock *b, uint64_t size)
{
    if (size > h->bands[b->band].size)
        return -1;
    hr_band_arena *a = &h->barenas[b->ref];
    uint32_t slot = hr_band_slot(h, b);
    hr_band_state *s = &h->bands[a->band];
    s->req_bytes += size - a->req[slot];
    a->req[slot] = (uint32_t)size;
    if (h->check != HR_CHECK_NONE) {
        hr_stamp_header(hr_simos_host(&h->os, b->addr - h->node), h->node, b->addr, HR_STAMP_LIVE, s->size, size);
        if (h->check >= HR_CHECK_BOUNDS)
            hr_stamp_fill(hr_simos_host(&h->os, b->addr + size), s->size - size, b->addr + size);
    }
    return 0;
}

int hr_bh_realloc(hr_bandheap *h, hr_mblock *b, uint64_t size, uint64_t owner)
{
    check_before(h, b);
    int done = b->band == HR_BH_LARGE ? hr_large_resize(h, b->ref, size) : band_resize(h, b, size);
    if (done == 0) {
        check_after(h, b);
        return 0;
    }
    hr_mblock moved;
    int rc = band_for(h, size, 0) >= 0 ? hr_band_alloc(h, (uint32_t)band_for(h, size, 0), size, owner, &moved)
                                       : hr_large_alloc(h, size, 0, owner, &moved);
    if (rc < 0)
        return rc;
    if (b->band == HR_BH_LARGE)
        hr_large_free(h, b->ref);
    else
        hr_band_free(h, b);
    *b = moved;
    check_after(h, b);
    return 0;
}

uint64_t hr_bh_requested(const hr_bandheap *h, const hr_mblock *b)
{
    if (b->band == HR_BH_LARGE)
        return h->lb[b->ref].req;
    return h->barenas[b->ref].req[hr_band_slot(h, b)];
}

void hr_bh_span(const hr_bandheap *h, const hr_mblock *b, uint64_t *lo, uint64_t *hi)
{
    if (b->band == HR_BH_LARGE) {
        const hr_larena *a = &h->la[h->lb[b->ref].arena];
        *lo = a->addr;
        *hi = a->addr + a->size;
    } else {
        *lo = h->barenas[b->ref].addr;
        *hi = *lo + h->cfg.band_arena_size;
    }
}

void hr_bh_verify(hr_bandheap *h, uint64_t user, uint32_t hsize, uint32_t state, uint64_t bsize, uint64_t req,
                  uint64_t usable, uint64_t owner, int with_slack)
{
    uint64_t n;
    uint8_t *hdr = hr_simos_host(&h->os, user - hsize);
    int64_t off = hr_stamp_verify(hdr, hsize, user, state, bsize, req, &n);
    if (off >= 0) {
        hr_damage d = {h->walking ? HR_FIND_CORRUPT_CHAIN : HR_FIND_CORRUPT_HEADER, owner, user,
                       off - (int64_t)hsize, n, req, usable};
        h->on_damage(h->damage_ctx, &d);
        hr_stamp_header(hdr, hsize, user, state, bsize, req);
    }
    if (!with_slack || usable <= req)
        return;
    uint8_t *slack = hr_simos_host(&h->os, user + req);
    off = hr_stamp_fill_verify(slack, usable - req, user + req, &n);
    if (off >= 0) {
        hr_damage d = {h->walking ? HR_FIND_CORRUPT_CHAIN : HR_FIND_OVERRUN, owner, user, (int64_t)req + off, n, req,
                       usable};
        h->on_damage(h->damage_ctx, &d);
        hr_stamp_fill(slack, usable - req, user + req);
    }
}

void hr_bh_check_block(hr_bandheap *h, const hr_mblock *b, int with_slack)
{
    if (b->band == HR_BH_LARGE)
        hr_large_check(h, b->ref, with_slack);
    else
        hr_band_check_slot(h, &h->barenas[b->ref], hr_band_slot(h, b), with_slack);
}

void hr_bh_check_neighbours(hr_bandheap *h, const hr_mblock *b)
{
    if (b->band == HR_BH_LARGE) {
        const hr_lblock *l = &h->lb[b->ref];
        uint32_t p = l->prev, n = l->next;
        if (p)
            hr_large_check(h, p, 0);
        if (n)
            hr_large_check(h, n, 0);
        return;
    }
    const hr_band_arena *a = &h->barenas[b->ref];
    uint32_t slot = hr_band_slot(h, b);
    if (slot > 0)
        hr_band_check_slot(h, a, slot - 1, 0);
    if (slot + 1 < h->bands[a->band].blocks)
        hr_band_check_slot(h, a, slot + 1, 0);
}

void hr_bh_check_all(hr_bandheap *h)
{
    h->walking = 1;
    hr_bands_check_all(h);
    hr_large_check_all(h);
    h->walking = 0;
}

void hr_bh_each_live(const hr_bandheap *h, void (*fn)(void *ctx, uint64_t addr, uint64_t size, uint64_t req),
                     void *ctx)
{
    for (uint32_t i = 0; i < h->nbarenas; i++) {
        const hr_band_arena *a = &h->barenas[i];
        if (!a->req)
            continue;
        const hr_band_state *s = &h->bands[a->band];
        for (uint32_t k = 0; k < s->blocks; k++)
            if (a->req[k] != HR_SLOT_FREE)
                fn(ctx, a->addr + s->first + (uint64_t)k * s->esize + h->node, s->size, a->req[k]);
    }
    for (uint32_t ai = 1; ai < h->nla; ai++) {
        const hr_larena *a = &h->la[ai];
        if (!a->size)
            continue;
        for (uint32_t bi = a->first; bi; bi = h->lb[bi].next)
            if (!h->lb[bi].free)
                fn(ctx, h->lb[bi].addr + h->hsize, h->lb[bi].size - h->hsize, h->lb[bi].req);
    }
}
