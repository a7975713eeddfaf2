/* SPDX-License-Identifier: MIT */
/* The recorder's table of blocks, for guard mode (every guarded block, with its request and front
 * zone) and for the live checks of MALLOC_ACTION and MALLOC_CKACCESS (every block the program
 * allocated while recorded, with the call that allocated it; for MALLOC_ACTION, once freed, a
 * tombstone until its address comes back). With access checks, every live block and every block
 * held in the quarantine is also in the range index (ranges.c), kept in step here.
 * Split in stripes by address, each with its own spin lock held only for a lookup or an update, in
 * memory of the recorder's own (never the program's heap): usable from every hook. */
#include "recorder.h"

#include <heaprr/keyed.h>

#include <string.h>

#define STRIPES 64u
#define MIN_SLOTS 256u

typedef struct stripe {
    int lock;
    uint32_t pad;
    hr_blk *slots;
    size_t mask, count;
    uint8_t pad2[64 - 32];
} stripe;

static stripe stripes[STRIPES];

static stripe *stripe_of(uint64_t p)
{
    return &stripes[(hr_keyed_home(p, SIZE_MAX) >> 40) % STRIPES];
}

static hr_blk *find(stripe *s, uint64_t p)
{
    hr_blk *e = s->slots ? hr_keyed_probe(s->slots, s->mask, sizeof *e, p) : NULL;
    return e && e->ptr ? e : NULL;
}

static int grow(stripe *s)
{
    size_t n = s->slots ? (s->mask + 1) * 2 : MIN_SLOTS;
    hr_blk *slots = hr_mem_alloc(n * sizeof *slots);
    if (!slots)
        return -1;
    /* hr_mem_alloc's pages are zero: every slot empty */
    hr_keyed_move(slots, n - 1, s->slots, s->mask, sizeof *slots);
    hr_mem_free(s->slots);
    s->slots = slots;
    s->mask = n - 1;
    return 0;
}

/* Whether e is in the range index: a live block, or one held in the quarantine. */
static int indexed(const hr_blk *e)
{
    return hr_cfg.ckaccess && (!e->freed || e->held);
}

static void unindex(const hr_blk *e)
{
    if (indexed(e))
        hr_ranges_remove(e->ptr, e->size);
}

int hr_blocks_put(const hr_blk *b)
{
    stripe *s = stripe_of(b->ptr);
    hr_spin_lock(&s->lock);
    hr_blk *e = find(s, b->ptr);
    if (e)
        unindex(e);
    else if ((s->count + 1) * 2 <= (s->slots ? s->mask + 1 : 0) || grow(s) == 0) {
        e = hr_keyed_probe(s->slots, s->mask, sizeof *e, b->ptr);
        s->count++;
    }
    if (e) {
        *e = *b;
        if (indexed(e))
            hr_ranges_add(e->ptr, e->size);
    }
    hr_spin_unlock(&s->lock);
    return e ? 0 : -1;
}

int hr_blocks_take(uint64_t p, hr_blk *out, int how)
{
    stripe *s = stripe_of(p);
    hr_spin_lock(&s->lock);
    hr_blk *e = find(s, p);
    if (e) {
        *out = *e;
        if (how != HR_BLK_PEEK)
            unindex(e);
        if (how == HR_BLK_ERASE) {
            s->count--;
            hr_keyed_erase(s->slots, s->mask, sizeof *e, e);
        } else if (how == HR_BLK_BURY) {
            e->freed = 1;
            e->held = 0;
        }
    }
    hr_spin_unlock(&s->lock);
    return e ? 0 : -1;
}

int hr_blocks_containing(uint64_t p, hr_blk *out)
{
    for (unsigned i = 0; i < STRIPES; i++) {
        stripe *s = &stripes[i];
        hr_spin_lock(&s->lock);
        for (size_t j = 0; s->slots && j <= s->mask; j++) {
            const hr_blk *e = &s->slots[j];
            if (e->ptr && !e->freed && p > e->ptr && p - e->ptr < (e->size ? e->size : 1)) {
                *out = *e;
                hr_spin_unlock(&s->lock);
                return 0;
            }
        }
        hr_spin_unlock(&s->lock);
    }
    return -1;
}

void hr_blocks_unhold(uint64_t p)
{
    stripe *s = stripe_of(p);
    hr_spin_lock(&s->lock);
    hr_blk *e = find(s, p);
    if (e && e->freed && e->held) {
        unindex(e);
        e->held = 0;
        if (hr_cfg.action < 0) { /* no tombstones */
            s->count--;
            hr_keyed_erase(s->slots, s->mask, sizeof *e, e);
        }
    }
    hr_spin_unlock(&s->lock);
}

void hr_blocks_widen(uint64_t p)
{
    stripe *s = stripe_of(p);
    hr_spin_lock(&s->lock);
    hr_blk *e = find(s, p);
    if (e && !e->freed && !e->guarded)
        e->wide = 1;
    hr_spin_unlock(&s->lock);
}

/* Whether e holds address a (a zero-byte block holds its own address). */
static int holds(const hr_blk *e, uint64_t a)
{
    return e->ptr && (!e->freed || e->held) && a >= e->ptr && a - e->ptr < (e->size ? e->size : 1);
}

int hr_blocks_at(uint64_t a, hr_blk *out)
{
    uint64_t start = hr_ranges_small_start(a);
    if (start && hr_blocks_take(start, out, HR_BLK_PEEK) == 0 && holds(out, a))
        return 0;
    start = hr_ranges_big_start(a);
    if (start && hr_blocks_take(start, out, HR_BLK_PEEK) == 0 && holds(out, a))
        return 0;
    return -1;
}

/* fork: no other thread may hold a stripe while the process is copied. */
void hr_blocks_fork_prepare(void)
{
    if (hr_cfg.guard || hr_cfg.track)
        for (unsigned i = 0; i < STRIPES; i++)
            hr_spin_lock(&stripes[i].lock);
    hr_ranges_fork_prepare();
    hr_self.forking = 1; /* also: the child records nothing until it has a trace (hook-call.h) */
}

void hr_blocks_fork_done(void)
{
    hr_self.forking = 0;
    hr_ranges_fork_done();
    if (hr_cfg.guard || hr_cfg.track)
        for (unsigned i = 0; i < STRIPES; i++)
            hr_spin_unlock(&stripes[i].lock);
}
