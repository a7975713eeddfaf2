/* SPDX-License-Identifier: MIT */
/* The table of blocks (livemap.h). */
#include "livemap.h"

#include <heaprr/format.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 4096u
#define TOMBS_KEPT (1u << 20) /* tombstones always allowed, whatever the live count */

int hr_livemap_init(hr_livemap *m)
{
    memset(m, 0, sizeof *m);
    m->mask = MIN_SLOTS - 1;
    m->slots = calloc(MIN_SLOTS, sizeof *m->slots);
    return m->slots ? 0 : HR_ERR_NOMEM;
}

void hr_livemap_destroy(hr_livemap *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

hr_live *hr_livemap_find(const hr_livemap *m, uint64_t ptr)
{
    for (size_t s = hr_livemap_slot(ptr, m->mask);; s = (s + 1) & m->mask) {
        hr_live *e = &m->slots[s];
        if (e->ptr == ptr)
            return e;
        if (!e->ptr)
            return NULL;
    }
}

/* Rebuilds the table with room for twice the entries it keeps; tombstones go when there are more
 * of them than live blocks (and TOMBS_KEPT). */
static int rebuild(hr_livemap *m)
{
    int shed = m->tombs > TOMBS_KEPT && m->tombs > m->live;
    size_t keep = m->live + (shed ? 0 : m->tombs), n = MIN_SLOTS;
    while (n < (keep + 1) * 4)
        n *= 2;
    hr_live *slots = calloc(n, sizeof *slots);
    if (!slots)
        return HR_ERR_NOMEM;
    for (size_t i = 0; i <= m->mask; i++) {
        const hr_live *e = &m->slots[i];
        if (!e->ptr || (shed && e->freed))
            continue;
        size_t s = hr_livemap_slot(e->ptr, n - 1);
        while (slots[s].ptr)
            s = (s + 1) & (n - 1);
        slots[s] = *e;
    }
    free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    if (shed)
        m->tombs = 0;
    return 0;
}

hr_live *hr_livemap_claim(hr_livemap *m, uint64_t ptr)
{
    if ((m->live + m->tombs + 1) * 2 > m->mask + 1 && rebuild(m) < 0)
        return NULL;
    size_t s = hr_livemap_slot(ptr, m->mask);
    while (m->slots[s].ptr && m->slots[s].ptr != ptr)
        s = (s + 1) & m->mask;
    return &m->slots[s];
}

const hr_live *hr_livemap_containing(const hr_livemap *m, uint64_t p)
{
    for (size_t i = 0; i <= m->mask; i++) {
        const hr_live *e = &m->slots[i];
        uint64_t len = e->size ? e->size : 1;
        if (e->ptr && !e->freed && p > e->ptr && p - e->ptr < len)
            return e;
    }
    return NULL;
}

void hr_livemap_each(const hr_livemap *m, void (*fn)(void *ctx, const hr_live *e), void *ctx)
{
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].ptr && !m->slots[i].freed)
            fn(ctx, &m->slots[i]);
}
