/* SPDX-License-Identifier: MIT */
/* The arena cache: wholly free arenas of the band and large-block allocators are kept here for
 * reuse instead of going back to the OS, up to MALLOC_ARENA_CACHE_MAXBLK arenas and
 * MALLOC_ARENA_CACHE_MAXSZ bytes (MALLOC_MEMORY_HOLD: all of them, always).
 * MALLOC_MEMORY_PREALLOCATE fills it at start. Reuse is last in, first out, of the exact size. */
#ifndef HEAPRR_ARENA_CACHE_H
#define HEAPRR_ARENA_CACHE_H

#include "simos.h"

typedef struct hr_cached_arena {
    uint64_t addr, size;
} hr_cached_arena;

typedef struct hr_arena_cache {
    hr_simos *os;
    hr_cached_arena *items;
    uint64_t count, cap, bytes;
    uint64_t maxblk, maxsz;
    int hold;
    uint64_t hits, misses, returned; /* takes served from the cache / from the OS; arenas unmapped */
} hr_arena_cache;

void hr_cache_init(hr_arena_cache *c, hr_simos *os, uint64_t maxblk, uint64_t maxsz, int hold);
void hr_cache_destroy(hr_arena_cache *c);
/* An arena of size bytes: a cached one of that size, else a new mapping. Returns 0 or an hr_err. */
int hr_cache_take(hr_arena_cache *c, uint64_t size, uint64_t *addr);
/* Gives back a wholly free arena: cached within the limits, else unmapped. */
int hr_cache_give(hr_arena_cache *c, uint64_t addr, uint64_t size);
/* Unmaps cached arenas, newest first, until the cache is within its limits (all: every one). */
int hr_cache_trim(hr_arena_cache *c, int all);
/* Maps bytes (rounded up to arenas of arena_size) straight into the cache. */
int hr_cache_preallocate(hr_arena_cache *c, uint64_t bytes, uint64_t arena_size);

#endif
