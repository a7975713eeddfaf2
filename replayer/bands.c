/* SPDX-License-Identifier: MIT */
/* Bands: small blocks of one size carved from band arenas of band_arena_size bytes. A band arena
 * starts with its header and a reserved block, then holds `blocks` slots of esize bytes, each a list
 * node (the block's header) followed by the block. Free slots are reused last freed first; a band
 * takes blocks from the arena that most recently gained a free one. A wholly free arena goes back
 * to the arena cache unless it is the band's only arena with free blocks or was preallocated. */
#include "bandheap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

static hr_band_arena *arena_at(const hr_bandheap *h, uint32_t i)
{
    return &h->barenas[i];
}

static void list_push(hr_bandheap *h, hr_band_state *b, uint32_t i)
{
    hr_band_arena *a = arena_at(h, i);
    a->prev = 0;
    a->next = b->nonfull;
    if (b->nonfull)
        arena_at(h, b->nonfull - 1)->prev = i + 1;
    b->nonfull = i + 1;
    a->in_list = 1;
}

static void list_remove(hr_bandheap *h, hr_band_state *b, uint32_t i)
{
    hr_band_arena *a = arena_at(h, i);
    if (a->prev)
        arena_at(h, a->prev - 1)->next = a->next;
    else
        b->nonfull = a->next;
    if (a->next)
        arena_at(h, a->next - 1)->prev = a->prev;
    a->in_list = 0;
}

static int record_new(hr_bandheap *h, uint32_t *out)
{
    if (h->free_barena) {
        *out = h->free_barena - 1;
        h->free_barena = arena_at(h, *out)->next;
        return 0;
    }
    if (h->nbarenas == h->cap_barenas) {
        uint32_t cap = h->cap_barenas ? h->cap_barenas * 2 : 16;
        hr_band_arena *n = realloc(h->barenas, (size_t)cap * sizeof *n);
        if (!n)
            return HR_ERR_NOMEM;
        h->barenas = n;
        h->cap_barenas = cap;
    }
    *out = h->nbarenas++;
    return 0;
}

static uint64_t slot_addr(const hr_bandheap *h, const hr_band_arena *a, uint32_t slot)
{
    const hr_band_state *b = &h->bands[a->band];
    return a->addr + b->first + (uint64_t)slot * b->esize + h->node;
}

static void stamp_slot(hr_bandheap *h, const hr_band_arena *a, uint32_t slot)
{
    uint64_t user = slot_addr(h, a, slot);
    uint32_t req = a->req[slot];
    int live = req != HR_SLOT_FREE;
    hr_stamp_header(hr_simos_host(&h->os, user - h->node), h->node, user, live, h->bands[a->band].size,
                    live ? req : 0);
}

static int arena_new(hr_bandheap *h, uint32_t band, int prealloc)
{
    hr_band_state *b = &h->bands[band];
    uint32_t i;
    uint64_t addr;
    int rc = record_new(h, &i);
    if (rc < 0)
        return rc;
    if ((rc = hr_cache_take(&h->cache, h->cfg.band_arena_size, &addr)) < 0)
        goto undo;
    hr_band_arena *a = arena_at(h, i);
    memset(a, 0, sizeof *a);
    a->addr = addr;
    a->band = band;
    a->prealloc = (uint8_t)prealloc;
    /* req[], then owner[] 8-byte aligned (4 bytes of padding after an odd count), then free_slot[] */
    a->req = malloc((size_t)b->blocks * (sizeof *a->req + sizeof *a->owner + sizeof *a->free_slot) + 4);
    if (!a->req) {
        hr_cache_give(&h->cache, addr, h->cfg.band_arena_size);
        rc = HR_ERR_NOMEM;
        goto undo;
    }
    a->owner = (uint64_t *)(a->req + b->blocks + (b->blocks & 1)); /* 8-byte aligned */
    a->free_slot = (uint32_t *)(a->owner + b->blocks);
    for (uint32_t s = 0; s < b->blocks; s++) {
        a->req[s] = HR_SLOT_FREE;
        a->owner[s] = 0;
        a->free_slot[s] = b->blocks - 1 - s; /* slot 0 is taken first */
        if (h->check != HR_CHECK_NONE)
            stamp_slot(h, a, s);
    }
    a->nfree = b->blocks;
    list_push(h, b, i);
    if (++b->arenas > b->peak_arenas)
        b->peak_arenas = b->arenas;
    return 0;
undo:
    arena_at(h, i)->next = h->free_barena;
    h->free_barena = i + 1;
    return rc;
}

static void arena_release(hr_bandheap *h, uint32_t i)
{
    hr_band_arena *a = arena_at(h, i);
    hr_band_state *b = &h->bands[a->band];
    list_remove(h, b, i);
    hr_cache_give(&h->cache, a->addr, h->cfg.band_arena_size);
    free(a->req);
    a->req = NULL;
    a->next = h->free_barena;
    h->free_barena = i + 1;
    b->arenas--;
}

int hr_bands_init(hr_bandheap *h)
{
    const hr_heap_config *c = &h->cfg;
    h->node = (uint32_t)round_up(c->layout.list_node, 8);
    h->maxband = c->nbands ? c->bands[c->nbands - 1].size : 0;
    h->band_of = malloc(h->maxband / 8 + 1);
    if (!h->band_of)
        return HR_ERR_NOMEM;
    for (uint32_t u = 0, k = 0; u <= h->maxband / 8; u++) {
        while (k < c->nbands && c->bands[k].size < u * 8)
            k++;
        h->band_of[u] = (uint8_t)k;
    }
    for (uint32_t k = 0; k < c->nbands; k++) {
        hr_band_state *b = &h->bands[k];
        memset(b, 0, sizeof *b);
        b->size = c->bands[k].size;
        b->esize = b->size + h->node;
        b->blocks = c->bands[k].blocks;
        b->first = (uint32_t)(round_up(c->layout.block_header + c->layout.list_node, b->esize) + c->layout.band_arena);
        uint32_t want = b->blocks ? (c->bands[k].prealloc + b->blocks - 1) / b->blocks : 0;
        for (uint32_t n = 0; n < want; n++) {
            int rc = arena_new(h, k, 1);
            if (rc < 0)
                return rc;
        }
        b->prealloc_arenas = want;
    }
    return 0;
}

void hr_bands_destroy(hr_bandheap *h)
{
    for (uint32_t i = 0; i < h->nbarenas; i++)
        free(h->barenas[i].req);
    free(h->barenas);
    free(h->band_of);
}

int hr_band_alloc(hr_bandheap *h, uint32_t band, uint64_t size, uint64_t owner, hr_mblock *out)
{
    hr_band_state *b = &h->bands[band];
    if (!b->nonfull) {
        int rc = arena_new(h, band, 0);
        if (rc < 0)
            return rc;
    }
    uint32_t i = b->nonfull - 1;
    hr_band_arena *a = arena_at(h, i);
    uint32_t slot = a->free_slot[--a->nfree];
    if (a->nfree == 0)
        list_remove(h, b, i);
    a->req[slot] = (uint32_t)size;
    a->owner[slot] = owner;
    out->addr = slot_addr(h, a, slot);
    out->ref = i;
    out->band = (uint16_t)band;
    if (h->check != HR_CHECK_NONE) {
        stamp_slot(h, a, slot);
        if (h->check >= HR_CHECK_BOUNDS)
            hr_stamp_fill(hr_simos_host(&h->os, out->addr + size), b->size - size, out->addr + size);
    }
    b->allocs++;
    b->req_bytes += size;
    b->block_bytes += b->size;
    if (++b->in_use > b->peak_in_use)
        b->peak_in_use = b->in_use;
    return 0;
}

uint32_t hr_band_slot(const hr_bandheap *h, const hr_mblock *b)
{
    const hr_band_arena *a = arena_at(h, b->ref);
    const hr_band_state *s = &h->bands[a->band];
    return (uint32_t)((b->addr - h->node - a->addr - s->first) / s->esize);
}

void hr_band_free(hr_bandheap *h, const hr_mblock *m)
{
    hr_band_arena *a = arena_at(h, m->ref);
    hr_band_state *b = &h->bands[a->band];
    uint32_t slot = hr_band_slot(h, m);
    a->req[slot] = HR_SLOT_FREE;
    a->owner[slot] = 0;
    if (h->check != HR_CHECK_NONE)
        stamp_slot(h, a, slot);
    a->free_slot[a->nfree++] = slot;
    b->in_use--;
    if (!a->in_list)
        list_push(h, b, m->ref);
    else if (a->nfree == b->blocks && !a->prealloc && (a->prev || a->next))
        arena_release(h, m->ref);
}

void hr_band_check_slot(hr_bandheap *h, const hr_band_arena *a, uint32_t slot, int with_slack)
{
    const hr_band_state *b = &h->bands[a->band];
    uint32_t req = a->req[slot];
    int live = req != HR_SLOT_FREE;
    hr_bh_verify(h, slot_addr(h, a, slot), h->node, live, b->size, live ? req : 0, b->size, a->owner[slot],
                 with_slack && live);
}

void hr_bands_check_all(hr_bandheap *h)
{
    int slack = h->check >= HR_CHECK_BOUNDS;
    for (uint32_t i = 0; i < h->nbarenas; i++) {
        const hr_band_arena *a = arena_at(h, i);
        if (!a->req)
            continue;
        for (uint32_t s = 0; s < h->bands[a->band].blocks; s++)
            hr_band_check_slot(h, a, s, slack);
    }
}
