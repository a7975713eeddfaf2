/* SPDX-License-Identifier: MIT */
/* The range index of the access checks (MALLOC_CKACCESS=1): which block, if any, holds an address.
 * The table of blocks (blocks.c) finds a block by its start only; this index finds the start.
 *  - Blocks smaller than WINDOW set one bit per start in a bitmap of 16-byte granules, kept in
 *    leaves of 1 MiB of address space (8 KiB of bits each) under a two-level directory, made on
 *    first use and never freed. The start of the block holding an address is the nearest set bit
 *    at or below it, at most WINDOW bytes down: at most WINDOW / 1 KiB words read.
 *  - Larger blocks, few, are a sorted array of starts under a spin lock.
 * Bits are set and cleared with atomic operations, without a lock; a lookup that races with the
 * free of the block it finds sees no entry in the table of blocks, or a block that does not hold the
 * address, and reports nothing. Memory is the recorder's own (never the program's heap). */
#include "recorder.h"

#include <string.h>

#define GRANULE_SHIFT 4u                        /* 16-byte granules: every block start is aligned so */
#define LEAF_SHIFT 20u                          /* a leaf covers 1 MiB */
#define LEAF_WORDS (1u << (LEAF_SHIFT - GRANULE_SHIFT - 6u))
#define MID_SHIFT 14u                           /* leaves per directory entry */
#define ADDRESS_BITS 47u                        /* user space on x86-64 and arm64 with 4-level tables */
#define TOP_ENTRIES (1u << (ADDRESS_BITS - LEAF_SHIFT - MID_SHIFT))
#define WINDOW (64u << 10)                      /* blocks this large or larger are "big" */
#define WINDOW_WORDS (WINDOW >> (GRANULE_SHIFT + 6u))

static uint64_t **top[TOP_ENTRIES]; /* top[i][j]: the leaf of 1 MiB number (i << MID_SHIFT) + j */

static uint64_t *big;         /* starts of big blocks, sorted */
static size_t nbig, capbig;
static int biglock;

static int is_big(uint64_t size)
{
    return size >= WINDOW;
}

/* Installs *slot with a zeroed allocation of size bytes, unless another thread did first. */
static void *install(void **slot, size_t size)
{
    void *cur = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (cur)
        return cur;
    void *fresh = hr_mem_alloc(size);
    if (!fresh)
        return NULL;
    if (__atomic_compare_exchange_n(slot, &cur, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return fresh;
    hr_mem_free(fresh);
    return cur;
}

/* The leaf of leaf number n (address >> LEAF_SHIFT); made when create is set. */
static uint64_t *leaf(uint64_t n, int create)
{
    if (n >> (ADDRESS_BITS - LEAF_SHIFT))
        return NULL;
    void **mid = (void **)&top[n >> MID_SHIFT];
    uint64_t **dir = create ? install(mid, sizeof(uint64_t *) << MID_SHIFT) : __atomic_load_n(mid, __ATOMIC_ACQUIRE);
    if (!dir)
        return NULL;
    void **slot = (void **)&dir[n & ((1u << MID_SHIFT) - 1)];
    return create ? install(slot, LEAF_WORDS * sizeof(uint64_t)) : __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* The position of p in the sorted array: the first start >= p. */
static size_t big_position(uint64_t p)
{
    size_t lo = 0, hi = nbig;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (big[mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void big_add(uint64_t p)
{
    hr_spin_lock(&biglock);
    if (nbig == capbig) {
        size_t cap = capbig ? capbig * 2 : 256;
        uint64_t *n = hr_mem_alloc(cap * sizeof *n);
        if (!n) {
            hr_spin_unlock(&biglock);
            return; /* not indexed: accesses to it go unchecked */
        }
        if (nbig)
            memcpy(n, big, nbig * sizeof *n);
        hr_mem_free(big);
        big = n;
        capbig = cap;
    }
    size_t i = big_position(p);
    if (i == nbig || big[i] != p) {
        memmove(big + i + 1, big + i, (nbig - i) * sizeof *big);
        big[i] = p;
        nbig++;
    }
    hr_spin_unlock(&biglock);
}

static void big_remove(uint64_t p)
{
    hr_spin_lock(&biglock);
    size_t i = big_position(p);
    if (i < nbig && big[i] == p) {
        memmove(big + i, big + i + 1, (nbig - i - 1) * sizeof *big);
        nbig--;
    }
    hr_spin_unlock(&biglock);
}

void hr_ranges_add(uint64_t p, uint64_t size)
{
    if (p & ((1u << GRANULE_SHIFT) - 1))
        return; /* never so from the C library's allocator: not indexed */
    if (is_big(size)) {
        big_add(p);
        return;
    }
    uint64_t g = p >> GRANULE_SHIFT, *l = leaf(p >> LEAF_SHIFT, 1);
    if (l)
        __atomic_fetch_or(&l[(g >> 6) % LEAF_WORDS], 1ull << (g & 63), __ATOMIC_RELEASE);
}

void hr_ranges_remove(uint64_t p, uint64_t size)
{
    if (p & ((1u << GRANULE_SHIFT) - 1))
        return;
    if (is_big(size)) {
        big_remove(p);
        return;
    }
    uint64_t g = p >> GRANULE_SHIFT, *l = leaf(p >> LEAF_SHIFT, 0);
    if (l)
        __atomic_fetch_and(&l[(g >> 6) % LEAF_WORDS], ~(1ull << (g & 63)), __ATOMIC_RELEASE);
}

uint64_t hr_ranges_small_start(uint64_t a)
{
    uint64_t g = a >> GRANULE_SHIFT, w = g >> 6;
    uint64_t mask = (g & 63) == 63 ? ~0ull : (2ull << (g & 63)) - 1;
    for (uint32_t n = 0; n <= WINDOW_WORDS; n++, mask = ~0ull) {
        const uint64_t *l = leaf(w / LEAF_WORDS, 0);
        uint64_t bits = l ? __atomic_load_n(&l[w % LEAF_WORDS], __ATOMIC_ACQUIRE) & mask : 0;
        if (bits) {
            uint64_t start = ((w << 6) + 63 - (uint64_t)__builtin_clzll(bits)) << GRANULE_SHIFT;
            return a - start < WINDOW ? start : 0;
        }
        if (!w)
            return 0;
        w--;
    }
    return 0;
}

uint64_t hr_ranges_big_start(uint64_t a)
{
    if (!__atomic_load_n(&nbig, __ATOMIC_RELAXED))
        return 0;
    hr_spin_lock(&biglock);
    size_t i = big_position(a + 1); /* the first start above a */
    uint64_t start = i ? big[i - 1] : 0;
    hr_spin_unlock(&biglock);
    return start;
}

/* fork: no other thread may hold the lock while the process is copied (taken after the table's). */
void hr_ranges_fork_prepare(void)
{
    if (hr_cfg.ckaccess)
        hr_spin_lock(&biglock);
}

void hr_ranges_fork_done(void)
{
    if (hr_cfg.ckaccess)
        hr_spin_unlock(&biglock);
}
