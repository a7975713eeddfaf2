/* SPDX-License-Identifier: MIT */
/* The live set (include/heaprr/live.h). A block is a 16-byte slot: its address, the id of its
 * (stack, size) pair and the low half of its sequence number. Slots sit in an open-addressing
 * table probed linearly from a home taken from the top bits of a hash, so that doubling the table
 * sends the slots of each old page to one or two new pages: the move walks both tables in order,
 * handing the old table's pages back as it goes, and never holds much more than the new table. */
#include <heaprr/live.h>

#include "internal.h"

#include <sys/mman.h>

#define FIRST_BITS 10
#define SEQ_LOW 0xFFFFFFFFull
#define NO_PAIR UINT32_MAX
#define RELEASE_STEP (256u << 10) /* bytes of old table moved between two releases of its pages */
#define PAGE 4096u

typedef struct slot {
    uint64_t ptr; /* 0: empty */
    uint32_t pair;
    uint32_t seq_lo;
} slot;

typedef struct pair {
    uint64_t stack, size;
    uint64_t refs; /* live blocks using it; a free pair holds the next free id in size, refs UINT64_MAX */
} pair;

struct hr_heap {
    const hr_alloc *a;
    slot *slots;
    unsigned bits;
    size_t count;
    uint64_t live_bytes, seq_now;
    pair *pairs;
    size_t npairs, pair_cap, pairs_used; /* ids handed out; array size; pairs with refs > 0 */
    uint32_t free_pair;                  /* first free id, NO_PAIR: none */
    uint32_t *pair_index;                /* id + 1 by hash of (stack, size); 0: empty */
    unsigned pair_bits;
    size_t indexed; /* pairs in pair_index */
    uint32_t hot_pair;
    size_t memory;
};

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

static void *get(hr_heap *h, size_t bytes)
{
    void *p = hr_alloc_zeroed(h->a, bytes);
    if (p)
        h->memory += bytes;
    return p;
}

static void put(hr_heap *h, void *p, size_t bytes)
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
    h->free_pair = NO_PAIR;
    h->hot_pair = NO_PAIR;
    h->slots = get(h, sizeof(slot) << h->bits);
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
    put(h, h->slots, sizeof(slot) << h->bits);
    put(h, h->pairs, h->pair_cap * sizeof *h->pairs);
    if (h->pair_index)
        put(h, h->pair_index, sizeof(uint32_t) << h->pair_bits);
    h->a->free(h->a->opaque, h);
}

/* ---- pairs ---- */

static uint32_t *pair_probe(const hr_heap *h, uint64_t stack, uint64_t size)
{
    size_t mask = ((size_t)1 << h->pair_bits) - 1;
    for (size_t s = pair_hash(stack, size) & mask;; s = (s + 1) & mask) {
        uint32_t id = h->pair_index[s];
        if (!id || (h->pairs[id - 1].stack == stack && h->pairs[id - 1].size == size))
            return &h->pair_index[s];
    }
}

/* Rebuilds the pair index with bits bits from the pairs in use; the unused ones become free ids. */
static int reindex(hr_heap *h, unsigned bits)
{
    uint32_t *fresh = get(h, sizeof(uint32_t) << bits);
    if (!fresh)
        return HR_ERR_NOMEM;
    if (h->pair_index)
        put(h, h->pair_index, sizeof(uint32_t) << h->pair_bits);
    h->pair_index = fresh;
    h->pair_bits = bits;
    h->indexed = 0;
    h->free_pair = NO_PAIR;
    h->hot_pair = NO_PAIR;
    for (size_t i = h->npairs; i-- > 0;) {
        pair *p = &h->pairs[i];
        if (p->refs == 0 || p->refs == UINT64_MAX) { /* unused: free it */
            p->refs = UINT64_MAX;
            p->size = h->free_pair;
            h->free_pair = (uint32_t)i;
            continue;
        }
        *pair_probe(h, p->stack, p->size) = (uint32_t)i + 1;
        h->indexed++;
    }
    return 0;
}

/* Makes room for one more pair in the index: unused pairs are dropped when they are most of it. */
static int pair_room(hr_heap *h)
{
    size_t slots = h->pair_index ? (size_t)1 << h->pair_bits : 0;
    if ((h->indexed + 1) * 4 <= slots * 3)
        return 0;
    unsigned bits = h->pair_index ? h->pair_bits : 10;
    while (((size_t)1 << bits) * 3 < (h->pairs_used + 1) * 8)
        bits++; /* the pairs in use fill at most 3/8 of the rebuilt index */
    return reindex(h, bits);
}

static int new_pair_id(hr_heap *h, uint32_t *id)
{
    if (h->free_pair != NO_PAIR) {
        *id = h->free_pair;
        h->free_pair = (uint32_t)h->pairs[*id].size;
        return 0;
    }
    if (h->npairs == h->pair_cap) {
        size_t cap = h->pair_cap ? h->pair_cap * 2 : 256;
        if (cap >= NO_PAIR)
            return HR_ERR_NOMEM;
        pair *n = get(h, cap * sizeof *n);
        if (!n)
            return HR_ERR_NOMEM;
        if (h->pairs)
            memcpy(n, h->pairs, h->npairs * sizeof *n);
        put(h, h->pairs, h->pair_cap * sizeof *h->pairs);
        h->pairs = n;
        h->pair_cap = cap;
    }
    *id = (uint32_t)h->npairs++;
    return 0;
}

/* The id of the pair (stack, size), made if new. */
static int pair_of(hr_heap *h, uint64_t stack, uint64_t size, uint32_t *id)
{
    if (h->hot_pair != NO_PAIR && h->pairs[h->hot_pair].stack == stack && h->pairs[h->hot_pair].size == size) {
        *id = h->hot_pair;
        return 0;
    }
    HR_FORWARD(pair_room(h));
    uint32_t *e = pair_probe(h, stack, size);
    if (!*e) {
        uint32_t n;
        HR_FORWARD(new_pair_id(h, &n));
        h->pairs[n] = (pair){stack, size, 0};
        *e = n + 1;
        h->indexed++;
    }
    *id = *e - 1;
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
    slot *fresh = get(h, 2 * n * sizeof(slot));
    if (!fresh)
        return HR_ERR_NOMEM;
    slot *old = h->slots;
    h->slots = fresh;
    h->bits++;
    move_slots(h, old, n);
    put(h, old, n * sizeof(slot));
    return 0;
}

/* The slot of ptr, or the empty slot where it would go (room made first). NULL without memory. The
 * table grows at 80% load. */
static slot *claim(hr_heap *h, uint64_t ptr)
{
    if ((h->count + 1) * 5 > ((size_t)1 << h->bits) * 4 && grow(h) < 0)
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

static hr_block block_of(const hr_heap *h, const slot *e)
{
    const pair *p = &h->pairs[e->pair];
    return (hr_block){e->ptr, p->size, full_seq(h, e->seq_lo), p->stack};
}

static void fill(hr_heap *h, slot *e, const hr_block *b, uint32_t id)
{
    *e = (slot){b->ptr, id, (uint32_t)(b->seq & SEQ_LOW)};
    pair_ref(h, id);
    h->count++;
    h->live_bytes += b->size;
}

static void release(hr_heap *h, slot *e, hr_heap_change *c)
{
    c->released = 1;
    c->freed = block_of(h, e);
    h->live_bytes -= c->freed.size;
    h->count--;
    pair_unref(h, e->pair);
    erase_slot(h, e);
}

/* ---- events ---- */

uint64_t hr_event_bytes(const hr_event *ev)
{
    uint64_t n = hr_kind_has_count(ev->kind) ? ev->count : 1, total;
    return __builtin_mul_overflow(n, ev->size, &total) ? UINT64_MAX : total;
}

static int allocate(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    const hr_event *ev = &rec->u.event;
    hr_block b = {ev->ptr, hr_event_bytes(ev), rec->seq, ev->stack};
    uint32_t id;
    HR_FORWARD(pair_of(h, b.stack, b.size, &id));
    slot *e = claim(h, ev->ptr);
    if (!e)
        return HR_ERR_NOMEM;
    if (e->ptr) { /* a live address returned again: the stale block goes */
        c->conflict = 1;
        release(h, e, c);
        e = probe(h, ev->ptr);
    }
    c->allocated = 1;
    c->alloc = b;
    fill(h, e, &b, id);
    return 0;
}

static int apply_free(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    uint64_t p = rec->u.event.ptr;
    if (!p)
        return 0;
    slot *e = probe(h, p);
    if (e->ptr)
        release(h, e, c);
    else
        c->unknown_free = 1;
    return 0;
}

/* A realloc that kept its address: the old block goes and a new one, of the new size and stack,
 * takes its slot. */
static int resize_in_place(hr_heap *h, const hr_record *rec, slot *e, hr_heap_change *c)
{
    const hr_event *ev = &rec->u.event;
    hr_block nb = {ev->ptr, hr_event_bytes(ev), rec->seq, ev->stack};
    uint32_t id;
    HR_FORWARD(pair_of(h, nb.stack, nb.size, &id));
    c->released = 1;
    c->freed = block_of(h, e);
    pair_unref(h, e->pair);
    h->live_bytes -= c->freed.size;
    h->count--;
    c->allocated = 1;
    c->alloc = nb;
    fill(h, e, &nb, id);
    return 0;
}

static int apply_realloc(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    const hr_event *ev = &rec->u.event;
    if (!ev->old_ptr)
        return ev->ptr ? allocate(h, rec, c) : 0;
    slot *e = probe(h, ev->old_ptr);
    int ours = e->ptr && (!(ev->xflags & HR_XF_FREE_SEQ) || full_seq(h, e->seq_lo) < ev->free_seq);
    c->unknown_free = !e->ptr;
    if (ev->ptr == ev->old_ptr && ours)
        return resize_in_place(h, rec, e, c);
    if (ours)
        release(h, e, c);
    return ev->ptr ? allocate(h, rec, c) : 0;
}

int hr_heap_apply(hr_heap *h, const hr_record *rec, hr_heap_change *c)
{
    memset(c, 0, sizeof *c);
    if (rec->type != HR_REC_EVENT)
        return 0;
    if (rec->seq > h->seq_now)
        h->seq_now = rec->seq;
    const hr_event *ev = &rec->u.event;
    if (ev->xflags & (HR_XF_FAILED | HR_XF_INCOMPLETE))
        return 0;
    if (hr_kind_is_free(ev->kind))
        return apply_free(h, rec, c);
    if (hr_kind_is_realloc(ev->kind))
        return apply_realloc(h, rec, c);
    return ev->ptr ? allocate(h, rec, c) : 0;
}

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
            hr_block b = block_of(h, &h->slots[i]);
            fn(ctx, &b);
        }
}
