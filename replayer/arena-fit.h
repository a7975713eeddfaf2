/* SPDX-License-Identifier: MIT */
/* The free list of the large-block allocator, indexed for address-ordered first fit: each arena
 * keeps its free blocks in a small array sorted by address, and a tree of maxima over the arenas
 * in address order finds the lowest arena holding a block that fits. The lowest such arena holds
 * the lowest such block, so the answer is exactly first fit over one address-ordered list, found
 * in a few cache lines. */
#ifndef HEAPRR_ARENA_FIT_H
#define HEAPRR_ARENA_FIT_H

#include <stdint.h>

typedef struct hr_afree {
    uint64_t addr, size;
    uint32_t rec; /* the owner's record of the block */
    uint32_t pad;
} hr_afree;

typedef struct hr_afit_arena {
    uint64_t addr;
    uint64_t *at, *size; /* free blocks by address: starts and sizes (apart, for dense scans) */
    uint32_t *rec;
    uint32_t n, cap;
    uint64_t max; /* the largest free block */
    uint32_t pos; /* place in the address order */
    uint32_t known;
} hr_afit_arena;

typedef struct hr_arenafit {
    hr_afit_arena *ar; /* by arena id */
    uint32_t cap_ar;
    uint32_t *ord; /* arena ids by address */
    uint32_t nord, cap_ord;
    uint64_t *seg; /* maxima: leaves at segn + position */
    uint32_t segn;
    uint64_t count, bytes; /* free blocks and their bytes */
} hr_arenafit;

int hr_af_init(hr_arenafit *af);
void hr_af_destroy(hr_arenafit *af);
/* Arena id now covers memory from addr on / is gone (its free blocks with it). */
int hr_af_arena_add(hr_arenafit *af, uint32_t id, uint64_t addr);
void hr_af_arena_remove(hr_arenafit *af, uint32_t id);
int hr_af_insert(hr_arenafit *af, uint32_t id, uint64_t addr, uint64_t size, uint32_t rec);
void hr_af_remove(hr_arenafit *af, uint32_t id, uint64_t addr);
/* The free block at addr gets a new start, size and record (staying between its neighbours). */
void hr_af_set(hr_arenafit *af, uint32_t id, uint64_t addr, uint64_t new_addr, uint64_t new_size, uint32_t rec);
/* The lowest free block of at least need bytes into *out (and its arena into *id): 0, or -1. */
int hr_af_first(const hr_arenafit *af, uint64_t need, uint32_t *id, hr_afree *out);
/* The free block starting at addr, in any arena, into *out: 0, or -1. */
int hr_af_find(const hr_arenafit *af, uint64_t addr, hr_afree *out);

#endif
