/* SPDX-License-Identifier: MIT */
/* Inside the live set (include/heaprr/live.h): live.c keeps the table of blocks by address,
 * live-young.c the blocks of the current chunk by allocation ordinal, live-events.c applies the
 * events to both. */
#ifndef HEAPRR_LIVE_INTERNAL_H
#define HEAPRR_LIVE_INTERNAL_H

#include <heaprr/live.h>

#include "internal.h"

typedef struct hr_heap_slot {
    uint64_t ptr; /* 0: empty */
    uint32_t pair;
    uint32_t seq_lo;
} hr_heap_slot;

typedef struct hr_heap_pair {
    uint64_t stack, size;
    uint64_t refs; /* live blocks using it; a free pair holds the next free id in size, refs UINT64_MAX */
} hr_heap_pair;

/* States of a young slot. */
enum {
    HR_YOUNG_EMPTY,
    HR_YOUNG_LIVE,
    HR_YOUNG_DEAD,    /* released while young */
    HR_YOUNG_MOVED,   /* moved to the table while its ordinal was current */
    HR_YOUNG_IGNORED, /* an allocation the live set ignores (incomplete) took the ordinal */
};

/* A young block, in the slot of its ordinal in the window of recent ordinals. */
typedef struct hr_young {
    hr_block b;
    uint32_t ord;
    uint8_t state;
} hr_young;

struct hr_heap {
    const hr_alloc *a;
    size_t memory;
    size_t count; /* live blocks, young ones included */
    uint64_t live_bytes, seq_now;
    /* the table */
    hr_heap_slot *slots;
    unsigned bits;
    size_t in_table;
    hr_heap_pair *pairs;
    size_t npairs, pair_cap, pairs_used; /* ids handed out; array size; pairs with refs > 0 */
    uint32_t free_pair;                  /* first free id, UINT32_MAX: none */
    uint64_t *pair_index;                /* by hash of (stack, size): see live.c */
    unsigned pair_bits;
    size_t indexed; /* pairs in pair_index */
    uint32_t hot_pair;
    /* the young blocks: the last HR_YOUNG_WINDOW ordinals of the chunk */
    hr_young *young; /* NULL until the first */
    int inexact;     /* a missed conflict was found (hr_heap_chunk_end) */
};

void *hr_heap_get(hr_heap *h, size_t bytes);
void hr_heap_put(hr_heap *h, void *p, size_t bytes);

/* The table (live.c). find: the slot of ptr, or the empty slot where it would go (e->ptr == 0). */
hr_heap_slot *hr_heap_table_find(const hr_heap *h, uint64_t ptr);
hr_block hr_heap_table_block(const hr_heap *h, const hr_heap_slot *e);
/* Removes e's block from the table, not from the live counts. */
void hr_heap_table_remove(hr_heap *h, hr_heap_slot *e);
/* Puts b in the table, not in the live counts; 1 when its address was already there (nothing
 * done), 0, or HR_ERR_NOMEM. */
int hr_heap_table_insert(hr_heap *h, const hr_block *b);
/* Puts nb (at e's address) in e's place; *old gets the block it held. 0 or HR_ERR_NOMEM (nothing
 * done). */
int hr_heap_table_replace(hr_heap *h, hr_heap_slot *e, const hr_block *nb, hr_block *old);

/* The young blocks (live-young.c). at: the slot of ord when it holds ord (any state), else NULL.
 * claim: the slot for a new ordinal, its former block retired first (checked for a missed
 * conflict, moved to the table if live); 0 or HR_ERR_NOMEM or HR_ERR_LIMIT. */
#define HR_YOUNG_WINDOW 8192u
hr_young *hr_heap_young_at(const hr_heap *h, int64_t ord);
int hr_heap_young_claim(hr_heap *h, int64_t ord, hr_young **slot);
void hr_heap_young_free(hr_heap *h);
void hr_heap_young_each(const hr_heap *h, void (*fn)(void *ctx, const hr_block *b), void *ctx);

#endif
