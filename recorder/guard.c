/* SPDX-License-Identifier: MIT */
/* Guard mode (MALLOC_CKBOUNDS=1): every recorded allocation asks the real allocator for room for
 * two guard zones of MALLOC_GUARD_SIZE bytes (32 by default) around the request, filled with known
 * patterns (formats/SPEC.md, GUARD and GUARD_BEFORE). The program gets the address after the zone
 * in front, so every entry point that takes a pointer back translates it (hr_guard_check). Before
 * the block is freed or reallocated both patterns are checked; a changed one becomes a GUARD (after
 * the block) or GUARD_BEFORE (before it) record holding the zone as found, just before the call, so
 * that a replay can put the same bytes at the same place in its own heap.
 *
 * The zone in front takes a whole multiple of the block's alignment (16, or what memalign and
 * friends ask), so the program's pointer stays aligned. Guarded blocks are kept in a table split in
 * stripes, each with its own lock, in memory of the recorder's own (never the program's heap). */
#include "recorder.h"

#include <heaprr/keyed.h>

#include <string.h>

#define STRIPES 64u
#define MIN_SLOTS 256u
#define MIN_ALIGN 16u

typedef struct guard_slot {
    uint64_t ptr;   /* what the program has */
    uint64_t size;  /* the request */
    uint64_t front; /* bytes before ptr that the real allocator's block starts at */
} guard_slot;

typedef struct guard_stripe {
    int lock;
    uint32_t pad;
    guard_slot *slots;
    size_t mask, count;
    uint8_t pad2[64 - 32];
} guard_stripe;

static guard_stripe stripes[STRIPES];

static guard_stripe *stripe_of(uint64_t p)
{
    return &stripes[(hr_keyed_home(p, SIZE_MAX) >> 40) % STRIPES];
}

static void lock(guard_stripe *s)
{
    while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&s->lock, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}

static void unlock(guard_stripe *s)
{
    __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static guard_slot *find(guard_stripe *s, uint64_t p)
{
    guard_slot *e = s->slots ? hr_keyed_probe(s->slots, s->mask, sizeof *e, p) : NULL;
    return e && e->ptr ? e : NULL;
}

static int grow(guard_stripe *s)
{
    size_t n = s->slots ? (s->mask + 1) * 2 : MIN_SLOTS;
    guard_slot *slots = hr_mem_alloc(n * sizeof *slots);
    if (!slots)
        return -1;
    /* hr_mem_alloc's pages are zero: every slot empty */
    hr_keyed_move(slots, n - 1, s->slots, s->mask, sizeof *slots);
    hr_mem_free(s->slots);
    s->slots = slots;
    s->mask = n - 1;
    return 0;
}

/* Bytes of the zone in front of a block aligned to align (0: the default). */
static size_t front_of(size_t align)
{
    size_t a = align > MIN_ALIGN ? align : MIN_ALIGN, g = hr_cfg.guard_size;
    return (g + a - 1) / a * a;
}

size_t hr_guard_ask(size_t size, size_t align)
{
    size_t front = front_of(align), total;
    if (front < hr_cfg.guard_size || __builtin_add_overflow(size, front + hr_cfg.guard_size, &total))
        return 0;
    return total;
}

/* Remembers a guarded block; a table without memory leaves it unguarded (1: remembered). */
static int remember(uint64_t p, uint64_t size, uint64_t front)
{
    guard_stripe *s = stripe_of(p);
    lock(s);
    guard_slot *e = find(s, p);
    if (!e && ((s->count + 1) * 2 <= (s->slots ? s->mask + 1 : 0) || grow(s) == 0)) {
        e = hr_keyed_probe(s->slots, s->mask, sizeof *e, p);
        e->ptr = p;
        s->count++;
    }
    if (e) {
        e->size = size;
        e->front = front;
    }
    unlock(s);
    return e != NULL;
}

void *hr_guard_arm(void *real, size_t size, size_t align)
{
    if (!real)
        return NULL;
    size_t front = front_of(align), g = hr_cfg.guard_size;
    uint8_t *p = (uint8_t *)real + front;
    if (!remember((uintptr_t)p, size, front))
        return real; /* unguarded: the program gets the block as it is */
    for (size_t i = 0; i < g; i++) {
        p[size + i] = hr_guard_byte(i);
        p[-1 - (ptrdiff_t)i] = hr_guard_byte_before(i);
    }
    return p;
}

/* The request and front zone of a guarded block (and forgets it when forget is set); -1 if p is
 * not guarded. */
static int lookup(const void *p, uint64_t *size, uint64_t *front, int forget)
{
    guard_stripe *s = stripe_of((uintptr_t)p);
    lock(s);
    guard_slot *e = find(s, (uintptr_t)p);
    if (e) {
        *size = e->size;
        *front = e->front;
        if (forget) {
            s->count--;
            hr_keyed_erase(s->slots, s->mask, sizeof *e, e);
        }
    }
    unlock(s);
    return e ? 0 : -1;
}

/* Stages a record of a zone found changed. */
static void report(unsigned type, const void *p, uint64_t size, const uint8_t *zone)
{
    hr_tls *t = hr_thread_get();
    if (!t)
        return;
    uint8_t found[HR_GUARD_MAX];
    memcpy(found, zone, hr_cfg.guard_size);
    const uint64_t a[4] = {(uintptr_t)p, size, 0, 0};
    hr_ring_typed(t, type, a, found, (uint32_t)hr_cfg.guard_size, NULL, 0);
}

void *hr_guard_check(void *p, int forget)
{
    uint64_t size, front;
    if (!p || !hr_cfg.guard || lookup(p, &size, &front, forget) < 0)
        return p;
    const uint8_t *after = (const uint8_t *)p + size, *before = (const uint8_t *)p - hr_cfg.guard_size;
    size_t g = hr_cfg.guard_size, i = 0;
    while (i < g && after[i] == hr_guard_byte(i))
        i++;
    if (i < g)
        report(HR_REC_GUARD, p, size, after);
    for (i = 0; i < g && before[g - 1 - i] == hr_guard_byte_before(i);)
        i++;
    if (i < g)
        report(HR_REC_GUARD_BEFORE, p, size, before);
    return (uint8_t *)p - front;
}

int hr_guard_usable(const void *p, size_t *usable)
{
    uint64_t size, front;
    if (!hr_cfg.guard || !p || lookup(p, &size, &front, 0) < 0)
        return 0;
    *usable = (size_t)size;
    return 1;
}

void *hr_guard_base(void *p)
{
    uint64_t size, front;
    if (!hr_cfg.guard || !p || lookup(p, &size, &front, 1) < 0)
        return p;
    return (uint8_t *)p - front;
}

void *hr_guard_realloc_plain(void *p, size_t size, int *done)
{
    uint64_t old, front;
    *done = 0;
    if (!hr_cfg.guard || !p || lookup(p, &old, &front, 0) < 0)
        return NULL;
    *done = 1;
    if (!size) { /* realloc(p, 0) frees */
        hr_next.free(hr_guard_base(p));
        return NULL;
    }
    void *n = hr_next.malloc(size);
    if (!n)
        return NULL; /* the old block stays, guarded */
    memcpy(n, p, old < size ? old : size);
    hr_next.free(hr_guard_base(p));
    return n;
}
