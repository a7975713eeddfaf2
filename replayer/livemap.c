/* SPDX-License-Identifier: MIT */
/* The table of blocks (livemap.h). */
#include "livemap.h"

#include <heaprr/format.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 4096u
#define TOMBS_KEPT (64u << 10) /* tombstones always allowed, whatever the live count */

int hr_livemap_init(hr_livemap *m)
{
    memset(m, 0, sizeof *m);
    m->mask = MIN_SLOTS - 1;
    m->slots = calloc(MIN_SLOTS, sizeof *m->slots);
    m->capents = MIN_SLOTS / 2;
    m->ents = malloc(m->capents * sizeof *m->ents);
    if (!m->slots || !m->ents) {
        hr_livemap_destroy(m);
        return HR_ERR_NOMEM;
    }
    return 0;
}

void hr_livemap_destroy(hr_livemap *m)
{
    free(m->slots);
    free(m->ents);
    memset(m, 0, sizeof *m);
}

hr_live *hr_livemap_find(const hr_livemap *m, uint64_t ptr)
{
    for (size_t s = hr_livemap_slot(ptr, m->mask);; s = (s + 1) & m->mask) {
        const hr_live_slot *e = &m->slots[s];
        if (e->ptr == ptr)
            return &m->ents[e->idx];
        if (!e->ptr)
            return NULL;
    }
}

/* Drops the tombstones from the entries (keeping their order). */
static void shed(hr_livemap *m)
{
    size_t o = 0;
    for (size_t i = 0; i < m->nents; i++)
        if (!m->ents[i].freed && m->ents[i].ptr)
            m->ents[o++] = m->ents[i];
    m->nents = o;
    m->tombs = 0;
}

/* Rebuilds the index for the entries, with room for as many again (shedding tombstones first
 * when there are too many of them). */
static int rebuild(hr_livemap *m)
{
    if (m->tombs > TOMBS_KEPT && m->tombs * 4 > m->live)
        shed(m);
    size_t n = MIN_SLOTS;
    while (n < (m->nents + 1) * 3)
        n *= 2;
    hr_live_slot *slots = calloc(n, sizeof *slots);
    if (!slots)
        return HR_ERR_NOMEM;
    for (size_t i = 0; i < m->nents; i++) {
        uint64_t p = m->ents[i].ptr;
        if (!p)
            continue;
        size_t s = hr_livemap_slot(p, n - 1);
        while (slots[s].ptr)
            s = (s + 1) & (n - 1);
        slots[s] = (hr_live_slot){p, i};
    }
    free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    m->used = m->nents;
    return 0;
}

static int more_entries(hr_livemap *m)
{
    size_t cap = m->capents * 2;
    hr_live *e = realloc(m->ents, cap * sizeof *e);
    if (!e)
        return HR_ERR_NOMEM;
    m->ents = e;
    m->capents = cap;
    return 0;
}

hr_live *hr_livemap_claim(hr_livemap *m, uint64_t ptr)
{
    if ((m->used + 1) * 2 > m->mask + 1 && rebuild(m) < 0)
        return NULL;
    size_t s = hr_livemap_slot(ptr, m->mask);
    while (m->slots[s].ptr && m->slots[s].ptr != ptr)
        s = (s + 1) & m->mask;
    if (m->slots[s].ptr)
        return &m->ents[m->slots[s].idx];
    if (m->nents == m->capents && more_entries(m) < 0)
        return NULL;
    hr_live *e = &m->ents[m->nents];
    memset(e, 0, sizeof *e);
    m->slots[s] = (hr_live_slot){ptr, m->nents};
    m->nents++;
    m->used++;
    return e;
}

const hr_live *hr_livemap_containing(const hr_livemap *m, uint64_t p)
{
    for (size_t i = 0; i < m->nents; i++) {
        const hr_live *e = &m->ents[i];
        uint64_t len = e->size ? e->size : 1;
        if (e->ptr && !e->freed && p > e->ptr && p - e->ptr < len)
            return e;
    }
    return NULL;
}

void hr_livemap_each(const hr_livemap *m, void (*fn)(void *ctx, const hr_live *e), void *ctx)
{
    for (size_t i = 0; i < m->nents; i++)
        if (m->ents[i].ptr && !m->ents[i].freed)
            fn(ctx, &m->ents[i]);
}

uint64_t hr_livemap_bytes(const hr_livemap *m)
{
    return (uint64_t)(m->mask + 1) * sizeof *m->slots + (uint64_t)m->capents * sizeof *m->ents;
}
