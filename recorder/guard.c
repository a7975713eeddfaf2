/* SPDX-License-Identifier: MIT */
/* Guard mode (MALLOC_CKBOUNDS=1): every recorded allocation asks the real allocator for room for
 * two guard zones of MALLOC_GUARD_SIZE bytes (32 by default) around the request, filled with known
 * patterns (formats/SPEC.md, GUARD and GUARD_BEFORE). The program gets the address after the zone
 * in front, so every entry point that takes a pointer back translates it (check.c). Before the
 * block is freed or reallocated both patterns are checked; a changed one becomes a GUARD (after the
 * block) or GUARD_BEFORE (before it) record holding the zone as found, just before the call, so
 * that a replay can put the same bytes at the same place in its own heap.
 *
 * The zone in front takes a whole multiple of the block's alignment (16, or what memalign and
 * friends ask), so the program's pointer stays aligned. Guarded blocks are in the recorder's table
 * of blocks (blocks.c). */
#include "recorder.h"

#include <string.h>

#define MIN_ALIGN 16u

size_t hr_guard_front(size_t align)
{
    size_t a = align > MIN_ALIGN ? align : MIN_ALIGN, g = hr_cfg.guard_size;
    return (g + a - 1) / a * a;
}

/* Alignments above a page are not guarded: the zone in front would take a whole alignment, and a
 * request that succeeds natively could fail. */
#define MAX_GUARDED_ALIGN 4096u

size_t hr_guard_ask(size_t size, size_t align)
{
    if (align > MAX_GUARDED_ALIGN)
        return 0;
    size_t front = hr_guard_front(align), total;
    if (front < hr_cfg.guard_size || front > UINT16_MAX ||
        __builtin_add_overflow(size, front + hr_cfg.guard_size, &total))
        return 0;
    return total;
}

void *hr_guard_arm(void *real, size_t size, size_t align, unsigned kind)
{
    if (!real)
        return NULL;
    size_t front = hr_guard_front(align), g = hr_cfg.guard_size;
    uint8_t *p = (uint8_t *)real + front;
    hr_blk b = {.ptr = (uintptr_t)p, .size = size, .front = (uint16_t)front, .kind = (uint8_t)kind, .guarded = 1};
    if (hr_blocks_put(&b) < 0) { /* unguarded: the program gets the block as it is */
        hr_check_alloc(real, size, kind);
        return real;
    }
    for (size_t i = 0; i < g; i++) {
        p[size + i] = hr_guard_byte(i);
        p[-1 - (ptrdiff_t)i] = hr_guard_byte_before(i);
    }
    return p;
}

/* Stages a record of a zone found changed. */
static void report(unsigned type, const hr_blk *b, const uint8_t *zone)
{
    hr_tls *t = hr_thread_get();
    if (!t)
        return;
    uint8_t found[HR_GUARD_MAX];
    memcpy(found, zone, hr_cfg.guard_size);
    const uint64_t a[4] = {b->ptr, b->size, 0, 0};
    hr_ring_typed(t, type, a, found, (uint32_t)hr_cfg.guard_size, NULL, 0);
}

int hr_guard_zones(const hr_blk *b)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)b->ptr;
    const uint8_t *after = p + b->size, *before = p - hr_cfg.guard_size;
    size_t g = hr_cfg.guard_size, i = 0;
    int error = HR_CK_NONE;
    while (i < g && after[i] == hr_guard_byte(i))
        i++;
    if (i < g) {
        report(HR_REC_GUARD, b, after);
        error = HR_CK_OVERRUN;
    }
    for (i = 0; i < g && before[g - 1 - i] == hr_guard_byte_before(i);)
        i++;
    if (i < g) {
        report(HR_REC_GUARD_BEFORE, b, before);
        error = error ? error : HR_CK_UNDERRUN;
    }
    return error;
}

int hr_guard_usable(const void *p, size_t *usable)
{
    hr_blk b;
    if (!hr_cfg.guard || !p || hr_blocks_take((uintptr_t)p, &b, HR_BLK_PEEK) < 0 || b.freed || !b.guarded)
        return 0;
    *usable = (size_t)b.size;
    return 1;
}

void *hr_guard_base(void *p)
{
    hr_blk b;
    if ((!hr_cfg.guard && !hr_cfg.track) || !p ||
        hr_blocks_take((uintptr_t)p, &b, hr_cfg.action >= 0 ? HR_BLK_BURY : HR_BLK_ERASE) < 0 || b.freed)
        return p;
    return (uint8_t *)p - b.front;
}

void *hr_guard_realloc_plain(void *p, size_t size, int *done)
{
    hr_blk b;
    *done = 0;
    if (!hr_cfg.guard || !p || hr_blocks_take((uintptr_t)p, &b, HR_BLK_PEEK) < 0 || b.freed || !b.guarded)
        return NULL;
    *done = 1;
    void *base = hr_guard_base(p); /* forgotten before the real free: its address may come back */
    if (!size) { /* realloc(p, 0) frees */
        hr_next.free(base);
        return NULL;
    }
    void *n = hr_move_block(base, p, b.size, size, size, 0, 0, NULL);
    if (!n)
        hr_blocks_put(&b); /* the old block stays, guarded */
    return n;
}
