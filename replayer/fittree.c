/* SPDX-License-Identifier: MIT */
/* Address-ordered first-fit index (fittree.h): a treap with a subtree maximum. */
#include "fittree.h"

#include <heaprr/format.h>
#include <stdlib.h>
#include <string.h>

#define NIL 0u

static uint32_t prio_of(uint64_t addr)
{
    uint64_t h = addr * 0x9E3779B97F4A7C15ull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return (uint32_t)(h >> 32) | 1u;
}

int hr_fit_init(hr_fittree *t)
{
    memset(t, 0, sizeof *t);
    t->cap = 64;
    t->nodes = calloc(t->cap, sizeof *t->nodes);
    t->used = 1;
    return t->nodes ? 0 : HR_ERR_NOMEM;
}

void hr_fit_destroy(hr_fittree *t)
{
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

static uint32_t node_new(hr_fittree *t)
{
    if (t->free_head) {
        uint32_t i = t->free_head;
        t->free_head = t->nodes[i].left;
        return i;
    }
    if (t->used == t->cap) {
        if (t->cap > UINT32_MAX / 2)
            return NIL;
        hr_fit_node *n = realloc(t->nodes, (size_t)t->cap * 2 * sizeof *n);
        if (!n)
            return NIL;
        t->nodes = n;
        t->cap *= 2;
    }
    return t->used++;
}

static void node_release(hr_fittree *t, uint32_t i)
{
    t->nodes[i].left = t->free_head;
    t->free_head = i;
}

static inline uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a > b ? a : b;
    return m > c ? m : c;
}

static inline void pull(hr_fit_node *n, uint32_t i)
{
    n[i].max = max3(n[i].size, n[n[i].left].max, n[n[i].right].max);
}

/* Splits the subtree at i into ranges below addr (*l) and at or above it (*r). */
static void split(hr_fit_node *n, uint32_t i, uint64_t addr, uint32_t *l, uint32_t *r)
{
    if (i == NIL) {
        *l = *r = NIL;
        return;
    }
    if (n[i].addr < addr) {
        split(n, n[i].right, addr, &n[i].right, r);
        *l = i;
    } else {
        split(n, n[i].left, addr, l, &n[i].left);
        *r = i;
    }
    pull(n, i);
}

/* Joins two subtrees, every range of l below every range of r. */
static uint32_t merge(hr_fit_node *n, uint32_t l, uint32_t r)
{
    if (l == NIL || r == NIL)
        return l ? l : r;
    if (n[l].prio > n[r].prio) {
        n[l].right = merge(n, n[l].right, r);
        pull(n, l);
        return l;
    }
    n[r].left = merge(n, l, n[r].left);
    pull(n, r);
    return r;
}

static uint32_t insert_at(hr_fit_node *n, uint32_t root, uint32_t k)
{
    if (root == NIL)
        return k;
    if (n[k].prio > n[root].prio) {
        split(n, root, n[k].addr, &n[k].left, &n[k].right);
        pull(n, k);
        return k;
    }
    if (n[k].addr < n[root].addr)
        n[root].left = insert_at(n, n[root].left, k);
    else
        n[root].right = insert_at(n, n[root].right, k);
    pull(n, root);
    return root;
}

int hr_fit_insert(hr_fittree *t, uint64_t addr, uint64_t size, uint32_t ref)
{
    uint32_t k = node_new(t);
    if (k == NIL)
        return HR_ERR_NOMEM;
    t->nodes[k] = (hr_fit_node){addr, size, size, NIL, NIL, prio_of(addr), ref};
    t->root = insert_at(t->nodes, t->root, k);
    t->count++;
    t->bytes += size;
    return 0;
}

static uint32_t remove_at(hr_fittree *t, uint32_t i, uint64_t addr, int *found)
{
    hr_fit_node *n = t->nodes;
    if (i == NIL)
        return NIL;
    if (n[i].addr == addr) {
        uint32_t joined = merge(n, n[i].left, n[i].right);
        t->bytes -= n[i].size;
        node_release(t, i);
        *found = 1;
        return joined;
    }
    if (addr < n[i].addr)
        n[i].left = remove_at(t, n[i].left, addr, found);
    else
        n[i].right = remove_at(t, n[i].right, addr, found);
    pull(n, i);
    return i;
}

int hr_fit_remove(hr_fittree *t, uint64_t addr)
{
    int found = 0;
    t->root = remove_at(t, t->root, addr, &found);
    if (!found)
        return -1;
    t->count--;
    return 0;
}

hr_fit_node *hr_fit_first(const hr_fittree *t, uint64_t size)
{
    hr_fit_node *n = t->nodes;
    uint32_t i = t->root;
    if (i == NIL || n[i].max < size)
        return NULL;
    for (;;) {
        if (n[n[i].left].max >= size)
            i = n[i].left;
        else if (n[i].size >= size)
            return &n[i];
        else
            i = n[i].right; /* its max must hold size */
    }
}

hr_fit_node *hr_fit_floor(const hr_fittree *t, uint64_t addr)
{
    hr_fit_node *n = t->nodes;
    uint32_t i = t->root, best = NIL;
    while (i != NIL) {
        if (n[i].addr <= addr) {
            best = i;
            i = n[i].right;
        } else {
            i = n[i].left;
        }
    }
    return best ? &n[best] : NULL;
}

hr_fit_node *hr_fit_ceil(const hr_fittree *t, uint64_t addr)
{
    hr_fit_node *n = t->nodes;
    uint32_t i = t->root, best = NIL;
    while (i != NIL) {
        if (n[i].addr >= addr) {
            best = i;
            i = n[i].left;
        } else {
            i = n[i].right;
        }
    }
    return best ? &n[best] : NULL;
}

/* Walks down to the range at addr, changes it, and refreshes the maxima on the way back up. */
static int update_at(hr_fittree *t, uint32_t i, uint64_t addr, uint64_t new_addr, uint64_t new_size)
{
    hr_fit_node *n = t->nodes;
    if (i == NIL)
        return -1;
    int rc;
    if (n[i].addr == addr) {
        t->bytes += new_size - n[i].size;
        n[i].addr = new_addr;
        n[i].size = new_size;
        rc = 0;
    } else {
        rc = update_at(t, addr < n[i].addr ? n[i].left : n[i].right, addr, new_addr, new_size);
    }
    pull(n, i);
    return rc;
}

int hr_fit_update(hr_fittree *t, uint64_t addr, uint64_t new_addr, uint64_t new_size)
{
    return update_at(t, t->root, addr, new_addr, new_size);
}

