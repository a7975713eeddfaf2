/* SPDX-License-Identifier: MIT */
/* The arena cache (arena-cache.h). */
#include "arena-cache.h"

#include <heaprr/format.h>
#include <stdlib.h>
#include <string.h>

void hr_cache_init(hr_arena_cache *c, hr_simos *os, uint64_t maxblk, uint64_t maxsz, int hold)
{
    memset(c, 0, sizeof *c);
    c->os = os;
    c->maxblk = maxblk;
    c->maxsz = maxsz;
    c->hold = hold;
}

void hr_cache_destroy(hr_arena_cache *c)
{
    free(c->items);
    memset(c, 0, sizeof *c);
}

int hr_cache_take(hr_arena_cache *c, uint64_t size, uint64_t *addr)
{
    for (uint64_t i = c->count; i-- > 0;) {
        if (c->items[i].size != size)
            continue;
        *addr = c->items[i].addr;
        memmove(&c->items[i], &c->items[i + 1], (c->count - i - 1) * sizeof *c->items);
        c->count--;
        c->bytes -= size;
        c->hits++;
        return 0;
    }
    c->misses++;
    return hr_simos_map(c->os, size, addr);
}

static int keep(hr_arena_cache *c, uint64_t addr, uint64_t size)
{
    if (c->count == c->cap) {
        uint64_t cap = c->cap ? c->cap * 2 : 16;
        hr_cached_arena *n = realloc(c->items, cap * sizeof *n);
        if (!n)
            return HR_ERR_NOMEM;
        c->items = n;
        c->cap = cap;
    }
    c->items[c->count++] = (hr_cached_arena){addr, size};
    c->bytes += size;
    return 0;
}

int hr_cache_give(hr_arena_cache *c, uint64_t addr, uint64_t size)
{
    int fits = c->count + 1 <= c->maxblk && c->bytes + size <= c->maxsz;
    if ((c->hold || fits) && keep(c, addr, size) == 0)
        return 0;
    c->returned++;
    return hr_simos_unmap(c->os, addr, size);
}

int hr_cache_preallocate(hr_arena_cache *c, uint64_t bytes, uint64_t arena_size)
{
    for (uint64_t done = 0; done < bytes; done += arena_size) {
        uint64_t addr;
        int rc = hr_simos_map(c->os, arena_size, &addr);
        if (rc < 0)
            return rc;
        if ((rc = keep(c, addr, arena_size)) < 0)
            return rc;
    }
    return 0;
}

int hr_cache_trim(hr_arena_cache *c, int all)
{
    while (c->count && (all || c->count > c->maxblk || c->bytes > c->maxsz)) {
        hr_cached_arena a = c->items[--c->count];
        c->bytes -= a.size;
        c->returned++;
        int rc = hr_simos_unmap(c->os, a.addr, a.size);
        if (rc < 0)
            return rc;
    }
    return 0;
}
