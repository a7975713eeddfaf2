/* SPDX-License-Identifier: MIT */
/* The stack trie used by writers: backtraces are interned node by node so that each distinct
 * (caller stack, frame) pair is stored once in a trace (formats/SPEC.md 5.2 STACK_NODES). */
#include "internal.h"

#define INITIAL_CAP 1024

static size_t slot_of(uint64_t parent, uint64_t ip, size_t mask)
{
    uint64_t h = (ip ^ (parent * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
    return (size_t)(h ^ (h >> 31)) & mask;
}

int hr_interner_init(hr_interner *in, const hr_alloc *alloc)
{
    memset(in, 0, sizeof *in);
    in->alloc = alloc;
    in->cap = INITIAL_CAP;
    in->parent = alloc->alloc(alloc->opaque, in->cap * sizeof(uint64_t));
    in->ip = alloc->alloc(alloc->opaque, in->cap * sizeof(uint64_t));
    in->slots = hr_alloc_zeroed(alloc, 2 * INITIAL_CAP * sizeof(uint32_t));
    in->mask = 2 * INITIAL_CAP - 1;
    if (!in->parent || !in->ip || !in->slots) {
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
    if (in->parent)
        a->free(a->opaque, in->parent);
    if (in->ip)
        a->free(a->opaque, in->ip);
    if (in->slots)
        a->free(a->opaque, in->slots);
    memset(in, 0, sizeof *in);
}

uint64_t hr_interner_find(const hr_interner *in, uint64_t parent, uint64_t ip)
{
    for (size_t s = slot_of(parent, ip, in->mask);; s = (s + 1) & in->mask) {
        uint32_t id = in->slots[s];
        if (id == 0)
            return 0;
        if (in->ip[id] == ip && in->parent[id] == parent)
            return id;
    }
}

static void place(uint32_t *slots, size_t mask, uint64_t parent, uint64_t ip, uint32_t id)
{
    size_t s = slot_of(parent, ip, mask);
    while (slots[s])
        s = (s + 1) & mask;
    slots[s] = id;
}

static int grow_arrays(hr_interner *in)
{
    const hr_alloc *a = in->alloc;
    size_t cap = in->cap * 2;
    uint64_t *parent = a->alloc(a->opaque, cap * sizeof(uint64_t));
    uint64_t *ip = a->alloc(a->opaque, cap * sizeof(uint64_t));
    if (!parent || !ip) {
        if (parent)
            a->free(a->opaque, parent);
        if (ip)
            a->free(a->opaque, ip);
        return HR_ERR_NOMEM;
    }
    memcpy(parent, in->parent, in->cap * sizeof(uint64_t));
    memcpy(ip, in->ip, in->cap * sizeof(uint64_t));
    a->free(a->opaque, in->parent);
    a->free(a->opaque, in->ip);
    in->parent = parent;
    in->ip = ip;
    in->cap = cap;
    return 0;
}

static int grow_slots(hr_interner *in)
{
    const hr_alloc *a = in->alloc;
    size_t n = (in->mask + 1) * 2;
    uint32_t *slots = hr_alloc_zeroed(a, n * sizeof(uint32_t));
    if (!slots)
        return HR_ERR_NOMEM;
    for (uint64_t id = 1; id <= in->count; id++)
        place(slots, n - 1, in->parent[id], in->ip[id], (uint32_t)id);
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
        HR_FORWARD(grow_arrays(in));
    if ((in->count + 1) * 2 > in->mask + 1)
        HR_FORWARD(grow_slots(in));
    uint64_t id = ++in->count;
    in->parent[id] = parent;
    in->ip[id] = ip;
    place(in->slots, in->mask, parent, ip, (uint32_t)id);
    return (int64_t)id;
}
