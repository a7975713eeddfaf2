/* SPDX-License-Identifier: MIT */
/* The stack trie used by writers: backtraces are interned node by node so that each distinct
 * (caller stack, frame) pair is stored once in a trace (formats/SPEC.md 5.2 STACK_NODES). */
#include "internal.h"

#define INITIAL_CAP 128

static uint64_t hash_of(uint64_t parent, uint64_t ip)
{
    uint64_t h = (ip ^ (parent * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

/* A slot holds the node id and the high half of its hash, so that a probe past other nodes rarely
 * has to look at them. */
static uint64_t tag_of(uint64_t h)
{
    return h & 0xFFFFFFFF00000000ull;
}

int hr_interner_init(hr_interner *in, const hr_alloc *alloc)
{
    memset(in, 0, sizeof *in);
    in->alloc = alloc;
    in->cap = INITIAL_CAP;
    in->node = alloc->alloc(alloc->opaque, in->cap * sizeof *in->node);
    in->slots = hr_alloc_zeroed(alloc, 2 * INITIAL_CAP * sizeof *in->slots);
    in->hot = hr_alloc_zeroed(alloc, HR_INTERNER_HOT * sizeof *in->hot);
    in->mask = 2 * INITIAL_CAP - 1;
    if (!in->node || !in->slots || !in->hot) {
        hr_interner_free(in);
        return HR_ERR_NOMEM;
    }
    return 0;
}

void hr_interner_free(hr_interner *in)
{
    const hr_alloc *a = in->alloc;
    if (!a)
        return;
    if (in->node)
        a->free(a->opaque, in->node);
    if (in->slots)
        a->free(a->opaque, in->slots);
    if (in->hot)
        a->free(a->opaque, in->hot);
    memset(in, 0, sizeof *in);
}

static hr_node_hot *hot_of(const hr_interner *in, uint64_t h)
{
    return &in->hot[(h >> 16) & (HR_INTERNER_HOT - 1)];
}

uint64_t hr_interner_find(const hr_interner *in, uint64_t parent, uint64_t ip)
{
    uint64_t h = hash_of(parent, ip), tag = tag_of(h);
    hr_node_hot *hot = hot_of(in, h);
    if (hot->ip == ip && hot->parent == parent && hot->id)
        return hot->id;
    for (size_t s = h & in->mask;; s = (s + 1) & in->mask) {
        uint64_t v = in->slots[s];
        if (v == 0)
            return 0;
        uint32_t id = (uint32_t)v;
        if (tag_of(v) == tag && in->node[id].ip == ip && in->node[id].parent == parent) {
            *hot = (hr_node_hot){parent, ip, id};
            return id;
        }
    }
}

static void place(uint64_t *slots, size_t mask, uint64_t parent, uint64_t ip, uint32_t id)
{
    uint64_t h = hash_of(parent, ip);
    size_t s = h & mask;
    while (slots[s])
        s = (s + 1) & mask;
    slots[s] = tag_of(h) | id;
}

static int grow_nodes(hr_interner *in)
{
    const hr_alloc *a = in->alloc;
    size_t cap = in->cap * 2;
    hr_node *node = a->alloc(a->opaque, cap * sizeof *node);
    if (!node)
        return HR_ERR_NOMEM;
    memcpy(node, in->node, in->cap * sizeof *node);
    a->free(a->opaque, in->node);
    in->node = node;
    in->cap = cap;
    return 0;
}

static int grow_slots(hr_interner *in)
{
    const hr_alloc *a = in->alloc;
    size_t n = (in->mask + 1) * 2;
    uint64_t *slots = hr_alloc_zeroed(a, n * sizeof *slots);
    if (!slots)
        return HR_ERR_NOMEM;
    for (uint64_t id = 1; id <= in->count; id++)
        place(slots, n - 1, in->node[id].parent, in->node[id].ip, (uint32_t)id);
    a->free(a->opaque, in->slots);
    in->slots = slots;
    in->mask = n - 1;
    return 0;
}

int64_t hr_interner_add(hr_interner *in, uint64_t parent, uint64_t ip)
{
    if (in->count + 1 >= UINT32_MAX)
        return HR_ERR_LIMIT;
    if (in->count + 1 >= in->cap)
        HR_FORWARD(grow_nodes(in));
    if ((in->count + 1) * 2 > in->mask + 1)
        HR_FORWARD(grow_slots(in));
    uint64_t id = ++in->count;
    in->node[id] = (hr_node){parent, ip};
    place(in->slots, in->mask, parent, ip, (uint32_t)id);
    *hot_of(in, hash_of(parent, ip)) = (hr_node_hot){parent, ip, id};
    return (int64_t)id;
}
