/* SPDX-License-Identifier: MIT */
/* The band/arena allocator model (the QNX allocator's design, replayer/README.md): bands of
 * equal-sized small blocks in band arenas, first-fit large blocks with splitting and coalescing in
 * arenas, both over an arena cache and a simulated OS. What the model knows about every block (its
 * state, sizes and owner) lives in side tables; the simulated memory holds a mirror of it in each
 * block's header, and fill patterns in the slack after each request, which the checker compares
 * with the truth: damage to them can never mislead the model. */
#ifndef HEAPRR_BANDHEAP_H
#define HEAPRR_BANDHEAP_H

#include "arena-cache.h"
#include "arena-fit.h"
#include "fittree.h"
#include "simos.h"

#include <heaprr/heapcfg.h>
#include <heaprr/replay.h>

#define HR_BH_LARGE 0xffffu /* band index of a large block */

/* A block as its user knows it. */
typedef struct hr_mblock {
    uint64_t addr; /* the user address (simulated) */
    uint32_t ref;  /* band arena index or large block record */
    uint16_t band; /* band index, or HR_BH_LARGE */
} hr_mblock;

/* ---- bands ---- */

typedef struct hr_band_arena {
    uint64_t addr;
    uint32_t band, nfree;
    uint32_t next, prev; /* the band's list of arenas with free blocks (index + 1; 0: none) */
    uint8_t in_list, prealloc;
    uint32_t *req;       /* per slot: bytes requested, HR_SLOT_FREE when free */
    uint64_t *owner;     /* per slot: the trace's pointer */
    uint32_t *free_slot; /* stack of free slots */
} hr_band_arena;
#define HR_SLOT_FREE UINT32_MAX

typedef struct hr_band_state {
    uint32_t size, esize, blocks, first; /* first: offset of slot 0 in its arena */
    uint32_t nonfull;                    /* head of the list of arenas with free blocks (index + 1) */
    uint32_t prealloc_arenas;
    uint64_t arenas, peak_arenas;
    uint64_t allocs, in_use, peak_in_use, req_bytes, block_bytes;
} hr_band_state;

/* ---- large blocks ---- */

typedef struct hr_lblock {
    uint64_t addr, size; /* the whole block, header included */
    uint64_t req, owner;
    uint32_t prev, next; /* neighbours in the arena (record index; 0: none) */
    uint32_t arena;
    uint32_t free;
} hr_lblock;

typedef struct hr_larena {
    uint64_t addr, size;
    uint32_t first; /* its first block */
} hr_larena;

typedef struct hr_damage {
    hr_finding_kind kind; /* HR_FIND_CORRUPT_HEADER, HR_FIND_OVERRUN or HR_FIND_CORRUPT_CHAIN */
    uint64_t owner;       /* the trace's pointer of the damaged block, 0 for a free block */
    uint64_t addr;        /* simulated user address of the damaged block */
    int64_t offset;       /* first damaged byte, from the user address (negative: in the header) */
    uint64_t bytes;       /* damaged bytes counted */
    uint64_t req, usable;
} hr_damage;

typedef struct hr_bandheap {
    hr_heap_config cfg;
    hr_check_level check;
    int walking; /* inside a chain walk: damage is reported as corrupt-chain */
    hr_simos os;
    hr_arena_cache cache;
    uint32_t node;  /* bytes of a band block's list node (its header) */
    uint32_t hsize; /* bytes of a large block's header */
    uint32_t minb;  /* smallest large block */
    uint32_t maxband;
    uint8_t *band_of; /* (size + 7) / 8 -> band, for sizes up to the largest band */
    hr_band_state bands[HR_MAX_BANDS];
    hr_band_arena *barenas;
    uint32_t nbarenas, cap_barenas, free_barena; /* free_barena: released slots (index + 1) */
    hr_lblock *lb;
    uint32_t nlb, cap_lb, free_lb;
    hr_larena *la;
    uint32_t nla, cap_la, free_la;
    hr_arenafit freelist; /* free large blocks */
    uint64_t large_allocs, large_in_use, peak_large_in_use;
    void (*on_damage)(void *ctx, const hr_damage *d);
    void *damage_ctx;
} hr_bandheap;

int hr_bh_init(hr_bandheap *h, const hr_heap_config *cfg, hr_check_level check, uint64_t sim_limit);
void hr_bh_destroy(hr_bandheap *h);
/* Allocates size bytes aligned to align (0: the default); owner is the trace's pointer. Returns 0,
 * or HR_ERR_LIMIT when the simulated address space is exhausted, or HR_ERR_NOMEM. */
int hr_bh_alloc(hr_bandheap *h, uint64_t size, uint64_t align, uint64_t owner, hr_mblock *out);
void hr_bh_free(hr_bandheap *h, const hr_mblock *b);
/* Resizes b in place when it can, else moves it (b is updated). Returns 0 or an hr_err (then b
 * is unchanged). */
int hr_bh_realloc(hr_bandheap *h, hr_mblock *b, uint64_t size, uint64_t owner);
uint64_t hr_bh_requested(const hr_bandheap *h, const hr_mblock *b);
/* The mapped range [*lo, *hi) around b: writes into the model's memory stay inside it. */
void hr_bh_span(const hr_bandheap *h, const hr_mblock *b, uint64_t *lo, uint64_t *hi);
/* Checker: the headers of b and its neighbours (basic), b's slack (bounds). Reports through
 * on_damage and repairs what it reported. */
void hr_bh_check_block(hr_bandheap *h, const hr_mblock *b, int with_slack);
void hr_bh_check_neighbours(hr_bandheap *h, const hr_mblock *b);
/* Checker: walks every arena and band (chain). */
void hr_bh_check_all(hr_bandheap *h);
/* Feeds every live block, in address order, to fn (for the digest and reports). */
void hr_bh_each_live(const hr_bandheap *h, void (*fn)(void *ctx, uint64_t addr, uint64_t size, uint64_t req),
                     void *ctx);

/* Internal: bands.c and large.c, used by bandheap.c. */
int hr_bands_init(hr_bandheap *h);
void hr_bands_destroy(hr_bandheap *h);
int hr_band_alloc(hr_bandheap *h, uint32_t band, uint64_t size, uint64_t owner, hr_mblock *out);
void hr_band_free(hr_bandheap *h, const hr_mblock *b);
uint32_t hr_band_slot(const hr_bandheap *h, const hr_mblock *b);
void hr_band_check_slot(hr_bandheap *h, const hr_band_arena *a, uint32_t slot, int with_slack);
void hr_bands_check_all(hr_bandheap *h);
int hr_large_init(hr_bandheap *h);
void hr_large_destroy(hr_bandheap *h);
int hr_large_alloc(hr_bandheap *h, uint64_t size, uint64_t align, uint64_t owner, hr_mblock *out);
void hr_large_free(hr_bandheap *h, uint32_t rec);
int hr_large_resize(hr_bandheap *h, uint32_t rec, uint64_t size); /* in place: 0, or -1 */
void hr_large_check(hr_bandheap *h, uint32_t rec, int with_slack);
void hr_large_check_all(hr_bandheap *h);

/* Internal: stamp.c, the header mirror and the fill patterns. */
#define HR_STAMP_FREE 0u
#define HR_STAMP_LIVE 1u
void hr_stamp_header(uint8_t *at, uint32_t hsize, uint64_t addr, uint32_t state, uint64_t bsize, uint64_t req);
/* Returns the first byte of the header that differs from the stamp, or -1. */
int64_t hr_stamp_verify(const uint8_t *at, uint32_t hsize, uint64_t addr, uint32_t state, uint64_t bsize,
                        uint64_t req, uint64_t *damaged);
void hr_stamp_fill(uint8_t *at, uint64_t len, uint64_t addr);
int64_t hr_stamp_fill_verify(const uint8_t *at, uint64_t len, uint64_t addr, uint64_t *damaged);
/* Checks (and repairs) one block's header and, when asked, its slack; reports damage. */
void hr_bh_verify(hr_bandheap *h, uint64_t user, uint32_t hsize, uint32_t state, uint64_t bsize, uint64_t req,
                  uint64_t usable, uint64_t owner, int with_slack);

#endif
