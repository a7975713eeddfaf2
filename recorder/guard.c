/* SPDX-License-Identifier: MIT */
/* Guard mode (MALLOC_CKBOUNDS=1): every recorded allocation asks the real allocator for
 * HR_GUARD_BYTES more, and the bytes after the request get a known pattern (formats/SPEC.md,
 * GUARD). Before the block is freed or reallocated the pattern is checked; if it changed, a GUARD
 * record holding the zone as found goes into the trace just before the call, so that a replay can
 * put the same bytes at the same place in its own heap. The requests are kept in a table split in
 * stripes, each with its own lock, in memory of the recorder's own (never the program's heap). */
#include "recorder.h"

#include <heaprr/keyed.h>

#include <string.h>

#define STRIPES 64u
#define MIN_SLOTS 256u

typedef struct guard_slot {
    uint64_t ptr, size;
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

static void erase(guard_stripe *s, guard_slot *e)
{
    s->count--;
    hr_keyed_erase(s->slots, s->mask, sizeof *e, e);
}

size_t hr_guard_size(size_t size)
{
    return hr_cfg.guard && size <= SIZE_MAX - HR_GUARD_BYTES ? size + HR_GUARD_BYTES : size;
}

void hr_guard_arm(void *p, size_t size)
{
    if (!p || size > SIZE_MAX - HR_GUARD_BYTES)
        return;
    uint8_t *zone = (uint8_t *)p + size;
    for (unsigned i = 0; i < HR_GUARD_BYTES; i++)
        zone[i] = hr_guard_byte(i);
    guard_stripe *s = stripe_of((uintptr_t)p);
    lock(s);
    guard_slot *e = find(s, (uintptr_t)p);
    if (!e && ((s->count + 1) * 2 <= (s->slots ? s->mask + 1 : 0) || grow(s) == 0)) {
        e = hr_keyed_probe(s->slots, s->mask, sizeof *e, (uintptr_t)p);
        e->ptr = (uintptr_t)p;
        s->count++;
    }
    if (e)
        e->size = size;
    unlock(s);
}

/* The request of a guarded block (and forgets it when forget is set); 0 and -1 if not guarded. */
static int lookup(const void *p, uint64_t *size, int forget)
{
    guard_stripe *s = stripe_of((uintptr_t)p);
    lock(s);
    guard_slot *e = find(s, (uintptr_t)p);
    if (e) {
        *size = e->size;
        if (forget)
            erase(s, e);
    }
    unlock(s);
    return e ? 0 : -1;
}

void hr_guard_check(const void *p, int forget)
{
    uint64_t size;
    if (!p || lookup(p, &size, forget) < 0)
        return;
    const uint8_t *zone = (const uint8_t *)p + size;
    unsigned i = 0;
    while (i < HR_GUARD_BYTES && zone[i] == hr_guard_byte(i))
        i++;
    hr_tls *t = i < HR_GUARD_BYTES ? hr_thread_get() : NULL;
    if (!t)
        return;
    uint8_t found[HR_GUARD_BYTES];
    memcpy(found, zone, sizeof found);
    const uint64_t a[4] = {(uintptr_t)p, size, 0, 0};
    hr_ring_typed(t, HR_REC_GUARD, a, found, HR_GUARD_BYTES, NULL, 0);
}

void hr_guard_forget(const void *p)
{
    uint64_t size;
    if (p)
        lookup(p, &size, 1);
}

/* A guarded block's usable size is its request: the guard zone starts right after it, and a
 * program that uses all the bytes malloc_usable_size promises (V8's zones do) must stay out of
 * it. */
size_t hr_guard_usable(const void *p, size_t usable)
{
    uint64_t size;
    if (!hr_cfg.guard || !p || lookup(p, &size, 0) < 0)
        return usable;
    return size < usable ? (size_t)size : usable;
}
