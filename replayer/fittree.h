/* SPDX-License-Identifier: MIT */
/* Free ranges [addr, addr + size) indexed by address, each node knowing the largest size in its
 * subtree, so that first fit (the lowest address whose range holds a size) costs O(log n); the
 * simulated OS keeps its holes in one. A treap
 * over a pool of nodes with priorities hashed from the address: the shape, and so every answer, is
 * deterministic. Ranges never overlap, so a range may grow or move its start in place as long as
 * it does not pass a neighbour (which is what splitting and coalescing do). */
#ifndef HEAPRR_FITTREE_H
#define HEAPRR_FITTREE_H

#include <stdint.h>

typedef struct hr_fit_node {
    uint64_t addr, size, max; /* max: the largest size in this subtree */
    uint32_t left, right;     /* 0: none */
    uint32_t prio;
    uint32_t ref; /* the owner's handle for this range */
} hr_fit_node;

typedef struct hr_fittree {
    hr_fit_node *nodes; /* nodes[0] is the empty sentinel */
    uint32_t cap, used, free_head, root;
    uint64_t count, bytes;
} hr_fittree;

int hr_fit_init(hr_fittree *t);
void hr_fit_destroy(hr_fittree *t);
/* Adds a range (it must not overlap another). Returns 0 or HR_ERR_NOMEM. */
int hr_fit_insert(hr_fittree *t, uint64_t addr, uint64_t size, uint32_t ref);
/* Removes the range starting at addr; returns 0, or -1 if there is none. */
int hr_fit_remove(hr_fittree *t, uint64_t addr);
/* The range with the lowest address whose size is at least size, or NULL. */
hr_fit_node *hr_fit_first(const hr_fittree *t, uint64_t size);
/* The range with the highest address below or at addr / lowest at or above addr, or NULL. */
hr_fit_node *hr_fit_floor(const hr_fittree *t, uint64_t addr);
hr_fit_node *hr_fit_ceil(const hr_fittree *t, uint64_t addr);
/* Gives the range starting at addr a new start and size (within its neighbours' gaps). Returns 0,
 * or -1 if there is no such range. */
int hr_fit_update(hr_fittree *t, uint64_t addr, uint64_t new_addr, uint64_t new_size);

#endif
