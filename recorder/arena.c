/* SPDX-License-Identifier: MIT */
/* The recorder's own memory, never the program's allocator: never recorded, never recursing into
 * the hooks, surviving a program that corrupts its heap. Two pools:
 *  - the shared pool (hr_mem_alloc): state a forked child goes on using (its thread's unwinder,
 *    module list, guard table, environment copy);
 *  - the writer's pool (hr_mem_hooks: the trace writer, zstd, the staging consumers), kept out of
 *    forked children with MADV_DONTFORK: the parent writes those tables all the time, and each
 *    page a child shared would be copied on the parent's next write, after every fork; the child
 *    builds its own writer anyway.
 * Blocks up to SMALL_MAX are carved from 1 MiB mappings and, once freed, kept on a lock-free list
 * per power-of-two class for the next block of that class; bigger ones are mappings of their own.
 * Every block comes back zero-filled (fresh pages, or cleared when reused), which the format
 * library relies on (hr_mem_hooks.zeroed). No lock: any thread, a signal handler or a vfork child
 * may call in. */
#include "recorder.h"

#include <string.h>
#include <sys/mman.h>

#define HDR 16 /* keeps 16-byte alignment: the block's size (its class for small ones), its pool */
#define MIN_SHIFT 5
#define SMALL_SHIFT 16
#define SMALL_MAX (1u << SMALL_SHIFT)
#define CLASSES (SMALL_SHIFT - MIN_SHIFT + 1)
#define SLAB (1u << 20)
#define TAG_SHIFT 48 /* x86-64 user addresses fit in 47 bits: the rest counts pushes (ABA) */
#define PTR_MASK ((1ull << TAG_SHIFT) - 1)
#define HUGE_MIN (8u << 20) /* mappings at least this big may use huge pages */

/* A mapping small blocks are carved from: its header holds the bump pointer. */
typedef struct slab {
    char *next, *end;
} slab;

typedef struct pool {
    slab *cur;
    uint64_t free_head[CLASSES];
    int dontfork;
} pool;

static pool shared_pool, writer_pool = {.dontfork = 1};
static int forgetting;

static void *map(const pool *pl, size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (pl->dontfork)
        madvise(p, n, MADV_DONTFORK);
#ifdef MADV_HUGEPAGE
    if (n >= HUGE_MIN) /* the writer's big tables (its index's live blocks) are read at random */
        madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

static unsigned class_of(size_t total)
{
    unsigned c = 0;
    while (((size_t)1 << (MIN_SHIFT + c)) < total)
        c++;
    return c;
}

static void *pop(pool *pl, unsigned c)
{
    uint64_t head = __atomic_load_n(&pl->free_head[c], __ATOMIC_ACQUIRE);
    while (head & PTR_MASK) {
        char *b = (char *)(uintptr_t)(head & PTR_MASK);
        uint64_t next = *(uint64_t *)(b + 8), tagged = (next & PTR_MASK) | (head & ~PTR_MASK);
        if (__atomic_compare_exchange_n(&pl->free_head[c], &head, tagged, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return b;
    }
    return NULL;
}

static void push(pool *pl, unsigned c, char *b)
{
    uint64_t head = __atomic_load_n(&pl->free_head[c], __ATOMIC_RELAXED), tagged;
    do {
        *(uint64_t *)(b + 8) = head & PTR_MASK;
        tagged = (uint64_t)(uintptr_t)b | ((head & ~PTR_MASK) + (1ull << TAG_SHIFT));
    } while (!__atomic_compare_exchange_n(&pl->free_head[c], &head, tagged, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* Carves n bytes from the pool's slab, starting a new one when it is used up (the tail of a
 * used-up slab is left unused). */
static char *carve(pool *pl, size_t n)
{
    for (;;) {
        slab *sl = __atomic_load_n(&pl->cur, __ATOMIC_ACQUIRE);
        if (sl) {
            char *p = __atomic_fetch_add(&sl->next, n, __ATOMIC_ACQ_REL);
            if (p + n <= sl->end)
                return p;
        }
        slab *fresh = map(pl, SLAB);
        if (!fresh)
            return NULL;
        fresh->next = (char *)fresh + HDR;
        fresh->end = (char *)fresh + SLAB;
        /* Whoever installs a slab first wins; one that loses the race is given back. */
        if (!__atomic_compare_exchange_n(&pl->cur, &sl, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            munmap(fresh, SLAB);
    }
}

static char *small_alloc(pool *pl, size_t total)
{
    unsigned c = class_of(total);
    size_t n = (size_t)1 << (MIN_SHIFT + c);
    char *b = pop(pl, c);
    if (b)
        memset(b + 8, 0, n - 8); /* the link word and whatever the last owner left */
    else if (!(b = carve(pl, n)))
        return NULL;
    *(size_t *)b = c;
    return b;
}

static void *pool_alloc(pool *pl, size_t size)
{
    size_t total = size + HDR;
    if (total < size)
        return NULL;
    char *b = total <= SMALL_MAX ? small_alloc(pl, total) : map(pl, total);
    if (!b)
        return NULL;
    if (total > SMALL_MAX)
        *(size_t *)b = total;
    *(uint64_t *)(b + 8) = pl->dontfork;
    return b + HDR;
}

void *hr_mem_alloc(size_t size)
{
    return pool_alloc(&shared_pool, size);
}

void hr_mem_free(void *p)
{
    if (!p || forgetting)
        return;
    char *base = (char *)p - HDR;
    size_t v = *(size_t *)base;
    pool *pl = *(uint64_t *)(base + 8) ? &writer_pool : &shared_pool;
    if (v >= CLASSES)
        munmap(base, v);
    else
        push(pl, (unsigned)v, base);
}

/* A forked child lets go of its parent's recorder state without touching it: the writer's pool is
 * not even mapped in the child, and each page of the shared pool it wrote would be a page copied.
 * What is freed meanwhile is forgotten; the free lists, which hold the parent's blocks, start
 * empty, and fresh pages serve the child. */
void hr_mem_fork_begin(void)
{
    forgetting = 1;
    memset(shared_pool.free_head, 0, sizeof shared_pool.free_head);
    memset(writer_pool.free_head, 0, sizeof writer_pool.free_head);
    writer_pool.cur = NULL;
}

void hr_mem_fork_end(void)
{
    forgetting = 0;
}

char *hr_mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = hr_mem_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void *hook_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return pool_alloc(&writer_pool, size);
}

static void hook_free(void *opaque, void *p)
{
    (void)opaque;
    hr_mem_free(p);
}

const hr_alloc hr_mem_hooks = {hook_alloc, hook_free, NULL, 1}; /* every block zero-filled */
