/* SPDX-License-Identifier: MIT */
/* The replay's blocks by the trace's pointer: an open-addressing table (linear probing) of the live
 * blocks and of freed ones, which stay as tombstones that remember who freed them (so a second free
 * can say so) until their address is allocated again or the table sheds its tombstones when they
 * outnumber the live blocks. An allocation finds its slot, live or tombstone, with one probe. */
#ifndef HEAPRR_LIVEMAP_H
#define HEAPRR_LIVEMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hr_live {
    uint64_t ptr;  /* the trace's pointer; 0: an empty slot */
    uint64_t size; /* bytes requested */
    uint64_t seq, stack;
    uint32_t thread;
    uint8_t kind;
    uint8_t freed; /* a tombstone: the block was freed */
    uint16_t band;
    union {
        struct {
            uint64_t addr; /* where the allocator put it */
            uint32_t ref;
        } b;
        struct {
            uint64_t seq, stack;
            uint32_t thread;
            uint8_t kind;
        } f; /* the free, in a tombstone */
    } u;
} hr_live;

typedef struct hr_livemap {
    hr_live *slots;
    size_t mask, live, tombs;
} hr_livemap;

int hr_livemap_init(hr_livemap *m);
void hr_livemap_destroy(hr_livemap *m);
/* The entry for ptr (live or tombstone), or NULL. */
hr_live *hr_livemap_find(const hr_livemap *m, uint64_t ptr);
/* The entry for ptr if there is one, else the empty slot to fill (ptr 0); room is made first, so
 * the pointer stays valid until the next call. Returns NULL without memory. */
hr_live *hr_livemap_claim(hr_livemap *m, uint64_t ptr);
/* Bookkeeping after filling a claimed slot: was_empty, was_tomb describe what it held before. */
static inline void hr_livemap_filled(hr_livemap *m, int was_empty, int was_tomb)
{
    m->live++;
    m->tombs -= (size_t)(!was_empty && was_tomb);
}
/* Turns a live entry into a tombstone (the caller fills e->u.f). */
static inline void hr_livemap_bury(hr_livemap *m, hr_live *e)
{
    e->freed = 1;
    m->live--;
    m->tombs++;
}
/* The live entry whose bytes [ptr, ptr + max(size, 1)) contain p, or NULL (a scan: slow). */
const hr_live *hr_livemap_containing(const hr_livemap *m, uint64_t p);
/* Calls fn on every live entry. */
void hr_livemap_each(const hr_livemap *m, void (*fn)(void *ctx, const hr_live *e), void *ctx);

static inline size_t hr_livemap_slot(uint64_t ptr, size_t mask)
{
    uint64_t h = ptr * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 32)) & mask;
}

static inline void hr_livemap_prefetch(const hr_livemap *m, uint64_t ptr)
{
    __builtin_prefetch(&m->slots[hr_livemap_slot(ptr, m->mask)]);
}

#endif
