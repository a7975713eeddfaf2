/* SPDX-License-Identifier: MIT */
/* The freed-block quarantine (MALLOC_CKFREED=1, implied by guard mode): a block the program frees
 * is recorded as freed at once, but handed to the real allocator only later. Meanwhile its bytes
 * hold HR_FREED_FILL and its address cannot be handed out again, so a write through a stale pointer
 * changes the fill. The queue keeps at most HEAPRR_QUARANTINE_MB of blocks, oldest out first; a
 * block leaving it is checked, and so is every block still in it at exit. Damage becomes a
 * FREED_WRITE record on the thread whose call pushed the block out (just before that call's own
 * record), so that a replay names the call that found it.
 *
 * The queue is a ring of entries in recorder memory under one spin lock, held only to push and
 * pop entries: fills, checks and real frees run outside it. Blocks are freed with the next free()
 * (libstdc++'s operators delete are free() underneath). */
#include "recorder.h"

#include <string.h>

#define ENTRIES (1u << 18)           /* blocks the queue can hold */
#define BIG_BLOCK (1u << 20)         /* larger blocks are not held: filling them costs too much */
#define EVICT_BATCH 16u              /* blocks taken out per call, at most */

typedef struct qentry {
    uint64_t ptr;  /* the block, as the real allocator knows it */
    uint64_t fill; /* bytes of it filled */
    uint64_t off;  /* where the program's pointer was in it (guard mode: after the front zone) */
} qentry;

static qentry *ring;
static uint32_t head, count; /* the oldest entry, and how many */
static uint64_t held;        /* bytes filled in the blocks held */
static int qlock;

/* fork: no other thread may hold the lock while the process is copied. */
void hr_quarantine_fork_prepare(void)
{
    if (hr_cfg.ckfreed)
        hr_spin_lock(&qlock);
}

void hr_quarantine_fork_done(void)
{
    if (hr_cfg.ckfreed)
        hr_spin_unlock(&qlock);
}

/* The first byte of [p, p + n) that is not the fill, or n. */
static uint64_t first_changed(const uint8_t *p, uint64_t n)
{
    uint64_t i = 0;
    const uint64_t word = 0x0101010101010101ull * HR_FREED_FILL;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (v != word)
            break;
    }
    while (i < n && p[i] == HR_FREED_FILL)
        i++;
    return i;
}

/* Checks a block leaving the queue (or still in it at exit); damage is staged on thread t.
 * Returns 1 when there was some. */
static int check(hr_tls *t, const qentry *e)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)(e->ptr + e->off);
    uint64_t n = e->fill - e->off, first = first_changed(p, n);
    if (first == n || !t)
        return first != n;
    uint64_t bytes = 0;
    for (uint64_t i = first; i < n; i++)
        bytes += p[i] != HR_FREED_FILL;
    uint64_t shown = n - first < HR_FREED_WINDOW ? n - first : HR_FREED_WINDOW;
    const uint64_t a[4] = {e->ptr + e->off, first, bytes, 0};
    hr_ring_typed(t, HR_REC_FREED_WRITE, a, p + first, (uint32_t)shown, NULL, 0);
    return 1;
}

/* Takes up to max of the oldest blocks out while the queue is over its bounds (room: bytes about to
 * come in). Returns how many, in out. */
static uint32_t take_oldest(qentry *out, uint32_t max, uint64_t room)
{
    uint32_t n = 0;
    hr_spin_lock(&qlock);
    while (n < max && count && (held + room > hr_cfg.quarantine_bytes || count >= ENTRIES - EVICT_BATCH)) {
        out[n] = ring[head];
        held -= out[n].fill;
        head = (head + 1) % ENTRIES;
        count--;
        n++;
    }
    hr_spin_unlock(&qlock);
    return n;
}

/* The bytes of p to fill when it is held, 0 when it is not held. */
static uint64_t fill_size(void *p)
{
    if (!p || !hr_next.malloc_usable_size || hr_boot_owns(p))
        return 0;
    size_t n = hr_next.malloc_usable_size(p);
    return n && n <= BIG_BLOCK ? n : 0;
}

uint64_t hr_quarantine_room(void *p, int *damage)
{
    if (!ring) {
        hr_spin_lock(&qlock);
        if (!ring)
            ring = hr_mem_alloc(ENTRIES * sizeof *ring);
        hr_spin_unlock(&qlock);
        if (!ring)
            return 0;
    }
    uint64_t fill = fill_size(p);
    if (!fill)
        return 0;
    qentry out[EVICT_BATCH];
    uint32_t n = take_oldest(out, EVICT_BATCH, fill);
    hr_tls *t = n ? hr_thread_get() : NULL;
    for (uint32_t i = 0; i < n; i++) {
        *damage |= check(t, &out[i]);
        if (hr_cfg.ckaccess)
            hr_blocks_unhold(out[i].ptr + out[i].off);
        hr_next.free((void *)(uintptr_t)out[i].ptr);
    }
    return fill;
}

/* Access checks: a held block stays in the range index, as freed, until it leaves (marked before it
 * is queued, so that a thread taking it out finds the mark). */
static int mark_held(const hr_blk *taken)
{
    if (!hr_cfg.ckaccess || !taken || !taken->ptr)
        return 0;
    hr_blk b = *taken;
    b.freed = b.held = 1;
    return hr_blocks_put(&b) == 0;
}

int hr_quarantine_put(void *p, const void *user, uint64_t fill, const hr_blk *taken)
{
    uint64_t off = (uintptr_t)user - (uintptr_t)p;
    if (!fill || off >= fill)
        return 0;
    int marked = mark_held(taken);
    memset(p, HR_FREED_FILL, fill);
    hr_spin_lock(&qlock);
    int room = count < ENTRIES;
    if (room) {
        ring[(head + count) % ENTRIES] = (qentry){(uintptr_t)p, fill, off};
        count++;
        held += fill;
    }
    hr_spin_unlock(&qlock);
    if (!room && marked)
        hr_blocks_unhold((uintptr_t)user);
    return room;
}

void hr_quarantine_check_all(void)
{
    if (!hr_cfg.ckfreed || !ring)
        return;
    hr_tls *t = hr_thread_get();
    hr_spin_lock(&qlock);
    for (uint32_t i = 0; i < count; i++)
        check(t, &ring[(head + i) % ENTRIES]);
    hr_spin_unlock(&qlock);
}
