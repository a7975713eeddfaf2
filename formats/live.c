/* SPDX-License-Identifier: MIT */
/* The live set's table of blocks by address (include/heaprr/live.h, live-internal.h). A block is a
 * 16-byte slot: its address, the id of its (stack, size) pair and the low half of its sequence
 * number. Slots sit in an open-addressing table probed linearly from a home taken from the top bits
 * of a hash, so that doubling the table sends the slots of each old page to one or two new pages:
 * the move walks both tables in order, handing the old table's pages back as it goes, and never
 * holds much more than the new table. */
#include "live-internal.h"

#include <sys/mman.h>

#define FIRST_BITS 10
#define SEQ_LOW 0xFFFFFFFFull
#define RELEASE_STEP (256u << 10) /* bytes of old table moved between two releases of its pages */
#define PAGE 4096u
#define PAIRS_KEPT (1u << 16) /* unused pairs are not dropped from an index of fewer pairs */

typedef hr_heap_slot slot;
typedef hr_heap_pair pair;

static size_t home(uint64_t key, unsigned bits)
{
    uint64_t h = (key ^ (key >> 29)) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> (64 - bits));
}

/* Every bit of both keys reaches the low bits the index uses: programs ask for runs of sizes from
 * one stack, which a weaker mix piles into one long cluster of neighbouring slots. */
static uint64_t pair_hash(uint64_t stack, uint64_t size)
{
    uint64_t h = (stack * 0xBF58476D1CE4E5B9ull) ^ size;
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
}

void *hr_heap_get(hr_heap *h, size_t bytes)
{
    void *p = hr_alloc_zeroed(h->a, bytes);
    if (p)
        h->memory += bytes;
    return p;
}

void hr_heap_put(hr_heap *h, void *p, size_t bytes)
{
    if (!p)
        return;
    h->a->free(h->a->opaque, p);
    h->memory -= bytes;
}

hr_heap *hr_heap_new(const hr_alloc *a)
{
    if (!a)
        a = &hr_big_alloc;
    hr_heap *h = hr_alloc_zeroed(a, sizeof *h);
    if (!h)
        return NULL;
    h->a = a;
    h->bits = FIRST_BITS;
    h->free_pair = UINT32_MAX;
    h->hot_pair = UINT32_MAX;
    h->slots = hr_heap_get(h, sizeof(slot) << h->bits);
    if (!h->slots) {
        a->free(a->opaque, h);
        return NULL;
    }
    return h;
}

void hr_heap_free(hr_heap *h)
{
    if (!h)
        return;
    hr_heap_put(h, h->slots, sizeof(slot) << h->bits);
    hr_heap_put(h, h->pairs, h->pair_cap * sizeof *h->pairs);
    if (h->pair_index)
        hr_heap_put(h, h->pair_index, sizeof(uint64_t) << h->pair_bits);
    hr_heap_young_free(h);
    h->a->free(h->a->opaque, h);
}

/* ---- pairs ---- */

/* A pair index entry: id + 1 in the low half, the high half of the pair's hash in the high half, so
 * that a probe passes other pairs' entries without reading the pairs themselves. 0: empty. */
static uint64_t *pair_probe(const hr_heap *h, uint64_t stack, uint64_t size, uint64_t *tag)
{
    size_t mask = ((size_t)1 << h->pair_bits) - 1;
    uint64_t hash = pair_hash(stack, size);
    *tag = hash & ~0xFFFFFFFFull;
    for (size_t s = hash & mask;; s = (s + 1) & mask) {
        uint64_t v = h->pair_index[s];
        if (!v)
            return &h->pair_index[s];
        if ((v & ~0xFFFFFFFFull) == *tag) {
            const pair *p = &h->pairs[(uint32_t)v - 1];
            if (p->stack == stack && p->size == size)
                return &h->pair_index[s];
        }
    }
}

/* Rebuilds the pair index with bits bits from the pairs in use, and the unused ones unless drop
 * (which makes them free ids). */
static int reindex(hr_heap *h, unsigned bits, int drop)
{
    uint64_t *fresh = hr_heap_get(h, sizeof(uint64_t) << bits);
    if (!fresh)
        return HR_ERR_NOMEM;
    if (h->pair_index)
        hr_heap_put(h, h->pair_index, sizeof(uint64_t) << h->pair_bits);
    h->pair_index = fresh;
    h->pair_bits = bits;
    h->indexed = 0;
    h->free_pair = UINT32_MAX;
    h->hot_pair = UINT32_MAX;
    for (size_t i = h->npairs; i-- > 0;) {
        pair *p = &h->pairs[i];
        if (p->refs == UINT64_MAX || (p->refs == 0 && drop)) {
            p->refs = UINT64_MAX;
            p->size = h->free_pair;
            h->free_pair = (uint32_t)i;
            continue;
        }
        uint64_t tag;
        uint64_t *e = pair_probe(h, p->stack, p->size, &tag);
        *e = tag | ((uint64_t)i + 1);
        h->indexed++;
    }
    return 0;
}

/* Makes room for one more pair in the index, at most half full. Unused pairs stay (a program asks
 * for the same pairs again and again) until they are most of a large index: dropping them sooner
 * makes each rebuild cost more than it saves. The rebuilt index is at most a quarter full. */
static int pair_room(hr_heap *h)
{
    size_t slots = h->pair_index ? (size_t)1 << h->pair_bits : 0;
    if ((h->indexed + 1) * 2 <= slots)
        return 0;
    int drop = h->indexed >= PAIRS_KEPT && h->pairs_used * 4 < h->indexed;
    size_t keep = drop ? h->pairs_used : h->indexed;
    unsigned bits = 10;
    while (((size_t)1 << bits) < (keep + 1) * 4)
        bits++;
    return reindex(h, bits, drop);
}

static int new_pair_id(hr_heap *h, uint32_t *id)
{
    if (h->free_pair != UINT32_MAX) {
        *id = h->free_pair;
        h->free_pair = (uint32_t)h->pairs[*id].size;
        return 0;
    }
    if (h->npairs == h->pair_cap) {
        size_t cap = h->pair_cap ? h->pair_cap * 2 : 256;
        if (cap >= UINT32_MAX)
            return HR_ERR_NOMEM;
        pair *n = hr_heap_get(h, cap * sizeof *n);
        if (!n)
            return HR_ERR_NOMEM;
        if (h->pairs)
            memcpy(n, h->pairs, h->npairs * sizeof *n);
        hr_heap_put(h, h->pairs, h->pair_cap * sizeof *h->pairs);
        h->pairs = n;
        h->pair_cap = cap;
    }
    *id = (uint32_t)h->npairs++;
    return 0;
}

/* The id of the pair (stack, size), made if new. */
static int pair_of(hr_heap *h, uint64_t stack, uint64_t size, uint32_t *id)
{
    if (h->hot_pair != UINT32_MAX && h->pairs[h->hot_pair].stack == stack && h->pairs[h->hot_pair].size == size) {
        *id = h->hot_pair;
        return 0;
    }
    HR_FORWARD(pair_room(h));
    uint64_t tag;
    uint64_t *e = pair_probe(h, stack, size, &tag);
    if (!*e) {
        uint32_t n;
        HR_FORWARD(new_pair_id(h, &n));
        h->pairs[n] = (pair){stack, size, 0};
        *e = tag | ((uint64_t)n + 1);
        h->indexed++;
    }
    *id = (uint32_t)*e - 1;
    h->hot_pair = *id;
    return 0;
}

static void pair_ref(hr_heap *h, uint32_t id)
{
    if (h->pairs[id].refs++ == 0)
        h->pairs_used++;
}

static void pair_unref(hr_heap *h, uint32_t id)
{
    if (--h->pairs[id].refs == 0)
        h->pairs_used--; /* stays indexed until the index is rebuilt: it is often needed again soon */
}

/* ---- slots ---- */

static size_t mask_of(const hr_heap *h)
{
    return ((size_t)1 << h->bits) - 1;
}

static slot *probe(const hr_heap *h, uint64_t ptr)
{
    size_t mask = mask_of(h);
    for (size_t s = home(ptr, h->bits);; s = (s + 1) & mask) {
        slot *e = &h->slots[s];
        if (e->ptr == ptr || e->ptr == 0)
            return e;
    }
}

/* Hands back to the system the whole pages of [p, p + len): they are read no more. */
static void release_pages(void *p, size_t len)
{
    uintptr_t lo = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)(PAGE - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

static void move_slots(hr_heap *h, const slot *old, size_t n)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        if (old[i].ptr)
            *probe(h, old[i].ptr) = old[i];
        if ((i + 1) * sizeof(slot) - done >= RELEASE_STEP) {
            release_pages((char *)old + done, (i + 1) * sizeof(slot) - done);
            done = (i + 1) * sizeof(slot);
        }
    }
}

static int grow(hr_heap *h)
{
    size_t n = (size_t)1 << h->bits;
    slot *fresh = hr_heap_get(h, 2 * n * sizeof(slot));
    if (!fresh)
        return HR_ERR_NOMEM;
    slot *old = h->slots;
    h->slots = fresh;
    h->bits++;
    move_slots(h, old, n);
    hr_heap_put(h, old, n * sizeof(slot));
    return 0;
}

/* The slot of ptr, or the empty slot where it would go (room made first). NULL without memory. The
 * table grows at 80% load. */
static slot *claim(hr_heap *h, uint64_t ptr)
{
    if ((h->in_table + 1) * 5 > ((size_t)1 << h->bits) * 4 && grow(h) < 0)
        return NULL;
    return probe(h, ptr);
}

/* Empties slot e, moving later slots of its probe run back so that no lookup stops at the hole. */
static void erase_slot(hr_heap *h, slot *e)
{
    size_t mask = mask_of(h), i = (size_t)(e - h->slots), j = i;
    for (;;) {
        j = (j + 1) & mask;
        uint64_t k = h->slots[j].ptr;
        if (!k)
            break;
        size_t hm = home(k, h->bits);
        /* move j back to i when i lies cyclically in [home, j) */
        if ((j > i && (hm <= i || hm > j)) || (j < i && hm <= i && hm > j)) {
            h->slots[i] = h->slots[j];
            i = j;
        }
    }
    h->slots[i] = (slot){0, 0, 0};
}

static uint64_t full_seq(const hr_heap *h, uint32_t lo)
{
    uint64_t s = (h->seq_now & ~SEQ_LOW) | lo;
    return s > h->seq_now && s > SEQ_LOW ? s - (SEQ_LOW + 1) : s;
}

hr_heap_slot *hr_heap_table_find(const hr_heap *h, uint64_t ptr)
{
    return probe(h, ptr);
}

hr_block hr_heap_table_block(const hr_heap *h, const slot *e)
{
    const pair *p = &h->pairs[e->pair];
    return (hr_block){e->ptr, p->size, full_seq(h, e->seq_lo), p->stack};
}

void hr_heap_table_remove(hr_heap *h, slot *e)
{
    pair_unref(h, e->pair);
    h->in_table--;
    erase_slot(h, e);
}

int hr_heap_table_insert(hr_heap *h, const hr_block *b)
{
    uint32_t id;
    HR_FORWARD(pair_of(h, b->stack, b->size, &id));
    slot *e = claim(h, b->ptr);
    if (!e)
        return HR_ERR_NOMEM;
    if (e->ptr)
        return 1;
    *e = (slot){b->ptr, id, (uint32_t)(b->seq & SEQ_LOW)};
    pair_ref(h, id);
    h->in_table++;
    return 0;
}

int hr_heap_table_replace(hr_heap *h, slot *e, const hr_block *nb, hr_block *old)
{
    uint32_t id;
    HR_FORWARD(pair_of(h, nb->stack, nb->size, &id));
    *old = hr_heap_table_block(h, e);
    pair_unref(h, e->pair);
    pair_ref(h, id);
    *e = (slot){e->ptr, id, (uint32_t)(nb->seq & SEQ_LOW)};
    return 0;
}

/* ---- figures ---- */

uint64_t hr_heap_live_bytes(const hr_heap *h)
{
    return h->live_bytes;
}

uint64_t hr_heap_live_blocks(const hr_heap *h)
{
    return h->count;
}

size_t hr_heap_memory(const hr_heap *h)
{
    return h->memory;
}

void hr_heap_prefetch(const hr_heap *h, uint64_t ptr)
{
    __builtin_prefetch(&h->slots[home(ptr, h->bits)]);
}

void hr_heap_each(const hr_heap *h, void (*fn)(void *ctx, const hr_block *b), void *ctx)
{
    for (size_t i = 0; i <= mask_of(h); i++)
        if (h->slots[i].ptr) {
            hr_block b = hr_heap_table_block(h, &h->slots[i]);
            fn(ctx, &b);
        }
    hr_heap_young_each(h, fn, ctx);
}
