/* SPDX-License-Identifier: MIT */
/* The replay's blocks by the trace's pointer: dense entries for the live blocks and for freed ones,
 * which stay as tombstones that remember who freed them (so a second free can say so) until their
 * address is allocated again or the table sheds its tombstones (when they outnumber a quarter of
 * the live blocks, and 64 Ki). A compact open-addressing index (16-byte slots, linear probing)
 * finds an entry by pointer. */
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
            uint8_t align_log2; /* an aligned new: log2 of its alignment, plus 1 (0: not one) */
        } b;
        struct {
            uint64_t seq, stack;
            uint32_t thread;
            uint8_t kind;
        } f; /* the free, in a tombstone */
    } u;
} hr_live;

typedef struct hr_live_slot {
    uint64_t ptr; /* 0: empty */
    uint64_t idx; /* the entry */
} hr_live_slot;

typedef struct hr_livemap {
    hr_live_slot *slots; /* the index: open addressing, linear probing */
    size_t mask, used;   /* used: slots taken (one per entry) */
    hr_live *ents;       /* the entries, dense */
    size_t nents, capents;
    size_t live, tombs;
} hr_livemap;

int hr_livemap_init(hr_livemap *m);
void hr_livemap_destroy(hr_livemap *m);
/* The entry for ptr (live or tombstone), or NULL. */
hr_live *hr_livemap_find(const hr_livemap *m, uint64_t ptr);
/* The entry for ptr if there is one, else a new entry to fill (its ptr is 0 until the caller sets
 * it). Entries may move: pointers from earlier calls are stale after this one. NULL without
 * memory. */
hr_live *hr_livemap_claim(hr_livemap *m, uint64_t ptr);
/* Bookkeeping after filling a claimed entry: was_empty, was_tomb describe what it held before. */
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
/* Bytes the table holds (index and entries). */
uint64_t hr_livemap_bytes(const hr_livemap *m);

static inline size_t hr_livemap_slot(uint64_t ptr, size_t mask)
{
    uint64_t h = ptr * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 32)) & mask;
}

static inline void hr_livemap_prefetch(const hr_livemap *m, uint64_t ptr)
{
    __builtin_prefetch(&m->slots[hr_livemap_slot(ptr, m->mask)]);
}

/* The second stage of a prefetch: the entry, once its index slot is in cache. */
static inline void hr_livemap_prefetch_entry(const hr_livemap *m, uint64_t ptr)
{
    const hr_live_slot *s = &m->slots[hr_livemap_slot(ptr, m->mask)];
    if (s->ptr == ptr)
        __builtin_prefetch(&m->ents[s->idx]);
}

#endif
