/* SPDX-License-Identifier: MIT */
/* hr_heap: the set of live blocks the events of a trace describe, updated event by event with the
 * rules of formats/SPEC.md section 7. The one live set of every consumer: the analyses, and the
 * writer when it builds a trace's index (heaprr/index.h), so it allocates only through the
 * hr_alloc it is given. About 16 bytes per live block: a block's stack and size are shared by
 * every live block with the same pair, and only the low 32 bits of its sequence number are kept
 * (the full number is the latest one not above the newest event's with those bits, exact for any
 * block younger than 2^32 events). */
#ifndef HEAPRR_LIVE_H
#define HEAPRR_LIVE_H

#include <heaprr/format.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_block {
    uint64_t ptr;   /* never 0 */
    uint64_t size;  /* bytes requested (calloc: count * size) */
    uint64_t seq;   /* sequence number of the allocating event */
    uint64_t stack; /* allocation stack id */
} hr_block;

typedef struct hr_heap hr_heap;

/* What hr_heap_apply() saw an event do, for callers that care. */
typedef struct hr_heap_change {
    int allocated;    /* a block was created: *alloc */
    int released;     /* a block was released: *freed (copied before removal) */
    int unknown_free; /* a free or realloc named a pointer not live in this trace */
    int conflict;     /* an allocation returned a live address (treated as released) */
    hr_block alloc, freed;
} hr_heap_change;

/* A new empty heap whose memory comes from a (NULL: large tables straight from mmap). NULL without
 * memory. */
hr_heap *hr_heap_new(const hr_alloc *a);
void hr_heap_free(hr_heap *h);
/* Applies one record (only events change the heap); change may be NULL. Returns 0 or
 * HR_ERR_NOMEM (the heap is then unchanged). */
int hr_heap_apply(hr_heap *h, const hr_record *rec, hr_heap_change *change);

/* What the pointer model of the event's chunk (formats/SPEC.md 5.5) made of an event: ordinals of
 * allocations in the chunk, -1 for none. */
typedef struct hr_heap_refs {
    int64_t freed;    /* the block of the chunk a free or realloc released (-1: an older one, or none) */
    int64_t alloc;    /* the ordinal the event's allocation took */
    int64_t replaced; /* a block of the chunk still live at the address the allocation returned */
    int64_t earlier;  /* the last block the chunk allocated at the address a free named, released since */
} hr_heap_refs;

/* hr_heap_apply, told which blocks of the chunk the event names: the blocks allocated in the chunk
 * stay out of the table of blocks by address until the chunk ends, and most of them, freed in the
 * chunk they were born in, never reach it. A heap given refs is given them for every event, and
 * hr_heap_chunk_end at the end of every chunk. Returns 0, HR_ERR_NOMEM or HR_ERR_LIMIT. */
int hr_heap_apply_refs(hr_heap *h, const hr_record *rec, const hr_heap_refs *refs, hr_heap_change *change);
/* Ends a chunk: the blocks still live of those it allocated move to the table. Returns 0, or 1
 * when an allocation of the chunk returned the address of a live block from an earlier chunk: the
 * conflict hr_heap_apply would have reported at that event was missed, and the figures since the
 * chunk began are not exact. HR_ERR_NOMEM. */
int hr_heap_chunk_end(hr_heap *h);
uint64_t hr_heap_live_bytes(const hr_heap *h);
uint64_t hr_heap_live_blocks(const hr_heap *h);
/* Bytes of memory the heap holds. */
size_t hr_heap_memory(const hr_heap *h);
/* A hint that an event naming ptr comes soon. */
void hr_heap_prefetch(const hr_heap *h, uint64_t ptr);
/* A hint that the event rec, with those refs, comes soon: the young blocks it names are loaded. */
void hr_heap_prefetch_refs(const hr_heap *h, const hr_record *rec, const hr_heap_refs *refs);
/* Calls fn for every live block (in no particular order). */
void hr_heap_each(const hr_heap *h, void (*fn)(void *ctx, const hr_block *b), void *ctx);
/* Bytes a successful allocation event asked for (count * size, saturating). */
uint64_t hr_event_bytes(const hr_event *ev);

#ifdef __cplusplus
}
#endif
#endif
