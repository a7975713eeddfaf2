/* SPDX-License-Identifier: MIT */
/* Site dictionaries of a chunk (formats/SPEC.md 5.4): per event kind, the stack ids in order of
 * first appearance, so an event's stack is a small index that depends on its kind. The writer
 * finds entries through a map with generation-tagged slots (O(1) reset per chunk); the reader
 * only needs the per-kind lists. */
#include "internal.h"

#define INITIAL_SLOTS 128
#define INITIAL_LIST 64

static size_t slot_of(unsigned kind, uint64_t stack, size_t mask)
{
    uint64_t h = (stack * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)kind << 58);
    return (size_t)(h >> 29 ^ h) & mask;
}

int hr_sites_init(hr_sites *s, const hr_alloc *a)
{
    memset(s, 0, sizeof *s);
    s->alloc = a;
    s->gen = 1;
    s->mask = INITIAL_SLOTS - 1;
    s->slots = hr_alloc_zeroed(a, INITIAL_SLOTS * sizeof *s->slots);
    return s->slots ? 0 : HR_ERR_NOMEM;
}

void hr_sites_free(hr_sites *s)
{
    if (s->slots)
        s->alloc->free(s->alloc->opaque, s->slots);
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        if (s->list[k])
            s->alloc->free(s->alloc->opaque, s->list[k]);
    memset(s, 0, sizeof *s);
}

void hr_sites_reset(hr_sites *s)
{
    if (++s->gen == 0) {
        memset(s->slots, 0, (s->mask + 1) * sizeof *s->slots);
        s->gen = 1;
    }
    memset(s->n, 0, sizeof s->n);
    s->total = 0;
}

static int grow_slots(hr_sites *s)
{
    size_t n = (s->mask + 1) * 2;
    hr_site_slot *slots = hr_alloc_zeroed(s->alloc, n * sizeof *slots);
    if (!slots)
        return HR_ERR_NOMEM;
    for (size_t i = 0; i <= s->mask; i++) {
        hr_site_slot *e = &s->slots[i];
        if (e->gen != s->gen)
            continue;
        size_t j = slot_of(e->kind, e->stack, n - 1);
        while (slots[j].gen == s->gen)
            j = (j + 1) & (n - 1);
        slots[j] = *e;
    }
    s->alloc->free(s->alloc->opaque, s->slots);
    s->slots = slots;
    s->mask = n - 1;
    return 0;
}

int hr_sites_code(hr_sites *s, unsigned kind, uint64_t stack, uint64_t *code, int *is_new)
{
    size_t j = slot_of(kind, stack, s->mask);
    for (;; j = (j + 1) & s->mask) {
        hr_site_slot *e = &s->slots[j];
        if (e->gen != s->gen)
            break;
        if (e->stack == stack && e->kind == kind) {
            *code = e->index;
            *is_new = 0;
            return 0;
        }
    }
    if ((s->total + 1) * 2 > s->mask + 1) {
        HR_FORWARD(grow_slots(s));
        j = slot_of(kind, stack, s->mask);
        while (s->slots[j].gen == s->gen)
            j = (j + 1) & s->mask;
    }
    s->slots[j] = (hr_site_slot){stack, s->n[kind], (uint8_t)kind, s->gen};
    *code = s->n[kind]++;
    *is_new = 1;
    s->total++;
    return 0;
}

static int grow_list(hr_sites *s, unsigned kind)
{
    size_t cap = s->cap[kind] ? s->cap[kind] * 2 : INITIAL_LIST;
    uint64_t *l = s->alloc->alloc(s->alloc->opaque, cap * sizeof *l);
    if (!l)
        return HR_ERR_NOMEM;
    if (s->n[kind])
        memcpy(l, s->list[kind], s->n[kind] * sizeof *l);
    if (s->list[kind])
        s->alloc->free(s->alloc->opaque, s->list[kind]);
    s->list[kind] = l;
    s->cap[kind] = cap;
    return 0;
}

int hr_sites_lookup(const hr_sites *s, unsigned kind, uint64_t code, uint64_t *stack)
{
    if (code >= s->n[kind])
        return HR_ERR_CORRUPT;
    *stack = s->list[kind][code];
    return 0;
}

int hr_sites_append(hr_sites *s, unsigned kind, uint64_t stack)
{
    if (s->n[kind] == s->cap[kind])
        HR_FORWARD(grow_list(s, kind));
    s->list[kind][s->n[kind]++] = stack;
    s->total++;
    return 0;
}
